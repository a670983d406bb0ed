/**
 * The Build args field is text, NAME=value a line; "Use a local image…" sets one of them.
 * Pure, so the unit tests check it without a store.
 */

/** `text` with NAME set to `value`: its line replaced in place (the first; later duplicates dropped), else appended. */
export function withBuildArg(text: string, name: string, value: string): string {
  const lines = text === '' ? [] : text.split('\n');
  const out: string[] = [];
  let set = false;
  for (const line of lines) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m && m[1] === name) {
      if (!set) out.push(`${name}=${value}`);
      set = true;
    } else {
      out.push(line);
    }
  }
  while (!set && out.length && out[out.length - 1]!.trim() === '') out.pop();
  if (!set) out.push(`${name}=${value}`);
  return out.join('\n');
}
