import { CodecError, type MemberDecoder, type Sink } from './codec';

/*
 * The legacy .lzma ("LZMA alone") format the kernel accepts: a 13-byte header (properties,
 * dictionary size, uncompressed size or all ones) and LZMA1 data. None of the npm decoders
 * fits: node-liblzma decodes only .xz, lzma-native bundles an old liblzma (40 MB/s, its xz
 * path slower than node-liblzma's), @napi-rs/lzma is whole-buffer, and none says where the
 * data ended. This follows the reference decoder (LzmaSpec.cpp) and reports that exactly.
 */

const DICT_MAX = 256 * 1024 * 1024;
const PROB_INIT = 1024;
const STATES = 12;
const POS_BITS_MAX = 4;
/** Input kept in hand before each packet: no packet reads more than this. */
const PACKET_INPUT_MAX = 64;

class LenDecoder {
  readonly choice = new Uint16Array(2).fill(PROB_INIT);
  readonly low = new Uint16Array(16 << 3).fill(PROB_INIT);
  readonly mid = new Uint16Array(16 << 3).fill(PROB_INIT);
  readonly high = new Uint16Array(256).fill(PROB_INIT);
}

export class LzmaAloneDecoder implements MemberDecoder {
  private input: Buffer = Buffer.alloc(0);
  private inPos = 0;
  private dropped = 0;
  private eof = false;
  private started = false;
  done = false;
  consumed = 0;

  private lc = 0;
  private lp = 0;
  private pb = 0;
  private dictSize = 0;
  private unpackSize = -1;
  private window: Buffer = Buffer.alloc(0);
  private windowMax = 0;
  private wpos = 0;
  private flushed = 0;
  private full = false;
  private total = 0;

  private range = 0xffffffff;
  private code = 0;
  private overrun = 0;

  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  private literal = new Uint16Array(0);
  private readonly isMatch = new Uint16Array(STATES << POS_BITS_MAX).fill(PROB_INIT);
  private readonly isRep = new Uint16Array(STATES).fill(PROB_INIT);
  private readonly isRepG0 = new Uint16Array(STATES).fill(PROB_INIT);
  private readonly isRepG1 = new Uint16Array(STATES).fill(PROB_INIT);
  private readonly isRepG2 = new Uint16Array(STATES).fill(PROB_INIT);
  private readonly isRep0Long = new Uint16Array(STATES << POS_BITS_MAX).fill(PROB_INIT);
  private readonly posSlot = new Uint16Array(4 << 6).fill(PROB_INIT);
  private readonly posDecoders = new Uint16Array(115).fill(PROB_INIT);
  private readonly align = new Uint16Array(16).fill(PROB_INIT);
  private readonly lenDec = new LenDecoder();
  private readonly repLenDec = new LenDecoder();

  constructor(private readonly sink: Sink) {}

  push(chunk: Buffer): void {
    this.dropped += this.inPos;
    this.input = this.inPos < this.input.length ? Buffer.concat([this.input.subarray(this.inPos), chunk]) : chunk;
    this.inPos = 0;
    this.run();
  }

  finish(): void {
    if (this.done) return;
    this.eof = true;
    this.run();
    if (!this.done) throw new CodecError('lzma data is truncated', this.dropped + this.inPos);
  }

  private where(): number {
    return this.dropped + this.inPos;
  }

  private byte(): number {
    if (this.inPos < this.input.length) return this.input[this.inPos++]!;
    this.overrun++;
    return 0;
  }

  private run(): void {
    if (!this.started) {
      if (this.input.length - this.inPos < 18) {
        if (this.eof) throw new CodecError('lzma header is truncated', 0);
        return;
      }
      this.readHeader();
    }
    while (!this.done) {
      if (!this.eof && this.input.length - this.inPos < PACKET_INPUT_MAX) break;
      this.packet();
      if (this.overrun) throw new CodecError('lzma data is truncated', this.where());
      if (this.wpos === this.window.length) this.flush();
    }
    this.flush();
    if (this.done) this.consumed = this.where();
  }

  private readHeader(): void {
    const h = this.input.subarray(this.inPos, this.inPos + 13);
    let d = h[0]!;
    if (d >= 9 * 5 * 5) throw new CodecError(`bad lzma properties byte ${d}`, 0);
    this.lc = d % 9;
    d = Math.floor(d / 9);
    this.lp = d % 5;
    this.pb = Math.floor(d / 5);
    this.dictSize = Math.max(h.readUInt32LE(1), 4096);
    const lo = h.readUInt32LE(5);
    const hi = h.readUInt32LE(9);
    this.unpackSize = lo === 0xffffffff && hi === 0xffffffff ? -1 : hi * 2 ** 32 + lo;
    if (this.dictSize > DICT_MAX) throw new CodecError(`lzma dictionary of ${this.dictSize} bytes exceeds the ${DICT_MAX}-byte limit`, 1);
    // The window grows with the output up to the dictionary size: a small archive with a
    // 64 MiB dictionary (xz -9) should not cost 64 MiB.
    this.windowMax = this.unpackSize >= 0 ? Math.max(4096, Math.min(this.dictSize, this.unpackSize)) : this.dictSize;
    this.window = Buffer.alloc(Math.min(this.windowMax, 1 << 20));
    this.literal = new Uint16Array(0x300 << (this.lc + this.lp)).fill(PROB_INIT);
    this.inPos += 13;
    if (this.byte() !== 0) throw new CodecError('lzma range coder does not start with 0', 13);
    this.code = ((this.byte() << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte()) >>> 0;
    if (this.code === this.range) throw new CodecError('bad lzma range coder start', 14);
    this.started = true;
    if (this.unpackSize === 0) this.done = true;
  }

  private flush(): void {
    if (this.wpos > this.flushed) this.sink(this.window.subarray(this.flushed, this.wpos));
    if (this.wpos === this.window.length && !this.full && this.window.length < this.windowMax) {
      const bigger = Buffer.alloc(Math.min(this.windowMax, this.window.length * 2));
      this.window.copy(bigger);
      this.window = bigger;
    } else if (this.wpos === this.window.length) {
      this.wpos = 0;
      this.full = true;
    }
    this.flushed = this.wpos;
  }

  private bit(probs: Uint16Array, i: number): number {
    const p = probs[i]!;
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probs[i] = p - (p >> 5);
      b = 1;
    }
    if (this.range < 0x1000000) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) | this.byte()) >>> 0;
    }
    return b;
  }

  private direct(n: number): number {
    let res = 0;
    for (; n > 0; n--) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      res = res * 2 + b;
      if (this.range < 0x1000000) {
        this.range = (this.range * 256) >>> 0;
        this.code = ((this.code * 256) | this.byte()) >>> 0;
      }
    }
    return res;
  }

  private tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(probs, base + m);
    return m - (1 << bits);
  }

  private reverse(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }

  private len(d: LenDecoder, posState: number): number {
    if (!this.bit(d.choice, 0)) return this.tree(d.low, posState << 3, 3);
    if (!this.bit(d.choice, 1)) return 8 + this.tree(d.mid, posState << 3, 3);
    return 16 + this.tree(d.high, 0, 8);
  }

  private back(dist: number): number {
    const i = this.wpos - dist - 1;
    return this.window[i < 0 ? i + this.window.length : i]!;
  }

  private put(b: number): void {
    if (this.wpos === this.window.length) this.flush();
    this.window[this.wpos++] = b;
    this.total++;
  }

  private hasHistory(dist: number): boolean {
    return dist < this.window.length && (this.full || dist < this.wpos) && dist < this.dictSize;
  }

  private packet(): void {
    if (this.unpackSize >= 0 && this.total >= this.unpackSize) {
      this.done = true;
      return;
    }
    const posState = this.total & ((1 << this.pb) - 1);
    const s = this.state;
    if (!this.bit(this.isMatch, (s << POS_BITS_MAX) + posState)) {
      const prev = this.total > 0 ? this.back(0) : 0;
      const litState = ((this.total & ((1 << this.lp) - 1)) << this.lc) + (prev >> (8 - this.lc));
      const base = 0x300 * litState;
      let sym = 1;
      if (s >= 7) {
        let matchByte = this.back(this.rep0);
        do {
          const mb = (matchByte >> 7) & 1;
          matchByte <<= 1;
          const b = this.bit(this.literal, base + ((1 + mb) << 8) + sym);
          sym = (sym << 1) | b;
          if (mb !== b) break;
        } while (sym < 0x100);
      }
      while (sym < 0x100) sym = (sym << 1) | this.bit(this.literal, base + sym);
      this.put(sym & 0xff);
      this.state = s < 4 ? 0 : s < 10 ? s - 3 : s - 6;
      return;
    }
    let len: number;
    if (this.bit(this.isRep, s)) {
      if (this.total === 0) throw new CodecError('lzma repeat before any data', this.where());
      if (!this.bit(this.isRepG0, s)) {
        if (!this.bit(this.isRep0Long, (s << POS_BITS_MAX) + posState)) {
          this.state = s < 7 ? 9 : 11;
          this.put(this.back(this.rep0));
          return;
        }
      } else {
        let dist: number;
        if (!this.bit(this.isRepG1, s)) dist = this.rep1;
        else {
          if (!this.bit(this.isRepG2, s)) dist = this.rep2;
          else {
            dist = this.rep3;
            this.rep3 = this.rep2;
          }
          this.rep2 = this.rep1;
        }
        this.rep1 = this.rep0;
        this.rep0 = dist;
      }
      len = this.len(this.repLenDec, posState);
      this.state = s < 7 ? 8 : 11;
    } else {
      this.rep3 = this.rep2;
      this.rep2 = this.rep1;
      this.rep1 = this.rep0;
      len = this.len(this.lenDec, posState);
      this.state = s < 7 ? 7 : 10;
      this.rep0 = this.distance(len);
      if (this.rep0 === 0xffffffff) {
        // End marker; the range coder must be left at zero.
        if (this.code !== 0) throw new CodecError('lzma end marker with the range coder not finished', this.where());
        if (this.unpackSize >= 0 && this.total !== this.unpackSize) throw new CodecError('lzma end marker before the declared size', this.where());
        this.done = true;
        return;
      }
      if (!this.hasHistory(this.rep0)) throw new CodecError(`lzma match distance ${this.rep0 + 1} points before the data`, this.where());
    }
    len += 2;
    if (this.unpackSize >= 0 && this.total + len > this.unpackSize) throw new CodecError('lzma data runs past the declared size', this.where());
    for (let i = 0; i < len; i++) this.put(this.back(this.rep0));
  }

  private distance(len: number): number {
    const lenState = Math.min(len, 3);
    const slot = this.tree(this.posSlot, lenState << 6, 6);
    if (slot < 4) return slot;
    const nDirect = (slot >> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** nDirect;
    if (slot < 14) return dist + this.reverse(this.posDecoders, dist - slot, nDirect);
    dist += this.direct(nDirect - 4) * 16;
    return dist + this.reverse(this.align, 0, 4);
  }
}
