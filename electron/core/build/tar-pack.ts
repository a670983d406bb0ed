import fs from 'node:fs';
import { Readable } from 'node:stream';

/**
 * A tar writer for build contexts: files, folders and symlinks, ustar headers with PAX
 * records for long names. Owners are 0:0 and times fixed, as the docker CLI sends them,
 * so the same checkout always gives the same bytes.
 */

export interface TarEntry {
  /** Path inside the archive, '/'-separated, no leading slash. */
  name: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  linkname?: string;
  /** Where a file's bytes come from. */
  source?: string | Buffer;
}

const BLOCK = 512;
const MTIME = 0;

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

function header(name: string, typeflag: string, mode: number, size: number, linkname = ''): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8');
  b.write(octal(mode & 0o7777, 8), 100, 'ascii');
  b.write(octal(0, 8), 108, 'ascii');
  b.write(octal(0, 8), 116, 'ascii');
  b.write(octal(size, 12), 124, 'ascii');
  b.write(octal(MTIME, 12), 136, 'ascii');
  b.write('        ', 148, 'ascii');
  b.write(typeflag, 156, 'ascii');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  b.write('root', 265, 'ascii');
  b.write('root', 297, 'ascii');
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
  const out: Buffer[] = [];
  if (pax.length) {
    const body = Buffer.from(pax.join(''), 'utf8');
    out.push(header('././@PaxHeader', 'x', 0o644, body.length), body, padding(body.length));
  }
  const typeflag = e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2';
  const shortName = Buffer.byteLength(name) > 100 ? name.slice(-100).replace(/^[^/]*\//, '') : name;
  out.push(header(shortName, typeflag, e.mode, size > 0o77777777777 ? 0 : size, linkname.slice(0, 100)));
  return out;
}

async function* fileBytes(source: string | Buffer, size: number): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    yield source.subarray(0, size);
    if (source.length < size) yield Buffer.alloc(size - source.length);
    return;
  }
  // A file that changes while it is sent keeps the size its header announced.
  let sent = 0;
  for await (const chunk of fs.createReadStream(source, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    if (sent >= size) break;
    const part = sent + buf.length > size ? buf.subarray(0, size - sent) : buf;
    sent += part.length;
    yield part;
  }
  if (sent < size) yield Buffer.alloc(size - sent);
}

export function packTar(entries: Iterable<TarEntry>): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const e of entries) {
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
