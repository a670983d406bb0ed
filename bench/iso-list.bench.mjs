// iso-list: a full recursive listing of a ~50,000-entry Rock Ridge ISO with our reader versus
// `bsdtar -tf` on the same file. Target: ours in at most half of bsdtar's time.
// Plain Node cannot import the TypeScript sources, so esbuild bundles the reader first.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTs } from './bundle-ts.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cacheDir = path.join(root, '.cache', 'bench');
const DIRS = 2500;
const FILES = 20;
const RUNS = 3;
const iso = path.join(cacheDir, `iso-list-${DIRS}x${FILES}.iso`);

function need(cmd) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`iso-list: ${cmd} not found (apt-get install ${cmd === 'bsdtar' ? 'libarchive-tools' : cmd})`);
    process.exit(1);
  }
}

/** 2,500 directories of 20 small files, in 50 groups so no directory gets huge. */
function makeIso() {
  if (existsSync(iso)) return;
  const tree = path.join(os.tmpdir(), `isolab-bench-tree-${process.pid}`);
  rmSync(tree, { recursive: true, force: true });
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(tree, `group${String(d % 50).padStart(2, '0')}`, `dir${String(d).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES; f++) writeFileSync(path.join(dir, `file-${f}.txt`), `${d}/${f}\n`);
  }
  mkdirSync(cacheDir, { recursive: true });
  const r = spawnSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-o', `${iso}.tmp`, tree], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(tree, { recursive: true, force: true });
  if (r.status !== 0) throw new Error('xorriso failed');
  spawnSync('mv', [`${iso}.tmp`, iso]);
}

function loadReader() {
  return loadTs("export { IsoImage } from './electron/core/iso/iso-image'; export { FileSource } from './electron/core/image/byte-source';", 'iso-reader');
}

async function listOurs({ IsoImage, FileSource }) {
  const src = await FileSource.open(iso);
  try {
    const image = await IsoImage.open(src);
    const rows = [];
    const walk = async (dir) => {
      const entries = await image.readdir(dir);
      const subdirs = [];
      for (const e of entries) {
        const p = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
        rows.push({ path: p, type: e.type, size: e.size, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, target: e.target });
        if (e.type === 'dir') subdirs.push(p);
      }
      for (const d of subdirs) await walk(d);
    };
    await walk('/');
    return rows.length;
  } finally {
    await src.close();
  }
}

function listBsdtar() {
  return new Promise((resolve, reject) => {
    const child = spawn('bsdtar', ['-tf', iso], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lines = 0;
    child.stdout.on('data', (b) => {
      for (const c of b) if (c === 10) lines++;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`bsdtar exited ${code}`))));
  });
}

async function time(fn) {
  const t0 = process.hrtime.bigint();
  const n = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, n };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

need('xorriso');
need('bsdtar');
makeIso();
const reader = await loadReader();
// One warm-up each: the page cache and V8's JIT, so runs compare steady states.
await listOurs(reader);
await listBsdtar();
const ours = [];
const theirs = [];
let counts;
for (let i = 0; i < RUNS; i++) {
  const a = await time(() => listOurs(reader));
  const b = await time(listBsdtar);
  ours.push(a.ms);
  theirs.push(b.ms);
  counts = [a.n, b.n];
}
const o = median(ours);
const t = median(theirs);
console.log(`entries: ours ${counts[0]}, bsdtar ${counts[1]} (bsdtar also lists ".")`);
console.log(`iso-list: ours ${o.toFixed(0)} ms, bsdtar -tf ${t.toFixed(0)} ms, ratio ${(o / t).toFixed(2)} (target ≤ 0.5)`);

// The issue names the command itself: the whole `isolab ls -R --json`, Node's start-up and
// JSON output included, against the same bsdtar runs. Needs `npm run build`.
const cli = path.join(root, 'bin', 'isolab.cjs');
if (existsSync(path.join(root, 'out', 'cli', 'isolab.cjs'))) {
  const runCli = () =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'ls', iso, '/', '-R', '--json'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ISOLAB_HOME: path.join(cacheDir, 'home') } });
      let bytes = 0;
      child.stdout.on('data', (b) => (bytes += b.length));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`isolab exited ${code}`))));
    });
  await runCli();
  const cliTimes = [];
  const tarTimes = [];
  for (let i = 0; i < RUNS; i++) {
    cliTimes.push((await time(runCli)).ms);
    tarTimes.push((await time(listBsdtar)).ms);
  }
  const c = median(cliTimes);
  const t2 = median(tarTimes);
  console.log(`iso-list-cli: isolab ls -R --json ${c.toFixed(0)} ms, bsdtar -tf ${t2.toFixed(0)} ms, ratio ${(c / t2).toFixed(2)} (target ≤ 0.5)`);
} else {
  console.log('iso-list-cli: skipped (run `npm run build` first)');
}
