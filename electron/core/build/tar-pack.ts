import fs from 'node:fs';
import { Readable } from 'node:stream';

/**
 * A tar writer: ustar headers with PAX records for long names and big numbers. Build
 * contexts leave owners and times out (0:0 and time 0, as the docker CLI sends them, so the
 * same checkout always gives the same bytes); a rootfs sent to `docker import` sets them,
 * with hard links, devices and fifos.
 */

export type TarType = 'file' | 'dir' | 'symlink' | 'link' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** Path inside the archive, '/'-separated, no leading slash. */
  name: string;
  type: TarType;
  mode: number;
  size: number;
  /** A symlink's target, or for `link` the name of the entry already in the archive. */
  linkname?: string;
  /** Where a file's bytes come from: a host file, bytes, or a stream opened when they are due. */
  source?: string | Buffer | (() => Readable);
  uid?: number;
  gid?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  rdev?: { major: number; minor: number };
}

const BLOCK = 512;
const TYPEFLAG: Record<TarType, string> = { file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };
/** The largest value of the 8-byte octal fields (uid, gid, devices); beyond it PAX carries it. */
const MAX_ID = 0o7777777;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** "<len> key=value\n", where len counts the whole record including its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let len = n + 1;
  while (String(len).length + n !== len) len++;
  return `${len}${body}`;
}

interface HeaderFields {
  uid?: number;
  gid?: number;
  mtime?: number;
  rdev?: { major: number; minor: number };
}

function header(name: string, typeflag: string, mode: number, size: number, linkname = '', f: HeaderFields = {}): Buffer {
  const uid = f.uid ?? 0;
  const gid = f.gid ?? 0;
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8');
  b.write(octal(mode & 0o7777, 8), 100, 'ascii');
  b.write(octal(uid > MAX_ID ? 0 : uid, 8), 108, 'ascii');
  b.write(octal(gid > MAX_ID ? 0 : gid, 8), 116, 'ascii');
  b.write(octal(size, 12), 124, 'ascii');
  b.write(octal(Math.max(0, Math.floor(f.mtime ?? 0)), 12), 136, 'ascii');
  b.write('        ', 148, 'ascii');
  b.write(typeflag, 156, 'ascii');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  // Names only for root: anything else would be a guess, and extractors go by the numbers.
  if (uid === 0) b.write('root', 265, 'ascii');
  if (gid === 0) b.write('root', 297, 'ascii');
  if (f.rdev) {
    b.write(octal(Math.min(f.rdev.major, MAX_ID), 8), 329, 'ascii');
    b.write(octal(Math.min(f.rdev.minor, MAX_ID), 8), 337, 'ascii');
  }
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

function headersFor(e: TarEntry): Buffer[] {
  const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
  const linkname = e.linkname ?? '';
  const pax: string[] = [];
  if (Buffer.byteLength(name) > 100 || /[^\x20-\x7e]/.test(name)) pax.push(paxRecord('path', name));
  if (Buffer.byteLength(linkname) > 100 || /[^\x20-\x7e]/.test(linkname)) pax.push(paxRecord('linkpath', linkname));
  const size = e.type === 'file' ? e.size : 0;
  if (size > 0o77777777777) pax.push(paxRecord('size', String(size)));
  if ((e.uid ?? 0) > MAX_ID) pax.push(paxRecord('uid', String(e.uid)));
  if ((e.gid ?? 0) > MAX_ID) pax.push(paxRecord('gid', String(e.gid)));
  const out: Buffer[] = [];
  if (pax.length) {
    const body = Buffer.from(pax.join(''), 'utf8');
    out.push(header('././@PaxHeader', 'x', 0o644, body.length), body, padding(body.length));
  }
  const shortName = Buffer.byteLength(name) > 100 ? name.slice(-100).replace(/^[^/]*\//, '') : name;
  out.push(header(shortName, TYPEFLAG[e.type], e.mode, size > 0o77777777777 ? 0 : size, linkname.slice(0, 100), e));
  return out;
}

async function* fileBytes(source: NonNullable<TarEntry['source']>, size: number): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    yield source.subarray(0, size);
    if (source.length < size) yield Buffer.alloc(size - source.length);
    return;
  }
  // A file that changes while it is sent keeps the size its header announced.
  let sent = 0;
  const stream = typeof source === 'string' ? fs.createReadStream(source, { highWaterMark: 1 << 20 }) : source();
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    if (sent >= size) break;
    const part = sent + buf.length > size ? buf.subarray(0, size - sent) : buf;
    sent += part.length;
    yield part;
  }
  if (sent < size) yield Buffer.alloc(size - sent);
}

export function packTar(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for await (const e of entries) {
      for (const h of headersFor(e)) yield h;
      if (e.type === 'file' && e.size > 0 && e.source !== undefined) {
        yield* fileBytes(e.source, e.size);
        yield padding(e.size);
      } else if (e.type === 'file' && e.size > 0) {
        yield Buffer.alloc(e.size);
        yield padding(e.size);
      }
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(generate(), { objectMode: false });
}
