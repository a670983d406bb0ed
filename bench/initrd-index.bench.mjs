// Benchmark: indexing a ~100 MB initrd (a cpio of /usr/lib and /usr/share files) with our
// reader, cold (a fresh cache folder each run, so everything is decompressed, parsed and
// written), against `bsdtar -tf` on the same file, for each compression. Three runs each,
// interleaved, medians. Usage: node bench/initrd-index.bench.mjs [codec…] [--in-thread]
import { build } from 'esbuild';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const benchDir = path.join(root, '.cache', 'bench');
const RUNS = 3;
const TARGET_MB = 100;
const CODECS = [
  { name: 'gzip', ext: 'gz', cmd: 'gzip -6 -c -n', target: 1.2 },
  { name: 'xz', ext: 'xz', cmd: 'xz -6 --check=crc32 -T1 -c', target: 1.5 },
  { name: 'bzip2', ext: 'bz2', cmd: 'bzip2 -9 -c', target: 1.5 },
  { name: 'zstd', ext: 'zst', cmd: 'zstd -19 -T0 -c -q', target: 2 },
  { name: 'lz4', ext: 'lz4', cmd: 'lz4 -l -9 -c -q', target: 2 },
];

const args = process.argv.slice(2);
const inThread = args.includes('--in-thread');
const only = args.filter((a) => !a.startsWith('--'));

function sh(script) {
  return execFileSync('bash', ['-c', `set -euo pipefail; ${script}`], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30 });
}

/** ~100 MB of real files in cpio newc, the way an initrd is made; built once and kept. */
function corpus() {
  mkdirSync(benchDir, { recursive: true });
  const cpio = path.join(benchDir, 'initrd.cpio');
  if (!existsSync(cpio)) {
    console.error(`bench: building ${cpio} from /usr/lib and /usr/share (~${TARGET_MB} MB)…`);
    sh(
      // find is cut off by a closed pipe once awk has enough: that is not a failure.
      `cd / && (find usr/lib usr/share -xdev \\( -type f -size -4M -o -type d -o -type l \\) -printf '%y %s %p\\n' 2>/dev/null || true) ` +
        `| awk 'NF == 3 { if ($1 == "f") t += $2; if (t > ${TARGET_MB} * 1048576) exit; print $3 }' | cpio -o -H newc --quiet > ${cpio}.tmp; mv ${cpio}.tmp ${cpio}`,
    );
  }
  for (const c of CODECS) {
    const f = `${cpio}.${c.ext}`;
    if (!existsSync(f) || statSync(f).mtimeMs < statSync(cpio).mtimeMs) {
      console.error(`bench: compressing with ${c.cmd}…`);
      sh(`${c.cmd} < ${cpio} > ${f}.tmp && mv ${f}.tmp ${f}`);
    }
  }
  return cpio;
}

async function bundle() {
  const out = path.join(benchDir, 'build');
  mkdirSync(out, { recursive: true });
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', absWorkingDir: root, external: Object.keys(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies ?? {}) };
  await build({
    ...common,
    stdin: { contents: `export * from './electron/core/archive/archive-image'; export * from './electron/core/image/byte-source';`, resolveDir: root, loader: 'ts', sourcefile: 'bench-entry.ts' },
    outfile: path.join(out, 'archive-image.cjs'),
  });
  await build({ ...common, entryPoints: ['electron/core/archive/index-worker.ts'], outfile: path.join(out, 'archive-index-worker.cjs') });
  return createRequire(import.meta.url)(path.join(out, 'archive-image.cjs'));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ours(mod, file) {
  const cacheDir = path.join(benchDir, 'cache-run');
  rmSync(cacheDir, { recursive: true, force: true });
  const src = await mod.FileSource.open(file);
  const t = performance.now();
  const img = await mod.ArchiveImage.open(src, { cacheDir, useWorker: !inThread });
  const ms = performance.now() - t;
  const entries = img.entryCount;
  await img.close();
  await src.close();
  rmSync(cacheDir, { recursive: true, force: true });
  return { ms, entries };
}

function bsdtar(file) {
  const t = performance.now();
  const r = spawnSync('bsdtar', ['-tf', file], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`bsdtar -tf ${file}: ${r.stderr}`);
  return { ms, entries: r.stdout.toString().split('\n').filter(Boolean).length };
}

const cpio = corpus();
const mod = await bundle();
console.log(`initrd-index: ${path.relative(root, cpio)} ${(statSync(cpio).size / 1e6).toFixed(0)} MB, ${RUNS} runs each, medians, ${inThread ? 'in-thread' : 'worker thread'}`);
const results = [];
for (const c of CODECS) {
  if (only.length && !only.includes(c.name)) continue;
  const file = `${cpio}.${c.ext}`;
  await ours(mod, file); // warm-up: the page cache, the JIT, the decoder module
  bsdtar(file);
  const a = [];
  const b = [];
  let counts;
  for (let i = 0; i < RUNS; i++) {
    const o = await ours(mod, file);
    const t = bsdtar(file);
    a.push(o.ms);
    b.push(t.ms);
    counts = [o.entries, t.entries];
  }
  const ratio = median(a) / median(b);
  results.push({ codec: c.name, ours: median(a), bsdtar: median(b), ratio, target: c.target, counts });
  console.log(`initrd-index ${c.name}: ours ${median(a).toFixed(0)} ms, bsdtar -tf ${median(b).toFixed(0)} ms, ratio ${ratio.toFixed(2)} (target ≤ ${c.target}) [${(statSync(file).size / 1e6).toFixed(0)} MB; entries ${counts[0]} vs ${counts[1]} listed]`);
}
writeFileSync(path.join(benchDir, 'initrd-index.json'), JSON.stringify(results, null, 2));
