/** Kernel command line helpers of Boot settings, kept free of React so they can be tested alone. */

/** Arguments worth one click on a console-only VM; each is added only when the line lacks it. */
export const ARG_HELPERS: { arg: string; why: string }[] = [
  { arg: 'console=ttyS0', why: 'kernel messages and a login on the first serial port (the Boot screen’s console)' },
  { arg: 'loglevel=7', why: 'every kernel message, for a boot that stops early' },
  { arg: 'init=/bin/sh', why: 'a root shell instead of init, to repair what init would start' },
];

/** `console=ttyS0` is in `line` as a whole argument (not a prefix of another). */
export function hasArg(line: string, arg: string): boolean {
  return line.split(/\s+/).includes(arg);
}

export function withArg(line: string, arg: string): string {
  if (hasArg(line, arg)) return line;
  return line.trim() ? `${line.trim()} ${arg}` : arg;
}
