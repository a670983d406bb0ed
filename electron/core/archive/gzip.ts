import { once } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import zlib from 'node:zlib';
import { CodecError, type MemberDecoder, type Sink } from './codec';
import { crc32 } from './crc32';
import { StructWalker, type Framing } from './struct-walker';

const NAME_MAX = 64 * 1024;
/** Decompressed bytes allowed to wait for parsing. */
const QUEUE_MAX = 16 << 20;

/**
 * The gzip member header (RFC 1952), all optional fields included (the kernel only skips
 * FNAME; being more lenient costs nothing).
 */
function* gzipHeader(at: () => number): Framing {
  const h = yield 10;
  if (h[0] !== 0x1f || h[1] !== 0x8b) throw new CodecError('bad gzip magic', 0);
  if (h[2] !== 8) throw new CodecError(`gzip compression method ${h[2]} is not deflate`, 2);
  const flg = h[3]!;
  if (flg & 0xe0) throw new CodecError('gzip header has reserved flags set', 3);
  if (flg & 4) yield -(yield 2).readUInt16LE(0);
  for (const bit of [8, 16]) {
    if (!(flg & bit)) continue;
    for (let n = 0; (yield 1)[0] !== 0; n++) {
      if (n > NAME_MAX) throw new CodecError('gzip file name or comment is too long', at());
    }
  }
  if (flg & 2) yield -2;
}

/**
 * gzip through Node's zlib. Raw inflate rather than gunzip: Node's gunzip reads whatever
 * follows a member as another member and fails on an uncompressed cpio there. Inflate
 * stops at the end of the deflate data and `bytesWritten` says how much it used.
 */
export class GzipDecoder implements MemberDecoder {
  private readonly header: StructWalker;
  private readonly inflate: zlib.InflateRaw;
  private failed: Error | undefined;
  private ended = false;
  private readonly closed: Promise<unknown>;
  private queue: Buffer[] = [];
  private queued = 0;
  private scheduled = false;
  private crc = 0;
  private size = 0;
  /** Bytes given to inflate, and the recent pushes, to find the trailer once it stops. */
  private written = 0;
  private recent: { at: number; b: Buffer }[] = [];
  private trailer: Buffer[] | undefined;
  private trailerLen = 0;
  done = false;
  consumed = 0;

  constructor(private readonly sink: Sink) {
    this.header = new StructWalker(gzipHeader(() => this.header.pos));
    // Several MiB may wait at the writable side, so zlib (on the thread pool) inflates the
    // next chunk while this thread parses the last one's output.
    this.inflate = zlib.createInflateRaw({ chunkSize: 1 << 20, writableHighWaterMark: 8 << 20, readableHighWaterMark: 8 << 20 } as zlib.ZlibOptions);
    // Output is queued, not parsed inside zlib's callback: zlib hands the thread pool its
    // next piece of work only after that callback returns, so parsing there would serialize
    // the two. (zlib's output buffers are not reused, so holding them is safe.)
    this.inflate.on('data', (d: Buffer) => {
      this.queue.push(d);
      this.queued += d.length;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drainQueue());
      }
    });
    this.inflate.on('end', () => (this.ended = true));
    this.inflate.on('error', (err) => (this.failed ??= err));
    this.closed = new Promise((resolve) => this.inflate.once('close', resolve));
  }

  private drainQueue(): void {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    this.queued = 0;
    for (const d of q) {
      if (this.failed) return;
      this.crc = crc32(d, this.crc);
      this.size += d.length;
      try {
        this.sink(d, true);
      } catch (err) {
        this.failed = err as Error;
      }
    }
  }

  private check(): void {
    const f = this.failed;
    if (!f) return;
    if (f instanceof CodecError || typeof (f as { code?: unknown }).code === 'string' && (f as { name?: string }).name === 'LabError') throw f;
    throw new CodecError(`gzip data is corrupt: ${f.message}`, this.header.pos + this.inflate.bytesWritten);
  }

  async push(chunk: Buffer): Promise<void> {
    let rest = chunk;
    if (!this.header.done) {
      const n = this.header.feed(rest);
      rest = rest.subarray(n);
      if (!this.header.done || rest.length === 0) return;
    }
    if (this.trailer) return this.addTrailer(rest);
    this.recent.push({ at: this.written, b: rest });
    this.written += rest.length;
    // Pushes inflate has used up entirely cannot hold the trailer any more.
    while (this.recent.length > 1 && this.recent[1]!.at <= this.inflate.bytesWritten) this.recent.shift();
    if (!this.inflate.write(rest)) await Promise.race([once(this.inflate, 'drain'), this.closed]);
    await tick();
    if (this.ended || this.queued > QUEUE_MAX) this.drainQueue();
    this.check();
    if (this.ended) this.startTrailer();
  }

  /** Inflate stopped: the bytes it did not use, in the recent pushes, begin the trailer. */
  private startTrailer(): void {
    const used = this.inflate.bytesWritten;
    const tail = this.recent.filter((r) => r.at + r.b.length > used).map((r) => r.b.subarray(Math.max(0, used - r.at)));
    this.recent = [];
    this.trailer = [];
    this.addTrailer(Buffer.concat(tail));
  }

  private addTrailer(b: Buffer): void {
    const k = Math.min(8 - this.trailerLen, b.length);
    this.trailer!.push(b.subarray(0, k));
    this.trailerLen += k;
    if (this.trailerLen < 8) return;
    const t = Buffer.concat(this.trailer!);
    const crc = t.readUInt32LE(0);
    const isize = t.readUInt32LE(4);
    const at = this.header.pos + this.inflate.bytesWritten;
    if (crc !== this.crc >>> 0) throw new CodecError(`gzip CRC mismatch: stored ${crc.toString(16)}, computed ${(this.crc >>> 0).toString(16)}`, at);
    if (isize !== this.size % 2 ** 32) throw new CodecError(`gzip size mismatch: stored ${isize}, decompressed ${this.size}`, at);
    this.done = true;
    this.consumed = at + 8;
  }

  async finish(): Promise<void> {
    if (this.done) return;
    if (!this.header.done) throw new CodecError('gzip header is truncated', this.header.pos);
    if (!this.trailer) {
      this.inflate.end();
      await this.closed;
      this.drainQueue();
      this.check();
      if (!this.ended) throw new CodecError('gzip data is truncated', this.header.pos + this.inflate.bytesWritten);
      this.startTrailer();
    }
    if (!this.done) throw new CodecError('gzip trailer is truncated', this.header.pos + this.inflate.bytesWritten);
  }

  /** Frees zlib's memory when the walk stops early. */
  dispose(): void {
    this.inflate.destroy();
  }
}
