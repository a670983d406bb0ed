import { LIMITS } from './limits';
import { badArchive, hex } from './archive-errors';

export type CpioFormat = 'newc' | 'crc' | 'odc' | 'binary';

/** One cpio header as stored, before names are normalised or entries merged. */
export interface RawEntry {
  /** Name as stored (UTF-8 decoded, NUL stripped). */
  name: string;
  format: CpioFormat;
  ino: number;
  /** st_mode: type bits and permissions. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  /** Offset of the data in the parser's stream. */
  dataOffset: number;
  /** Offset of the header in the parser's stream. */
  headerOffset: number;
  /** Symlink target (the data), when the entry is a symlink. */
  target?: string;
}

export interface CpioEvents {
  entry(e: RawEntry): void;
  /** A `TRAILER!!!` entry: the kernel forgets its hard-link table here. */
  trailer(): void;
  warning(message: string): void;
}

const enum St {
  Header,
  Name,
  Data,
  Pad,
  /** After a trailer: zero padding, then maybe another archive. */
  Reset,
  /** Junk after a trailer: ignored to the end. */
  Ignore,
  Stopped,
}

const HEADER_LEN: Record<CpioFormat, number> = { newc: 110, crc: 110, odc: 76, binary: 26 };
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

export function cpioFormatOf(b: Buffer, i = 0): CpioFormat | undefined {
  if (b.length - i >= 6 && b[i] === 0x30 && b[i + 1] === 0x37 && b[i + 2] === 0x30 && b[i + 3] === 0x37) {
    const tail = b.toString('latin1', i + 4, i + 6);
    if (tail === '01') return 'newc';
    if (tail === '02') return 'crc';
    if (tail === '07') return 'odc';
  }
  if (b.length - i >= 2 && ((b[i] === 0xc7 && b[i + 1] === 0x71) || (b[i] === 0x71 && b[i + 1] === 0xc7))) return 'binary';
  return undefined;
}

/**
 * A push parser for a stream of cpio archives, as the kernel's initramfs state machine reads
 * them: entries, an optional `TRAILER!!!`, zero padding, maybe another archive. It never
 * buffers file data: data is only looked at for symlink targets and 070702 checksums.
 */
export class CpioParser {
  /** Stream offset of the next byte to be pushed. */
  pos = 0;
  entries = 0;
  nameBytes = 0;
  /** The format of the archive being read, once its first header was seen. */
  format: CpioFormat | undefined;
  private st = St.Header;
  private head = Buffer.alloc(110);
  private headLen = 0;
  private need = 6;
  private cur: RawEntry | undefined;
  private nameBuf: Buffer = Buffer.alloc(0);
  private nameLen = 0;
  private namePad = 0;
  private left = 0;
  private capture: Buffer | undefined;
  private captureLen = 0;
  private sum = 0;
  private checkSum = false;
  private expectSum = 0;
  private afterTrailer = false;

  constructor(
    private readonly on: CpioEvents,
    /** Describes a stream offset for messages: "offset 0x1f400 of segment 2 (gzip)". */
    private readonly where: (offset: number) => string,
    /** Stop after a trailer (uncompressed segments, where the walker takes over). */
    private readonly stopAtTrailer = false,
  ) {}

  get stopped(): boolean {
    return this.st === St.Stopped;
  }

  /** True between entries, where a stream may legitimately end. */
  get atBoundary(): boolean {
    return (this.st === St.Header && this.headLen === 0) || this.st === St.Reset || this.st === St.Ignore || this.st === St.Stopped;
  }

  /** Bytes from here that the parser would pass over without looking at them. */
  skippable(): number {
    if (this.st === St.Data && !this.capture && !this.checkSum) return this.left;
    if (this.st === St.Pad) return this.left;
    return 0;
  }

  skip(n: number): void {
    this.left -= n;
    this.pos += n;
    if (this.left === 0) this.afterSpan();
  }

  /** Parses `b`; returns how much of it was used (less than all only once stopped). */
  push(b: Buffer): number {
    let i = 0;
    const len = b.length;
    while (i < len) {
      switch (this.st) {
        case St.Header: {
          const k = Math.min(this.need - this.headLen, len - i);
          b.copy(this.head, this.headLen, i, i + k);
          this.headLen += k;
          i += k;
          this.pos += k;
          if (this.headLen < this.need) break;
          if (this.need === 6) {
            const f = cpioFormatOf(this.head.subarray(0, 6));
            const headerAt = this.pos - 6;
            if (!f) {
              if (this.afterTrailer) {
                this.on.warning(`unexpected bytes ${this.head.subarray(0, 6).toString('hex')} after the cpio trailer at ${this.where(headerAt)}: ignored (the kernel would stop unpacking here)`);
                this.st = St.Ignore;
                this.headLen = 0;
                break;
              }
              const shown = JSON.stringify(this.head.toString('latin1', 0, 6)).slice(1, -1);
              throw badArchive(`cpio header at ${this.where(headerAt)} has magic '${shown}', expected ${this.format === 'odc' ? '070707' : this.format === 'binary' ? '0x71c7' : '070701'}`);
            }
            this.need = HEADER_LEN[f];
            if (this.headLen < this.need) break;
          }
          this.parseHeader();
          break;
        }
        case St.Name: {
          const k = Math.min(this.nameLen - this.nameBuf.length, len - i);
          this.nameBuf = this.nameBuf.length === 0 && k === this.nameLen ? b.subarray(i, i + k) : Buffer.concat([this.nameBuf, b.subarray(i, i + k)]);
          i += k;
          this.pos += k;
          if (this.nameBuf.length < this.nameLen) break;
          this.gotName();
          break;
        }
        case St.Data: {
          const k = Math.min(this.left, len - i);
          if (this.capture) {
            b.copy(this.capture, this.captureLen, i, i + k);
            this.captureLen += k;
          }
          if (this.checkSum) {
            let s = this.sum;
            for (let j = i; j < i + k; j++) s += b[j]!;
            this.sum = s >>> 0;
          }
          i += k;
          this.pos += k;
          this.left -= k;
          if (this.left === 0) this.afterSpan();
          break;
        }
        case St.Pad: {
          const k = Math.min(this.left, len - i);
          i += k;
          this.pos += k;
          this.left -= k;
          if (this.left === 0) this.afterSpan();
          break;
        }
        case St.Reset: {
          while (i < len && b[i] === 0) {
            i++;
            this.pos++;
          }
          if (i < len) {
            this.st = St.Header;
            this.headLen = 0;
            this.need = 6;
          }
          break;
        }
        case St.Ignore:
          this.pos += len - i;
          i = len;
          break;
        case St.Stopped:
          return i;
      }
    }
    return i;
  }

  private field(off: number, len: number, radix: 16 | 8, name: string): number {
    let v = 0;
    for (let j = off; j < off + len; j++) {
      const c = this.head[j]!;
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (radix === 16 && c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (radix === 16 && c >= 0x41 && c <= 0x46) d = c - 0x37;
      else {
        const at = this.pos - this.headLen;
        throw badArchive(`cpio header at ${this.where(at)} has a bad ${name} field '${this.head.toString('latin1', off, off + len)}'`);
      }
      if (d >= radix) throw badArchive(`cpio header at ${this.where(this.pos - this.headLen)} has a bad ${name} field`);
      v = v * radix + d;
    }
    return v;
  }

  private parseHeader(): void {
    const f = cpioFormatOf(this.head)!;
    const headerOffset = this.pos - this.headLen;
    let e: RawEntry;
    let namesize: number;
    if (f === 'newc' || f === 'crc') {
      const x = (i: number, name: string) => this.field(6 + i * 8, 8, 16, name);
      e = {
        name: '',
        format: f,
        ino: x(0, 'c_ino'),
        mode: x(1, 'c_mode'),
        uid: x(2, 'c_uid'),
        gid: x(3, 'c_gid'),
        nlink: x(4, 'c_nlink'),
        mtime: x(5, 'c_mtime'),
        size: x(6, 'c_filesize'),
        devMajor: x(7, 'c_devmajor'),
        devMinor: x(8, 'c_devminor'),
        rdevMajor: x(9, 'c_rdevmajor'),
        rdevMinor: x(10, 'c_rdevminor'),
        dataOffset: 0,
        headerOffset,
      };
      namesize = x(11, 'c_namesize');
      this.expectSum = x(12, 'c_check');
      this.namePad = (4 - ((110 + namesize) % 4)) % 4;
    } else if (f === 'odc') {
      const o = (off: number, len: number, name: string) => this.field(off, len, 8, name);
      const dev = o(6, 6, 'c_dev');
      const rdev = o(42, 6, 'c_rdev');
      e = {
        name: '',
        format: f,
        ino: o(12, 6, 'c_ino'),
        mode: o(18, 6, 'c_mode'),
        uid: o(24, 6, 'c_uid'),
        gid: o(30, 6, 'c_gid'),
        nlink: o(36, 6, 'c_nlink'),
        mtime: o(48, 11, 'c_mtime'),
        size: o(65, 11, 'c_filesize'),
        devMajor: dev >> 8,
        devMinor: dev & 0xff,
        rdevMajor: (rdev >> 8) & 0xff,
        rdevMinor: rdev & 0xff,
        dataOffset: 0,
        headerOffset,
      };
      namesize = o(59, 6, 'c_namesize');
      this.namePad = 0;
    } else {
      const le = this.head[0] === 0xc7;
      const w = (i: number) => (le ? this.head.readUInt16LE(i * 2) : this.head.readUInt16BE(i * 2));
      const dev = w(1);
      const rdev = w(7);
      e = {
        name: '',
        format: f,
        ino: w(2),
        mode: w(3),
        uid: w(4),
        gid: w(5),
        nlink: w(6),
        mtime: w(8) * 65536 + w(9),
        size: w(11) * 65536 + w(12),
        devMajor: dev >> 8,
        devMinor: dev & 0xff,
        rdevMajor: (rdev >> 8) & 0xff,
        rdevMinor: rdev & 0xff,
        dataOffset: 0,
        headerOffset,
      };
      namesize = w(10);
      this.namePad = namesize & 1;
    }
    if (namesize === 0 || namesize > LIMITS.pathMax) {
      throw badArchive(`cpio header at ${this.where(headerOffset)} has a name size of ${namesize} bytes, expected 1…${LIMITS.pathMax}`);
    }
    this.format = f;
    this.cur = e;
    this.nameLen = namesize;
    this.nameBuf = Buffer.alloc(0);
    this.headLen = 0;
    this.need = 6;
    this.st = St.Name;
  }

  private gotName(): void {
    const e = this.cur!;
    const nb = this.nameBuf;
    if (nb[nb.length - 1] !== 0) throw badArchive(`cpio entry name at ${this.where(e.headerOffset)} is not NUL-terminated`);
    const end = nb.indexOf(0);
    e.name = nb.toString('utf8', 0, end);
    this.nameBuf = Buffer.alloc(0);
    this.nameBytes += end;
    if (this.nameBytes > LIMITS.maxNameBytes) throw badArchive(`the archive's names add up to more than ${LIMITS.maxNameBytes} bytes`, 'This looks like a hostile archive; it is not opened.');
    this.padThen(this.namePad, 'data');
  }

  /** Skips `n` padding bytes, then starts the entry's data or the next header. */
  private padThen(n: number, next: 'data' | 'next'): void {
    this.afterPad = next;
    this.left = n;
    this.st = St.Pad;
    if (n === 0) this.afterSpan();
  }

  private afterPad: 'data' | 'next' = 'data';

  private afterSpan(): void {
    if (this.st === St.Data) return this.endData();
    if (this.afterPad === 'data') return this.startData();
    this.nextEntry();
  }

  private startData(): void {
    const e = this.cur!;
    e.dataOffset = this.pos;
    const type = e.mode & S_IFMT;
    this.capture = undefined;
    this.captureLen = 0;
    if (type === S_IFLNK && e.size <= LIMITS.pathMax + 1) this.capture = Buffer.alloc(e.size);
    this.checkSum = e.format === 'crc' && type === S_IFREG;
    this.sum = 0;
    this.left = e.size;
    this.st = St.Data;
    if (this.left === 0) this.endData();
  }

  private endData(): void {
    const e = this.cur!;
    const trailer = e.name === 'TRAILER!!!';
    if (this.checkSum && this.sum !== this.expectSum) {
      throw badArchive(`cpio entry '${e.name}' at ${this.where(e.headerOffset)} fails its 070702 checksum: stored ${hex(this.expectSum)}, computed ${hex(this.sum)}`);
    }
    this.checkSum = false;
    if (this.capture) {
      let t = this.capture.toString('utf8', 0, this.captureLen);
      if (t.endsWith('\0')) t = t.slice(0, -1);
      e.target = t;
      this.capture = undefined;
    }
    if (trailer) {
      this.on.trailer();
    } else if ((e.mode & S_IFMT) === S_IFLNK && e.target === undefined) {
      this.on.warning(`symlink '${e.name}' at ${this.where(e.headerOffset)} has a ${e.size}-byte target, longer than PATH_MAX: skipped, as the kernel does`);
    } else {
      if (++this.entries > LIMITS.maxEntries) throw badArchive(`the archive has more than ${LIMITS.maxEntries} entries`, 'This looks like a hostile archive; it is not opened.');
      this.on.entry(e);
    }
    this.afterTrailer = trailer;
    const pad = e.format === 'newc' || e.format === 'crc' ? (4 - (e.size % 4)) % 4 : e.format === 'binary' ? e.size & 1 : 0;
    this.padThen(pad, 'next');
  }

  private nextEntry(): void {
    this.cur = undefined;
    this.headLen = 0;
    this.need = 6;
    if (!this.afterTrailer) this.st = St.Header;
    else this.st = this.stopAtTrailer ? St.Stopped : St.Reset;
  }
}

export const MODE = { S_IFMT, S_IFREG, S_IFLNK, S_IFDIR };
