/**
 * Soft wrap for the text viewer, which draws only the visible rows and so needs every row
 * the same height: each line is cut into rows of `cols` characters (the viewer's font is
 * monospace), tabs expanded to the next multiple of 8 first, as `tab-size: 8` shows them.
 */
export interface TextRow {
  /** Index of the file's line this row belongs to. */
  line: number;
  text: string;
  /** The line's first row (it carries the line number). */
  first: boolean;
}

const TAB = 8;

export function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(TAB - (out.length % TAB)) : ch;
  return out;
}

export function wrapRows(lines: string[], cols: number): TextRow[] {
  const width = Math.max(1, Math.floor(cols));
  const rows: TextRow[] = [];
  lines.forEach((raw, line) => {
    const text = expandTabs(raw);
    if (text.length <= width) {
      rows.push({ line, text, first: true });
      return;
    }
    for (let at = 0; at < text.length; at += width) rows.push({ line, text: text.slice(at, at + width), first: at === 0 });
  });
  return rows;
}
