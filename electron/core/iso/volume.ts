// The volume descriptor set (ECMA-119 §8): 2048-byte descriptors from sector 16 up to the
// set terminator. We keep the PVD, the first Joliet SVD and the El Torito boot record.
import type { ByteSource } from '../image/byte-source';
import { badIso, hex } from './bad-iso';
import { longDate } from './dates';
import { decodeUcs2, isJolietEscape } from './joliet';

export const SECTOR = 2048;
export const DESCRIPTORS_AT = 16 * SECTOR;
/** Real images have 3–6 descriptors; past this many we stop looking for the terminator. */
export const MAX_DESCRIPTORS = 64;

const TYPE_BOOT = 0;
const TYPE_PRIMARY = 1;
const TYPE_SUPPLEMENTARY = 2;
const TYPE_TERMINATOR = 255;

/** Where a tree starts: the root directory record of a PVD or SVD. */
export interface RootRecord {
  /** Byte offset of the directory's data (extent start plus any XAR). */
  dataOffset: number;
  size: number;
  /** Where the 34-byte record sits, for error messages. */
  recordOffset: number;
}

export interface Descriptor {
  offset: number;
  systemId: string;
  volumeId: string;
  volumeSetId: string;
  publisherId: string;
  preparerId: string;
  applicationId: string;
  volumeBlocks: number;
  blockSize: number;
  created?: number;
  modified?: number;
  root: RootRecord;
}

export interface VolumeSet {
  primary: Descriptor;
  joliet?: Descriptor;
  /** A Joliet SVD that is there but broken: fatal only if its tree is the one read. */
  jolietError?: unknown;
  /** LBA (2048-byte sectors) of the El Torito boot catalog, from the boot record at bootRecordAt. */
  bootCatalogLba?: number;
  bootRecordAt?: number;
}

export function hasCd001(buf: Buffer, off: number): boolean {
  return off + 6 <= buf.length && buf.toString('latin1', off + 1, off + 6) === 'CD001';
}

const ascii = (b: Buffer, off: number, len: number) => b.toString('latin1', off, off + len).replace(/[\s\0]+$/, '');
const ucs2 = (b: Buffer, off: number, len: number) => decodeUcs2(b, off, len).replace(/[\s\0]+$/, '');

function parseDescriptor(desc: string, b: Buffer, off: number, abs: number, joliet: boolean, imageSize: number): Descriptor {
  const text = joliet ? ucs2 : ascii;
  const blockSize = b.readUInt16LE(off + 128);
  // ECMA-119 allows 512, 1024 and 2048 (a power of two ≤ the sector size).
  if (blockSize !== 512 && blockSize !== 1024 && blockSize !== 2048) {
    throw badIso(desc, `volume descriptor at offset ${hex(abs)} has logical block size ${blockSize} at ${hex(abs + 128)}, expected 2048 (or 512/1024)`);
  }
  const volumeBlocks = b.readUInt32LE(off + 80);
  const r = off + 156;
  const recordOffset = abs + 156;
  const lenDr = b[r]!;
  const lenFi = b[r + 32]!;
  if (lenDr < 34 || (b[r + 25]! & 0x02) === 0 || lenFi !== 1) {
    throw badIso(desc, `root directory record at offset ${hex(recordOffset)} is malformed (length ${lenDr}, flags ${hex(b[r + 25]!)}, identifier length ${lenFi}); expected a 34-byte directory record`);
  }
  const lba = b.readUInt32LE(r + 2);
  const size = b.readUInt32LE(r + 10);
  const dataOffset = (lba + b[r + 1]!) * blockSize;
  if (dataOffset + size > imageSize) {
    throw badIso(desc, `root directory (record at offset ${hex(recordOffset)}) spans ${hex(dataOffset)}–${hex(dataOffset + size)}, past the image end at ${hex(imageSize)}`);
  }
  return {
    offset: abs,
    systemId: text(b, off + 8, 32),
    volumeId: text(b, off + 40, 32),
    volumeSetId: text(b, off + 190, 128),
    publisherId: text(b, off + 318, 128),
    preparerId: text(b, off + 446, 128),
    applicationId: text(b, off + 574, 128),
    volumeBlocks,
    blockSize,
    created: longDate(b, off + 813),
    modified: longDate(b, off + 830),
    root: { dataOffset, size, recordOffset },
  };
}

/**
 * The system area and the descriptor set up to its terminator, read a few sectors at a time
 * so that a small image's first directories and files are not read along with it.
 */
export async function readHead(src: ByteSource): Promise<Buffer> {
  const STEP = 4 * SECTOR;
  let head = await src.read(0, DESCRIPTORS_AT + STEP);
  for (;;) {
    const count = Math.floor((head.length - DESCRIPTORS_AT) / SECTOR);
    for (let i = 0; i < count; i++) {
      const off = DESCRIPTORS_AT + i * SECTOR;
      if (!hasCd001(head, off) || head[off] === TYPE_TERMINATOR) return head;
    }
    if (count < 0 || count >= MAX_DESCRIPTORS || head.length % SECTOR !== 0) return head;
    const more = await src.read(head.length, STEP);
    if (more.length === 0) return head;
    head = Buffer.concat([head, more]);
  }
}

/** Parses the descriptors in `buf`, which holds the image from byte DESCRIPTORS_AT on. */
export function parseVolumeSet(desc: string, buf: Buffer, imageSize: number): VolumeSet {
  let primary: Descriptor | undefined;
  let joliet: Descriptor | undefined;
  let jolietError: unknown;
  let bootCatalogLba: number | undefined;
  let bootRecordAt: number | undefined;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const off = i * SECTOR;
    const abs = DESCRIPTORS_AT + off;
    // A truncated set, or one without terminator, is usable once the PVD is in hand.
    if (off + SECTOR > buf.length || !hasCd001(buf, off)) break;
    const type = buf[off]!;
    if (type === TYPE_TERMINATOR) break;
    if (type === TYPE_PRIMARY && !primary) {
      primary = parseDescriptor(desc, buf, off, abs, false, imageSize);
    } else if (type === TYPE_SUPPLEMENTARY && !joliet && !jolietError && buf[off + 6] === 1 && isJolietEscape(buf, off + 88)) {
      try {
        joliet = parseDescriptor(desc, buf, off, abs, true, imageSize);
      } catch (err) {
        jolietError = err;
      }
    } else if (type === TYPE_BOOT && bootCatalogLba === undefined && buf.toString('latin1', off + 7, off + 30) === 'EL TORITO SPECIFICATION') {
      bootCatalogLba = buf.readUInt32LE(off + 71);
      bootRecordAt = abs;
    }
  }
  if (!primary) {
    throw badIso(desc, `no primary volume descriptor (type 1) in the descriptor set starting at offset ${hex(DESCRIPTORS_AT)}`);
  }
  return { primary, joliet, jolietError, bootCatalogLba, bootRecordAt };
}
