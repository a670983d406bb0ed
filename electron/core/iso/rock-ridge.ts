// Rock Ridge (IEEE P1282, RRIP 1.12 §4.1): POSIX metadata carried as SUSP entries. One
// RockRidge collects the entries of one directory record, across its CE continuation areas.
import type { EntryType } from '../image/entry';
import { badIso, hex } from './bad-iso';
import { longDate, shortDate } from './dates';
import { SIG_ER, SIG_SP, sig, type SuspVisitor } from './susp';

const PX = sig('PX');
const PN = sig('PN');
const SL = sig('SL');
const NM = sig('NM');
const CL = sig('CL');
const PL = sig('PL');
const RE = sig('RE');
const TF = sig('TF');
const SF = sig('SF');
const RR = sig('RR');

/** ER identifiers of RRIP 1.09/1.10, the 1.12 draft and 1.12. */
export const RRIP_IDS = ['RRIP_1991A', 'IEEE_P1282', 'IEEE_1282'];

/** Linux stops at 255 bytes; we allow UTF-8 room but refuse runaway NM chains. */
const MAX_NAME_BYTES = 1024;
const MAX_TARGET_BYTES = 64 * 1024;

const NM_NOT_A_NAME = 0x02 | 0x04 | 0x20; // CURRENT, PARENT, HOST
const SL_CONTINUE = 0x01;
const SL_CURRENT = 0x02;
const SL_PARENT = 0x04;
const SL_ROOT = 0x08;
const TF_MODIFY = 0x02;
const TF_LONG = 0x80;

function typeOfMode(mode: number): EntryType | undefined {
  switch (mode & 0o170000) {
    case 0o040000:
      return 'dir';
    case 0o100000:
      return 'file';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return undefined;
  }
}

const SLASH = Buffer.from('/');
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

export class RockRidge implements SuspVisitor {
  /** Saw any RRIP entry (PX, NM, …), so this record speaks Rock Ridge. */
  any = false;
  mode?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  rdevHigh?: number;
  rdevLow?: number;
  /** CL: LBA of the directory this placeholder stands for. */
  childLink?: number;
  /** RE: this directory was moved here and is shown at its CL placeholder instead. */
  relocated = false;
  /** SP on the root `.` record: bytes to skip in every other system use area. */
  spSkip?: number;
  extensions?: string[];

  // NM usually comes as one entry; keep its bounds and only concatenate when it does not.
  // Like Linux, every NM entry's text is appended whether or not the previous one said CONTINUE.
  private nmBuf?: Buffer;
  private nmStart = 0;
  private nmEnd = 0;
  private nmParts?: Buffer[];
  private nmBytes = 0;
  private slParts?: Buffer[];
  private slBytes = 0;
  private slSlash = false;

  constructor(private readonly desc: string) {}

  /** Ready for the next record: listings reuse one instance for records without CE. */
  reset(): void {
    this.any = false;
    this.mode = this.nlink = this.uid = this.gid = this.mtime = undefined;
    this.rdevHigh = this.rdevLow = this.childLink = undefined;
    this.relocated = false;
    this.spSkip = this.extensions = undefined;
    this.nmBuf = this.nmParts = this.slParts = undefined;
    this.nmBytes = this.slBytes = 0;
    this.slSlash = false;
  }

  entry(s: number, b: Buffer, at: number, len: number, abs: number, areaEnd: number): void {
    switch (s) {
      case PX:
        this.need('PX', len, 36, abs);
        this.any = true;
        this.mode = b.readUInt32LE(at + 4);
        this.nlink = b.readUInt32LE(at + 12);
        this.uid = b.readUInt32LE(at + 20);
        this.gid = b.readUInt32LE(at + 28);
        break;
      case NM:
        this.need('NM', len, 5, abs);
        this.any = true;
        if (!(b[at + 4]! & NM_NOT_A_NAME)) this.addName(b, at + 5, at + len, abs);
        break;
      case SL:
        this.need('SL', len, 5, abs);
        this.any = true;
        this.addLink(b, at, len, abs, areaEnd);
        break;
      case TF:
        this.need('TF', len, 5, abs);
        this.any = true;
        this.readTimes(b, at, len);
        break;
      case PN:
        this.need('PN', len, 20, abs);
        this.any = true;
        this.rdevHigh = b.readUInt32LE(at + 4);
        this.rdevLow = b.readUInt32LE(at + 12);
        break;
      case CL:
        this.need('CL', len, 12, abs);
        this.any = true;
        this.childLink = b.readUInt32LE(at + 4);
        break;
      case PL:
      case SF:
      case RR:
        this.any = true;
        break;
      case RE:
        this.any = true;
        this.relocated = true;
        break;
      case SIG_SP:
        if (len >= 7 && b[at + 4] === 0xbe && b[at + 5] === 0xef) this.spSkip = b[at + 6]!;
        break;
      case SIG_ER: {
        if (len < 8) break;
        const idLen = b[at + 4]!;
        const id = b.toString('latin1', at + 8, Math.min(at + len, at + 8 + idLen));
        (this.extensions ??= []).push(id);
        break;
      }
    }
  }

  private need(name: string, len: number, min: number, abs: number): void {
    if (len < min) throw badIso(this.desc, `Rock Ridge ${name} entry at offset ${hex(abs)} has length ${len}, less than the ${min} bytes it needs`);
  }

  private addName(b: Buffer, start: number, end: number, abs: number): void {
    this.nmBytes += end - start;
    if (this.nmBytes > MAX_NAME_BYTES) throw badIso(this.desc, `Rock Ridge name continued at offset ${hex(abs)} is longer than ${MAX_NAME_BYTES} bytes`);
    if (!this.nmBuf && !this.nmParts) {
      this.nmBuf = b;
      this.nmStart = start;
      this.nmEnd = end;
      return;
    }
    if (!this.nmParts) this.nmParts = [this.nmBuf!.subarray(this.nmStart, this.nmEnd)];
    this.nmParts.push(b.subarray(start, end));
  }

  // Components join with '/', except after one flagged CONTINUE; across SL entries the
  // entry's own CONTINUE flag decides (Linux get_symlink_chunk).
  // genisoimage writes SL entries longer than 255 bytes with LEN modulo 256, so the last
  // component may run past LEN; like xorriso and isoinfo we take it whole while it stays
  // inside the system use area.
  private addLink(b: Buffer, at: number, len: number, abs: number, areaEnd: number): void {
    const parts = (this.slParts ??= []);
    const entryFlags = b[at + 4]!;
    const end = at + len;
    let p = at + 5;
    while (p < end) {
      if (p + 2 > areaEnd || p + 2 + b[p + 1]! > areaEnd) {
        throw badIso(this.desc, `Rock Ridge SL entry at offset ${hex(abs)} has a component at ${hex(abs + p - at)} running past the end of its system use area`);
      }
      const flags = b[p]!;
      const clen = b[p + 1]!;
      if (this.slSlash) parts.push(SLASH);
      let piece: Buffer;
      if (flags & SL_ROOT) piece = SLASH;
      else if (flags & SL_PARENT) piece = DOTDOT;
      else if (flags & SL_CURRENT) piece = DOT;
      else piece = b.subarray(p + 2, p + 2 + clen);
      parts.push(piece);
      this.slBytes += piece.length + 1;
      p += 2 + clen;
      const last = p >= end;
      this.slSlash = last ? !!(entryFlags & SL_CONTINUE) && !(flags & SL_CONTINUE) : !(flags & (SL_CONTINUE | SL_ROOT));
    }
    if (this.slBytes > MAX_TARGET_BYTES) throw badIso(this.desc, `Rock Ridge symlink target continued at offset ${hex(abs)} is longer than ${MAX_TARGET_BYTES} bytes`);
  }

  private readTimes(b: Buffer, at: number, len: number): void {
    const flags = b[at + 4]!;
    const size = flags & TF_LONG ? 17 : 7;
    let p = at + 5;
    for (let bit = 0; bit < 7; bit++) {
      if (!(flags & (1 << bit))) continue;
      if (p + size > at + len) return;
      if (1 << bit === TF_MODIFY) this.mtime = size === 17 ? longDate(b, p) : shortDate(b, p);
      p += size;
    }
  }

  get name(): string | undefined {
    if (this.nmParts) return Buffer.concat(this.nmParts).toString('utf8');
    return this.nmBuf ? this.nmBuf.toString('utf8', this.nmStart, this.nmEnd) : undefined;
  }

  get target(): string | undefined {
    return this.slParts ? Buffer.concat(this.slParts).toString('utf8') : undefined;
  }

  /** The file type PX states, if it names one. */
  get type(): EntryType | undefined {
    return this.mode === undefined ? undefined : typeOfMode(this.mode);
  }

  /**
   * xorriso stores a glibc dev_t in the low word (high 0); genisoimage and the RRIP text
   * put major and minor in the two words. glibc's split works for Linux's old 16-bit form too.
   */
  get rdev(): { major: number; minor: number } | undefined {
    if (this.rdevLow === undefined || this.rdevHigh === undefined) return undefined;
    if (this.rdevHigh !== 0) return { major: this.rdevHigh, minor: this.rdevLow };
    const d = this.rdevLow;
    return { major: (d >>> 8) & 0xfff, minor: (d & 0xff) | ((d >>> 12) & 0xfff00) };
  }
}

/** Whether an ER names Rock Ridge. */
export function hasRripExtension(rr: RockRidge): boolean {
  return (rr.extensions ?? []).some((id) => RRIP_IDS.includes(id));
}
