/**
 * Just enough of the Dockerfile language to know two things before building: which base
 * images the FROM lines name once ARGs are applied (to say which one could not be pulled),
 * and whether COPY/ADD read the build context at all (if not, its contents cannot change
 * the image, so they stay out of the reuse hash).
 */

export interface DockerfileFacts {
  /** External images named by FROM, resolved with build args; no stage names, no scratch. */
  baseImages: string[];
  /** FROM lines as written, for messages. */
  fromLines: string[];
  /**
   * Each base image with the FROM line that names it and the global ARGs that line's image
   * word uses (`FROM ${BASE}` → ['BASE']): the build args that choose a different base.
   */
  bases: BaseImage[];
  readsContext: boolean;
}

export interface BaseImage {
  image: string;
  fromLine: string;
  args: string[];
}

/** The variables a word refers to, in order: ${A}, $B, ${C:-x}. */
export function argsIn(word: string): string[] {
  const out: string[] = [];
  for (const m of word.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = (m[1] ?? m[2])!;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

interface Instruction {
  keyword: string;
  args: string;
}

export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let escape = '\\';
  const directive = /^#\s*escape\s*=\s*(\S)\s*$/im.exec(text.split('\n').slice(0, 5).join('\n'));
  if (directive && (directive[1] === '`' || directive[1] === '\\')) escape = directive[1];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimStart();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue; // comments inside a continuation
    const trimmedEnd = line.trimEnd();
    if (trimmedEnd.endsWith(escape)) {
      pending += `${trimmedEnd.slice(0, -1)} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const m = /^(\S+)\s*(.*)$/.exec(full.trim());
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  if (pending.trim()) {
    const m = /^(\S+)\s*(.*)$/.exec(pending.trim());
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

/** ${VAR}, $VAR, ${VAR:-default} and ${VAR:+alt}, as the builder expands FROM. */
export function expandArgs(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced, op, word, bare) => {
    const name = (braced ?? bare) as string;
    const value = vars.get(name);
    if (op === '-') return value ? value : (word as string);
    if (op === '+') return value ? (word as string) : '';
    return value ?? '';
  });
}

function parseArg(args: string): [string, string | undefined] | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(args.trim());
  if (!m) return undefined;
  let value = m[2];
  if (value !== undefined && /^(["']).*\1$/.test(value)) value = value.slice(1, -1);
  return [m[1]!, value];
}

export function dockerfileFacts(text: string, buildArgs: Record<string, string> = {}): DockerfileFacts {
  const globals = new Map<string, string>();
  const stages = new Set<string>();
  const baseImages: string[] = [];
  const fromLines: string[] = [];
  const bases: BaseImage[] = [];
  const declared = new Set<string>();
  let readsContext = false;
  let seenFrom = false;
  for (const ins of instructions(text)) {
    if (ins.keyword === 'ARG' && !seenFrom) {
      const a = parseArg(ins.args);
      if (a) {
        declared.add(a[0]);
        const value = buildArgs[a[0]] ?? a[1];
        if (value !== undefined) globals.set(a[0], value);
      }
    } else if (ins.keyword === 'FROM') {
      seenFrom = true;
      fromLines.push(`FROM ${ins.args}`);
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = expandArgs(words[0] ?? '', globals);
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2].toLowerCase());
      if (image && image.toLowerCase() !== 'scratch' && !stages.has(image.toLowerCase()) && !baseImages.includes(image)) {
        baseImages.push(image);
        // Only ARGs declared before the first FROM reach a FROM line.
        bases.push({ image, fromLine: `FROM ${ins.args}`, args: argsIn(words[0] ?? '').filter((a) => declared.has(a)) });
      }
    } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      // COPY --from=<stage> reads another stage, not the context.
      if (!/(^|\s)--from=/.test(ins.args)) readsContext = true;
    } else if (ins.keyword === 'ONBUILD' && /^(COPY|ADD)\b/i.test(ins.args)) {
      readsContext = true;
    }
  }
  return { baseImages, fromLines, bases, readsContext };
}

/** docker.io/library/x:latest, as the engine names what `FROM x` means. */
export function withDefaultTag(image: string): string {
  const lastSlash = image.lastIndexOf('/');
  const hasTagOrDigest = image.includes('@') || image.slice(lastSlash + 1).includes(':');
  return hasTagOrDigest ? image : `${image}:latest`;
}
