import type Docker from 'dockerode';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  BuildRequest,
  FINAL_PHASES,
  RecipeId,
  type Arch,
  type BuildEvent,
  type BuildRecord,
  type CustomRecipe,
  type LocalImage,
  type LogName,
  type LogLinesResult,
  type PreflightResult,
  type RecipesResult,
  type RecipeView,
} from '../../../shared/build';
import { fromErrorShape, LabError } from '../../../shared/errors';
import { createDockerClient, dockerErrorShape } from '../docker/client';
import { resolveDockerEndpoint } from '../docker/endpoint';
import type { LabPaths } from '../paths';
import { BUILD_LABEL, OWNER_LABEL, removeContainer } from './build-container';
import { BuildJob } from './build-job';
import { HASH_LABEL } from './builder-image';
import { BuildHistory } from './history';
import { LogFileIndexCache } from './log-file';
import { LogScanner, type PreviousBuild } from './log-scan';
import { preflightError, runPreflight, selinuxMode, type ParsedBuildRequest } from './preflight';
import { detectRecipe } from './recipe-detect';
import { recipeFor, recipeView } from './recipes';

/**
 * Builds are jobs of the lab core, not of a window: a reload or a closed window leaves them
 * running, and any number of watchers can join and leave. Records and logs live on disk, so
 * a build started by the CLI is listed (and followed) by the app too.
 */

export interface BuildManagerOptions {
  paths: LabPaths;
  env: NodeJS.ProcessEnv;
  /** settings.docker.host, read at each build. */
  dockerHost?: () => Promise<string | undefined>;
}

export interface OwnerInfo {
  pid: number;
  host: string;
}

const TAIL_LINES = 2000;
const FOLLOW_POLL_MS = 500;
const SWEEP_TIMEOUT_MS = 5000;

export function ownerAlive(owner: OwnerInfo | undefined): boolean {
  if (!owner) return false;
  // Another machine's process (a shared remote engine) cannot be checked: assume it is alive.
  if (owner.host !== os.hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(label: string | undefined): OwnerInfo | undefined {
  const m = /^(.*):(\d+)$/.exec(label ?? '');
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

const isFinal = (r: BuildRecord) => FINAL_PHASES.includes(r.phase);

export class BuildManager {
  readonly store: BuildHistory;
  private readonly jobs = new Map<string, BuildJob>();
  private readonly indexes = new LogFileIndexCache();
  private readonly owner: OwnerInfo = { pid: process.pid, host: os.hostname() };
  private recordsSwept: Promise<void> | undefined;
  private containersSwept = false;

  constructor(private readonly opts: BuildManagerOptions) {
    this.store = new BuildHistory(path.join(opts.paths.dataDir, 'builds'));
  }

  /**
   * Cleans up after a process that died during a build: its records become "failed
   * (interrupted)" and its containers are removed. Runs by itself before the first build
   * request; the app may call it at start-up.
   */
  async init(): Promise<void> {
    await this.sweepRecords();
    await this.sweepContainers();
  }

  private sweepRecords(): Promise<void> {
    this.recordsSwept ??= (async () => {
      for (const r of await this.store.list().catch(() => [] as BuildRecord[])) {
        if (isFinal(r) || this.jobs.has(r.id) || ownerAlive(r.owner)) continue;
        await this.store.save(interrupted(r)).catch(() => undefined);
      }
    })();
    return this.recordsSwept;
  }

  private async sweepContainers(): Promise<void> {
    if (this.containersSwept) return;
    try {
      const endpoint = resolveDockerEndpoint({ settingHost: await this.opts.dockerHost?.(), env: this.opts.env });
      const docker = createDockerClient(endpoint, { env: this.opts.env });
      const list = await withTimeout(docker.listContainers({ all: true, filters: { label: [BUILD_LABEL] } }), SWEEP_TIMEOUT_MS);
      for (const c of list) {
        const id = c.Labels?.[BUILD_LABEL] ?? '';
        const owner = parseOwner(c.Labels?.[OWNER_LABEL]);
        if (this.jobs.has(id)) continue;
        const mine = owner?.host === this.owner.host && owner.pid === this.owner.pid;
        if (owner && !mine && ownerAlive(owner)) continue;
        await removeContainer(docker.getContainer(c.Id));
      }
      this.containersSwept = true;
    } catch {
      // Docker is not there: nothing to sweep now; the next build tries again.
    }
  }

  private async endpointInput() {
    return { env: this.opts.env, settingHost: await this.opts.dockerHost?.() };
  }

  async recipes(args: { checkout: string; arch?: Arch; custom?: CustomRecipe }): Promise<RecipesResult> {
    const checkout = path.resolve(args.checkout);
    const st = await fs.promises.stat(checkout).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new LabError('BUILD_CHECKOUT_MISSING', `The checkout ${checkout} does not exist or is not a folder`, 'choose the top folder of your minikube clone');
    }
    const det = await detectRecipe(checkout);
    const relabel = (await selinuxMode()) === 'enforcing';
    const views: RecipeView[] = [];
    for (const id of RecipeId.options) {
      const arch = id === 'minikube-2019' || id === 'hello' ? 'x86_64' : args.arch;
      views.push(recipeView(recipeFor(id, checkout, arch, det, id === 'custom' ? args.custom : undefined), relabel));
    }
    return { auto: { recipe: det.recipe, why: det.why }, recipes: views };
  }

  /** Tagged images on the engine, newest first; `<none>` tags are left out (nothing can name them). */
  async localImages(): Promise<{ endpoint: string; images: LocalImage[] }> {
    const endpoint = resolveDockerEndpoint({ settingHost: await this.opts.dockerHost?.(), env: this.opts.env });
    const docker = createDockerClient(endpoint, { env: this.opts.env });
    let list: Docker.ImageInfo[];
    try {
      list = await withTimeout(docker.listImages(), 10_000);
    } catch (err) {
      throw fromErrorShape(dockerErrorShape(err, endpoint, 10_000));
    }
    const images: LocalImage[] = [];
    for (const i of list) {
      for (const ref of i.RepoTags ?? []) {
        if (ref.includes('<none>')) continue;
        images.push({ ref, id: i.Id, size: i.Size, created: i.Created, builder: !!i.Labels?.[HASH_LABEL] });
      }
    }
    images.sort((a, b) => b.created - a.created || a.ref.localeCompare(b.ref));
    return { endpoint: endpoint.url, images };
  }

  async preflight(args: BuildRequest): Promise<PreflightResult> {
    const req = BuildRequest.parse(args) as ParsedBuildRequest;
    return (await runPreflight(req, await this.endpointInput())).result;
  }

  async start(args: BuildRequest): Promise<{ buildId: string }> {
    const req = BuildRequest.parse(args) as ParsedBuildRequest;
    await this.sweepRecords();
    const checkout = path.resolve(req.checkout);
    await this.refuseConcurrent(checkout);
    const prepared = await runPreflight(req, await this.endpointInput());
    if (!prepared.result.ok || !prepared.docker || !prepared.recipe || !prepared.context) throw preflightError(prepared.result);
    await this.sweepContainers();
    // Checked again: pre-flight takes a moment, and a second start may have slipped in.
    await this.refuseConcurrent(checkout);

    const recipe = prepared.recipe;
    const id = this.store.newId();
    await fs.promises.mkdir(this.store.folder(id), { recursive: true });
    const record: BuildRecord = {
      id,
      recipe: recipe.id,
      arch: recipe.arch,
      checkout,
      image: recipe.image,
      contextHash: prepared.context.hash,
      command: recipe.command,
      endpoint: prepared.endpoint.url,
      startedAt: new Date().toISOString(),
      phase: 'preflight',
      logs: this.store.logPaths(id),
      problems: [],
      owner: this.owner,
    };
    await this.store.save(record);
    const job = new BuildJob({
      history: this.store,
      record,
      docker: prepared.docker,
      endpoint: prepared.endpoint,
      recipe,
      context: prepared.context,
      relabel: prepared.relabel,
      rebuildImage: req.rebuildImage === true,
      owner: `${this.owner.host}:${this.owner.pid}`,
      previous: await this.previousBuild(record),
    });
    this.jobs.set(id, job);
    void job.done.then(() => this.jobs.delete(id));
    job.run();
    return { buildId: id };
  }

  private async refuseConcurrent(checkout: string): Promise<void> {
    const here = [...this.jobs.values()].find((j) => j.record.checkout === checkout && !j.isFinal);
    const elsewhere = here ? undefined : (await this.store.list()).find((r) => r.checkout === checkout && !isFinal(r) && !this.jobs.has(r.id) && ownerAlive(r.owner));
    const busy = here?.record ?? elsewhere;
    if (busy) {
      throw new LabError(
        'BUILD_ALREADY_RUNNING',
        `Build ${busy.id} of ${checkout} is still running${elsewhere ? ` (in process ${elsewhere.owner?.pid})` : ''}: two builds would write the same out/ folder`,
        'wait for it to finish, or cancel it first',
      );
    }
  }

  /** The last good build of the same checkout, recipe and arch: the yardstick for the estimate. */
  private async previousBuild(r: BuildRecord): Promise<PreviousBuild | undefined> {
    const prev = (await this.store.list()).find(
      (p) => p.id !== r.id && p.phase === 'done' && p.checkout === r.checkout && p.recipe === r.recipe && p.arch === r.arch && p.phaseTimes?.build,
    );
    return prev ? { buildMs: prev.phaseTimes!.build!, packageTimes: prev.packageTimes } : undefined;
  }

  async cancel(buildId: string): Promise<BuildRecord> {
    const job = this.jobs.get(buildId);
    if (job) return job.cancel();
    const record = await this.get(buildId);
    if (isFinal(record)) return record;
    throw new LabError(
      'BUILD_NOT_HERE',
      `Build ${buildId} is running in another ISO Lab process (pid ${record.owner?.pid ?? '?'})`,
      'cancel it where it was started (Ctrl-C in the terminal running "isolab build")',
    );
  }

  async get(buildId: string): Promise<BuildRecord> {
    const job = this.jobs.get(buildId);
    if (job) return job.currentRecord();
    await this.sweepRecords();
    const record = await this.store.load(buildId);
    if (!record) throw new LabError('BUILD_NOT_FOUND', `No build ${buildId}`, 'build.history lists the builds there are');
    return record;
  }

  /** Every build on disk, newest first; running ones of this process with their live state. */
  async history(): Promise<BuildRecord[]> {
    await this.sweepRecords();
    const records = await this.store.list();
    return records.map((r) => this.jobs.get(r.id)?.currentRecord() ?? r);
  }

  /** Builds this process runs (and would cancel when it quits). */
  running(): BuildRecord[] {
    return [...this.jobs.values()].filter((j) => !j.isFinal).map((j) => j.currentRecord());
  }

  wait(buildId: string): Promise<BuildRecord> {
    const job = this.jobs.get(buildId);
    return job ? job.done : this.get(buildId);
  }

  /** For quitting: every build of this process cancelled, containers gone, records written. */
  async cancelAll(): Promise<BuildRecord[]> {
    return Promise.all([...this.jobs.values()].map((j) => j.cancel()));
  }

  async logLines(args: { buildId: string; log: LogName; from: number; count: number }): Promise<LogLinesResult> {
    const record = await this.get(args.buildId);
    const file = this.store.logPaths(record.id)[args.log];
    const idx = await this.indexes.get(file);
    const finished = isFinal(record);
    return { lines: await idx.read(args.from, args.count, finished), from: args.from, total: idx.total(finished) };
  }

  /** Snapshot, then live events until `done` (or until the watcher leaves). */
  async watch(buildId: string, emit: (e: BuildEvent) => void, signal: AbortSignal): Promise<void> {
    const job = this.jobs.get(buildId);
    if (job) return this.watchJob(job, emit, signal);
    const record = await this.get(buildId);
    return this.watchFromDisk(record, emit, signal);
  }

  private watchJob(job: BuildJob, emit: (e: BuildEvent) => void, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let unsubscribe = () => {};
      const stop = () => {
        unsubscribe();
        signal.removeEventListener('abort', stop);
        resolve();
      };
      unsubscribe = job.subscribe((e) => {
        emit(e);
        if (e.kind === 'done') stop();
      });
      const snap = job.snapshot(TAIL_LINES);
      emit(snap.event);
      for (const log of ['image', 'build'] as const) if (snap.partial[log]) emit({ kind: 'log', log, text: snap.partial[log] });
      if (job.isFinal) {
        emit({ kind: 'done', record: job.currentRecord() });
        stop();
        return;
      }
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  }

  /**
   * A finished build, or one another process runs: the snapshot comes from the files, and
   * a running one is followed by polling its record and logs.
   */
  private async watchFromDisk(record: BuildRecord, emit: (e: BuildEvent) => void, signal: AbortSignal): Promise<void> {
    const files = this.store.logPaths(record.id);
    const finished = isFinal(record);
    const tail: Record<LogName, string[]> = { image: [], build: [] };
    const tailStart: Record<LogName, number> = { image: 0, build: 0 };
    const offsets: Record<LogName, number> = { image: 0, build: 0 };
    const scanners = {} as Record<LogName, LogScanner>;
    for (const log of ['image', 'build'] as const) {
      const idx = await this.indexes.get(files[log]);
      const total = idx.total(finished);
      tailStart[log] = Math.max(0, total - TAIL_LINES);
      tail[log] = await idx.read(tailStart[log], TAIL_LINES, finished);
      offsets[log] = idx.completeEnd;
      scanners[log] = new LogScanner(
        {
          problem: (line, text, rule) => emit({ kind: 'problem', log, line, text, rule }),
          buildroot: () => {},
          imageStep: () => {},
        },
        idx.total(false),
      );
    }
    const snapshot: BuildEvent = { kind: 'snapshot', record, tail, tailStart };
    if (record.progress) snapshot.progress = record.progress;
    emit(snapshot);
    if (finished) {
      emit({ kind: 'done', record });
      return;
    }
    const decoders = { image: new StringDecoder('utf8'), build: new StringDecoder('utf8') };
    const pump = async () => {
      for (const log of ['image', 'build'] as const) {
        const chunk = await readFrom(files[log], offsets[log]);
        if (!chunk.length) continue;
        offsets[log] += chunk.length;
        const text = decoders[log].write(chunk);
        if (text) {
          emit({ kind: 'log', log, text });
          scanners[log].push(text);
        }
      }
    };
    let last = record;
    while (!signal.aborted) {
      await sleep(FOLLOW_POLL_MS, signal);
      if (signal.aborted) return;
      await pump();
      let now = (await this.store.load(record.id)) ?? last;
      if (!isFinal(now) && !ownerAlive(now.owner)) {
        now = interrupted(now);
        await this.store.save(now).catch(() => undefined);
      }
      if (now.phase !== last.phase) emit({ kind: 'phase', phase: now.phase });
      if (now.progress && JSON.stringify(now.progress) !== JSON.stringify(last.progress)) emit({ kind: 'progress', progress: now.progress });
      last = now;
      if (isFinal(now)) {
        await pump();
        emit({ kind: 'done', record: now });
        return;
      }
    }
  }
}

function interrupted(r: BuildRecord): BuildRecord {
  return {
    ...r,
    phase: 'failed',
    endedAt: r.endedAt ?? new Date().toISOString(),
    error: {
      code: 'BUILD_INTERRUPTED',
      message: `The ISO Lab process running this build (pid ${r.owner?.pid ?? '?'}) stopped before the build ended`,
      hint: 'start the build again; its leftover container was removed',
    },
  };
}

async function readFrom(file: string, offset: number): Promise<Buffer> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const { size } = await fh.stat();
    if (size <= offset) return Buffer.alloc(0);
    const len = Math.min(size - offset, 8 << 20);
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(buf, 0, len, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
