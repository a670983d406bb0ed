/**
 * Console text as a person would read it off the screen, for matching: terminal escape
 * sequences removed (busybox's shell sends ESC[6n, a cursor-position query, after every
 * prompt), CR LF folded to LF, a lone CR writing over its line. The core's login helper and boot timeline, and the tour's
 * "logged in" tick, all read the console through this, so they agree.
 */
// CSI (ESC [ … final), OSC (ESC ] … BEL/ST), two-byte escapes (ESC c, ESC 7 …), and 8-bit CSI.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]/g;
/**
 * The terminal's answer to that query (ESC [ row ; col R) is typed into the guest. When it
 * arrives while a command runs, the tty echoes it in caret notation before the next prompt
 * ("^[[19;16Rroot@isolab:~# "): keystrokes of the terminal, not the guest's output.
 */
const ECHOED_CURSOR_REPORT = /\^\[\[\d+;\d+R/g;

export function stripTerminal(text: string): string {
  return text.replace(ESCAPES, '');
}

export function screenText(text: string): string {
  const lines = stripTerminal(text).replace(ECHOED_CURSOR_REPORT, '').replace(/\r+\n/g, '\n').split('\n');
  return lines.map(overstrike).join('\n');
}

/** A lone CR returns to the start of the line and what follows writes over it (a shell redrawing its prompt). */
function overstrike(line: string): string {
  if (!line.includes('\r')) return line;
  let shown = '';
  for (const part of line.split('\r')) shown = part + shown.slice(part.length);
  return shown;
}
