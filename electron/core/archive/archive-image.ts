import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { LabError } from '../../../shared/errors';
import { BufferSource, ExtentSource, FileSource, type ByteSource } from '../image/byte-source';
import type { NodeEntry } from '../image/entry';
import { cancelled } from './archive-errors';
import { normalizeName } from './archive-index';
import { buildIndex } from './build-index';
import { cachePaths, loadCached } from './index-cache';
import type { IndexNode, LoadedIndex } from './index-file';
import { runIndexJob, WorkerStartError } from './index-workers';
import type { MapRange } from './segments';
import type { Compression } from './sniff';
import type { CpioFormat } from './cpio';
import { LIMITS } from './limits';

export interface ArchiveProgress {
  bytesIn: number;
  totalIn: number;
  bytesOut: number;
  entries: number;
  segment: number;
}

export interface ArchiveOpenOptions {
  cacheDir: string;
  onProgress?: (p: ArchiveProgress) => void;
  signal?: AbortSignal;
  /** Default: true when the built worker file exists (it does not under Vitest). */
  useWorker?: boolean;
}

export interface ArchiveSegmentInfo {
  offset: number;
  compression: Compression;
  format: CpioFormat;
  entries: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** The worker bundle, built next to out/main/index.cjs and out/cli/isolab.cjs. */
export const WORKER_FILE = 'archive-index-worker.cjs';

function defaultWorkerFile(): string | undefined {
  const dir = typeof __dirname === 'string' ? __dirname : undefined;
  if (!dir) return undefined;
  // In a packaged app the worker is unpacked beside the asar (electron-builder's asarUnpack),
  // because a worker thread is started by Node's own loader, which cannot read inside an asar.
  const file = path.join(dir.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2'), WORKER_FILE);
  return existsSync(file) ? file : undefined;
}

/**
 * A cpio archive (an initrd, compressed or not, several segments or one) as a folder tree,
 * merged the way the kernel unpacks it. Indexing reads the source once, on a worker thread,
 * and caches the decompressed data and the index under `<cacheDir>/archives/`; file data is
 * then read from there (or from the source itself for uncompressed segments).
 */
export class ArchiveImage {
  readonly format: string;
  readonly segments: ArchiveSegmentInfo[];
  readonly entryCount: number;
  /** Not fatal, but worth showing: trailing garbage, entries the kernel would skip. */
  readonly warnings: string[];
  private dataFile: Promise<FileSource> | undefined;
  private closed = false;

  private constructor(
    private readonly src: ByteSource,
    private readonly index: LoadedIndex,
    private readonly dataPath: string,
    readonly fromCache: boolean,
  ) {
    this.format = index.meta.format;
    this.segments = index.meta.segments;
    this.entryCount = index.meta.entryCount;
    this.warnings = index.meta.warnings;
  }

  static async open(src: ByteSource, opts: ArchiveOpenOptions): Promise<ArchiveImage> {
    if (opts.signal?.aborted) throw cancelled();
    const paths = cachePaths(opts.cacheDir, src.cacheKey);
    const cached = await loadCached(paths, src.cacheKey, src.size);
    if (cached) return new ArchiveImage(src, cached, paths.data, true);

    const tmpSuffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
    const onProgress = opts.onProgress && ((p: Omit<ArchiveProgress, 'totalIn'>) => opts.onProgress!({ ...p, totalIn: src.size }));
    const workerFile = opts.useWorker === false ? undefined : defaultWorkerFile();
    if (opts.useWorker === true && !workerFile) {
      throw new LabError('INTERNAL', `The archive index worker (${WORKER_FILE}) is missing next to ${typeof __dirname === 'string' ? __dirname : 'the bundle'}.`, 'Run `npm run build`.');
    }
    const job = { cacheDir: opts.cacheDir, tmpSuffix, onProgress, signal: opts.signal };
    try {
      if (!workerFile) throw new WorkerStartError('no worker file');
      await runIndexJob(workerFile, src, job);
    } catch (err) {
      if (!(err instanceof WorkerStartError)) throw err;
      if (opts.useWorker === true) throw new LabError('INTERNAL', `The archive index worker did not start: ${err.message}`, 'Run `npm run build`.');
      await buildIndex(src, job);
    }

    const problems: string[] = [];
    const loaded = await loadCached(paths, src.cacheKey, src.size, problems);
    if (!loaded) throw new LabError('INTERNAL', `The index of ${src.description} was written but could not be read back from ${paths.dir} (${problems.join('; ') || 'missing'}).`, 'Check that the cache folder is writable and not full.');
    return new ArchiveImage(src, loaded, paths.data, false);
  }

  /** Absolute paths inside the archive ('/', '/etc'); symlinks on the way are followed. Sorted by name. */
  async readdir(p: string): Promise<NodeEntry[]> {
    const node = this.resolve(p, true);
    if (node.type !== 'dir') throw new LabError('NOT_A_DIRECTORY', `${p} is not a folder in ${this.src.description}.`);
    node.sorted ??= [...node.children!.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return node.sorted.map(toEntry);
  }

  /** Like lstat: a symlink at the end of the path is the symlink itself. */
  async stat(p: string): Promise<NodeEntry & { path: string }> {
    const node = this.resolve(p, false);
    return { ...toEntry(node), path: '/' + normalizeName(p).join('/') };
  }

  /** The entry's bytes (a hardlink gives the shared data, a symlink its target). */
  open(entry: NodeEntry, description?: string): ByteSource {
    const desc = description ?? `${this.src.description} › ${entry.name}`;
    const ext = entry.extents?.[0];
    if (entry.type === 'dir') throw new LabError('NOT_A_FILE', `${entry.name} is a folder, not a file.`);
    if (!ext || ext.length === 0) return new BufferSource(Buffer.alloc(0), `${this.src.cacheKey}#empty`, desc);
    const range = this.rangeOf(ext.offset, ext.length);
    const parentOffset = range.offset + (ext.offset - range.logical);
    if (range.file === 'source') return new ExtentSource(this.src, [{ offset: parentOffset, length: ext.length }], desc);
    return new LazyExtentSource(() => this.data(), this.src.cacheKey, parentOffset, ext.length, desc);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const f = this.dataFile;
    this.dataFile = undefined;
    if (f) await (await f).close();
  }

  private data(): Promise<FileSource> {
    if (this.closed) throw new LabError('CLOSED', `${this.src.description} was closed.`);
    this.dataFile ??= FileSource.open(this.dataPath, this.src.description);
    return this.dataFile;
  }

  private rangeOf(offset: number, length: number): MapRange {
    const map = this.index.meta.map;
    let lo = 0;
    let hi = map.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = map[mid]!;
      if (offset < r.logical) hi = mid - 1;
      else if (offset >= r.logical + r.length) lo = mid + 1;
      else {
        if (offset + length > r.logical + r.length) break;
        return r;
      }
    }
    throw new LabError('INTERNAL', `No data for bytes ${offset}+${length} of ${this.src.description}.`);
  }

  private resolve(p: string, followLast: boolean): IndexNode {
    const parts = normalizeName(p);
    let node = this.index.root;
    let hops = 0;
    const walk = (start: IndexNode, names: string[], follow: boolean): IndexNode => {
      let cur = start;
      for (let i = 0; i < names.length; i++) {
        if (cur.type !== 'dir') throw new LabError('NOT_A_DIRECTORY', `${p}: ${names.slice(0, i).join('/') || '/'} is not a folder.`);
        const next = cur.children!.get(names[i]!);
        if (!next) throw new LabError('NOT_FOUND', `${p} does not exist in ${this.src.description}.`);
        cur = next;
        const last = i === names.length - 1;
        while (cur.type === 'symlink' && (!last || follow)) {
          if (++hops > LIMITS.maxSymlinkHops) throw new LabError('NOT_FOUND', `${p}: too many levels of symbolic links.`);
          const t = cur.target ?? '';
          const base = t.startsWith('/') ? [] : pathParts(cur.parent!);
          cur = walk(this.index.root, normalizeName([...base, t].join('/')), true);
        }
      }
      return cur;
    };
    node = walk(node, parts, followLast);
    return node;
  }
}

function pathParts(n: IndexNode): string[] {
  const parts: string[] = [];
  for (let c: IndexNode | undefined = n; c && c.parent; c = c.parent) parts.push(c.name);
  return parts.reverse();
}

function toEntry(n: IndexNode): NodeEntry {
  const e: NodeEntry = { name: n.name, type: n.type, size: n.size, mode: n.mode, uid: n.uid, gid: n.gid, mtime: n.mtime * 1000, nlink: n.nlink };
  if (n.target !== undefined) e.target = n.target;
  if (n.rdev) e.rdev = n.rdev;
  if (n.linkOf) e.linkOf = n.linkOf;
  e.extents = n.size > 0 ? [{ offset: n.data, length: n.size }] : [];
  return e;
}

/** A range of the cache's data file, opened on first read. */
class LazyExtentSource implements ByteSource {
  constructor(
    private readonly file: () => Promise<FileSource>,
    private readonly key: string,
    private readonly offset: number,
    readonly size: number,
    readonly description: string,
  ) {}
  get cacheKey(): string {
    return `${this.key}#data@${this.offset}+${this.size}`;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    if (n === 0) return Buffer.alloc(0);
    return (await this.file()).read(this.offset + offset, n);
  }
  stream(start = 0, end = this.size): Readable {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    const to = Math.max(start, Math.min(end, this.size));
    this.file().then(
      (f) => f.stream(this.offset + start, this.offset + to).pipe(out),
      (err: Error) => out.destroy(err),
    );
    return out;
  }
}
