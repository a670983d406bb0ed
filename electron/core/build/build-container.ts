import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import { LabError } from '../../../shared/errors';
import { isNotFound } from './builder-image';
import type { ResolvedRecipe } from './recipes';

/**
 * The build container: created with the recipe's settings and labelled with the build id,
 * attached before it starts (so no output is lost), stopped on cancel and always removed
 * with its anonymous volumes. The named buildroot-cache volume stays, as with `docker run --rm`.
 */

export const BUILD_LABEL = 'io.isolab.build';
/** host:pid of the process running the build: a later process removes only a dead one's leftovers. */
export const OWNER_LABEL = 'io.isolab.owner';

const STOP_GRACE_SECONDS = 10;
/** After the container exits, its output keeps coming until the attach stream ends; this long without a byte ends the wait. */
const DRAIN_IDLE_MS = 5000;

/**
 * Docker's multiplexed stdout/stderr frames (8-byte header, then the payload), parsed across
 * chunk boundaries. The two streams are merged, as `2>&1 | tee` merged them, and every chunk
 * gives at most one buffer: a shell printing line by line sends one frame per line, and a
 * million calls downstream would cost more than the copying saved.
 */
export class FrameDemuxer {
  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private remaining = 0;
  private raw = false;

  constructor(private readonly onData: (data: Buffer) => void) {}

  push(chunk: Buffer): void {
    if (this.raw) {
      this.onData(chunk);
      return;
    }
    const parts: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - pos);
        parts.push(chunk.subarray(pos, pos + n));
        pos += n;
        this.remaining -= n;
        continue;
      }
      const n = Math.min(8 - this.headerFill, chunk.length - pos);
      chunk.copy(this.header, this.headerFill, pos, pos + n);
      this.headerFill += n;
      pos += n;
      if (this.headerFill < 8) break;
      this.headerFill = 0;
      const type = this.header[0]!;
      if (type > 2 || this.header[1] !== 0 || this.header[2] !== 0 || this.header[3] !== 0) {
        // Not a frame (a TTY container, or a proxy that demultiplexed already): pass bytes through.
        this.raw = true;
        parts.push(Buffer.from(this.header), chunk.subarray(pos));
        break;
      }
      this.remaining = this.header.readUInt32BE(4);
    }
    if (parts.length === 1) this.onData(parts[0]!);
    else if (parts.length > 1) this.onData(Buffer.concat(parts));
  }
}

export interface LogOutput {
  /** false: stop sending until `onceDrain` fires. */
  write(data: Buffer): boolean;
  onceDrain(cb: () => void): void;
}

export interface RunOptions {
  docker: Docker;
  recipe: ResolvedRecipe;
  image: string;
  buildId: string;
  owner: string;
  relabel: boolean;
  signal: AbortSignal;
  output: LogOutput;
  onCreated?: (containerId: string) => void;
}

export interface RunResult {
  exitCode?: number;
  cancelled: boolean;
}

export function containerName(buildId: string): string {
  return `isolab-build-${buildId}`;
}

export function containerSpec(o: Pick<RunOptions, 'recipe' | 'image' | 'buildId' | 'owner' | 'relabel'>): Docker.ContainerCreateOptions {
  const r = o.recipe;
  const hostConfig: Docker.HostConfig = {
    Binds: [`${r.checkout}:${r.workdir}${o.relabel ? ':Z' : ''}`],
    Mounts: Object.entries(r.volumes).map(([name, target]) => ({ Type: 'volume' as const, Source: name, Target: target })),
    AutoRemove: false,
  };
  if (r.network !== 'default') hostConfig.NetworkMode = r.network;
  const spec: Docker.ContainerCreateOptions = {
    name: containerName(o.buildId),
    Image: o.image,
    Cmd: r.command,
    WorkingDir: r.workdir,
    Env: Object.entries(r.env).map(([k, v]) => `${k}=${v}`),
    Labels: { [BUILD_LABEL]: o.buildId, [OWNER_LABEL]: o.owner, 'io.isolab.recipe': r.id },
    Tty: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    HostConfig: hostConfig,
  };
  if (r.user) spec.User = r.user;
  if (r.anonymousVolumes.length) spec.Volumes = Object.fromEntries(r.anonymousVolumes.map((v) => [v, {}]));
  return spec;
}

export async function runBuildContainer(o: RunOptions): Promise<RunResult> {
  let container: Docker.Container;
  try {
    container = await o.docker.createContainer(containerSpec(o));
  } catch (err) {
    throw createFailure(err, o.image);
  }
  o.onCreated?.(container.id);
  let stream: Duplex | undefined;
  const stop = () => {
    container.stop({ t: STOP_GRACE_SECONDS }).catch(() => undefined);
  };
  try {
    if (o.signal.aborted) return { cancelled: true };
    stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Duplex;
    let lastData = Date.now();
    const ended = new Promise<void>((resolve) => {
      stream!.once('end', resolve);
      stream!.once('close', resolve);
      stream!.once('error', () => resolve());
    });
    const s = stream;
    const demux = new FrameDemuxer((data) => {
      if (!o.output.write(data)) {
        s.pause();
        o.output.onceDrain(() => s.resume());
      }
    });
    s.on('data', (chunk: Buffer) => {
      lastData = Date.now();
      demux.push(chunk);
    });
    o.signal.addEventListener('abort', stop, { once: true });
    if (o.signal.aborted) return { cancelled: true };
    try {
      await container.start();
    } catch (err) {
      if (o.signal.aborted) return { cancelled: true };
      throw startFailure(err);
    }
    const result = (await container.wait()) as { StatusCode?: number };
    for (;;) {
      const idle = DRAIN_IDLE_MS - (Date.now() - lastData);
      if (idle <= 0) break;
      const finished = await Promise.race([ended.then(() => true), delay(idle).then(() => false)]);
      if (finished) break;
    }
    return { exitCode: result.StatusCode, cancelled: o.signal.aborted };
  } finally {
    o.signal.removeEventListener('abort', stop);
    stream?.destroy();
    await removeContainer(container);
  }
}

/** Retried once: a removal racing the container's own exit can fail with a 409. The next manager start sweeps what is still left. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await container.remove({ force: true, v: true });
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      await delay(1000);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function daemonMessage(err: unknown): string {
  const e = err as { message?: string; json?: { message?: string } };
  return (e.json?.message ?? e.message ?? String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

function createFailure(err: unknown, image: string): unknown {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === undefined) return err;
  if (status === 404) {
    return new LabError('BUILD_IMAGE_MISSING', `The builder image ${image} is gone from the engine: ${daemonMessage(err)}`, 'build again with "rebuild image"');
  }
  return new LabError('BUILD_CONTAINER_CREATE', `The engine refused to create the build container: ${daemonMessage(err)}`, 'check the recipe\'s command, user, mounts and network');
}

function startFailure(err: unknown): unknown {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === undefined) return err;
  const msg = daemonMessage(err);
  const notFound = /executable file not found|no such file or directory/.test(msg);
  return new LabError(
    'BUILD_CONTAINER_START',
    `The build container did not start: ${msg}`,
    notFound ? 'the recipe\'s command is not in the builder image: check the command, or the Dockerfile that should install it' : 'check the recipe\'s command and mounts',
  );
}
