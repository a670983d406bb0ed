import { createReadStream, promises as fs } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import type { Extent } from './entry';

/**
 * Random access to bytes, wherever they are: a file on disk, a file inside an ISO (one or
 * more extents of the ISO file), or an archive's decompressed data. Readers take this, so
 * an initrd reads the same whether it is a file of its own or inside an ISO.
 */
export interface ByteSource {
  readonly size: number;
  /** Identifies these exact bytes for caches: path, size and mtime of the file, plus the range. */
  readonly cacheKey: string;
  /** For error messages: "minikube.iso › boot/initrd". */
  readonly description: string;
  /** Up to `length` bytes from `offset`; shorter only at the end. */
  read(offset: number, length: number): Promise<Buffer>;
  /** The bytes [start, end) as a stream. */
  stream(start?: number, end?: number): Readable;
}

export class FileSource implements ByteSource {
  private constructor(
    private readonly handle: fs.FileHandle,
    readonly path: string,
    readonly size: number,
    readonly cacheKey: string,
    readonly description: string,
    /** What the file was when opened: a rebuilt ISO at the same path has another stamp. */
    readonly stamp: string,
  ) {}

  static stampOf(st: { size: number; mtimeMs: number; ino: number }): string {
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  }

  static async open(file: string, description = file): Promise<FileSource> {
    const handle = await fs.open(file, 'r');
    try {
      const st = await handle.stat();
      const real = await fs.realpath(file);
      return new FileSource(handle, file, st.size, `${real}:${st.size}:${st.mtimeMs}:${st.ino}`, description, FileSource.stampOf(st));
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.alloc(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.handle.read(buf, done, n - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === n ? buf : buf.subarray(0, done);
  }

  stream(start = 0, end = this.size): Readable {
    if (end <= start) return Readable.from([]);
    return createReadStream(this.path, { start, end: end - 1, highWaterMark: 1 << 20 });
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** A file made of extents of a parent source (an ISO file's data, possibly multi-extent). */
export class ExtentSource implements ByteSource {
  readonly size: number;

  constructor(
    private readonly parent: ByteSource,
    private readonly extents: Extent[],
    readonly description: string,
  ) {
    this.size = extents.reduce((n, e) => n + e.length, 0);
  }

  get cacheKey(): string {
    return `${this.parent.cacheKey}@${this.extents.map((e) => `${e.offset}+${e.length}`).join(',')}`;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let pos = 0;
    let want = Math.max(0, Math.min(length, this.size - offset));
    for (const e of this.extents) {
      if (want <= 0) break;
      const from = Math.max(offset - pos, 0);
      if (from < e.length && pos + e.length > offset) {
        const n = Math.min(e.length - from, want);
        parts.push(await this.parent.read(e.offset + from, n));
        want -= n;
        offset += n;
      }
      pos += e.length;
    }
    return Buffer.concat(parts);
  }

  stream(start = 0, end = this.size): Readable {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    const pieces: [number, number][] = [];
    let pos = 0;
    for (const e of this.extents) {
      const a = Math.max(start, pos);
      const b = Math.min(end, pos + e.length);
      if (a < b) pieces.push([e.offset + (a - pos), e.offset + (b - pos)]);
      pos += e.length;
    }
    (async () => {
      for (const [a, b] of pieces) {
        for await (const chunk of this.parent.stream(a, b)) {
          if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
        }
      }
      out.end();
    })().catch((err) => out.destroy(err));
    return out;
  }
}

/** Bytes already in memory (tests, small decompressed files). */
export class BufferSource implements ByteSource {
  constructor(
    private readonly buf: Buffer,
    readonly cacheKey: string,
    readonly description: string,
  ) {}
  get size(): number {
    return this.buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    return this.buf.subarray(offset, Math.min(this.buf.length, offset + length));
  }
  stream(start = 0, end = this.buf.length): Readable {
    return Readable.from([this.buf.subarray(start, end)]);
  }
}
