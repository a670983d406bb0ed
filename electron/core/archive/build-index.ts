import { promises as fs } from 'node:fs';
import type { ByteSource } from '../image/byte-source';
import { ArchiveTree } from './archive-index';
import { cachePaths, evictCache, tempPaths } from './index-cache';
import { serializeIndex } from './index-file';
import { walkSegments, type WalkProgress } from './segments';

export interface BuildOptions {
  cacheDir: string;
  /** Names the temp files, so whoever cancels the build can remove them. */
  tmpSuffix: string;
  onProgress?: (p: WalkProgress) => void;
  signal?: AbortSignal;
}

/**
 * Appends the decompressed data to the cache file. Decoders reuse their buffers, so bytes
 * are copied into 4 MiB batches, written in the background (the thread pool overlaps them
 * with decoding) with at most 32 MiB in flight.
 */
class DataWriter {
  private batch: Buffer = Buffer.allocUnsafe(BATCH);
  private used = 0;
  private position = 0;
  private readonly inFlight: Promise<unknown>[] = [];
  private readonly spare: Buffer[] = [];
  private failed: Error | undefined;
  size = 0;

  private constructor(private readonly handle: fs.FileHandle) {}

  static async create(file: string): Promise<DataWriter> {
    return new DataWriter(await fs.open(file, 'w', 0o600));
  }

  write(b: Buffer, owned = false): void {
    this.size += b.length;
    if (owned && b.length >= OWNED_MIN) {
      // The decoder gave this buffer away: write it as it is instead of copying it.
      this.flush();
      this.submit(b, b.length, false);
      return;
    }
    let off = 0;
    while (off < b.length) {
      const k = Math.min(b.length - off, BATCH - this.used);
      b.copy(this.batch, this.used, off, off + k);
      this.used += k;
      off += k;
      if (this.used === BATCH) this.flush();
    }
  }

  private flush(): void {
    if (this.used === 0) return;
    const buf = this.batch;
    const n = this.used;
    // Batches come back for reuse once written: fresh 4 MiB buffers each time cost GC time.
    this.batch = this.spare.pop() ?? Buffer.allocUnsafe(BATCH);
    this.used = 0;
    this.submit(buf, n, true);
  }

  private submit(buf: Buffer, n: number, reuse: boolean): void {
    const at = this.position;
    this.position += n;
    this.inFlight.push(
      this.handle.write(buf, 0, n, at).then(
        (r) => {
          if (r.bytesWritten !== n) this.failed ??= new Error(`short write to the archive cache (${r.bytesWritten} of ${n} bytes)`);
          if (reuse) this.spare.push(buf);
        },
        (err: Error) => (this.failed ??= err),
      ),
    );
  }

  /** Waits while too much is in flight; surfaces write errors. */
  async drain(): Promise<void> {
    while (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift();
    if (this.failed) throw this.failed;
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight.splice(0));
    await this.handle.close();
    if (this.failed) throw this.failed;
  }

  async abandon(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
    await this.handle.close().catch(() => undefined);
  }
}

const BATCH = 4 << 20;
/** Owned buffers at least this big are written without a copy. */
const OWNED_MIN = 256 << 10;
const MAX_IN_FLIGHT = 8;

/**
 * Reads the source once: decompresses every segment, parses the cpio stream, merges the
 * entries, and leaves `<hash>.data` and `<hash>.index.json` in the cache (written under
 * temp names and renamed, index last, so a present index means complete data).
 */
export async function buildIndex(src: ByteSource, opts: BuildOptions): Promise<void> {
  const paths = cachePaths(opts.cacheDir, src.cacheKey);
  const tmp = tempPaths(paths, opts.tmpSuffix);
  await fs.mkdir(paths.dir, { recursive: true });
  const writer = await DataWriter.create(tmp.data);
  let closed = false;
  try {
    const tree = new ArchiveTree();
    const result = await walkSegments(src, {
      entry: (e) => tree.add(e),
      trailer: () => tree.trailer(),
      warning: (w) => tree.warn(w),
      data: (b, owned) => writer.write(b, owned),
      drain: () => writer.drain(),
      progress: (p) => opts.onProgress?.(p),
      signal: opts.signal,
    });
    closed = true;
    await writer.close();
    const format = result.segments.map((s) => (s.compression === 'none' ? 'cpio' : `cpio+${s.compression}`)).join(',');
    const text = serializeIndex(tree, {
      key: src.cacheKey,
      srcSize: src.size,
      dataSize: writer.size,
      format,
      segments: result.segments,
      map: result.map,
      size: result.size,
      warnings: tree.warnings,
      entryCount: result.segments.reduce((n, s) => n + s.entries, 0),
    });
    await fs.writeFile(tmp.index, text, { mode: 0o600 });
    await fs.rename(tmp.data, paths.data);
    await fs.rename(tmp.index, paths.index);
  } catch (err) {
    if (!closed) await writer.abandon();
    await removeTemps(opts.cacheDir, src.cacheKey, opts.tmpSuffix);
    throw err;
  }
  await evictCache(paths.dir, paths.base).catch(() => undefined);
}

/** Removes a build's temp files (after a failure, or after its worker was terminated). */
export async function removeTemps(cacheDir: string, cacheKey: string, tmpSuffix: string): Promise<void> {
  const tmp = tempPaths(cachePaths(cacheDir, cacheKey), tmpSuffix);
  await Promise.all([fs.rm(tmp.data, { force: true }), fs.rm(tmp.index, { force: true })]);
}
