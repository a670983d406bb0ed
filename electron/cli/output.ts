import { LabError, toErrorShape } from '../../shared/errors';

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** Failures are one line a person can act on; the stack only with --debug. */
export function printError(err: unknown, debug: boolean): void {
  const shape = toErrorShape(err);
  const hint = shape.hint ? ` Hint: ${shape.hint}` : '';
  process.stderr.write(`isolab: ${shape.message}${hint}\n`);
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
