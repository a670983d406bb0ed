/**
 * Writes newc cpio (`070701`) as the kernel's initramfs reader and GNU cpio read it
 * (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte header of 8-digit
 * hex fields, the NUL-terminated name padded to 4 bytes, the data padded to 4 bytes, and a
 * `TRAILER!!!` entry that ends the archive (and the kernel's hard-link table).
 */

export const S_IFMT = 0o170000;
export const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000, socket: 0o140000 } as const;
export type NewcType = keyof typeof TYPE_BITS;

export interface NewcHeader {
  /** Stored without a leading slash: `etc/VERSION`, `.` for the root. */
  name: string;
  type: NewcType;
  /** Permission bits only. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Bytes of data that follow (the target's length for a symlink). */
  size: number;
  ino: number;
  nlink?: number;
  rdev?: { major: number; minor: number };
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n & 3)) & 3;
export const ZERO_PAD = Buffer.alloc(4);

/** The header and the padded name; the data (and `dataPadding`) go after it. */
export function newcHeader(h: NewcHeader): Buffer {
  const name = Buffer.from(h.name, 'utf8');
  const fields = [
    '070701',
    hex8(h.ino),
    hex8(TYPE_BITS[h.type] | (h.mode & 0o7777)),
    hex8(h.uid),
    hex8(h.gid),
    hex8(h.nlink ?? (h.type === 'dir' ? 2 : 1)),
    hex8(Math.max(0, Math.floor(h.mtime))),
    hex8(h.size),
    hex8(0),
    hex8(0),
    hex8(h.rdev?.major ?? 0),
    hex8(h.rdev?.minor ?? 0),
    hex8(name.length + 1),
    hex8(0),
  ].join('');
  const head = Buffer.alloc(110 + name.length + 1 + pad4(110 + name.length + 1));
  head.write(fields, 0, 'latin1');
  name.copy(head, 110);
  return head;
}

/** Zero bytes that bring `size` bytes of data to the next 4-byte boundary. */
export function dataPadding(size: number): Buffer {
  return ZERO_PAD.subarray(0, pad4(size));
}

/** The `TRAILER!!!` entry, then zeros to a 512-byte block as GNU cpio and gen_init_cpio pad. */
export function newcTrailer(written: number): Buffer {
  const t = newcHeader({ name: 'TRAILER!!!', type: 'file', mode: 0, uid: 0, gid: 0, mtime: 0, size: 0, ino: 0, nlink: 1 });
  const end = written + t.length;
  const fill = (512 - (end % 512)) % 512;
  return Buffer.concat([t, Buffer.alloc(fill)]);
}

/** One whole entry with its data in memory (small files, symlinks, folders). */
export function newcEntry(h: NewcHeader, data?: Buffer): Buffer[] {
  const head = newcHeader(h);
  if (!data || data.length === 0) return [head];
  return [head, data, dataPadding(data.length)];
}
