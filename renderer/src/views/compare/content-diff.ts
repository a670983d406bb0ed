import { structuredPatch } from 'diff';

/**
 * What changed inside a changed file, from both sides' bytes: a unified text diff with line
 * numbers for text up to TEXT_LIMIT, else where the bytes first differ, in hex. Pure, so the
 * unit tests check it without a browser.
 */

export const TEXT_LIMIT = 256 * 1024;
const CONTEXT = 3;
const HEX_WIDTH = 16;
/** Lines of a text diff drawn before "and N more". */
export const MAX_DIFF_LINES = 2000;

export interface DiffLine {
  kind: ' ' | '+' | '-';
  /** 1-based line numbers; absent on the side the line is not in. */
  a?: number;
  b?: number;
  text: string;
}
export interface Hunk {
  header: string;
  lines: DiffLine[];
}
export interface HexRow {
  offset: number;
  hex: string[];
  ascii: string;
}

export type ContentDiff =
  | { kind: 'text'; hunks: Hunk[]; added: number; removed: number }
  | { kind: 'binary'; offset: number; a: HexRow[]; b: HexRow[]; why: 'binary' | 'too big' }
  | { kind: 'same'; why: string };

/** UTF-8 without NUL bytes is text; anything else is not. */
export function asText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function textHunks(a: string, b: string, context = CONTEXT): { hunks: Hunk[]; added: number; removed: number } {
  const patch = structuredPatch('a', 'b', a, b, '', '', { context });
  let added = 0;
  let removed = 0;
  const hunks = patch.hunks.map((h) => {
    let na = h.oldStart;
    let nb = h.newStart;
    const lines: DiffLine[] = [];
    for (const raw of h.lines) {
      const kind = raw[0];
      const text = raw.slice(1);
      if (kind === '\\') continue; // "\ No newline at end of file"
      if (kind === '-') {
        lines.push({ kind: '-', a: na++, text });
        removed++;
      } else if (kind === '+') {
        lines.push({ kind: '+', b: nb++, text });
        added++;
      } else {
        lines.push({ kind: ' ', a: na++, b: nb++, text });
      }
    }
    return { header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, lines };
  });
  return { hunks, added, removed };
}

/** The first offset where the two differ (one ending before the other counts); -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Two rows of 16 bytes from the row holding `offset`: what `xxd` shows there. */
export function hexRows(bytes: Uint8Array, offset: number, rows = 2): HexRow[] {
  const start = Math.floor(offset / HEX_WIDTH) * HEX_WIDTH;
  const out: HexRow[] = [];
  for (let r = 0; r < rows; r++) {
    const from = start + r * HEX_WIDTH;
    if (from >= bytes.length && r > 0) break;
    const slice = bytes.subarray(from, Math.min(bytes.length, from + HEX_WIDTH));
    out.push({
      offset: from,
      hex: [...slice].map((x) => x.toString(16).padStart(2, '0')),
      ascii: [...slice].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join(''),
    });
  }
  return out;
}

/**
 * `a` and `b` are the files' first bytes (all of them up to TEXT_LIMIT); `sizes` are the
 * whole files' sizes.
 */
export function contentDiff(a: Uint8Array, b: Uint8Array, sizes: { a: number; b: number }): ContentDiff {
  const whole = sizes.a <= TEXT_LIMIT && sizes.b <= TEXT_LIMIT && a.length === sizes.a && b.length === sizes.b;
  if (whole) {
    const ta = asText(a);
    const tb = asText(b);
    if (ta !== undefined && tb !== undefined) {
      if (ta === tb) return { kind: 'same', why: 'the bytes are the same' };
      return { kind: 'text', ...textHunks(ta, tb) };
    }
  }
  const offset = firstDifference(a, b);
  if (offset < 0) return { kind: 'same', why: whole ? 'the bytes are the same' : `the first ${a.length} bytes are the same` };
  return { kind: 'binary', offset, a: hexRows(a, offset), b: hexRows(b, offset), why: whole ? 'binary' : 'too big' };
}
