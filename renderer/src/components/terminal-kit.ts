import type { ITheme } from '@xterm/xterm';

/** What the app's terminals share: the VM serial console (Boot) and the rootfs shell (Inspect). */

export const TERMINAL_FONT = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace";

export const TERMINAL_THEME: ITheme = {
  background: '#101317',
  foreground: '#d8dde4',
  cursor: '#e8ecf1',
  cursorAccent: '#101317',
  selectionBackground: '#3d6bc466',
  black: '#1b1f24',
  red: '#ef6b6b',
  green: '#5fcf8a',
  yellow: '#e8c25c',
  blue: '#6ea2ff',
  magenta: '#c492f0',
  cyan: '#5cc8d6',
  white: '#d8dde4',
  brightBlack: '#6b7480',
  brightRed: '#ff8f8f',
  brightGreen: '#86e3a9',
  brightYellow: '#f5d88a',
  brightBlue: '#95bbff',
  brightMagenta: '#d8b4f8',
  brightCyan: '#8ee0ea',
  brightWhite: '#ffffff',
};

/** Input channels take at most 65536 characters at a time; a pasted file goes in pieces. */
const INPUT_CHUNK = 16_384;

function takeChunk(s: string): string {
  if (s.length <= INPUT_CHUNK) return s;
  // Never cut a surrogate pair in two.
  const code = s.charCodeAt(INPUT_CHUNK - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? INPUT_CHUNK - 1 : INPUT_CHUNK);
}

/**
 * Keystrokes, batched per animation frame and strictly in order: while one request is on
 * its way, what is typed meanwhile waits and goes in the next one. A failure drops what
 * was waiting and is reported; a success after it clears the report.
 */
export function inputQueue(send: (data: string) => Promise<unknown>, onResult: (error?: unknown) => void) {
  let pending = '';
  let busy = false;
  let scheduled = false;
  let closed = false;
  const flush = async () => {
    scheduled = false;
    if (busy || closed) return;
    busy = true;
    while (pending && !closed) {
      const data = takeChunk(pending);
      pending = pending.slice(data.length);
      try {
        await send(data);
        onResult(undefined);
      } catch (err) {
        onResult(err);
        pending = '';
      }
    }
    busy = false;
  };
  const schedule = () => {
    if (scheduled || busy) return;
    scheduled = true;
    if (document.hidden) setTimeout(() => void flush(), 0);
    else requestAnimationFrame(() => void flush());
  };
  return {
    push(data: string) {
      if (closed) return;
      pending += data;
      schedule();
    },
    close() {
      closed = true;
      pending = '';
    },
  };
}
