const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
const round = (acc: number, v: number) => Math.imul(rotl((acc + Math.imul(v, P2)) | 0, 13), P1);

/** XXH32, which LZ4 frames use for their header, block and content checksums. */
export function xxhash32(b: Uint8Array, seed = 0): number {
  const len = b.length;
  const u32 = (i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (; i + 16 <= len; i += 16) {
      v1 = round(v1, u32(i));
      v2 = round(v2, u32(i + 4));
      v3 = round(v3, u32(i + 8));
      v4 = round(v4, u32(i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else h = (seed + P5) | 0;
  h = (h + len) | 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(u32(i), P3)) | 0, 17), P4);
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) | 0, 11), P1);
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * XXH32 over data that comes in pieces (an LZ4 frame's content checksum covers all of its
 * output): the same result as xxhash32 of the concatenation.
 */
export class Xxh32 {
  private v1: number;
  private v2: number;
  private v3: number;
  private v4: number;
  private total = 0;
  private readonly tail = new Uint8Array(16);
  private tailLen = 0;

  constructor(private readonly seed = 0) {
    this.v1 = (seed + P1 + P2) | 0;
    this.v2 = (seed + P2) | 0;
    this.v3 = seed | 0;
    this.v4 = (seed - P1) | 0;
  }

  private stripe(b: Uint8Array, i: number): void {
    const u32 = (j: number) => b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16) | (b[j + 3]! << 24);
    this.v1 = round(this.v1, u32(i));
    this.v2 = round(this.v2, u32(i + 4));
    this.v3 = round(this.v3, u32(i + 8));
    this.v4 = round(this.v4, u32(i + 12));
  }

  update(b: Uint8Array): void {
    this.total += b.length;
    let i = 0;
    if (this.tailLen) {
      const take = Math.min(16 - this.tailLen, b.length);
      this.tail.set(b.subarray(0, take), this.tailLen);
      this.tailLen += take;
      i = take;
      if (this.tailLen < 16) return;
      this.stripe(this.tail, 0);
      this.tailLen = 0;
    }
    for (; i + 16 <= b.length; i += 16) this.stripe(b, i);
    if (i < b.length) {
      this.tail.set(b.subarray(i), 0);
      this.tailLen = b.length - i;
    }
  }

  digest(): number {
    let h = this.total >= 16 ? (rotl(this.v1, 1) + rotl(this.v2, 7) + rotl(this.v3, 12) + rotl(this.v4, 18)) | 0 : (this.seed + P5) | 0;
    // XXH32 adds the length modulo 2^32.
    h = (h + (this.total >>> 0)) | 0;
    const b = this.tail;
    const len = this.tailLen;
    const u32 = (j: number) => b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16) | (b[j + 3]! << 24);
    let i = 0;
    for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(u32(i), P3)) | 0, 17), P4);
    for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) | 0, 11), P1);
    h = Math.imul(h ^ (h >>> 15), P2);
    h = Math.imul(h ^ (h >>> 13), P3);
    return (h ^ (h >>> 16)) >>> 0;
  }
}
