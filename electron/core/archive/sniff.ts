import type { ByteSource } from '../image/byte-source';
import type { MemberDecoder, Sink } from './codec';
import { cpioFormatOf } from './cpio';
import { createDecoder } from './decompress';
import { LZ4_FRAME_MAGIC } from './lz4-frame';
import { LZ4_LEGACY_MAGIC, lz4LegacyPrefix } from './lz4-legacy';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'lzma' | 'lz4-legacy' | 'lz4' | 'zstd';

/**
 * The compressed stream starting at `head`, by its magic (more than the kernel's two bytes,
 * so random data is not taken for one). undefined: not a compressed stream we know.
 */
export function sniffCompression(head: Buffer): Compression | undefined {
  if (head.length < 4) return undefined;
  const b0 = head[0]!;
  const b1 = head[1]!;
  if (b0 === 0x1f && b1 === 0x8b && head[2] === 8) return 'gzip';
  if (b0 === 0x42 && b1 === 0x5a && head[2] === 0x68 && head[3]! >= 0x31 && head[3]! <= 0x39) return 'bzip2';
  if (head.length >= 6 && head.readUInt32BE(0) === 0xfd377a58 && head.readUInt16BE(4) === 0x5a00) return 'xz';
  const le = head.readUInt32LE(0);
  if (le === LZ4_LEGACY_MAGIC) return 'lz4-legacy';
  if (le === LZ4_FRAME_MAGIC) return 'lz4';
  if (le === 0xfd2fb528) return 'zstd';
  // .lzma has no magic: properties 0x5d (what every encoder writes), a dictionary whose low
  // byte is 0 (the kernel's test), and a size that is unknown or below 2^48.
  if (head.length >= 13 && b0 === 0x5d && b1 === 0 && head[2] === 0) {
    const hi = head.readUInt32LE(9);
    const unknown = hi === 0xffffffff && head.readUInt32LE(5) === 0xffffffff;
    if (unknown || hi < 0x10000) return 'lzma';
  }
  return undefined;
}

/** '070701' | '070702' | '070707' | binary 0x71C7 in either byte order. */
export function isCpioMagic(head: Buffer): boolean {
  return cpioFormatOf(head) !== undefined;
}

const ZERO_SCAN = 64 * 1024;
const ZERO_DETECT_MAX = 1 << 20;
/** Early (microcode) archives have a handful of entries; a big one is not walked to its end. */
const HEADER_WALK_MAX = 256;
const PROBE_INPUT_MAX = 4 * 1024 * 1024;

/** Offset of the first non-zero byte at or after `pos` (looking at most `limit` bytes), or undefined. */
export async function skipZeros(src: ByteSource, pos: number, limit = Infinity): Promise<number | undefined> {
  const stop = Math.min(src.size, pos + limit);
  while (pos < stop) {
    const b = await src.read(pos, ZERO_SCAN);
    if (b.length === 0) return undefined;
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    if (i < b.length) return pos + i;
    pos += b.length;
  }
  return undefined;
}

/**
 * Walks an uncompressed cpio archive by its headers alone (data is skipped), up to and
 * including `TRAILER!!!`. Returns the offset after it, or undefined when it ran off the end
 * or hit something that is not a header.
 */
async function walkHeaders(src: ByteSource, pos: number): Promise<number | undefined> {
  let window: Buffer = Buffer.alloc(0);
  let windowAt = 0;
  const read = async (at: number, n: number) => {
    if (at < windowAt || at + n > windowAt + window.length) {
      windowAt = at;
      window = await src.read(at, Math.max(n, 64 * 1024));
    }
    return window.subarray(at - windowAt, at - windowAt + n);
  };
  for (let n = 0; n < HEADER_WALK_MAX; n++) {
    const h = await read(pos, 110);
    const f = cpioFormatOf(h);
    if (!f) return undefined;
    let namesize: number;
    let size: number;
    let nameAt: number;
    let dataAt: number;
    if (f === 'newc' || f === 'crc') {
      if (h.length < 110) return undefined;
      namesize = parseInt(h.toString('latin1', 94, 102), 16);
      size = parseInt(h.toString('latin1', 54, 62), 16);
      nameAt = pos + 110;
      dataAt = nameAt + namesize + ((4 - ((110 + namesize) % 4)) % 4);
      size += (4 - (size % 4)) % 4;
    } else if (f === 'odc') {
      if (h.length < 76) return undefined;
      namesize = parseInt(h.toString('latin1', 59, 65), 8);
      size = parseInt(h.toString('latin1', 65, 76), 8);
      nameAt = pos + 76;
      dataAt = nameAt + namesize;
    } else {
      if (h.length < 26) return undefined;
      const le = h[0] === 0xc7;
      const w = (i: number) => (le ? h.readUInt16LE(i * 2) : h.readUInt16BE(i * 2));
      namesize = w(10);
      size = w(11) * 65536 + w(12);
      nameAt = pos + 26;
      dataAt = nameAt + namesize + (namesize & 1);
      size += size & 1;
    }
    if (!(namesize > 0 && namesize <= 4096) || !Number.isFinite(size)) return undefined;
    const name = await read(nameAt, namesize);
    pos = dataAt + size;
    if (pos > src.size) return undefined;
    if (name.toString('latin1', 0, namesize - 1) === 'TRAILER!!!') return pos;
  }
  return undefined;
}

/** Decodes the start of a compressed member: does it hold a cpio archive? */
async function probeCompressed(src: ByteSource, pos: number, c: Exclude<Compression, 'none'>): Promise<boolean> {
  if (c === 'lz4-legacy') return isCpioMagic(lz4LegacyPrefix(await src.read(pos, 64 * 1024)));
  let head = Buffer.alloc(0);
  const sink: Sink = (out) => {
    if (head.length < 6) head = Buffer.concat([head, out.subarray(0, 6 - head.length)]);
  };
  let dec: MemberDecoder | undefined;
  try {
    dec = createDecoder(c, sink);
    for (let at = pos; at < src.size && at - pos < PROBE_INPUT_MAX && head.length < 6 && !dec.done; ) {
      const chunk = await src.read(at, at - pos < 65536 ? 65536 : 1 << 20);
      if (chunk.length === 0) break;
      await dec.push(chunk);
      at += chunk.length;
    }
    if (head.length < 6 && !dec.done) await dec.finish();
  } catch {
    // Corrupt or cut short: it is still the best guess when its first bytes were cpio.
  } finally {
    dec?.dispose?.();
  }
  return isCpioMagic(head);
}

/**
 * Cheap: reads only headers of uncompressed segments and the first bytes of compressed ones.
 * e.g. 'cpio+gzip', 'cpio,cpio+gzip'. undefined when the source is not an archive we open.
 * Stops after the first compressed segment, whose end is only known by decoding it all.
 */
export async function detectArchive(src: ByteSource): Promise<string | undefined> {
  const parts: string[] = [];
  let pos: number | undefined = 0;
  for (;;) {
    // Initrds pad with a few KiB at most; a disk image of zeros is not walked to its end.
    pos = await skipZeros(src, pos, ZERO_DETECT_MAX);
    if (pos === undefined) break;
    const head = await src.read(pos, 16);
    if (isCpioMagic(head)) {
      parts.push('cpio');
      pos = await walkHeaders(src, pos);
      if (pos === undefined) break;
      continue;
    }
    const c = sniffCompression(head);
    if (c && c !== 'none' && (await probeCompressed(src, pos, c))) parts.push(`cpio+${c}`);
    break;
  }
  return parts.length ? parts.join(',') : undefined;
}
