/**
 * Finds what matters in a build log as it streams: error lines, buildroot's
 * `>>> pkg version Step` lines and docker build's `Step n/m :` lines.
 *
 * A buildroot build prints hundreds of thousands of lines, so lines are not split one by one:
 * one regex of literal keywords runs over each chunk and only the lines it hits are looked at.
 */

export interface ProblemRule {
  rule: string;
  re: RegExp;
}

/** Most specific first: buildroot says "ERROR: foo.tar.gz has wrong sha256 hash". */
export const PROBLEM_RULES: readonly ProblemRule[] = [
  { rule: 'make', re: /\bmake(?:\[\d+\])?: \*\*\* / },
  { rule: 'hash', re: /wrong sha256 hash/ },
  { rule: 'disk-full', re: /No space left on device/ },
  { rule: 'permission', re: /Permission denied/ },
  // bash says "x: command not found", dash and busybox "sh: 1: x: not found".
  { rule: 'command-not-found', re: /command not found|^(?:\S*\/)?(?:ba|da|a)?sh: (?:\d+: |line \d+: )?\S+: not found/ },
  { rule: 'docker', re: /returned a non-zero code: \d+/ },
  { rule: 'pull', re: /could not be pulled/ },
  { rule: 'error', re: /^ERROR: / },
];

/** Cheap keyword pass; lines it hits are classified with PROBLEM_RULES and the step patterns. */
const PREFILTER =
  /\*\*\* |ERROR: |wrong sha256|No space left|Permission denied|not found|non-zero code|could not be pulled|^(?:\x1b\[[0-9;]*m)*>>> |^Step \d+\/\d+ : /gm;
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\r/g;
const BUILDROOT_PKG = /^>>> (\S+) (\S*) (\S.*?)\s*$/;
const BUILDROOT_GLOBAL = /^>>>\s+(\S.*?)\s*$/;
const IMAGE_STEP = /^Step (\d+)\/(\d+) : /;

/** A line longer than this without a newline (a progress bar redrawn with \r) is not scanned. */
const MAX_CARRY = 1 << 20;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

export function classifyProblem(line: string): string | undefined {
  for (const r of PROBLEM_RULES) if (r.re.test(line)) return r.rule;
  return undefined;
}

export interface BuildrootStep {
  /** Absent for buildroot's global steps (">>>   Finalizing target directory"). */
  pkg?: string;
  version?: string;
  step: string;
}

export function parseBuildrootLine(line: string): BuildrootStep | undefined {
  const m = BUILDROOT_PKG.exec(line);
  if (m) return m[2] ? { pkg: m[1]!, version: m[2], step: m[3]! } : { pkg: m[1]!, step: m[3]! };
  const g = BUILDROOT_GLOBAL.exec(line);
  return g ? { step: g[1]! } : undefined;
}

export interface ScanHits {
  problem(line: number, text: string, rule: string): void;
  buildroot(line: number, step: BuildrootStep): void;
  imageStep(line: number, current: number, total: number): void;
}

export class LogScanner {
  /** Complete lines seen so far; the index the next line will have. */
  lines: number;
  private carry = '';
  private carryTooLong = false;

  constructor(
    private readonly hits: ScanHits,
    firstLine = 0,
  ) {
    this.lines = firstLine;
  }

  push(text: string): void {
    const lastNl = text.lastIndexOf('\n');
    if (lastNl < 0) {
      this.addCarry(text);
      return;
    }
    let block: string;
    if (this.carryTooLong) {
      // The over-long line ends in this chunk: count it, do not scan it.
      this.carryTooLong = false;
      this.carry = '';
      const firstNl = text.indexOf('\n');
      this.lines++;
      block = text.slice(firstNl + 1, lastNl + 1);
    } else {
      block = this.carry ? this.carry + text.slice(0, lastNl + 1) : text.slice(0, lastNl + 1);
    }
    this.scanBlock(block);
    this.carry = '';
    this.addCarry(text.slice(lastNl + 1));
  }

  /** The log ended: its last line may have no newline. */
  end(): void {
    if (this.carry && !this.carryTooLong) this.scanBlock(`${this.carry}\n`);
    else if (this.carry) this.lines++;
    this.carry = '';
    this.carryTooLong = false;
  }

  private addCarry(s: string): void {
    if (!s || this.carryTooLong) return;
    this.carry += s;
    if (this.carry.length > MAX_CARRY) {
      this.carry = '';
      this.carryTooLong = true;
    }
  }

  /** `block` holds whole lines only and ends with a newline. */
  private scanBlock(block: string): void {
    const re = PREFILTER;
    re.lastIndex = 0;
    let counted = 0; // position up to which newlines have been added to `line`
    let line = this.lines;
    let m: RegExpExecArray | null;
    while ((m = re.exec(block)) !== null) {
      const start = block.lastIndexOf('\n', m.index) + 1;
      const end = block.indexOf('\n', m.index);
      for (let i = block.indexOf('\n', counted); i !== -1 && i < start; i = block.indexOf('\n', i + 1)) line++;
      counted = start;
      this.classify(line, block.slice(start, end));
      re.lastIndex = end + 1;
    }
    this.lines += countNewlines(block);
  }

  private classify(line: number, raw: string): void {
    const text = stripAnsi(raw);
    if (text.startsWith('>>>')) {
      const step = parseBuildrootLine(text);
      if (step) this.hits.buildroot(line, step);
      return;
    }
    const s = IMAGE_STEP.exec(text);
    if (s) {
      this.hits.imageStep(line, Number(s[1]), Number(s[2]));
      return;
    }
    const rule = classifyProblem(text);
    if (rule) this.hits.problem(line, text.length > 2000 ? `${text.slice(0, 2000)}…` : text, rule);
  }
}

export function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export interface PackageTimeEntry {
  name: string;
  ms: number;
  /** When the package started, from the start of the build container. */
  startMs: number;
}

/**
 * Time per buildroot package: a package runs from its first `>>>` line until another
 * package's first line (buildroot builds one package at a time unless told otherwise).
 */
export class PackageClock {
  private readonly order: PackageTimeEntry[] = [];
  private readonly byName = new Map<string, PackageTimeEntry>();
  private current: { entry: PackageTimeEntry; since: number } | undefined;
  private readonly done = new Set<string>();
  step?: string;
  version?: string;

  constructor(private readonly startedAt: number) {}

  onStep(s: BuildrootStep, now: number): void {
    this.step = s.step;
    if (!s.pkg) {
      // Buildroot's own steps (overlay, target finalisation, filesystem images) belong to no package.
      this.stopCurrent(now);
      this.version = undefined;
      return;
    }
    this.version = s.version;
    if (this.current?.entry.name === s.pkg) return;
    this.stopCurrent(now);
    let entry = this.byName.get(s.pkg);
    if (!entry) {
      entry = { name: s.pkg, ms: 0, startMs: now - this.startedAt };
      this.byName.set(s.pkg, entry);
      this.order.push(entry);
    }
    this.done.delete(s.pkg);
    this.current = { entry, since: now };
  }

  finish(now: number): void {
    this.stopCurrent(now);
  }

  private stopCurrent(now: number): void {
    if (!this.current) return;
    this.current.entry.ms += now - this.current.since;
    this.done.add(this.current.entry.name);
    this.current = undefined;
  }

  get currentPackage(): string | undefined {
    return this.current?.entry.name;
  }

  /** How long the current package has been running. */
  inCurrentMs(now: number): number {
    return this.current ? this.current.entry.ms + (now - this.current.since) : 0;
  }

  get packagesDone(): number {
    return this.done.size;
  }

  times(): PackageTimeEntry[] {
    return this.order.map((e) => ({ ...e }));
  }
}

export interface PreviousBuild {
  /** How long the previous build container ran. */
  buildMs: number;
  packageTimes?: { name: string; ms: number; startMs?: number }[];
}

/**
 * Time left in the build container, from the previous build of the same checkout: where the
 * current package started last time, plus what followed it then. Undefined without a previous build.
 */
export function estimateEta(
  prev: PreviousBuild | undefined,
  now: { elapsedMs: number; currentPackage?: string; inCurrentMs: number },
): number | undefined {
  if (!prev || !(prev.buildMs > 0)) return undefined;
  const times = prev.packageTimes ?? [];
  const p = now.currentPackage === undefined ? undefined : times.find((t) => t.name === now.currentPackage);
  if (p && p.startMs !== undefined) {
    const afterStart = prev.buildMs - p.startMs;
    return Math.max(0, afterStart - Math.min(now.inCurrentMs, p.ms));
  }
  return Math.max(0, prev.buildMs - now.elapsedMs);
}
