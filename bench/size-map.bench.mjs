// size-map: the size tree of a ~100,000-entry rootfs (image.sizeMap on an indexed initrd)
// against `du -sb` over the same tree extracted with cpio, page cache warm for both. Ours runs
// in an open image (the index in memory, as in the app after the first request); the first
// request of a fresh session (the cached index read back) is printed too. Target: ≤ 0.5.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTs } from './bundle-ts.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const benchDir = path.join(root, '.cache', 'bench');
const cpio = path.join(benchDir, 'size-map-rootfs.cpio');
const tree = path.join(benchDir, 'size-map-tree');
const cacheDir = path.join(benchDir, 'size-map-cache');
const RUNS = 5;

function need(cmd, pkg) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`size-map: ${cmd} not found (apt-get install ${pkg})`);
    process.exit(1);
  }
}

/** A reproducible pseudo-random sequence (mulberry32). */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A rootfs-shaped newc cpio, uncompressed (the walk is measured, not a decoder): 20 top
 * folders, ~5,000 folders in all, ~95,000 files with sizes spread from 0 to 4 KB, one in ten
 * a symlink and one in five hundred a hardlink. Built once and kept with its extraction.
 */
function corpus() {
  if (existsSync(cpio) && existsSync(tree)) return;
  mkdirSync(benchDir, { recursive: true });
  const rnd = random(7);
  const parts = [];
  let ino = 1;
  const hex = (n) => n.toString(16).padStart(8, '0');
  const entry = (name, mode, data = Buffer.alloc(0), nlink = 1, fixedIno) => {
    const nameBuf = Buffer.from(name + '\0');
    const header = '070701' + [fixedIno ?? ino++, mode, 0, 0, nlink, 1704067200, data.length, 0, 0, 0, 0, nameBuf.length, 0].map(hex).join('');
    parts.push(Buffer.from(header), nameBuf, Buffer.alloc((4 - ((110 + nameBuf.length) % 4)) % 4), data, Buffer.alloc((4 - (data.length % 4)) % 4));
  };
  const dirs = [];
  for (let t = 0; t < 20; t++) {
    const top = `top${t}`;
    entry(top, 0o040755);
    dirs.push(top);
    for (let a = 0; a < 15; a++) {
      entry(`${top}/sub${a}`, 0o040755);
      dirs.push(`${top}/sub${a}`);
      for (let b = 0; b < 16; b++) {
        entry(`${top}/sub${a}/leaf${b}`, 0o040755);
        dirs.push(`${top}/sub${a}/leaf${b}`);
      }
    }
  }
  let n = dirs.length;
  for (let i = 0; n < 100_000; i++, n++) {
    const dir = dirs[Math.floor(rnd() * dirs.length)];
    const name = `${dir}/f${i}`;
    if (i % 10 === 9) entry(name, 0o120777, Buffer.from(`../f${i - 1}`));
    else if (i % 500 === 499) {
      // Two names, one inode: the data rides on the second, as GNU cpio writes it.
      const other = `${dirs[Math.floor(rnd() * dirs.length)]}/h${i}`;
      entry(name, 0o100644, Buffer.alloc(0), 2, 9_000_000 + i);
      entry(other, 0o100644, Buffer.alloc(2048, 1), 2, 9_000_000 + i);
      n++;
    } else entry(name, 0o100644, Buffer.alloc(Math.floor(Math.exp(rnd() * Math.log(4097))) - 1, 0x61));
  }
  entry('TRAILER!!!', 0);
  writeFileSync(`${cpio}.tmp`, Buffer.concat(parts));
  spawnSync('mv', [`${cpio}.tmp`, cpio]);
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  const r = spawnSync('sh', ['-c', `cpio -i -d -m --quiet --no-absolute-filenames -D "${tree}" < "${cpio}"`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('cpio -i failed');
}

function du() {
  const t = performance.now();
  const r = spawnSync('du', ['-sb', tree], { encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`du -sb: ${r.stderr}`);
  return { ms, bytes: Number(r.stdout.split('\t')[0]) };
}

/** What du counts beyond file and symlink bytes: the folders' own sizes. */
function folderBytes() {
  const r = spawnSync('find', [tree, '-type', 'd', '-printf', '%s\\n'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return r.stdout.split('\n').filter(Boolean).reduce((s, x) => s + Number(x), 0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

need('cpio', 'cpio');
need('du', 'coreutils');
corpus();
const { ImageSession, sizeMap } = await loadTs(
  "export { ImageSession } from './electron/core/image/image-session'; export { sizeMap } from './electron/core/image/size-map';",
  'size-map',
);
const opts = { depth: 3, minFraction: 0.001 };

// The index is built once (the initrd-index bench measures that); every run below reads it.
rmSync(cacheDir, { recursive: true, force: true });
const session = await ImageSession.open(cpio, cacheDir);
let result = await sizeMap(session, '/', opts);
du();

const ours = [];
const theirs = [];
let duBytes = 0;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  result = await sizeMap(session, '/', opts);
  ours.push(performance.now() - t);
  const d = du();
  theirs.push(d.ms);
  duBytes = d.bytes;
}
await session.close();

const fresh = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const s = await ImageSession.open(cpio, cacheDir);
  await sizeMap(s, '/', opts);
  fresh.push(performance.now() - t);
  await s.close();
}

const o = median(ours);
const d = median(theirs);
const expected = duBytes - folderBytes();
const payload = JSON.stringify(result).length;
console.log(`size-map: ${result.entries} entries, ${result.root.size} bytes (du -sb ${duBytes} less folders' own sizes: ${expected}; ${result.root.size === expected ? 'same' : 'DIFFERENT'}), reply ${(payload / 1024).toFixed(0)} KB`);
console.log(`size-map: first request of a fresh session (index read back) ${median(fresh).toFixed(0)} ms`);
console.log(`size-map: ours ${o.toFixed(0)} ms, du -sb ${d.toFixed(0)} ms, ratio ${(o / d).toFixed(2)} (target ≤ 0.5)`);
rmSync(cacheDir, { recursive: true, force: true });
