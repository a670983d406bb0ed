/**
 * Console text as a person would read it off the screen, for matching: terminal escape
 * sequences removed (busybox's shell sends ESC[6n, a cursor-position query, after every
 * prompt), CR LF folded to LF.
 */
// CSI (ESC [ … final), OSC (ESC ] … BEL/ST), two-byte escapes (ESC c, ESC 7 …), and 8-bit CSI.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]/g;

export function stripTerminal(text: string): string {
  return text.replace(ESCAPES, '');
}

export function screenText(text: string): string {
  return stripTerminal(text).replace(/\r+\n/g, '\n').replace(/\r/g, '');
}
