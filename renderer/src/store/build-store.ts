import { create } from 'zustand';
import {
  FINAL_PHASES,
  type Arch,
  type BuildEvent,
  type BuildPhase,
  type BuildRecord,
  type BuildRequest,
  type CustomRecipe,
  type LogName,
  type NetworkMode,
  type PreflightResult,
  type Problem,
  type Progress,
  type RecipeChoice,
  type RecipesResult,
} from '../../../shared/build';
import type { LabErrorShape } from '../../../shared/errors';
import type { RecentItem } from '../../../shared/settings';
import { api } from '../api/lab-api';
import { withBuildArg } from './build-args';

/**
 * State of the Build screen: the inputs and their pre-flight, the build being watched (a
 * job of the core, so this only follows it) and the history.
 *
 * The logs are not React state: a buildroot build prints hundreds of thousands of lines, so
 * each log is a mutable window of at most MAX_LINES lines (the full log stays on disk and
 * older lines are fetched with build.logLines), and watch events are applied at most once
 * per animation frame, bumping `rev`.
 */

export const MAX_LINES = 20_000;
/** The window may grow this much past MAX_LINES before it is cut, so it is not cut every frame. */
const TRIM_SLACK = 2_000;
/** build.logLines answers at most this many lines. */
const PAGE = 5_000;
/** An unfinished line (a progress bar redrawn with \r) keeps at most its last this many characters. */
const MAX_PARTIAL = 64 * 1024;
const PREFLIGHT_DEBOUNCE_MS = 400;
const RECONNECT_MS = 2_000;

export function shape(err: unknown): LabErrorShape {
  const e = err as Partial<LabErrorShape> | undefined;
  return { code: e?.code ?? 'INTERNAL', message: e?.message ?? String(err), hint: e?.hint };
}

export const isFinalPhase = (p: BuildPhase | undefined): boolean => p !== undefined && FINAL_PHASES.includes(p);

/**
 * One log, as far as the renderer keeps it: `lines` are the file's lines [start, end), a
 * contiguous window. Live text is appended while the window reaches the stream's end; when
 * the reader is far above, the bottom is cut instead of the top, and lines are fetched back
 * from the file when they come into view.
 */
export class LogWindow {
  lines: string[] = [];
  start = 0;
  /** Complete lines the watch stream has delivered: the file index of the next live line. */
  streamTotal = 0;
  /** The most lines the file reported (it may be ahead of the stream). */
  fileTotal = 0;
  /** The unfinished last line of a live log. */
  partial = '';

  // Written by the log view without a re-render: what the reader looks at.
  anchor = 0;
  following = true;

  fetching = false;
  wanted: [number, number] | undefined;
  retryAt = 0;
  error: LabErrorShape | undefined;

  get end(): number {
    return this.start + this.lines.length;
  }

  /** Complete lines known to exist. */
  get total(): number {
    return Math.max(this.streamTotal, this.fileTotal, this.end);
  }

  /** Whether the unfinished last line is drawn (as row `streamTotal`). */
  get showPartial(): boolean {
    return this.partial !== '' && this.total === this.streamTotal;
  }

  /** The window reaches the stream's end: live lines go into it. */
  get attached(): boolean {
    return this.end >= this.streamTotal;
  }

  /**
   * Back to following the end after reading far above it: the window restarts empty at the
   * stream's end, live lines fill it, and the lines just above are fetched from the file.
   */
  reattach(): void {
    if (this.attached) return;
    this.lines = [];
    this.start = this.streamTotal;
  }

  get rowCount(): number {
    return this.total + (this.showPartial ? 1 : 0);
  }

  /** The text of row `i`, or undefined when it is outside the window. */
  line(i: number): string | undefined {
    if (i >= this.start && i < this.end) return this.lines[i - this.start];
    if (i === this.streamTotal && this.showPartial) return this.partial;
    return undefined;
  }

  reset(tail: string[], tailStart: number): void {
    const keep = tail.length > MAX_LINES ? tail.slice(tail.length - MAX_LINES) : tail.slice();
    this.lines = keep;
    this.start = tailStart + (tail.length - keep.length);
    this.streamTotal = tailStart + tail.length;
    this.fileTotal = 0;
    this.partial = '';
    this.error = undefined;
    this.wanted = undefined;
  }

  appendLive(text: string): void {
    if (!text) return;
    let nl = text.indexOf('\n');
    if (nl < 0) {
      this.addPartial(text);
      return;
    }
    this.addLine(this.partial + text.slice(0, nl));
    this.partial = '';
    let from = nl + 1;
    for (nl = text.indexOf('\n', from); nl !== -1; nl = text.indexOf('\n', from)) {
      this.addLine(text.slice(from, nl));
      from = nl + 1;
    }
    this.addPartial(text.slice(from));
  }

  private addPartial(s: string): void {
    if (!s) return;
    this.partial += s;
    if (this.partial.length > MAX_PARTIAL) this.partial = this.partial.slice(this.partial.length - MAX_PARTIAL);
  }

  private addLine(line: string): void {
    const i = this.streamTotal++;
    // Lines already fetched from the file (which may be ahead of the stream) are not added twice;
    // a window that stopped above the end does not grow with a gap.
    if (i === this.end) this.lines.push(line);
  }

  /** Keeps the window at most MAX_LINES (+ slack), cutting the side away from the reader. */
  trim(): void {
    if (this.lines.length <= MAX_LINES + TRIM_SLACK) return;
    const excess = this.lines.length - MAX_LINES;
    if (this.following || this.anchor - this.start >= this.lines.length / 2) {
      this.lines = this.lines.slice(excess);
      this.start += excess;
    } else {
      this.lines.length = MAX_LINES;
    }
  }

  /** Lines read from the file: merged with the window when they touch it, else they replace it. */
  merge(from: number, lines: string[], fileTotal: number, center: number): void {
    this.fileTotal = Math.max(this.fileTotal, fileTotal);
    const to = from + lines.length;
    if (!lines.length) return;
    const touching = !(to < this.start || from > this.end);
    // The file can lag the stream: lines that do not reach the live tail the reader follows wait for the next try.
    if (!touching && this.following && this.attached) return;
    if (!touching || !this.lines.length) {
      this.lines = lines.slice();
      this.start = from;
    } else {
      let merged = this.lines;
      let start = this.start;
      if (from < start) {
        merged = lines.slice(0, start - from).concat(merged);
        start = from;
      }
      const end = start + merged.length;
      if (to > end) merged = merged.concat(lines.slice(end - from));
      this.lines = merged;
      this.start = start;
    }
    if (this.lines.length > MAX_LINES) {
      const keepStart = Math.max(this.start, Math.min(center - MAX_LINES / 2, this.end - MAX_LINES));
      this.lines = this.lines.slice(keepStart - this.start, keepStart - this.start + MAX_LINES);
      this.start = keepStart;
    }
  }
}

/** The form behind the custom recipe fields (and the overrides of the other recipes). */
export interface CustomForm {
  dockerfile: string;
  context: string;
  image: string;
  command: string;
  /** KEY=value, one a line. */
  env: string;
  buildArgs: string;
  output: string;
  network: '' | NetworkMode;
}

export interface Inputs {
  checkout: string;
  recipe: RecipeChoice;
  /** Undefined: the recipe's default. */
  arch?: Arch;
  rebuildImage: boolean;
  custom: CustomForm;
}

export const EMPTY_CUSTOM: CustomForm = { dockerfile: '', context: '', image: '', command: '', env: '', buildArgs: '', output: '', network: '' };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** KEY=value lines → a map; errors name the line. Blank lines and # comments are skipped. */
export function parseAssignments(text: string): { map: Record<string, string>; error?: string } {
  const map: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw || raw.startsWith('#')) continue;
    const eq = raw.indexOf('=');
    const key = eq < 0 ? raw : raw.slice(0, eq).trim();
    if (eq < 0) return { map, error: `line ${i + 1}: “${raw}” has no “=” (write NAME=value)` };
    if (!ENV_NAME.test(key)) return { map, error: `line ${i + 1}: “${key}” is not a variable name (letters, digits and _, not starting with a digit)` };
    map[key] = raw.slice(eq + 1).trimStart();
  }
  return { map };
}

/** The request the inputs make, or what is wrong with them (by field). */
export function toRequest(inputs: Inputs): { request?: BuildRequest; fieldErrors: Partial<Record<keyof CustomForm | 'checkout', string>> } {
  const fieldErrors: Partial<Record<keyof CustomForm | 'checkout', string>> = {};
  const checkout = inputs.checkout.trim().replace(/(.)\/+$/, '$1');
  if (!checkout) return { fieldErrors };
  if (!checkout.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(checkout)) fieldErrors.checkout = 'Give the full path of the checkout (starting with /).';
  const c = inputs.custom;
  const custom: CustomRecipe = {};
  if (c.dockerfile.trim()) custom.dockerfile = c.dockerfile.trim();
  if (c.context.trim()) custom.context = c.context.trim();
  if (c.image.trim()) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/.test(c.image.trim())) fieldErrors.image = 'Not an image name (like isolab/builder:1).';
    else custom.image = c.image.trim();
  }
  if (c.command.trim()) custom.command = c.command.trim();
  if (c.output.trim()) custom.output = c.output.trim();
  if (c.network) custom.network = c.network;
  const env = parseAssignments(c.env);
  if (env.error) fieldErrors.env = env.error;
  else if (Object.keys(env.map).length) custom.env = env.map;
  const args = parseAssignments(c.buildArgs);
  if (args.error) fieldErrors.buildArgs = args.error;
  else if (Object.keys(args.map).length) custom.buildArgs = args.map;
  if (Object.keys(fieldErrors).length) return { fieldErrors };
  const request: BuildRequest = { checkout, recipe: inputs.recipe };
  if (inputs.arch) request.arch = inputs.arch;
  if (Object.keys(custom).length) request.custom = custom;
  if (inputs.rebuildImage) request.rebuildImage = true;
  return { request, fieldErrors };
}

export interface RunState {
  buildId: string;
  record?: BuildRecord;
  phase: BuildPhase;
  progress?: Progress;
  /** performance.now() when `progress` arrived, to keep elapsed and ETA moving between events. */
  progressAt: number;
  problems: Problem[];
  /** The watch stream is open and the build is not over. */
  live: boolean;
  /** Waiting for the first snapshot. */
  connecting: boolean;
  watchError?: LabErrorShape;
}

export interface Jump {
  log: LogName;
  line: number;
  n: number;
}

interface BuildState {
  inputs: Inputs;
  recipes?: RecipesResult;
  recipesError?: LabErrorShape;
  preflight?: PreflightResult;
  preflightError?: LabErrorShape;
  checking: boolean;
  recent: RecentItem[];
  starting: boolean;
  startError?: LabErrorShape;
  setupOpen: boolean;
  /** The Overrides (custom fields) section is expanded. */
  overridesOpen: boolean;
  /** Bumped to move the focus to the Build args field (after it was opened from elsewhere). */
  focusBuildArgs: number;

  run?: RunState;
  logs: Record<LogName, LogWindow>;
  rev: number;
  tab: LogName;
  /** The reader chose a tab: phase changes no longer switch it. */
  tabPinned: boolean;
  jump?: Jump;
  cancelling: boolean;
  cancelError?: LabErrorShape;

  history: BuildRecord[];
  historyError?: LabErrorShape;
  historyLoading: boolean;

  setInputs(patch: Partial<Omit<Inputs, 'custom'>> & { custom?: Partial<CustomForm> }): void;
  setSetupOpen(open: boolean): void;
  setOverridesOpen(open: boolean): void;
  /** Shows the setup with the Overrides open and the focus in Build args. */
  openOverrides(): void;
  /** Sets one build arg (NAME=value line) in the overrides, opens them, and checks again. */
  setBuildArg(name: string, value: string): void;
  /** Starts the build again with the setup's inputs (set to the record's checkout and recipe first, if another is shown). */
  retry(record: BuildRecord): Promise<boolean>;
  checkNow(): void;
  loadRecent(): Promise<void>;
  loadHistory(): Promise<void>;
  /** On mount: follow the build running now, if nothing is shown yet. */
  attach(): Promise<void>;
  start(): Promise<boolean>;
  view(buildId: string): void;
  closeRun(): void;
  cancel(): Promise<void>;
  setTab(tab: LogName, pinned?: boolean): void;
  jumpTo(log: LogName, line: number): void;
  ensureRange(log: LogName, first: number, last: number): void;
  retryLog(log: LogName): void;
}

const freshLogs = (): Record<LogName, LogWindow> => ({ image: new LogWindow(), build: new LogWindow() });

// Not state: timers and the watch subscription.
let preflightTimer: ReturnType<typeof setTimeout> | undefined;
let checkSeq = 0;
let watchStop: (() => void) | undefined;
let watchGen = 0;
let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
let pending: BuildEvent[] = [];
let frame: number | undefined;
let frameTimer: ReturnType<typeof setTimeout> | undefined;
let jumpN = 0;

export const useBuild = create<BuildState>((set, get) => {
  function stopWatch() {
    watchGen++;
    watchStop?.();
    watchStop = undefined;
    clearTimeout(reconnectTimer);
    pending = [];
    if (frame !== undefined) cancelAnimationFrame(frame);
    clearTimeout(frameTimer);
    frame = frameTimer = undefined;
  }

  /** At most once per frame; a hidden window gets no frames, so a timer stands in. */
  function schedule() {
    if (frame !== undefined || frameTimer !== undefined) return;
    frame = requestAnimationFrame(flush);
    frameTimer = setTimeout(flush, 250);
  }

  function flush() {
    if (frame !== undefined) cancelAnimationFrame(frame);
    clearTimeout(frameTimer);
    frame = frameTimer = undefined;
    const events = pending;
    pending = [];
    const s = get();
    if (!s.run || !events.length) return;
    // Copied on the first change only: a frame of log text alone re-renders the log, nothing else.
    const before = s.run;
    let run = before;
    const edit = () => (run === before ? (run = { ...before }) : run);
    const logs = s.logs;
    let tab = s.tab;
    let finished = false;
    let seen: Set<string> | undefined;
    let problems = before.problems;
    const addProblem = (p: Problem) => {
      seen ??= new Set(problems.map((q) => `${q.log}:${q.line}`));
      const key = `${p.log}:${p.line}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (problems === before.problems) problems = problems.slice();
      problems.push(p);
    };
    for (const e of events) {
      switch (e.kind) {
        case 'snapshot': {
          logs.image.reset(e.tail.image, e.tailStart.image);
          logs.build.reset(e.tail.build, e.tailStart.build);
          const r = edit();
          r.record = e.record;
          r.phase = e.record.phase;
          r.progress = e.progress ?? e.record.progress;
          r.progressAt = performance.now();
          r.connecting = false;
          r.watchError = undefined;
          r.live = !isFinalPhase(e.record.phase);
          problems = [];
          seen = new Set();
          for (const p of e.record.problems) addProblem(p);
          if (!s.tabPinned) tab = e.record.phase === 'image' || (e.record.phase !== 'build' && e.tail.build.length === 0 && e.tailStart.build === 0) ? 'image' : 'build';
          break;
        }
        case 'log':
          logs[e.log].appendLive(e.text);
          break;
        case 'phase':
          edit().phase = e.phase;
          if (e.phase === 'build' && !s.tabPinned) tab = 'build';
          break;
        case 'progress': {
          const r = edit();
          r.progress = e.progress;
          r.progressAt = performance.now();
          break;
        }
        case 'problem':
          addProblem({ log: e.log, line: e.line, text: e.text, rule: e.rule });
          break;
        case 'done': {
          const r = edit();
          r.record = e.record;
          r.phase = e.record.phase;
          if (e.record.progress) {
            r.progress = e.record.progress;
            r.progressAt = performance.now();
          }
          for (const p of e.record.problems) addProblem(p);
          r.live = false;
          finished = true;
          break;
        }
      }
    }
    if (problems !== run.problems) edit().problems = problems;
    logs.image.trim();
    logs.build.trim();
    set({ run, tab, rev: s.rev + 1 });
    if (finished) void get().loadHistory();
  }

  function openWatch(buildId: string) {
    const gen = watchGen;
    watchStop = api.subscribe(
      'build.watch',
      { buildId },
      {
        onData(batch) {
          if (gen !== watchGen) return;
          for (const e of batch) pending.push(e);
          schedule();
        },
        onEnd(error) {
          if (gen !== watchGen) return;
          flush();
          watchStop = undefined;
          const run = get().run;
          if (!run) return;
          if (error) {
            set({ run: { ...run, live: false, connecting: false, watchError: error } });
            // A dropped connection: the build goes on in the core; follow it again.
            if (error.code !== 'BUILD_NOT_FOUND' && !isFinalPhase(run.phase)) {
              reconnectTimer = setTimeout(() => {
                if (gen === watchGen) openWatch(buildId);
              }, RECONNECT_MS);
            }
          } else if (run.live) {
            set({ run: { ...run, live: false } });
          }
        },
      },
    );
  }

  async function runCheck() {
    const n = ++checkSeq;
    const { inputs } = get();
    const { request } = toRequest(inputs);
    if (!request) {
      set({ checking: false, preflight: undefined, preflightError: undefined, recipes: undefined, recipesError: undefined });
      return;
    }
    set({ checking: true });
    const recipesArgs: { checkout: string; arch?: Arch; custom?: CustomRecipe } = { checkout: request.checkout };
    if (request.arch) recipesArgs.arch = request.arch;
    if (request.custom) recipesArgs.custom = request.custom;
    const [pre, rec] = await Promise.allSettled([api.request('build.preflight', request), api.request('build.recipes', recipesArgs)]);
    if (n !== checkSeq) return;
    set({
      checking: false,
      preflight: pre.status === 'fulfilled' ? pre.value : undefined,
      preflightError: pre.status === 'rejected' ? shape(pre.reason) : undefined,
      recipes: rec.status === 'fulfilled' ? rec.value : undefined,
      // A missing checkout is said once, by the pre-flight.
      recipesError: rec.status === 'rejected' && pre.status !== 'fulfilled' ? shape(rec.reason) : undefined,
    });
  }

  function fetchLines(log: LogName, first: number, last: number) {
    const w = get().logs[log];
    const run = get().run;
    if (!run) return;
    const gen = watchGen;
    const logs = get().logs;
    const total = w.total;
    const span = last - first + 1;
    // The visible rows with a margin on both sides, within one answer.
    const margin = Math.max(0, Math.floor((PAGE - span) / 2));
    const from = Math.max(0, Math.min(first - margin, total - PAGE));
    const count = Math.max(1, Math.min(PAGE, total - from));
    w.fetching = true;
    w.wanted = undefined;
    api
      .request('build.logLines', { buildId: run.buildId, log, from, count })
      .then((res) => {
        if (gen !== watchGen || get().logs !== logs) return;
        w.fetching = false;
        w.error = undefined;
        w.merge(res.from, res.lines, res.total, Math.floor((first + last) / 2));
        const covered = first >= w.start && Math.min(last, w.total - 1) < w.end;
        // The file can be behind the stream (written in the background): try again shortly.
        if (!covered) w.retryAt = performance.now() + 300;
        set({ rev: get().rev + 1 });
        if (w.wanted) {
          const [a, b] = w.wanted;
          w.wanted = undefined;
          get().ensureRange(log, a, b);
        }
      })
      .catch((err) => {
        if (gen !== watchGen || get().logs !== logs) return;
        w.fetching = false;
        w.error = shape(err);
        w.retryAt = performance.now() + 2000;
        set({ rev: get().rev + 1 });
      });
  }

  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  return {
    inputs: { checkout: '', recipe: 'auto', rebuildImage: false, custom: { ...EMPTY_CUSTOM } },
    checking: false,
    recent: [],
    starting: false,
    setupOpen: true,
    overridesOpen: false,
    focusBuildArgs: 0,
    logs: freshLogs(),
    rev: 0,
    tab: 'build',
    tabPinned: false,
    cancelling: false,
    history: [],
    historyLoading: false,

    setInputs(patch) {
      const { inputs } = get();
      const next: Inputs = { ...inputs, ...patch, custom: { ...inputs.custom, ...(patch.custom ?? {}) } };
      // A new checkout starts from its own auto choice.
      if (patch.checkout !== undefined && patch.checkout !== inputs.checkout && patch.arch === undefined) next.arch = undefined;
      set({ inputs: next, startError: undefined });
      clearTimeout(preflightTimer);
      const { request, fieldErrors } = toRequest(next);
      if (!request) {
        checkSeq++;
        // A field being fixed keeps what the last check said (marked stale); no checkout clears it.
        if (Object.keys(fieldErrors).length) set({ checking: false });
        else set({ checking: false, preflight: undefined, preflightError: undefined, recipes: undefined, recipesError: undefined });
        return;
      }
      set({ checking: true });
      preflightTimer = setTimeout(() => void runCheck(), PREFLIGHT_DEBOUNCE_MS);
    },

    setSetupOpen(setupOpen) {
      set({ setupOpen });
    },

    setOverridesOpen(overridesOpen) {
      set({ overridesOpen });
    },

    openOverrides() {
      set({ setupOpen: true, overridesOpen: true, focusBuildArgs: get().focusBuildArgs + 1 });
    },

    setBuildArg(name, value) {
      const text = withBuildArg(get().inputs.custom.buildArgs, name, value);
      set({ overridesOpen: true });
      get().setInputs({ custom: { buildArgs: text } });
    },

    async retry(record) {
      const { inputs } = get();
      if (inputs.checkout.trim().replace(/(.)\/+$/, '$1') !== record.checkout) {
        get().setInputs({ checkout: record.checkout, recipe: record.recipe, arch: record.arch });
      }
      return get().start();
    },

    checkNow() {
      clearTimeout(preflightTimer);
      void runCheck();
    },

    async loadRecent() {
      try {
        set({ recent: await api.request('recent.list') });
      } catch {
        // Recent checkouts are a convenience: the field and the picker still work.
      }
    },

    async loadHistory() {
      set({ historyLoading: true });
      try {
        set({ history: await api.request('build.history'), historyError: undefined, historyLoading: false });
      } catch (err) {
        set({ historyError: shape(err), historyLoading: false });
      }
    },

    async attach() {
      void get().loadHistory();
      void get().loadRecent();
      if (get().run) return;
      try {
        let running = await api.request('build.running');
        // A build another ISO Lab process runs (the CLI) is followed from its files.
        if (!running.length) running = (await api.request('build.history')).filter((r) => !isFinalPhase(r.phase));
        const r = running[0];
        if (r && !get().run) {
          get().view(r.id);
          set({ setupOpen: false });
        }
      } catch {
        // The history card says what is wrong with the core.
      }
    },

    async start() {
      const { request } = toRequest(get().inputs);
      if (!request || get().starting) return false;
      set({ starting: true, startError: undefined });
      try {
        const { buildId } = await api.request('build.start', request);
        set({ starting: false, setupOpen: false, tabPinned: false, tab: 'image' });
        get().view(buildId);
        void api
          .request('recent.add', { kind: 'checkout', path: request.checkout })
          .then((recent) => set({ recent }))
          .catch(() => undefined);
        void get().loadHistory();
        return true;
      } catch (err) {
        set({ starting: false, startError: shape(err) });
        return false;
      }
    },

    view(buildId) {
      stopWatch();
      const known = get().history.find((r) => r.id === buildId);
      const run: RunState = {
        buildId,
        phase: known?.phase ?? 'preflight',
        progressAt: performance.now(),
        problems: [],
        live: true,
        connecting: true,
      };
      if (known) run.record = known;
      set({ run, logs: freshLogs(), rev: get().rev + 1, jump: undefined, cancelError: undefined, cancelling: false, tabPinned: false });
      openWatch(buildId);
    },

    closeRun() {
      stopWatch();
      set({ run: undefined, logs: freshLogs(), rev: get().rev + 1, jump: undefined, setupOpen: true, cancelError: undefined });
    },

    async cancel() {
      const run = get().run;
      if (!run || get().cancelling) return;
      set({ cancelling: true, cancelError: undefined });
      try {
        const record = await api.request('build.cancel', { buildId: run.buildId });
        const now = get().run;
        // The watch stream brings the same record with `done`; this covers a stream that dropped.
        if (now?.buildId === record.id && !isFinalPhase(now.phase)) set({ run: { ...now, record, phase: record.phase, live: false } });
        set({ cancelling: false });
        void get().loadHistory();
      } catch (err) {
        set({ cancelling: false, cancelError: shape(err) });
      }
    },

    setTab(tab, pinned = true) {
      set({ tab, tabPinned: pinned || get().tabPinned });
    },

    jumpTo(log, line) {
      const w = get().logs[log];
      w.following = false;
      set({ tab: log, tabPinned: true, jump: { log, line, n: ++jumpN } });
    },

    ensureRange(log, first, last) {
      const w = get().logs[log];
      last = Math.min(last, w.total - 1);
      if (first < 0 || first > last) return;
      if (first >= w.start && last < w.end) return;
      if (w.fetching) {
        w.wanted = [first, last];
        return;
      }
      const wait = w.retryAt - performance.now();
      if (wait > 0) {
        clearTimeout(retryTimer);
        // Nothing else may re-render the view (a finished build): come back by ourselves.
        retryTimer = setTimeout(() => set({ rev: get().rev + 1 }), wait + 10);
        return;
      }
      fetchLines(log, first, last);
    },

    retryLog(log) {
      const w = get().logs[log];
      w.error = undefined;
      w.retryAt = 0;
      set({ rev: get().rev + 1 });
    },
  };
});
