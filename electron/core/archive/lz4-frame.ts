import { CodecError, type MemberDecoder, type Sink } from './codec';
import { InputQueue } from './input-queue';
import { decodeLz4Block } from './lz4-block';
import { loadLz4Native, type Lz4Native } from './lz4-native';
import { Xxh32, xxhash32 } from './xxhash32';

export const LZ4_FRAME_MAGIC = 0x184d2204;
const HISTORY = 64 * 1024;
const BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

/**
 * The standard LZ4 frame (`lz4` without -l). The kernel does not take it, but tools do.
 * Linked blocks keep the previous 64 KiB in front of the output buffer. Every checksum the
 * frame carries is verified, as `lz4 -d` does: the header's, each block's (over its stored
 * bytes, before they are decoded or passed on) and the content's (over all the output, at the
 * end mark; the open then fails as a whole, so no file of a corrupt frame is ever shown).
 */
export class Lz4FrameDecoder implements MemberDecoder {
  private readonly q = new InputQueue();
  private header: { blockMax: number; linked: boolean; blockChecksum: boolean; contentChecksum: boolean } | undefined;
  private out: Buffer = Buffer.alloc(0);
  /** Bytes of history currently in front of `out`'s block area. */
  private history = 0;
  private pending = -1;
  private native: Lz4Native | undefined;
  /** The size prefix and a block, as lz4_flex wants them; reused. */
  private framed: Buffer | undefined;
  private loaded = false;
  private content: Xxh32 | undefined;
  /** The last 64 KiB of output, the dictionary of a linked block (native path). */
  private dict: Buffer | undefined;
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
    this.run();
    if (!this.done) throw new CodecError('lz4 frame is truncated (no end mark)', this.q.consumed);
  }

  private run(): void {
    const q = this.q;
    while (!this.done) {
      if (!this.header) {
        const fixed = q.peek(7);
        if (!fixed) return;
        if (fixed.readUInt32LE(0) !== LZ4_FRAME_MAGIC) throw new CodecError('bad lz4 frame magic', 0);
        const flg = fixed[4]!;
        const bd = fixed[5]!;
        if (flg >> 6 !== 1) throw new CodecError(`unsupported lz4 frame version ${flg >> 6}`, 4);
        if (flg & 1) throw new CodecError('lz4 frames with a dictionary are not supported', 4);
        const blockMax = BLOCK_SIZES[(bd >> 4) & 7];
        if (!blockMax || bd & 0x8f) throw new CodecError(`bad lz4 block descriptor 0x${bd.toString(16)}`, 5);
        const len = 7 + (flg & 8 ? 8 : 0);
        const h = q.peek(len);
        if (!h) return;
        const hc = (xxhash32(h.subarray(4, len - 1)) >>> 8) & 0xff;
        if (hc !== h[len - 1]) throw new CodecError('lz4 frame header checksum mismatch', len - 1);
        q.skip(len);
        const linked = !(flg & 0x20);
        this.header = { blockMax, linked, blockChecksum: !!(flg & 0x10), contentChecksum: !!(flg & 4) };
        if (this.header.contentChecksum) this.content = new Xxh32();
        if (!this.native) this.out = Buffer.allocUnsafe((linked ? HISTORY : 0) + blockMax);
      }
      const h = this.header;
      if (this.pending < 0) {
        const w = q.peek(4);
        if (!w) return;
        const v = w.readUInt32LE(0);
        if (v === 0) {
          const tail = 4 + (h.contentChecksum ? 4 : 0);
          const end = q.peek(tail);
          if (!end) return;
          if (this.content && end.readUInt32LE(4) !== this.content.digest()) {
            throw new CodecError('lz4 frame content checksum mismatch: the data is corrupt', q.consumed + 4);
          }
          q.skip(tail);
          this.done = true;
          this.consumed = q.consumed;
          return;
        }
        if ((v & 0x7fffffff) > h.blockMax) throw new CodecError(`lz4 block size ${v & 0x7fffffff} exceeds the frame's ${h.blockMax}`, q.consumed);
        q.skip(4);
        this.pending = v;
      }
      const size = this.pending & 0x7fffffff;
      const whole = size + (h.blockChecksum ? 4 : 0);
      if (q.available < whole) return;
      const at = q.consumed;
      if (h.blockChecksum) {
        const stored = q.peek(whole)!;
        if (xxhash32(stored.subarray(0, size)) !== stored.readUInt32LE(size)) {
          throw new CodecError(`lz4 block checksum mismatch at input offset ${at}: the data is corrupt`, at);
        }
      }
      if (this.native) {
        let out: Buffer;
        if (this.pending & 0x80000000) out = Buffer.from(q.peek(size)!);
        else {
          const framed = (this.framed ??= Buffer.allocUnsafe(4 + h.blockMax));
          framed.writeUInt32LE(h.blockMax, 0);
          q.peekInto(size, framed, 4);
          try {
            out = this.native.uncompressSync(framed.subarray(0, 4 + size), h.linked ? this.dict : undefined);
          } catch (err) {
            throw new CodecError(`lz4 block does not decode: ${(err as Error).message} (lz4 block at input offset ${at})`, at);
          }
        }
        q.skip(whole);
        this.pending = -1;
        if (h.linked) {
          const joined = this.dict && out.length < HISTORY ? Buffer.concat([this.dict, out]) : out;
          this.dict = Buffer.from(joined.subarray(Math.max(0, joined.length - HISTORY)));
        }
        this.content?.update(out);
        this.sink(out, true);
        continue;
      }
      const block = q.peek(whole)!;
      const base = h.linked ? HISTORY : 0;
      let end: number;
      if (this.pending & 0x80000000) {
        block.copy(this.out, base, 0, size);
        end = base + size;
      } else {
        try {
          end = decodeLz4Block(block, 0, size, this.out, base, base + h.blockMax, base - this.history);
        } catch (err) {
          throw new CodecError(`${(err as Error).message} (lz4 block at input offset ${at})`, at);
        }
      }
      q.skip(whole);
      this.pending = -1;
      this.content?.update(this.out.subarray(base, end));
      this.sink(this.out.subarray(base, end));
      if (h.linked) {
        const n = end - base;
        const keep = Math.min(HISTORY, this.history + n);
        this.out.copyWithin(HISTORY - keep, end - keep, end);
        this.history = keep;
      }
    }
  }
}
