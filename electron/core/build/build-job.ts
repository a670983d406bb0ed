import type Docker from 'dockerode';
import type { BuildEvent, BuildPhase, BuildRecord, Problem, Progress } from '../../../shared/build';
import { FINAL_PHASES } from '../../../shared/build';
import { LabError, toErrorShape, type LabErrorShape } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';
import { dockerErrorShape } from '../docker/client';
import type { ResolvedDockerEndpoint } from '../docker/endpoint';
import { contextBytes, type PreparedContext } from './build-context';
import { runBuildContainer } from './build-container';
import { BuildLog } from './build-log';
import { buildBuilderImage, findReusableImage, PullError } from './builder-image';
import type { BuildHistory } from './history';
import { estimateEta, PackageClock, type PreviousBuild } from './log-scan';
import { findOutput, sha256File } from './output';
import { dockerBuildLine, dockerRunLine, type ResolvedRecipe } from './recipes';

/**
 * One build from start to record: the builder image (reused or built), the build container,
 * the output ISO. Watchers come and go; the job does not depend on any of them.
 */

export const MAX_PROBLEMS = 500;
const PROGRESS_MIN_INTERVAL_MS = 100;
const TICK_MS = 1000;
const SAVE_INTERVAL_MS = 2000;

export type Listener = (e: BuildEvent) => void;

export interface JobDeps {
  history: BuildHistory;
  record: BuildRecord;
  docker: Docker;
  endpoint: ResolvedDockerEndpoint;
  recipe: ResolvedRecipe;
  context: PreparedContext;
  relabel: boolean;
  rebuildImage: boolean;
  owner: string;
  previous?: PreviousBuild;
}

export class BuildJob {
  readonly record: BuildRecord;
  readonly done: Promise<BuildRecord>;
  private resolveDone!: (r: BuildRecord) => void;
  private readonly listeners = new Set<Listener>();
  private readonly abort = new AbortController();
  private readonly logs: { image: BuildLog; build: BuildLog };
  private readonly startedMs = Date.now();
  private buildStartedMs: number | undefined;
  private clock: PackageClock | undefined;
  private progress: Progress = { packagesDone: 0, elapsedMs: 0 };
  private lastProgressEmit = 0;
  private progressTimer: NodeJS.Timeout | undefined;
  private tick: NodeJS.Timeout | undefined;
  private dirty = false;
  private lastSave = 0;
  private finished = false;

  constructor(private readonly deps: JobDeps) {
    this.record = deps.record;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    const hooks = (log: 'image' | 'build') => ({
      text: (text: string) => this.emit({ kind: 'log', log, text }),
      problem: (line: number, text: string, rule: string) => this.addProblem({ log, line, text, rule }),
      buildroot: (_line: number, step: { pkg?: string; version?: string; step: string }) => {
        if (log !== 'build' || !this.clock) return;
        this.clock.onStep(step, Date.now());
        this.updateProgress();
      },
      imageStep: (_line: number, current: number, total: number) => {
        if (log !== 'image') return;
        this.progress = { ...this.progress, imageStep: { current, total } };
        this.updateProgress();
      },
    });
    this.logs = { image: new BuildLog(deps.record.logs.image, hooks('image')), build: new BuildLog(deps.record.logs.build, hooks('build')) };
  }

  get id(): string {
    return this.record.id;
  }

  get isFinal(): boolean {
    return FINAL_PHASES.includes(this.record.phase);
  }

  run(): void {
    this.tick = setInterval(() => this.onTick(), TICK_MS);
    this.execute().catch((err: unknown) => this.finish('failed', err));
  }

  cancel(): Promise<BuildRecord> {
    if (!this.isFinal) this.abort.abort();
    return this.done;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The state a new watcher starts from; live events continue exactly where it ends. */
  snapshot(tailLines = 2000): { event: BuildEvent; partial: { image: string; build: string } } {
    const image = this.logs.image.tail(tailLines);
    const build = this.logs.build.tail(tailLines);
    const event: BuildEvent = {
      kind: 'snapshot',
      record: this.currentRecord(),
      tail: { image: image.lines, build: build.lines },
      tailStart: { image: image.start, build: build.start },
      progress: this.computeProgress(),
    };
    return { event, partial: { image: image.partial, build: build.partial } };
  }

  currentRecord(): BuildRecord {
    const r: BuildRecord = { ...this.record, problems: [...this.record.problems] };
    if (!this.isFinal) r.progress = this.computeProgress();
    return r;
  }

  private emit(e: BuildEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken watcher must not break the build.
      }
    }
  }

  private setPhase(phase: BuildPhase): void {
    this.record.phase = phase;
    this.emit({ kind: 'phase', phase });
    void this.save();
  }

  private async execute(): Promise<void> {
    this.setPhase('image');
    const imageId = await this.imagePhase();
    if (this.abort.signal.aborted) return this.finish('cancelled');
    this.setPhase('build');
    await this.buildPhase(imageId);
  }

  private async imagePhase(): Promise<string> {
    const { docker, recipe, context } = this.deps;
    const log = this.logs.image;
    const t0 = Date.now();
    this.record.contextHash = context.hash;
    log.writeText(`$ ${dockerBuildLine(recipe, { nocache: this.deps.rebuildImage })}\n`);
    let imageId: string | undefined;
    if (!this.deps.rebuildImage) {
      const found = await findReusableImage(docker, recipe.image, context.hash, { retag: true });
      if (found) {
        imageId = found.id;
        this.record.imageReused = true;
        log.writeText(
          `isolab: reusing the builder image ${recipe.image} (${shortId(found.id)}): its Dockerfile, build args and context are unchanged ` +
            `(context hash ${context.hash.slice(0, 12)}). Choose "rebuild image" (--rebuild-image) to build it again.\n`,
        );
      }
    }
    if (!imageId) {
      this.record.imageReused = false;
      log.writeText(`Sending build context to Docker daemon  ${formatBytes(contextBytes(context))}\n`);
      imageId = await buildBuilderImage({
        docker,
        recipe,
        context,
        nocache: this.deps.rebuildImage,
        signal: this.abort.signal,
        log: (text) => log.writeText(text),
      });
      log.writeText(`isolab: built ${recipe.image} (${shortId(imageId)})\n`);
    }
    this.record.imageId = imageId;
    this.record.phaseTimes = { ...this.record.phaseTimes, image: Date.now() - t0 };
    return imageId;
  }

  private async buildPhase(imageId: string): Promise<void> {
    const { docker, recipe } = this.deps;
    const log = this.logs.build;
    log.writeText(`$ ${dockerRunLine(recipe, this.deps.relabel, this.id)}\n`);
    this.buildStartedMs = Date.now();
    this.clock = new PackageClock(this.buildStartedMs);
    const result = await runBuildContainer({
      docker,
      recipe,
      image: imageId,
      buildId: this.id,
      owner: this.deps.owner,
      relabel: this.deps.relabel,
      signal: this.abort.signal,
      output: { write: (data) => log.write(data), onceDrain: (cb) => log.onceDrain(cb) },
    });
    this.clock.finish(Date.now());
    this.record.phaseTimes = { ...this.record.phaseTimes, build: Date.now() - this.buildStartedMs };
    if (result.exitCode !== undefined) this.record.exitCode = result.exitCode;
    if (result.cancelled) return this.finish('cancelled');
    if (result.exitCode !== 0) {
      const first = this.record.problems.find((p) => p.log === 'build' && p.rule !== 'make') ?? this.record.problems.find((p) => p.log === 'build');
      return this.finish(
        'failed',
        new LabError(
          'BUILD_FAILED',
          `The build exited with code ${result.exitCode ?? 'unknown'}`,
          first ? `the first error is on line ${first.line + 1} of the build log: ${first.text.slice(0, 300)}` : 'the build log shows what went wrong',
        ),
      );
    }
    const out = await findOutput(recipe.checkout, recipe.output);
    if (!out) {
      return this.finish(
        'failed',
        new LabError('BUILD_OUTPUT_MISSING', `The build succeeded but no file matches ${recipe.output} in ${recipe.checkout}`, 'check the recipe\'s output path (a glob relative to the checkout)'),
      );
    }
    const sha256 = await sha256File(out.path);
    this.record.output = { path: out.path, size: out.size, sha256 };
    return this.finish('done');
  }

  private addProblem(p: Problem): void {
    if (this.record.problems.length >= MAX_PROBLEMS) {
      this.record.problemsTruncated = true;
      return;
    }
    this.record.problems.push(p);
    this.dirty = true;
    this.emit({ kind: 'problem', ...p });
  }

  private computeProgress(): Progress {
    const now = Date.now();
    const p: Progress = { packagesDone: 0, elapsedMs: now - this.startedMs };
    if (this.progress.imageStep) p.imageStep = this.progress.imageStep;
    const clock = this.clock;
    if (clock) {
      p.packagesDone = clock.packagesDone;
      if (clock.currentPackage) {
        p.package = clock.currentPackage;
        if (clock.version) p.version = clock.version;
      }
      if (clock.step) p.step = clock.step;
      if (this.record.phase === 'build' && this.buildStartedMs !== undefined) {
        const eta = estimateEta(this.deps.previous, {
          elapsedMs: now - this.buildStartedMs,
          currentPackage: clock.currentPackage,
          inCurrentMs: clock.inCurrentMs(now),
        });
        if (eta !== undefined) p.etaMs = eta;
      }
    }
    return p;
  }

  /** At most one progress event per PROGRESS_MIN_INTERVAL_MS; the last change always goes out. */
  private updateProgress(): void {
    this.dirty = true;
    const wait = PROGRESS_MIN_INTERVAL_MS - (Date.now() - this.lastProgressEmit);
    if (wait <= 0) {
      this.emitProgress();
    } else {
      this.progressTimer ??= setTimeout(() => {
        this.progressTimer = undefined;
        this.emitProgress();
      }, wait);
    }
  }

  private emitProgress(): void {
    if (this.finished) return;
    this.lastProgressEmit = Date.now();
    this.emit({ kind: 'progress', progress: this.computeProgress() });
  }

  private onTick(): void {
    this.emitProgress();
    if (this.dirty && Date.now() - this.lastSave >= SAVE_INTERVAL_MS) void this.save();
  }

  private save(): Promise<void> {
    this.dirty = false;
    this.lastSave = Date.now();
    return this.deps.history.save(this.currentRecord()).catch(() => undefined);
  }

  private errorShape(err: unknown): LabErrorShape {
    if (err instanceof LabError) return err.toJSON();
    // Transport and HTTP failures of the engine; a file error of our own is not Docker's fault.
    const e = err as NodeJS.ErrnoException & { statusCode?: unknown };
    if (typeof e.statusCode === 'number' || e.syscall === 'connect' || e.code === 'ECONNRESET' || e.code === 'EPIPE') {
      return dockerErrorShape(err, this.deps.endpoint, 5000);
    }
    return toErrorShape(err);
  }

  private async finish(phase: 'done' | 'failed' | 'cancelled', err?: unknown): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.abort.signal.aborted && phase === 'failed') phase = 'cancelled';
    clearInterval(this.tick);
    clearTimeout(this.progressTimer);
    this.clock?.finish(Date.now());
    const r = this.record;
    if (phase === 'failed' && err !== undefined) r.error = this.errorShape(err);
    if (phase === 'failed' && err instanceof PullError) r.missingBase = err.base;
    if (phase === 'cancelled') {
      r.error = { code: 'BUILD_CANCELLED', message: `The build was cancelled during the ${r.phase === 'build' ? 'build' : 'image'} phase`, hint: 'the partial logs are kept' };
      (r.phase === 'build' ? this.logs.build : this.logs.image).writeText('\nisolab: cancelled; the build container was stopped and removed\n');
    }
    r.progress = this.computeProgress();
    if (this.clock) r.packageTimes = this.clock.times();
    r.phase = phase;
    r.endedAt = new Date().toISOString();
    r.durationMs = Date.now() - this.startedMs;
    await Promise.all([this.logs.image.close(), this.logs.build.close()]);
    await this.deps.history.save({ ...r }).catch(() => undefined);
    this.emit({ kind: 'phase', phase });
    this.emit({ kind: 'done', record: { ...r } });
    this.listeners.clear();
    this.resolveDone({ ...r });
  }
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
