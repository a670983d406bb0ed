// Runs inside a worker thread (bundled by the fuzz test) so that a hang in a decoder can be
// detected and the thread terminated. Mutates archives with a seeded PRNG, opens each one
// in-thread, walks what opened, and reports every iteration's outcome.
import { rmSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { ArchiveImage } from '../../electron/core/archive/archive-image';
import { cachePaths } from '../../electron/core/archive/index-cache';
import { BufferSource } from '../../electron/core/image/byte-source';

export interface FuzzInput {
  seed: number;
  durationMs: number;
  cacheDir: string;
  bases: { name: string; data: Uint8Array }[];
}

export interface FuzzReport {
  i: number;
  base: string;
  mutation: string;
  outcome: 'ok' | 'error' | 'crash';
  code?: string;
  message?: string;
  ms: number;
  rss: number;
  /** The input, only for crashes. */
  input?: Uint8Array;
}

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MUTATIONS = ['flip', 'bytes', 'truncate', 'insert', 'delete', 'duplicate', 'zero', 'append', 'hexfield', 'multi'] as const;
/** Mutations of the cpio inside a gzip member: the decoder succeeds, the parser meets the damage. */
const INNER = ['flip', 'bytes', 'truncate', 'insert', 'delete', 'duplicate', 'hexfield', 'append'] as const;

function mutate(b: Buffer, kind: (typeof MUTATIONS)[number], rnd: () => number): Buffer {
  const at = () => Math.floor(rnd() * b.length);
  const out = Buffer.from(b);
  switch (kind) {
    case 'flip':
      for (let k = 1 + Math.floor(rnd() * 8); k > 0; k--) {
        const i = at();
        out[i] = out[i]! ^ (1 << Math.floor(rnd() * 8));
      }
      return out;
    case 'bytes':
      for (let k = 1 + Math.floor(rnd() * 16); k > 0; k--) out[at()] = Math.floor(rnd() * 256);
      return out;
    case 'truncate':
      return out.subarray(0, at());
    case 'insert': {
      const i = at();
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)));
      return Buffer.concat([out.subarray(0, i), junk, out.subarray(i)]);
    }
    case 'delete': {
      const i = at();
      return Buffer.concat([out.subarray(0, i), out.subarray(Math.min(b.length, i + 1 + Math.floor(rnd() * 256)))]);
    }
    case 'duplicate': {
      const i = at();
      const piece = out.subarray(i, i + 1 + Math.floor(rnd() * 4096));
      const j = at();
      return Buffer.concat([out.subarray(0, j), piece, out.subarray(j)]);
    }
    case 'zero':
      out.fill(0, at(), at());
      return out;
    case 'append':
      return Buffer.concat([out, Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 512) }, () => Math.floor(rnd() * 256)))]);
    case 'hexfield': {
      // Hostile header values where a newc header sits: sizes and counts near 2^32.
      const text = out.toString('latin1');
      const heads = [...text.matchAll(/07070[12]/g)].map((m) => m.index!);
      if (heads.length === 0) return mutate(b, 'bytes', rnd);
      const h = heads[Math.floor(rnd() * heads.length)]!;
      const field = Math.floor(rnd() * 13);
      const values = ['FFFFFFFF', '7FFFFFFF', '00001001', '00000000', '0000FFFF', '00010000'];
      out.write(values[Math.floor(rnd() * values.length)]!, h + 6 + field * 8, 'latin1');
      return out;
    }
    case 'multi':
      return mutate(mutate(b, 'flip', rnd), 'truncate', rnd);
  }
}

async function exercise(img: ArchiveImage) {
  let files = 0;
  const walk = async (dir: string, depth: number) => {
    if (depth > 64) return;
    for (const e of await img.readdir(dir)) {
      const p = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      await img.stat(p);
      if (e.type === 'dir') await walk(p, depth + 1);
      else if (e.type === 'file' && files++ < 50) {
        const s = img.open(e);
        await s.read(0, Math.min(s.size, 1 << 20));
      }
    }
  };
  await walk('/', 0);
}

async function main() {
  const input = workerData as FuzzInput;
  const rnd = prng(input.seed);
  const bases = input.bases.map((x) => ({ name: x.name, data: Buffer.from(x.data) }));
  const end = Date.now() + input.durationMs;
  for (let i = 0; Date.now() < end; i++) {
    let base = bases[Math.floor(rnd() * bases.length)]!;
    let mutation: string = MUTATIONS[Math.floor(rnd() * MUTATIONS.length)]!;
    let data: Buffer;
    if (rnd() < 0.3) {
      base = bases.find((b) => b.name === 'newc')!;
      const inner = INNER[Math.floor(rnd() * INNER.length)]!;
      mutation = `gzip(${inner})`;
      data = gzipSync(mutate(base.data, inner, rnd), { level: 1 });
    } else data = mutate(base.data, mutation as (typeof MUTATIONS)[number], rnd);
    const src = new BufferSource(data, `fuzz:${input.seed}:${i}`, `fuzz ${i}`);
    const t = performance.now();
    const report: FuzzReport = { i, base: base.name, mutation, outcome: 'ok', ms: 0, rss: 0 };
    try {
      const img = await ArchiveImage.open(src, { cacheDir: input.cacheDir, useWorker: false });
      await exercise(img);
      await img.close();
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      if (e?.name === 'LabError' && typeof e.code === 'string') Object.assign(report, { outcome: 'error', code: e.code, message: e.message });
      else Object.assign(report, { outcome: 'crash', message: String((err as Error)?.stack ?? err), input: new Uint8Array(data) });
    }
    const p = cachePaths(input.cacheDir, src.cacheKey);
    rmSync(p.data, { force: true });
    rmSync(p.index, { force: true });
    report.ms = performance.now() - t;
    report.rss = process.memoryUsage().rss;
    parentPort!.postMessage(report);
  }
  parentPort!.postMessage({ done: true });
}

void main();
