import { LabError, toErrorShape } from '../../shared/errors';

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/**
 * Text from an image (names, link targets) shown on a terminal: control characters (ESC, BEL,
 * CR, LF, DEL, C1) become visible escapes, so a hostile name cannot move the cursor, retitle
 * the window or forge a line of output.
 */
export function forTerminal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** Failures are one line a person can act on; the stack only with --debug. */
export function printError(err: unknown, debug: boolean): void {
  const shape = toErrorShape(err);
  const hint = shape.hint ? ` Hint: ${forTerminal(shape.hint)}` : '';
  process.stderr.write(`isolab: ${forTerminal(shape.message)}${hint}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Thrown by a command to end with a given exit code after it printed its own output. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function usageError(message: string, hint?: string): LabError {
  const err = new LabError('USAGE', message, hint);
  (err as LabError & { exitCode: number }).exitCode = EXIT_USAGE;
  return err;
}

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
export const paint = {
  green: (s: string) => (useColor ? `\x1b[32m${s}\x1b[0m` : s),
  yellow: (s: string) => (useColor ? `\x1b[33m${s}\x1b[0m` : s),
  red: (s: string) => (useColor ? `\x1b[31m${s}\x1b[0m` : s),
  dim: (s: string) => (useColor ? `\x1b[2m${s}\x1b[0m` : s),
  bold: (s: string) => (useColor ? `\x1b[1m${s}\x1b[0m` : s),
};
