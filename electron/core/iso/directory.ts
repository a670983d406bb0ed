// Directory records (ECMA-119 §9.1) and the way they fill a directory's extent (§6.8.1.1):
// records never cross a 2048-byte sector, a zero length byte ends the sector, not the directory.
import { badIso, hex } from './bad-iso';
import { SECTOR } from './volume';

export const MIN_RECORD = 34;

export const FLAG_HIDDEN = 0x01;
export const FLAG_DIRECTORY = 0x02;
export const FLAG_ASSOCIATED = 0x04;
export const FLAG_MULTI_EXTENT = 0x80;

/**
 * One record, as offsets into the directory buffer. walkRecords reuses a single instance,
 * so a visitor copies what it keeps.
 */
export interface DirRecord {
  /** Offset of the record in the buffer, and in the image. */
  at: number;
  abs: number;
  length: number;
  xarBlocks: number;
  lba: number;
  dataLength: number;
  flags: number;
  /** Non-zero for interleaved files. */
  unitSize: number;
  gapSize: number;
  idAt: number;
  idLen: number;
  /** System use area [suAt, suEnd) in the buffer. */
  suAt: number;
  suEnd: number;
}

/** Calls `visit` for every record in `buf`, the directory's data found at image offset `abs`. */
export function walkRecords(desc: string, buf: Buffer, abs: number, visit: (r: DirRecord) => void): void {
  const r: DirRecord = { at: 0, abs: 0, length: 0, xarBlocks: 0, lba: 0, dataLength: 0, flags: 0, unitSize: 0, gapSize: 0, idAt: 0, idLen: 0, suAt: 0, suEnd: 0 };
  const size = buf.length;
  let pos = 0;
  while (pos < size) {
    const sectorEnd = Math.min(size, (Math.floor((abs + pos) / SECTOR) + 1) * SECTOR - abs);
    const len = buf[pos]!;
    if (len === 0) {
      pos = sectorEnd;
      continue;
    }
    const at = abs + pos;
    if (len < MIN_RECORD) {
      throw badIso(desc, `directory record at offset ${hex(at)} has length ${len}, less than the ${MIN_RECORD}-byte minimum`);
    }
    if (pos + len > sectorEnd) {
      throw badIso(desc, `directory record at offset ${hex(at)} has length ${len} and would cross the sector end at ${hex(abs + sectorEnd)}`);
    }
    const idLen = buf[pos + 32]!;
    if (idLen === 0 || 33 + idLen > len) {
      throw badIso(desc, `directory record at offset ${hex(at)} has identifier length ${idLen}, which does not fit its record length ${len}`);
    }
    r.at = pos;
    r.abs = at;
    r.length = len;
    r.xarBlocks = buf[pos + 1]!;
    r.lba = buf.readUInt32LE(pos + 2);
    r.dataLength = buf.readUInt32LE(pos + 10);
    r.flags = buf[pos + 25]!;
    r.unitSize = buf[pos + 26]!;
    r.gapSize = buf[pos + 27]!;
    r.idAt = pos + 33;
    r.idLen = idLen;
    r.suAt = pos + 33 + idLen + (idLen & 1 ? 0 : 1);
    r.suEnd = pos + len;
    visit(r);
    pos += len;
  }
}

/** `.` and `..` are the one-byte identifiers 0x00 and 0x01, in Joliet trees too. */
export function isSelfOrParent(buf: Buffer, r: DirRecord): boolean {
  return r.idLen === 1 && buf[r.idAt]! <= 1;
}

/** ISO 9660 name without `;version` and the `.` that an empty extension leaves. Case is kept. */
export function isoName(buf: Buffer, r: DirRecord): string {
  let end = r.idAt + r.idLen;
  if (!(r.flags & FLAG_DIRECTORY)) {
    for (let i = end - 1; i > r.idAt; i--) {
      const c = buf[i]!;
      if (c === 0x3b) {
        end = i;
        break;
      }
      if (c < 0x30 || c > 0x39) break;
    }
    if (end - r.idAt > 1 && buf[end - 1] === 0x2e) end--;
  }
  return buf.toString('latin1', r.idAt, end);
}
