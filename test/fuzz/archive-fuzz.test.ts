// Mutation fuzzing of the archive reader: cpio archives (plain and compressed with every
// codec) with bits flipped, bytes replaced, ranges inserted, deleted or duplicated, header
// fields set to hostile values, or cut short. Every failure must be a LabError BAD_ARCHIVE
// or NOT_AN_ARCHIVE; nothing may hang (the iterations run on a worker thread that is
// terminated when one takes too long) and memory must stay bounded. Repeatable:
// ARCHIVE_FUZZ_SEED and ARCHIVE_FUZZ_MS override the defaults.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPENDENCIES, ROOT } from '../helpers/archive-build';
import type { FuzzInput, FuzzReport } from '../helpers/archive-fuzz-worker';
import { dir, file, newc, S, symlink } from '../helpers/archive-newc';
import { CODECS, compress, hasTool, type Codec } from '../helpers/archive-tools';

const SEED = Number(process.env.ARCHIVE_FUZZ_SEED ?? 0xa4c417e);
const DURATION_MS = Number(process.env.ARCHIVE_FUZZ_MS ?? 12_000);
const ITERATION_TIMEOUT_MS = 5_000;
const ALLOWED = new Set(['BAD_ARCHIVE', 'NOT_AN_ARCHIVE']);
const RSS_GROWTH_MAX = 400 * 1024 * 1024;

const CODEC_TOOLS: Record<Codec, string> = { gzip: 'gzip', bzip2: 'bzip2', xz: 'xz', lzma: 'xz', 'lz4-legacy': 'lz4', lz4: 'lz4', zstd: 'zstd' };

function baseArchive(): Buffer {
  const blob = Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff));
  return newc([
    dir('.'),
    dir('etc'),
    file('etc/VERSION', 'fuzz 1\n'),
    file('etc/issue', '', { ino: 77, nlink: 2 }),
    file('etc/issue.net', 'shared data\n', { ino: 77, nlink: 2 }),
    symlink('bin/sh', 'busybox'),
    file('bin/busybox', blob, { mode: S.file | 0o755 }),
    { name: 'dev/console', mode: S.char | 0o600, rdev: [5, 1] },
    symlink('lib', 'usr/lib'),
    file('lib/modules/x.ko', 'module'),
    file('etc/' + 'n'.repeat(300), 'long name'),
  ], { padTo: 512 });
}

describe('archive reader fuzzing', () => {
  let buildDir = '';
  let workerFile = '';
  const bases: { name: string; data: Uint8Array }[] = [];

  beforeAll(async () => {
    buildDir = path.join(ROOT, '.cache', 'test-build', `fuzz-${randomBytes(4).toString('hex')}`);
    mkdirSync(buildDir, { recursive: true });
    workerFile = path.join(buildDir, 'fuzz-worker.cjs');
    await build({
      entryPoints: [path.join(ROOT, 'test/helpers/archive-fuzz-worker.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: workerFile,
      external: DEPENDENCIES,
      logLevel: 'warning',
    });
    const plain = baseArchive();
    const crc = Buffer.from(plain);
    bases.push({ name: 'newc', data: plain });
    bases.push({ name: 'newc+newc', data: Buffer.concat([plain, crc]) });
    for (const c of CODECS) if (hasTool(CODEC_TOOLS[c])) bases.push({ name: c, data: compress(plain, c) });
    if (hasTool('gzip')) bases.push({ name: 'newc,gzip', data: Buffer.concat([plain, Buffer.alloc(64), compress(plain, 'gzip')]) });
  }, 60_000);

  afterAll(() => {
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  it(`keeps every failure a LabError, never hangs, bounds memory (seed 0x${SEED.toString(16)})`, async () => {
    console.log(`archive fuzz: seed 0x${SEED.toString(16)} (ARCHIVE_FUZZ_SEED), ${DURATION_MS} ms (ARCHIVE_FUZZ_MS), ${bases.length} base archives: ${bases.map((b) => b.name).join(', ')}`);
    const cacheDir = path.join(buildDir, 'cache');
    const input: FuzzInput = { seed: SEED, durationMs: DURATION_MS, cacheDir, bases };
    const worker = new Worker(workerFile, { workerData: input });
    const reports: FuzzReport[] = [];
    const crashes: FuzzReport[] = [];
    const codes = new Map<string, number>();
    let hang: string | undefined;
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const last = reports.at(-1);
          hang = `no result for ${ITERATION_TIMEOUT_MS} ms after iteration ${last?.i ?? -1}: iteration ${(last?.i ?? -1) + 1} hangs (seed 0x${SEED.toString(16)})`;
          void worker.terminate().then(() => resolve());
        }, ITERATION_TIMEOUT_MS);
      };
      arm();
      worker.on('message', (m: FuzzReport | { done: true }) => {
        if ('done' in m) {
          clearTimeout(timer);
          void worker.terminate().then(() => resolve());
          return;
        }
        arm();
        reports.push({ ...m, input: undefined });
        if (m.outcome === 'crash' || (m.outcome === 'error' && !ALLOWED.has(m.code!))) crashes.push(m);
        if (m.outcome === 'error') codes.set(m.code!, (codes.get(m.code!) ?? 0) + 1);
      });
      worker.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });

    const ok = reports.filter((r) => r.outcome === 'ok').length;
    const slowest = reports.reduce((a, r) => (r.ms > a.ms ? r : a), reports[0]!);
    const warm = reports[Math.min(50, reports.length - 1)]!.rss;
    const peak = Math.max(...reports.map((r) => r.rss));
    console.log(
      `archive fuzz: ${reports.length} iterations, ${ok} opened, ${[...codes].map(([c, n]) => `${n} ${c}`).join(', ')}; ` +
        `slowest ${slowest.ms.toFixed(0)} ms (#${slowest.i} ${slowest.base}/${slowest.mutation}); rss ${(warm / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB`,
    );
    for (const c of crashes.slice(0, 3)) {
      const f = path.join(ROOT, '.cache', `archive-fuzz-crash-${SEED.toString(16)}-${c.i}.bin`);
      if (c.input) writeFileSync(f, c.input);
      console.log(`crash at iteration ${c.i} (${c.base}/${c.mutation}), input saved to ${f}:\n${c.code ?? ''} ${c.message}`);
    }
    expect(hang).toBeUndefined();
    expect(crashes.map((c) => `#${c.i} ${c.base}/${c.mutation}: ${c.code ?? ''} ${c.message?.split('\n')[0]}`)).toEqual([]);
    expect(reports.length).toBeGreaterThan(100);
    expect(peak - warm).toBeLessThan(RSS_GROWTH_MAX);
  }, DURATION_MS + 60_000);
});
