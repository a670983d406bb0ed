import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { dockerErrorShape, createDockerClient, pingDocker } from '../docker/client';
import { resolveDockerEndpoint, type ResolvedDockerEndpoint } from '../docker/endpoint';
import { formatBytes } from '../../../shared/format';
import { fromErrorShape, LabError } from '../../../shared/errors';
import type { ShellOpened, ShellProgress } from '../../../shared/shell';
import type { ArchiveImage } from '../archive/archive-image';
import { ContentKeys } from './content-keys';
import { OWNER_LABEL, removeContainer } from '../build/build-container';
import { ownerAlive, withTimeout } from '../build/build-manager';
import type { ImageRegistry } from '../image/registry';
import type { ImageSession } from '../image/image-session';
import { fileSource } from '../image/inspect';
import { findShell, locateRootfs, rootfsBytes, type Rootfs } from './rootfs';
import { contentKey, findRootfsImage, importRootfs, pruneRootfsImages, rootfsRef, SHELL_LABEL } from './rootfs-image';
import { rootfsTar } from './rootfs-tar';
import { ShellContainer } from './shell-container';

/**
 * The shells of this process. Like a VM console, a shell's container belongs to the lab core;
 * unlike a VM, nothing of it is worth keeping: it is removed when its output stream ends (the
 * tab closed, the socket or window went), on shell.close, and when the lab is disposed.
 */

export interface ShellManagerOptions {
  images: ImageRegistry;
  env: NodeJS.ProcessEnv;
  /** settings.docker.host, read at each open. */
  dockerHost?: () => Promise<string | undefined>;
  /** Where content keys are remembered across runs (rootfs-keys.json); without it, only in memory. */
  cacheDir?: string;
}

export interface OpenOptions {
  /** false is for the CLI with commands piped in; the UI always has a terminal. */
  tty?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ShellProgress) => void;
}

interface Session {
  container: ShellContainer;
  /** What the terminal shows first. */
  note: string;
  attached: boolean;
  /** Removes the container when nobody subscribes to its output after shell.open. */
  orphan: NodeJS.Timeout;
  closing?: Promise<void>;
}

interface ImportResult {
  imported: boolean;
  entries: number;
  bytes: number;
}

const ORPHAN_MS = 60_000;
const PING_TIMEOUT_MS = 5000;
const HOSTNAME_RE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[0m`;

function gone(): LabError {
  return new LabError('SHELL_GONE', 'This shell has ended.', 'Open a new shell on the rootfs.');
}

export class ShellManager {
  private readonly sessions = new Map<string, Session>();
  /** Content keys by the archive's cache key (path, size, mtime, range): a re-open hashes nothing. */
  private readonly keys = new Map<string, Promise<string>>();
  private readonly imports = new Map<string, Promise<ImportResult>>();
  private readonly owner = `${os.hostname()}:${process.pid}`;
  private readonly stored: ContentKeys | undefined;
  private readonly drivers = new Map<string, Promise<string | undefined>>();
  private swept = false;
  private disposed = false;

  constructor(private readonly opts: ShellManagerOptions) {
    this.stored = opts.cacheDir ? new ContentKeys(path.join(opts.cacheDir, 'rootfs-keys.json')) : undefined;
  }

  /** Shells whose containers exist. */
  get count(): number {
    return this.sessions.size;
  }

  async open(file: string, imagePath: string, opts: OpenOptions = {}): Promise<ShellOpened> {
    if (this.disposed) throw new LabError('CLOSED', 'ISO Lab is shutting down.');
    const session = await this.opts.images.get(file);
    const rootfs = await locateRootfs(session, imagePath);
    const found = await findShell(session, rootfs);
    // Before hashing a few hundred megabytes: is there an engine to import them into?
    const { docker, endpoint, arch } = await this.connect();
    const key = await this.keyOf(session, rootfs, opts);
    const image = rootfsRef(key);
    const hostname = await readHostname(session, rootfs);
    const shellId = randomBytes(6).toString('hex');
    let container: ShellContainer;
    let result: ImportResult;
    try {
      await this.sweep(docker).catch(() => undefined);
      result = await this.ensureImage(docker, key, rootfs, opts);
      if (opts.signal?.aborted) throw new LabError('CANCELLED', 'Opening the shell was cancelled.');
      opts.onProgress?.({ type: 'progress', phase: 'creating', bytes: 0, total: 0 });
      container = await ShellContainer.create(docker, { shellId, image, shell: found.shell, owner: this.owner, hostname, tty: opts.tty });
    } catch (err) {
      throw dockerError(err, endpoint);
    }
    if (this.disposed) {
      await container.remove();
      throw new LabError('CLOSED', 'ISO Lab is shutting down.');
    }

    const warnings: string[] = [];
    if ((await this.driverOf(docker, endpoint.url)) === 'vfs') {
      warnings.push("The engine stores images with the vfs driver, which copies the whole rootfs for every container: a shell on a big initrd takes as long to open as that copy, even when its image is already there.");
    }
    if (found.arch && arch && found.arch !== arch) {
      warnings.push(`${found.target} is built for ${found.arch} and the engine runs ${arch}: it starts only where binfmt_misc runs foreign binaries (qemu-user-static).`);
    }
    const where = rootfs.path === '/' ? session.name : `${rootfs.path.slice(1)} of ${session.name}`;
    const how = result.imported ? `imported as ${image} (${result.entries.toLocaleString('en')} entries, ${formatBytes(result.bytes)})` : `image ${image}, imported before`;
    const note =
      dim(`ISO Lab: a shell in ${where}: ${found.shell}${found.target !== found.shell ? ` → ${found.target}` : ''}, ${how}, no network.`) +
      '\r\n' +
      dim('Changes stay in this container; it is removed when the shell closes.') +
      '\r\n' +
      warnings.map((w) => `${yellow(w)}\r\n`).join('');
    const orphan = setTimeout(() => void this.close(shellId), ORPHAN_MS);
    orphan.unref();
    this.sessions.set(shellId, { container, note, attached: false, orphan });
    return { shellId, image, imported: result.imported, rootfs: rootfs.path, shell: found.shell, shellTarget: found.target, entries: result.entries, bytes: result.bytes, endpoint: endpoint.url, warnings };
  }

  /**
   * The note, then the TTY until the shell exits (its status is returned) or is closed; the
   * container goes with the stream. The note and the exit line go to `note` when given (the CLI's stderr).
   */
  async output(shellId: string, emit: (data: string | Buffer) => void, signal: AbortSignal, note: (text: string) => void = emit): Promise<number | undefined> {
    const s = this.live(shellId);
    if (s.attached) throw new LabError('SHELL_BUSY', 'This shell is already shown elsewhere.', 'Close it there, or open another shell.');
    s.attached = true;
    clearTimeout(s.orphan);
    const onAbort = () => void this.close(shellId);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      note(s.note);
      const code = await s.container.run(emit);
      if (signal.aborted || s.closing) return undefined;
      note(`\r\n${dim(`The shell exited${code === undefined ? '' : ` with status ${code}`}; its container is removed.`)}\r\n`);
      return code;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.close(shellId);
    }
  }

  input(shellId: string, data: string): void {
    this.live(shellId).container.write(data);
  }

  endInput(shellId: string): void {
    this.live(shellId).container.endInput();
  }

  async resize(shellId: string, cols: number, rows: number): Promise<void> {
    await this.live(shellId).container.resize(cols, rows);
  }

  /** Idempotent; resolves once the container is gone. */
  close(shellId: string): Promise<void> {
    const s = this.sessions.get(shellId);
    if (!s) return Promise.resolve();
    clearTimeout(s.orphan);
    s.closing ??= s.container.remove().finally(() => this.sessions.delete(shellId));
    return s.closing;
  }

  /** Removes every shell container of this process (quitting the app, stopping `serve`); a hung engine does not hold the quit up for long. */
  async dispose(timeoutMs = 10_000): Promise<void> {
    this.disposed = true;
    await withTimeout(Promise.all([...this.sessions.keys()].map((id) => this.close(id))), timeoutMs).catch(() => undefined);
  }

  private live(shellId: string): Session {
    const s = this.sessions.get(shellId);
    if (!s || s.closing) throw gone();
    return s;
  }

  private async connect(): Promise<{ docker: Docker; endpoint: ResolvedDockerEndpoint; arch?: string }> {
    const endpoint = resolveDockerEndpoint({ settingHost: await this.opts.dockerHost?.(), env: this.opts.env });
    const status = await pingDocker(endpoint, PING_TIMEOUT_MS, { env: this.opts.env });
    if (!status.answering) {
      throw fromErrorShape(status.error ?? { code: 'DOCKER_UNREACHABLE', message: `Docker is not answering at ${endpoint.url}` });
    }
    return { docker: createDockerClient(endpoint, { env: this.opts.env }), endpoint, arch: status.arch };
  }

  /** docker info's storage driver, once per engine (it decides how long creating a container takes). */
  private driverOf(docker: Docker, url: string): Promise<string | undefined> {
    let p = this.drivers.get(url);
    if (!p) {
      p = withTimeout(docker.info() as Promise<{ Driver?: string }>, PING_TIMEOUT_MS).then((i) => i.Driver, () => undefined);
      this.drivers.set(url, p);
    }
    return p;
  }

  private async keyOf(session: ImageSession, rootfs: Rootfs, opts: OpenOptions): Promise<string> {
    const { source, close } = await rootfsBytes(session, rootfs);
    try {
      let p = this.keys.get(source.cacheKey);
      if (!p) {
        const cacheKey = source.cacheKey;
        p = (async () => {
          const known = await this.stored?.get(cacheKey);
          if (known) return known;
          const total = source.size;
          const key = await contentKey(source, opts.signal, (bytes) => opts.onProgress?.({ type: 'progress', phase: 'hashing', bytes, total }));
          await this.stored?.set(cacheKey, key);
          return key;
        })();
        this.keys.set(cacheKey, p);
        p.catch(() => this.keys.delete(cacheKey));
      }
      return await p;
    } finally {
      await close();
    }
  }

  /** Two shells opened at once on the same rootfs share one import (and its progress goes to the first). */
  private ensureImage(docker: Docker, key: string, rootfs: Rootfs, opts: OpenOptions): Promise<ImportResult> {
    let p = this.imports.get(key);
    if (!p) {
      p = (async () => {
        if (await findRootfsImage(docker, key)) return { imported: false, entries: 0, bytes: 0 };
        const { tar, stats } = rootfsTar(rootfs.container);
        // What the tar will roughly be: the archive's unpacked bytes (cpio and tar headers differ a little).
        const segments = (rootfs.container as Partial<ArchiveImage>).segments ?? [];
        const total = segments.reduce((n, seg) => n + seg.uncompressedSize, 0);
        let sent = 0;
        const counted = new PassThrough({ highWaterMark: 1 << 20 });
        counted.on('data', (b: Buffer) => opts.onProgress?.({ type: 'progress', phase: 'importing', bytes: (sent += b.length), total: Math.max(total, sent), entries: stats.entries }));
        tar.on('error', (err) => counted.destroy(err));
        tar.pipe(counted);
        await importRootfs(docker, key, counted, opts.signal);
        if (opts.signal?.aborted) throw new LabError('CANCELLED', 'Opening the shell was cancelled; the partial import was dropped.');
        if (!(await findRootfsImage(docker, key))) {
          throw new LabError('SHELL_IMPORT_FAILED', `Docker reported the import done, but has no image ${rootfsRef(key)}.`, 'check the engine\'s log');
        }
        void pruneRootfsImages(docker).catch(() => undefined);
        return { imported: true, entries: stats.entries, bytes: stats.bytes };
      })().finally(() => this.imports.delete(key));
      this.imports.set(key, p);
    }
    return p;
  }

  /**
   * Removes the shell containers of processes that died without disposing (a TTY never reads
   * EOF, so nothing else ends them). The app and `serve` call this at start; the first open does too.
   */
  async init(): Promise<void> {
    if (this.swept) return;
    try {
      const endpoint = resolveDockerEndpoint({ settingHost: await this.opts.dockerHost?.(), env: this.opts.env });
      await this.sweep(createDockerClient(endpoint, { env: this.opts.env }));
    } catch {
      // Docker is not there: the first open tries again.
    }
  }

  private async sweep(docker: Docker): Promise<void> {
    if (this.swept) return;
    const list = await withTimeout(docker.listContainers({ all: true, filters: { label: [SHELL_LABEL] } }), PING_TIMEOUT_MS);
    this.swept = true;
    for (const c of list) {
      const m = /^(.*):(\d+)$/.exec(c.Labels?.[OWNER_LABEL] ?? '');
      if (m && ownerAlive({ host: m[1]!, pid: Number(m[2]) })) continue;
      await removeContainer(docker.getContainer(c.Id));
    }
  }
}

/** The rootfs's own host name for the container (the prompt then says what the VM would). */
async function readHostname(session: ImageSession, rootfs: Rootfs): Promise<string | undefined> {
  try {
    const { source } = await fileSource(session, rootfs.path === '/' ? '/etc/hostname' : `${rootfs.path}/etc/hostname`);
    const name = (await source.read(0, 256)).toString('utf8').split('\n')[0]!.trim();
    return HOSTNAME_RE.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

function dockerError(err: unknown, endpoint: ResolvedDockerEndpoint): unknown {
  if (err instanceof LabError) return err;
  return fromErrorShape(dockerErrorShape(err, endpoint, PING_TIMEOUT_MS));
}
