import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Compression } from '../archive/sniff';
import type { ByteSource } from '../image/byte-source';
import { dataSize, key, type DataRef, type Eff, type EditTree } from './edit-tree';
import { encoderFor } from './encoders';
import { newcHeader, newcTrailer, dataPadding, type NewcHeader } from './newc-writer';

/**
 * Writes a changed initrd the two ways the kernel reads faithfully (buffer-format.rst):
 *  - append: the input's bytes untouched, then one more compressed cpio archive holding the
 *    added and changed entries; the kernel unpacks segments in order and a later entry
 *    replaces an earlier one at the same path;
 *  - repack: the merged tree as new cpio archives, compressed like the input, cut into one
 *    member per core (each member holds whole archives, hard-link groups kept together) so
 *    both cores compress at once.
 */

export interface ArchiveWriteInput {
  tree: EditTree;
  /** The archive file's bytes as the input ISO has them. */
  source: ByteSource;
  segments: { offset: number; compression: Compression; compressedSize: number; uncompressedSize: number }[];
  warnings: string[];
}

export interface ArchiveWriteResult {
  file: string;
  method: 'append' | 'repack';
  formatAfter: string;
  size: number;
  entries: number;
  notes: string[];
}

export interface WriteOptions {
  dir: string;
  signal?: AbortSignal;
  /** Bytes of cpio data produced so far, of `total`. */
  onProgress?: (bytes: number, total: number) => void;
  env?: NodeJS.ProcessEnv;
  /** Members to compress in parallel (default: the machine's cores, at most 4). */
  parallel?: number;
}

/** Why append cannot be used for this archive, if it cannot. */
export function appendBlocker(input: Pick<ArchiveWriteInput, 'tree' | 'warnings'>): string | undefined {
  const junk = input.warnings.find((w) => w.startsWith('unrecognised data'));
  if (junk) return `the input initrd has data after its last segment that the kernel would stop at (${junk})`;
  const [reason] = input.tree.repackReasons;
  return reason;
}

interface Item {
  eff: Eff;
  header: NewcHeader;
  data?: DataRef;
}

const CHUNK = 1 << 20;
/** Below this much data one member is as fast as several, and smaller. */
const PARALLEL_MIN = 16 << 20;

function headerOf(e: Eff, ino: number): NewcHeader {
  const name = e.parts.length ? e.parts.join('/') : '.';
  const h: NewcHeader = { name, type: e.type, mode: e.meta.mode, uid: e.meta.uid, gid: e.meta.gid, mtime: e.meta.mtime, size: 0, ino };
  if (e.type === 'file') h.size = e.data ? dataSize(e.data) : 0;
  if (e.type === 'symlink') h.size = Buffer.byteLength(e.target ?? '');
  if (e.rdev) h.rdev = e.rdev;
  return h;
}

async function* dataChunks(d: DataRef, size: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  if (d.kind === 'buffer') {
    yield d.buf;
    return;
  }
  if (d.kind === 'file') {
    const h = await fs.open(d.path, 'r');
    try {
      let done = 0;
      while (done < size) {
        if (signal?.aborted) throw signal.reason;
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - done));
        const { bytesRead } = await h.read(buf, 0, buf.length, done);
        if (bytesRead === 0) throw new Error(`${d.path} is shorter than it was (${done} of ${size} bytes)`);
        done += bytesRead;
        yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
      }
    } finally {
      await h.close();
    }
    return;
  }
  const src = d.container.open(d.entry);
  for (let done = 0; done < size; ) {
    if (signal?.aborted) throw signal.reason;
    const b = await src.read(done, Math.min(CHUNK, size - done));
    if (b.length === 0) throw new Error(`${d.entry.name}: the input ended early`);
    done += b.length;
    yield b;
  }
}

/** Bytes gathered before they go to the compressor: one write per entry would cost more than the entry. */
const BATCH = 1 << 20;

/** One cpio archive (with its trailer) of these items, as a stream of about BATCH-sized buffers. */
function cpioStream(items: Item[], progress: (n: number) => void, signal?: AbortSignal): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    let written = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const put = (b: Buffer) => {
      pending.push(b);
      pendingBytes += b.length;
      written += b.length;
    };
    const flush = () => {
      const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      return out;
    };
    for (const it of items) {
      put(newcHeader(it.header));
      if (it.header.type === 'symlink') {
        const t = Buffer.from(it.eff.target ?? '', 'utf8');
        put(t);
        put(dataPadding(t.length));
      } else if (it.data && it.header.size > 0) {
        for await (const b of dataChunks(it.data, it.header.size, signal)) {
          put(b);
          progress(b.length);
          if (pendingBytes >= BATCH) yield flush();
        }
        put(dataPadding(it.header.size));
      }
      if (pendingBytes >= BATCH) yield flush();
    }
    put(newcTrailer(written));
    yield flush();
  }
  return Readable.from(gen(), { objectMode: false, highWaterMark: 4 << 20 });
}

/** The merged tree in cpio order: parents first; a hard-link group at its last member, data on the last link. */
async function repackItems(tree: EditTree): Promise<Item[]> {
  const all: Eff[] = [];
  for await (const e of tree.walk()) all.push(e);
  const groupOf = (e: Eff) =>
    e.type === 'file' && e.data?.kind === 'base' && (e.baseEntry?.nlink ?? 1) > 1 ? e.baseEntry!.linkOf ?? key(e.basePath!) : undefined;
  const members = new Map<string, Eff[]>();
  for (const e of all) {
    const g = groupOf(e);
    if (g) members.set(g, [...(members.get(g) ?? []), e]);
  }
  const items: Item[] = [];
  let ino = 1;
  for (const e of all) {
    const g = groupOf(e);
    if (!g) {
      items.push({ eff: e, header: headerOf(e, ino++), data: e.data });
      continue;
    }
    const group = members.get(g)!;
    if (group[group.length - 1] !== e) continue;
    const id = ino++;
    group.forEach((m, i) => {
      const last = i === group.length - 1;
      const h = headerOf(m, id);
      h.nlink = group.length;
      if (!last) h.size = 0;
      items.push({ eff: m, header: h, data: last ? m.data : undefined });
    });
  }
  return items;
}

/** Cuts items into `n` runs of about equal data (a hard-link group never split). */
function split(items: Item[], n: number): Item[][] {
  if (n <= 1) return [items];
  const total = items.reduce((s, it) => s + it.header.size, 0);
  const parts: Item[][] = [[]];
  let acc = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const cur = parts[parts.length - 1]!;
    cur.push(it);
    acc += it.header.size;
    const next = items[i + 1];
    const inGroup = next && next.header.nlink && next.header.nlink > 1 && next.header.ino === it.header.ino;
    if (!inGroup && parts.length < n && acc >= (total * parts.length) / n) parts.push([]);
  }
  return parts.filter((p) => p.length > 0);
}

const formatName = (c: Compression) => (c === 'none' ? 'cpio' : `cpio+${c}`);

async function copyInto(out: string, from: Readable, flags: 'w' | 'a', signal?: AbortSignal): Promise<void> {
  await pipeline(from, createWriteStream(out, { flags }), { signal });
}

export async function writeArchive(input: ArchiveWriteInput, method: 'append' | 'repack', opts: WriteOptions): Promise<ArchiveWriteResult> {
  const out = path.join(opts.dir, `archive-${Math.random().toString(16).slice(2, 10)}`);
  const notes: string[] = [];
  const segs = input.segments;
  let produced = 0;

  if (method === 'append') {
    const last = segs[segs.length - 1]!;
    const enc = await encoderFor(last.compression, opts.env);
    if (enc.note) notes.push(enc.note);
    const touched = await input.tree.touched();
    const items = touched.map((e, i) => ({ eff: e, header: headerOf(e, 0x7f000000 + i), data: e.data }));
    const total = items.reduce((s, it) => s + it.header.size, 0);
    await copyInto(out, input.source.stream(), 'w', opts.signal);
    // Zeros are skipped between segments; after an lz4-legacy member they also end it.
    const pad = (4 - (input.source.size % 4)) % 4;
    await fs.appendFile(out, Buffer.alloc(pad + 4));
    const seg = `${out}.seg`;
    await enc.encode(cpioStream(items, (n) => opts.onProgress?.((produced += n), total), opts.signal), seg, opts.signal);
    await copyInto(out, createReadStream(seg), 'a', opts.signal);
    await fs.rm(seg, { force: true });
    const size = (await fs.stat(out)).size;
    const formatAfter = [...segs.map((s) => formatName(s.compression)), formatName(enc.compression)].join(',');
    return { file: out, method, formatAfter, size, entries: items.length, notes };
  }

  // Repack. An uncompressed first segment before compressed ones is the early cpio (CPU
  // microcode, read by the kernel before it unpacks anything): it stays in front as it is.
  let prefix = 0;
  if (segs.length > 1 && segs[0]!.compression === 'none' && segs.some((s) => s.compression !== 'none')) {
    prefix = segs[1]!.offset;
    notes.push(`The uncompressed early cpio at the start (${prefix} bytes, e.g. CPU microcode) is kept in front as it was.`);
  }
  const main = [...segs].sort((a, b) => b.uncompressedSize - a.uncompressedSize)[0]!.compression;
  const enc = await encoderFor(main, opts.env);
  if (enc.note) notes.push(enc.note);
  const items = await repackItems(input.tree);
  const total = items.reduce((s, it) => s + it.header.size, 0);
  const cores = opts.parallel ?? Math.min(4, os.availableParallelism?.() ?? os.cpus().length);
  const parts = split(items, enc.compression !== 'none' && total >= PARALLEL_MIN ? cores : 1);
  const files = parts.map((_, i) => `${out}.part${i}`);
  try {
    await Promise.all(parts.map((p, i) => enc.encode(cpioStream(p, (n) => opts.onProgress?.((produced += n), total), opts.signal), files[i]!, opts.signal)));
    if (prefix) await copyInto(out, input.source.stream(0, prefix), 'w', opts.signal);
    for (const [i, f] of files.entries()) await copyInto(out, createReadStream(f), prefix || i > 0 ? 'a' : 'w', opts.signal);
  } finally {
    await Promise.all(files.map((f) => fs.rm(f, { force: true })));
  }
  if (parts.length > 1) notes.push(`Compressed as ${parts.length} ${enc.compression} members in parallel (each a whole cpio archive, as the kernel requires).`);
  const size = (await fs.stat(out)).size;
  const formatAfter = [...(prefix ? ['cpio'] : []), ...parts.map(() => formatName(enc.compression))].join(',');
  return { file: out, method, formatAfter, size, entries: items.length, notes };
}
