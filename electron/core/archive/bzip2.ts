import { CodecError, type MemberDecoder, type Sink } from './codec';

/*
 * A streaming bzip2 decoder in plain TypeScript. The npm choices were slower (pure-JS
 * unbzip2-stream 11 MB/s, seek-bzip 15 MB/s) or whole-buffer only with the output size
 * known in advance (@foxglove/wasm-bz2), and none reports where a stream ends, which the
 * initramfs walker needs. One member = one bzip2 stream, as the kernel reads it.
 */

const NEED_MORE = Symbol('need more input');
const MAX_GROUPS = 6;
const MAX_ALPHA = 258;
const MAX_CODE_LEN = 20;
const MAX_SELECTORS = 18002;
/** Huffman codes up to this many bits decode with one table lookup. */
const LOOKUP_BITS = 10;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

/** Canonical Huffman tables for one group: a fast lookup plus libbzip2's limit/base/perm. */
class HuffmanGroup {
  readonly lookup = new Int32Array(1 << LOOKUP_BITS);
  readonly limit = new Int32Array(MAX_CODE_LEN + 2);
  readonly base = new Int32Array(MAX_CODE_LEN + 2);
  readonly perm = new Int32Array(MAX_ALPHA);
  minLen = 0;
  maxLen = 0;

  build(lengths: Uint8Array, alphaSize: number): void {
    let minLen = 32;
    let maxLen = 0;
    for (let i = 0; i < alphaSize; i++) {
      const l = lengths[i]!;
      if (l > maxLen) maxLen = l;
      if (l < minLen) minLen = l;
    }
    this.minLen = minLen;
    this.maxLen = maxLen;
    let pp = 0;
    for (let len = minLen; len <= maxLen; len++) {
      for (let s = 0; s < alphaSize; s++) if (lengths[s] === len) this.perm[pp++] = s;
    }
    const count = new Int32Array(MAX_CODE_LEN + 2);
    for (let s = 0; s < alphaSize; s++) count[lengths[s]! + 1]!++;
    const base = this.base;
    const limit = this.limit;
    base.fill(0);
    for (let i = 1; i < base.length; i++) base[i] = base[i - 1]! + count[i]!;
    limit.fill(0);
    let vec = 0;
    for (let i = minLen; i <= maxLen; i++) {
      vec += base[i + 1]! - base[i]!;
      limit[i] = vec - 1;
      vec <<= 1;
    }
    for (let i = minLen + 1; i <= maxLen; i++) base[i] = ((limit[i - 1]! + 1) << 1) - base[i]!;
    // Lookup entries: symbol << 5 | length, or -1 when the code is longer than the table.
    const lookup = this.lookup;
    lookup.fill(-1);
    let code = 0;
    for (let len = minLen; len <= Math.min(maxLen, LOOKUP_BITS); len++) {
      for (let s = 0; s < alphaSize; s++) {
        if (lengths[s] !== len) continue;
        const first = code << (LOOKUP_BITS - len);
        const n = 1 << (LOOKUP_BITS - len);
        for (let k = 0; k < n; k++) lookup[first + k] = (s << 5) | len;
        code++;
      }
      code <<= 1;
    }
  }
}

export class Bzip2Decoder implements MemberDecoder {
  private buf: Buffer = Buffer.alloc(0);
  /** Bit position in `buf` of the next unread bit. */
  private bitPos = 0;
  /** Source bytes dropped from the front of `buf` so far. */
  private dropped = 0;
  private level = 0;
  private combinedCrc = 0;
  private state: 'header' | 'blocks' | 'done' = 'header';
  private eof = false;
  consumed = 0;

  private tt: Uint32Array | undefined;
  private readonly out = Buffer.allocUnsafe(1 << 20);
  private readonly groups = Array.from({ length: MAX_GROUPS }, () => new HuffmanGroup());
  private readonly selectors = new Uint8Array(MAX_SELECTORS);
  private readonly lengths = new Uint8Array(MAX_ALPHA);

  /** The current block's output, until its CRC is checked. */
  private held: Buffer[] = [];
  private blocks = 0;

  constructor(private readonly sink: Sink) {}

  get done(): boolean {
    return this.state === 'done';
  }

  push(chunk: Buffer): void {
    const keep = this.bitPos >> 3;
    this.dropped += keep;
    this.buf = keep < this.buf.length ? Buffer.concat([this.buf.subarray(keep), chunk]) : Buffer.from(chunk);
    this.bitPos &= 7;
    this.run();
  }

  finish(): void {
    if (this.state === 'done') return;
    this.eof = true;
    this.run();
    if (!this.done) throw new CodecError('bzip2 stream is truncated (no end-of-stream marker)', this.dropped + (this.bitPos >> 3));
  }

  private run(): void {
    for (;;) {
      if (this.state === 'header') {
        if (this.buf.length < 4) {
          if (this.eof) throw new CodecError('bzip2 stream is truncated in its header', 0);
          return;
        }
        const b = this.buf;
        if (b[0] !== 0x42 || b[1] !== 0x5a || b[2] !== 0x68 || b[3]! < 0x31 || b[3]! > 0x39) {
          throw new CodecError(`bad bzip2 header ${b.subarray(0, 4).toString('hex')}, expected 'BZh1'…'BZh9'`, 0);
        }
        this.level = b[3]! - 0x30;
        this.bitPos = 32;
        this.state = 'blocks';
      }
      const available = this.buf.length * 8 - this.bitPos;
      // A block rarely compresses to more than its size; wait for that much unless at the end.
      if (!this.eof && available < (this.level * 100_000 * 1.25 + 4096) * 8) return;
      const start = this.bitPos;
      try {
        if (this.step()) return;
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        this.bitPos = start;
        if (this.eof) throw new CodecError('bzip2 stream is truncated inside a block', this.dropped + (start >> 3));
        return;
      }
    }
  }

  private bits(n: number): number {
    let v = 0;
    const b = this.buf;
    for (let i = 0; i < n; i++) {
      const p = this.bitPos;
      if (p >> 3 >= b.length) throw NEED_MORE;
      v = (v << 1) | ((b[p >> 3]! >> (7 - (p & 7))) & 1);
      this.bitPos = p + 1;
    }
    return v >>> 0;
  }

  /** Decodes one block or the end of the stream. Returns true when the stream ended. */
  private step(): boolean {
    const magicHi = this.bits(24);
    const magicLo = this.bits(24);
    if (magicHi === 0x177245 && magicLo === 0x385090) {
      const crc = this.bits(32);
      if (crc !== this.combinedCrc >>> 0) {
        throw new CodecError(`bzip2 stream CRC mismatch: stored ${crc.toString(16)}, computed ${(this.combinedCrc >>> 0).toString(16)}`, this.dropped + (this.bitPos >> 3));
      }
      this.bitPos = (this.bitPos + 7) & ~7;
      this.consumed = this.dropped + (this.bitPos >> 3);
      this.state = 'done';
      return true;
    }
    if (magicHi !== 0x314159 || magicLo !== 0x265359) {
      throw new CodecError(`bad bzip2 block magic ${magicHi.toString(16)}${magicLo.toString(16)}, expected 314159265359`, this.dropped + (this.bitPos >> 3));
    }
    const blockCrc = this.bits(32);
    const blockAt = this.dropped + (this.bitPos >> 3) - 10;
    const crc = this.decodeBlock();
    // The block's bytes go on only once its CRC matched: corrupt data is never passed as good.
    const held = this.held;
    this.held = [];
    if (crc !== blockCrc) {
      throw new CodecError(`bzip2 block ${this.blocks + 1} (at input offset ${blockAt}) CRC mismatch: stored ${blockCrc.toString(16)}, computed ${crc.toString(16)}: the data is corrupt`, blockAt);
    }
    this.blocks++;
    for (const b of held) this.sink(b, true);
    this.combinedCrc = ((this.combinedCrc << 1) | (this.combinedCrc >>> 31)) ^ blockCrc;
    return false;
  }

  private decodeBlock(): number {
    const at = () => this.dropped + (this.bitPos >> 3);
    if (this.bits(1)) throw new CodecError('randomised bzip2 blocks (bzip2 before 0.9.5) are not supported', at());
    const origPtr = this.bits(24);
    const inUse16 = this.bits(16);
    const seqToUnseq = new Uint8Array(256);
    let nInUse = 0;
    for (let i = 0; i < 16; i++) {
      if (!(inUse16 & (0x8000 >> i))) continue;
      const w = this.bits(16);
      for (let j = 0; j < 16; j++) if (w & (0x8000 >> j)) seqToUnseq[nInUse++] = i * 16 + j;
    }
    if (nInUse === 0) throw new CodecError('bzip2 block uses no symbols', at());
    const alphaSize = nInUse + 2;
    const nGroups = this.bits(3);
    if (nGroups < 2 || nGroups > MAX_GROUPS) throw new CodecError(`bzip2 block has ${nGroups} Huffman groups, expected 2…6`, at());
    const nSelectorsRaw = this.bits(15);
    if (nSelectorsRaw < 1) throw new CodecError('bzip2 block has no selectors', at());
    const nSelectors = Math.min(nSelectorsRaw, MAX_SELECTORS);
    const mtfGroups = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < nSelectorsRaw; i++) {
      let j = 0;
      while (this.bits(1)) {
        if (++j >= nGroups) throw new CodecError('bad bzip2 selector', at());
      }
      if (i < nSelectors) {
        const v = mtfGroups[j]!;
        for (; j > 0; j--) mtfGroups[j] = mtfGroups[j - 1]!;
        mtfGroups[0] = v;
        this.selectors[i] = v;
      }
    }
    const lengths = this.lengths;
    for (let t = 0; t < nGroups; t++) {
      let curr = this.bits(5);
      for (let i = 0; i < alphaSize; i++) {
        for (;;) {
          if (curr < 1 || curr > MAX_CODE_LEN) throw new CodecError('bad bzip2 code length', at());
          if (!this.bits(1)) break;
          curr += this.bits(1) ? -1 : 1;
        }
        lengths[i] = curr;
      }
      this.groups[t]!.build(lengths, alphaSize);
    }

    const blockMax = this.level * 100_000;
    const tt = (this.tt ??= new Uint32Array(900_000));
    const unzftab = new Int32Array(256);
    const yy = new Uint8Array(256);
    for (let i = 0; i < 256; i++) yy[i] = i;
    const EOB = nInUse + 1;
    const buf = this.buf;
    const bufLen = buf.length;
    const eof = this.eof;
    // The hot loop keeps the bit reader in locals: up to 32 bits in `bitBuf`, `bitCount` valid.
    let bytePos = this.bitPos >> 3;
    let bitCount = 0;
    let bitBuf = 0;
    {
      const skip = this.bitPos & 7;
      if (skip) {
        bitBuf = buf[bytePos++]! & (0xff >> skip);
        bitCount = 8 - skip;
      }
    }
    let nblock = 0;
    let groupPos = 0;
    let selIdx = -1;
    let g = this.groups[0]!;
    let runLen = 0;
    let runWeight = 1;
    for (;;) {
      if (groupPos === 0) {
        if (++selIdx >= nSelectors) throw new CodecError('bzip2 block runs past its selectors', at());
        g = this.groups[this.selectors[selIdx]!]!;
        groupPos = 50;
      }
      groupPos--;
      while (bitCount <= 24) {
        if (bytePos < bufLen) bitBuf = (bitBuf << 8) | buf[bytePos++]!;
        else {
          // A complete stream always has its 80-bit end marker after the last code.
          if (!eof) throw NEED_MORE;
          throw new CodecError('bzip2 stream is truncated inside a block', this.dropped + bufLen);
        }
        bitCount += 8;
      }
      let sym: number;
      const e = g.lookup[(bitBuf >>> (bitCount - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)]!;
      if (e >= 0) {
        bitCount -= e & 31;
        sym = e >> 5;
      } else {
        let zn = LOOKUP_BITS + 1;
        let zvec = (bitBuf >>> (bitCount - zn)) & ((1 << zn) - 1);
        while (zn <= g.maxLen && zvec > g.limit[zn]!) {
          zn++;
          zvec = (bitBuf >>> (bitCount - zn)) & ((1 << zn) - 1);
        }
        if (zn > g.maxLen) throw new CodecError('bad bzip2 Huffman code', at());
        bitCount -= zn;
        const idx = zvec - g.base[zn]!;
        if (idx < 0 || idx >= MAX_ALPHA) throw new CodecError('bad bzip2 Huffman code', at());
        sym = g.perm[idx]!;
      }
      if (sym <= 1) {
        runLen += runWeight << sym;
        runWeight <<= 1;
        if (runLen > blockMax) throw new CodecError('bzip2 run exceeds the block size', at());
        continue;
      }
      if (runLen > 0) {
        if (nblock + runLen > blockMax) throw new CodecError('bzip2 block exceeds its declared size', at());
        const uc = seqToUnseq[yy[0]!]!;
        unzftab[uc]! += runLen;
        tt.fill(uc, nblock, nblock + runLen);
        nblock += runLen;
        runLen = 0;
        runWeight = 1;
      }
      if (sym === EOB) break;
      if (nblock >= blockMax) throw new CodecError('bzip2 block exceeds its declared size', at());
      let nn = sym - 1;
      const v = yy[nn]!;
      if (nn < 16) {
        for (; nn > 0; nn--) yy[nn] = yy[nn - 1]!;
      } else yy.copyWithin(1, 0, nn);
      yy[0] = v;
      const uc = seqToUnseq[v]!;
      unzftab[uc]!++;
      tt[nblock++] = uc;
    }
    this.bitPos = bytePos * 8 - bitCount;
    if (origPtr >= nblock) throw new CodecError(`bzip2 block origin ${origPtr} is outside the block (${nblock} bytes)`, at());

    // Inverse BWT: the low byte of tt[i] is the symbol, the high 24 bits the successor.
    const cftab = new Int32Array(257);
    for (let i = 0; i < 256; i++) cftab[i + 1] = cftab[i]! + unzftab[i]!;
    for (let i = 0; i < nblock; i++) {
      const uc = tt[i]! & 0xff;
      const dst = cftab[uc]!;
      cftab[uc] = dst + 1;
      tt[dst] = tt[dst]! | (i << 8);
    }
    return this.emit(tt, nblock, tt[origPtr]! >>> 8);
  }

  /** Walks the BWT chain, undoes the initial run-length encoding and checks the block CRC. */
  private emit(tt: Uint32Array, nblock: number, tPos: number): number {
    const out = this.out;
    const cap = out.length - 256;
    const table = CRC_TABLE;
    let o = 0;
    let crc = -1;
    let last = -1;
    let same = 0;
    for (let k = 0; k < nblock; k++) {
      const entry = tt[tPos]!;
      const ch = entry & 0xff;
      tPos = entry >>> 8;
      if (same === 4) {
        for (let r = 0; r < ch; r++) {
          out[o++] = last;
          crc = (crc << 8) ^ table[((crc >>> 24) ^ last) & 0xff]!;
        }
        same = 0;
        last = -1;
      } else {
        if (ch === last) same++;
        else {
          same = 1;
          last = ch;
        }
        out[o++] = ch;
        crc = (crc << 8) ^ table[((crc >>> 24) ^ ch) & 0xff]!;
      }
      if (o >= cap) {
        this.held.push(Buffer.from(out.subarray(0, o)));
        o = 0;
      }
    }
    if (o > 0) this.held.push(Buffer.from(out.subarray(0, o)));
    return ~crc >>> 0;
  }
}
