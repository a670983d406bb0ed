// Writes newc / crc cpio archives in memory, including ones no tool would write (duplicate
// names, wrong checksums, bad magic), for the parser, merge and fuzz tests.

export interface NewcEntry {
  name: string;
  /** st_mode including the type bits; default a 0644 regular file. */
  mode?: number;
  data?: Buffer | string;
  ino?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  rdev?: [number, number];
  /** Override c_filesize (lies about the data length). */
  size?: number;
  /** Override c_namesize. */
  namesize?: number;
  /** Override c_check. */
  check?: number;
  magic?: string;
}

export const S = { file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000 };

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

let nextIno = 1000;

export function newcEntry(e: NewcEntry, format: 'newc' | 'crc' = 'newc'): Buffer {
  const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
  const name = Buffer.concat([Buffer.from(e.name), Buffer.from([0])]);
  const sum = format === 'crc' ? data.reduce((s, b) => (s + b) >>> 0, 0) : 0;
  const fields = [
    e.ino ?? nextIno++,
    e.mode ?? S.file | 0o644,
    e.uid ?? 0,
    e.gid ?? 0,
    e.nlink ?? 1,
    e.mtime ?? 1_700_000_000,
    e.size ?? data.length,
    0,
    0,
    e.rdev?.[0] ?? 0,
    e.rdev?.[1] ?? 0,
    e.namesize ?? name.length,
    e.check ?? sum,
  ];
  const header = Buffer.from((e.magic ?? (format === 'crc' ? '070702' : '070701')) + fields.map(hex8).join(''), 'latin1');
  const namePad = Buffer.alloc((4 - ((110 + name.length) % 4)) % 4);
  const dataPad = Buffer.alloc((4 - (data.length % 4)) % 4);
  return Buffer.concat([header, name, namePad, data, dataPad]);
}

/** An archive of `entries`, with a TRAILER!!! unless told otherwise. */
export function newc(entries: NewcEntry[], opts: { format?: 'newc' | 'crc'; trailer?: boolean; padTo?: number } = {}): Buffer {
  const parts = entries.map((e) => newcEntry(e, opts.format));
  if (opts.trailer !== false) parts.push(newcEntry({ name: 'TRAILER!!!', mode: 0, ino: 0 }, opts.format));
  let out = Buffer.concat(parts);
  if (opts.padTo) out = Buffer.concat([out, Buffer.alloc((opts.padTo - (out.length % opts.padTo)) % opts.padTo)]);
  return out;
}

export const dir = (name: string, mode = 0o755, extra: Partial<NewcEntry> = {}): NewcEntry => ({ name, mode: S.dir | mode, nlink: 2, ...extra });
export const file = (name: string, data: string | Buffer, extra: Partial<NewcEntry> = {}): NewcEntry => ({ name, data, ...extra });
export const symlink = (name: string, target: string, extra: Partial<NewcEntry> = {}): NewcEntry => ({ name, mode: S.symlink | 0o777, data: target, ...extra });
