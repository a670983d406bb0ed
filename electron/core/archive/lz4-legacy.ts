import { CodecError, type MemberDecoder, type Sink } from './codec';
import { InputQueue } from './input-queue';
import { decodeLz4Block } from './lz4-block';
import { loadLz4Native, type Lz4Native } from './lz4-native';

export const LZ4_LEGACY_MAGIC = 0x184c2102;
const BLOCK_MAX = 8 * 1024 * 1024;
/** LZ4_compressBound(8 MiB): no legal block is bigger, so a larger size word is not a size. */
const COMPRESSED_MAX = BLOCK_MAX + Math.floor(BLOCK_MAX / 255) + 16;

/**
 * The kernel's lz4 format (`lz4 -l`): a magic, then blocks of a LE32 compressed size and
 * data, each at most 8 MiB once decompressed, and no end marker. The member ends at the end
 * of the input, at a zero size word (the zero padding the kernel expects after it), or at a
 * word that cannot be a size (another member's magic, a cpio header); a repeated legacy
 * magic is a concatenated frame and goes on.
 */
export class Lz4LegacyDecoder implements MemberDecoder {
  private readonly q = new InputQueue();
  private out: Buffer | undefined;
  private native: Lz4Native | undefined;
  /** The size prefix and a block, as lz4_flex wants them; reused. */
  private framed: Buffer | undefined;
  private loaded = false;
  private started = false;
  private eof = false;
  private blockSize = -1;
  done = false;
  consumed = 0;

  constructor(private readonly sink: Sink) {}

  async push(chunk: Buffer): Promise<void> {
    if (!this.loaded) {
      this.native = await loadLz4Native();
      this.loaded = true;
    }
    this.q.push(chunk);
    this.run();
  }

  finish(): void {
    this.eof = true;
    this.run();
    if (!this.done) throw new CodecError(`lz4 block of ${this.blockSize} bytes is truncated`, this.q.consumed);
  }

  private end(): void {
    this.done = true;
    this.consumed = this.q.consumed;
  }

  private run(): void {
    const q = this.q;
    while (!this.done) {
      if (!this.started) {
        const m = q.peek(4);
        if (!m) return;
        if (m.readUInt32LE(0) !== LZ4_LEGACY_MAGIC) throw new CodecError('bad lz4 legacy magic', 0);
        q.skip(4);
        this.started = true;
      }
      if (this.blockSize < 0) {
        const w = q.peek(4);
        if (!w) {
          if (this.eof) this.end();
          return;
        }
        const v = w.readUInt32LE(0);
        if (v === LZ4_LEGACY_MAGIC) {
          q.skip(4);
          continue;
        }
        if (v === 0 || v > COMPRESSED_MAX) {
          this.end();
          return;
        }
        q.skip(4);
        this.blockSize = v;
      }
      if (q.available < this.blockSize) return;
      const at = q.consumed;
      if (this.native) {
        // The size prefix lz4_flex wants: the most a legacy block may hold.
        const framed = (this.framed ??= Buffer.allocUnsafe(4 + COMPRESSED_MAX));
        framed.writeUInt32LE(BLOCK_MAX, 0);
        q.peekInto(this.blockSize, framed, 4);
        let out: Buffer;
        try {
          out = this.native.uncompressSync(framed.subarray(0, 4 + this.blockSize));
        } catch (err) {
          throw new CodecError(`lz4 block does not decode: ${(err as Error).message} (lz4 block at input offset ${at})`, at);
        }
        q.skip(this.blockSize);
        this.blockSize = -1;
        this.sink(out, true);
        continue;
      }
      const block = q.peek(this.blockSize)!;
      const buf = (this.out ??= Buffer.allocUnsafe(BLOCK_MAX));
      let n: number;
      try {
        n = decodeLz4Block(block, 0, block.length, buf, 0, BLOCK_MAX, 0);
      } catch (err) {
        throw new CodecError(`${(err as Error).message} (lz4 block at input offset ${at})`, at);
      }
      q.skip(this.blockSize);
      this.blockSize = -1;
      this.sink(buf.subarray(0, n));
    }
  }
}

/**
 * The literal bytes that open a legacy member's first block: enough to see whether it holds
 * a cpio archive without reading and decoding a whole 8 MiB block.
 */
export function lz4LegacyPrefix(b: Buffer): Buffer {
  if (b.length < 9 || b.readUInt32LE(0) !== LZ4_LEGACY_MAGIC) return Buffer.alloc(0);
  let s = 8;
  let lit = b[s++]! >>> 4;
  if (lit === 15) {
    let x: number;
    do {
      x = b[s++] ?? 0;
      lit += x;
    } while (x === 255 && s < b.length);
  }
  return b.subarray(s, Math.min(s + lit, b.length));
}
