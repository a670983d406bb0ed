// System Use Sharing Protocol (IEEE P1281, SUSP 1.12): the entries in a directory record's
// system use area and in the continuation areas that CE entries chain to.
import { badIso, hex } from './bad-iso';

/** Two-letter signature as a number, so entry dispatch is an integer switch. */
export const sig = (s: string): number => (s.charCodeAt(0) << 8) | s.charCodeAt(1);

export const SIG_CE = sig('CE');
export const SIG_ST = sig('ST');
export const SIG_PD = sig('PD');
export const SIG_SP = sig('SP');
export const SIG_ER = sig('ER');

/** Linux's RR_MAX_CE_ENTRIES: longer chains only come from corrupt or hostile images. */
export const MAX_CE_HOPS = 32;

export interface Continuation {
  lba: number;
  offset: number;
  length: number;
  /** Image offset of the CE entry, for messages. */
  at: number;
}

export interface SuspVisitor {
  /** `at` is the entry's offset in `buf`, `abs` the same in the image; the area ends at `areaEnd`. */
  entry(signature: number, buf: Buffer, at: number, len: number, abs: number, areaEnd: number): void;
}

const isLetter = (c: number) => c >= 0x41 && c <= 0x5a;

/**
 * Visits the entries of one system use (or continuation) area, `buf[start, end)` with
 * `buf[0]` at image offset `base`. Returns the area's CE, which the caller follows.
 */
export function walkSusp(desc: string, buf: Buffer, start: number, end: number, base: number, v: SuspVisitor): Continuation | undefined {
  let ce: Continuation | undefined;
  let pos = start;
  while (end - pos >= 4) {
    const a = buf[pos]!;
    const b = buf[pos + 1]!;
    // Zero padding and stray bytes (an odd pad byte, CD-XA leftovers) end the area quietly,
    // as they do for Linux and libarchive; a well-formed signature with a bad length does not.
    if (!isLetter(a) || !isLetter(b)) break;
    const len = buf[pos + 2]!;
    const s = (a << 8) | b;
    if (len < 4 || pos + len > end) {
      throw badIso(desc, `SUSP entry "${String.fromCharCode(a, b)}" at offset ${hex(base + pos)} has length ${len}, ${len < 4 ? 'less than its 4-byte header' : `past the end of its system use area at ${hex(base + end)}`}`);
    }
    if (s === SIG_ST) break;
    if (s === SIG_CE) {
      if (len < 28) throw badIso(desc, `SUSP CE entry at offset ${hex(base + pos)} has length ${len}, expected 28`);
      ce = { lba: buf.readUInt32LE(pos + 4), offset: buf.readUInt32LE(pos + 12), length: buf.readUInt32LE(pos + 20), at: base + pos };
    } else if (s !== SIG_PD) {
      v.entry(s, buf, pos, len, base + pos, end);
    }
    pos += len;
  }
  return ce;
}

export interface ContinuationReader {
  desc: string;
  blockSize: number;
  imageSize: number;
  /** One logical block; cached by the caller because records share CE blocks. */
  readBlock(lba: number): Promise<Buffer>;
}

/** Follows a CE chain to its end, visiting every entry, within MAX_CE_HOPS and without loops. */
export async function followContinuations(r: ContinuationReader, first: Continuation, v: SuspVisitor): Promise<void> {
  const seen = new Set<number>();
  let ce: Continuation | undefined = first;
  for (let hops = 0; ce; hops++) {
    if (hops >= MAX_CE_HOPS) {
      throw badIso(r.desc, `SUSP continuation chain through the CE entry at offset ${hex(ce.at)} is longer than ${MAX_CE_HOPS} areas`);
    }
    const abs = ce.lba * r.blockSize + ce.offset;
    // Linux refuses areas that span blocks; every writer we know keeps them inside one.
    if (ce.offset + ce.length > r.blockSize || abs + ce.length > r.imageSize) {
      throw badIso(r.desc, `SUSP CE entry at offset ${hex(ce.at)} points to ${ce.length} bytes at block ${ce.lba} offset ${ce.offset}, ${ce.offset + ce.length > r.blockSize ? `beyond its ${r.blockSize}-byte block` : `past the image end at ${hex(r.imageSize)}`}`);
    }
    if (seen.has(abs)) throw badIso(r.desc, `SUSP CE entry at offset ${hex(ce.at)} loops back to the continuation area at ${hex(abs)}`);
    seen.add(abs);
    const block = await r.readBlock(ce.lba);
    if (block.length < ce.offset + ce.length) {
      throw badIso(r.desc, `SUSP continuation area at offset ${hex(abs)} is cut short by the end of the image`);
    }
    ce = walkSusp(r.desc, block, ce.offset, ce.offset + ce.length, ce.lba * r.blockSize, v);
  }
}
