/**
 * A small ANSI SGR parser for build logs: colours 30–37 / 90–97 (foreground), 40–47 /
 * 100–107 (background), bold, inverse (buildroot's `>>>` lines use standout), resets.
 * Other escape sequences (cursor moves, erase line, 256 and RGB colours) are dropped.
 *
 * Each log line is parsed on its own: the log view draws only the visible rows, so it
 * cannot replay the colour state of every line above. Build tools reset at the end of a
 * line, so this is what people see in a terminal.
 */

export interface Segment {
  text: string;
  /** 0–15: the eight colours, then their bright versions. */
  fg?: number;
  bg?: number;
  bold?: boolean;
  inverse?: boolean;
}

// CSI … final byte; OSC … BEL/ST; two-byte escapes (charset selection and the like).
const ESCAPE = /\x1b(?:\[([0-9;:?]*)([ -/]*[@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[()][A-Za-z0-9]|[@-Z\\-_])/g;

const INCOMPLETE = /^\x1b(?:\[[0-9;:?]*[ -/]*|[()])?$/;

/** A line as a terminal would leave it: `\r` returns to the start, so the last rewrite wins. */
export function terminalLine(line: string): string {
  let s = line.endsWith('\r') ? line.replace(/\r+$/, '') : line;
  const cr = s.lastIndexOf('\r');
  if (cr >= 0) s = s.slice(cr + 1);
  // A line still being written may end in the middle of an escape sequence.
  const esc = s.lastIndexOf('\x1b');
  if (esc >= 0 && INCOMPLETE.test(s.slice(esc))) s = s.slice(0, esc);
  return s;
}

export function stripAnsi(line: string): string {
  const s = terminalLine(line);
  return s.includes('\x1b') ? s.replace(ESCAPE, '') : s;
}

export function parseAnsi(line: string): Segment[] {
  const s = terminalLine(line);
  if (!s.includes('\x1b')) return [{ text: s }];
  const out: Segment[] = [];
  let fg: number | undefined;
  let bg: number | undefined;
  let bold = false;
  let inverse = false;
  let last = 0;
  const push = (text: string) => {
    if (!text) return;
    const seg: Segment = { text };
    if (fg !== undefined) seg.fg = fg;
    if (bg !== undefined) seg.bg = bg;
    if (bold) seg.bold = true;
    if (inverse) seg.inverse = true;
    out.push(seg);
  };
  ESCAPE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ESCAPE.exec(s)) !== null) {
    push(s.slice(last, m.index));
    last = ESCAPE.lastIndex;
    if (m[2] !== 'm' || m[1] === undefined || m[1].includes('?')) continue;
    const codes = m[1] === '' ? [0] : m[1].split(/[;:]/).map((c) => (c === '' ? 0 : Number(c)));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c === 0) {
        fg = bg = undefined;
        bold = inverse = false;
      } else if (c === 1) bold = true;
      else if (c === 22) bold = false;
      else if (c === 7) inverse = true;
      else if (c === 27) inverse = false;
      else if (c >= 30 && c <= 37) fg = c - 30;
      else if (c >= 90 && c <= 97) fg = c - 90 + 8;
      else if (c === 39) fg = undefined;
      else if (c >= 40 && c <= 47) bg = c - 40;
      else if (c >= 100 && c <= 107) bg = c - 100 + 8;
      else if (c === 49) bg = undefined;
      else if (c === 38 || c === 48) {
        // 256-colour (5;n) and RGB (2;r;g;b): skip their parameters, keep the default colour.
        const mode = codes[i + 1];
        i += mode === 5 ? 2 : mode === 2 ? 4 : 1;
      }
    }
  }
  push(s.slice(last));
  return out.length ? out : [{ text: '' }];
}

/** CSS classes of a segment (colours come from build.css, so light and dark both read well). */
export function segmentClass(seg: Segment): string {
  let fg = seg.fg;
  let bg = seg.bg;
  let cls = '';
  if (seg.inverse) {
    cls += ' ansi-inverse';
    [fg, bg] = [bg, fg];
  }
  if (fg !== undefined) cls += ` ansi-fg${fg}`;
  if (bg !== undefined) cls += ` ansi-bg${bg}`;
  if (seg.bold) cls += ' ansi-bold';
  return cls.trim();
}
