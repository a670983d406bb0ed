// Archives as folders, against the real tools: trees archived with GNU cpio in every format,
// compressed with every CLI, read back by our reader and by bsdtar / cpio, and compared
// entry by entry and byte by byte. Then the fixture initrd, multi-segment initrds, the cache,
// and the worker_threads path with progress and cancel.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveImage } from '../../electron/core/archive/archive-image';
import { FileSource } from '../../electron/core/image/byte-source';
import type { NodeEntry } from '../../electron/core/image/entry';
import { buildReader, ROOT, type BuiltReader } from '../helpers/archive-build';
import { allEntries, openArchive, readAll, type Opened } from '../helpers/archive-open';
import { CODECS, compress, cpio, extractWith, hasTool, isRoot, listVerbose, listWith, makeTree, MTIME, run, sh, tempDir, type Codec, type CpioFormatFlag, type Extracted } from '../helpers/archive-tools';
import { modeString } from '../../electron/core/image/entry';

const haveTools = ['bsdtar', 'cpio', 'gzip', 'bzip2', 'xz', 'lz4', 'zstd'].every(hasTool);
const EXPECTED_FORMAT: Record<CpioFormatFlag, string> = { newc: 'newc', crc: 'crc', odc: 'odc', bin: 'binary' };

let treeDir = '';
const archives = new Map<CpioFormatFlag, Buffer>();
const opened: Opened[] = [];

beforeAll(() => {
  if (!haveTools) return;
  treeDir = tempDir('isolab-tree-');
  makeTree(treeDir);
  for (const f of ['newc', 'crc', 'odc', 'bin'] as const) archives.set(f, cpio(treeDir, f));
});
afterAll(async () => {
  await Promise.all(opened.splice(0).map((o) => o.dispose()));
  if (treeDir) rmSync(treeDir, { recursive: true, force: true });
});

async function open(data: Buffer) {
  const o = await openArchive(data);
  opened.push(o);
  return o.img;
}

/** Compares our entries with what a tool extracted: every node, every attribute, every byte. */
async function expectSameAs(img: ArchiveImage, extracted: Map<string, Extracted>, opts: { checkMtime?: boolean } = {}) {
  const ours = await allEntries(img);
  expect([...ours.keys()].sort()).toEqual([...extracted.keys()].sort());
  for (const [p, x] of extracted) {
    const e = ours.get(p) as NodeEntry;
    const got = { path: p, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.type === 'file' ? e.size : 0 };
    expect(got).toEqual({ path: p, type: x.type, mode: x.mode, uid: x.uid, gid: x.gid, size: x.size });
    // Directory mtimes change while a tool extracts into them; files and links keep theirs.
    if (opts.checkMtime !== false && x.type !== 'dir' && x.type !== 'symlink') expect([p, e.mtime]).toEqual([p, x.mtime * 1000]);
    if (x.type === 'symlink') expect([p, e.target]).toEqual([p, x.target]);
    if (x.rdev) expect([p, e.rdev]).toEqual([p, x.rdev]);
    if (x.data) expect((await readAll(img.open(e))).equals(x.data)).toBe(true);
  }
  return ours;
}

describe.skipIf(!haveTools)('archives made by GNU cpio, read like bsdtar and cpio read them', () => {
  it.each(['newc', 'crc', 'odc', 'bin'] as const)('uncompressed %s', async (format) => {
    const data = archives.get(format)!;
    const img = await open(data);
    expect(img.format).toBe('cpio');
    expect(img.segments).toEqual([{ offset: 0, compression: 'none', format: EXPECTED_FORMAT[format], entries: img.entryCount, compressedSize: expect.any(Number), uncompressedSize: expect.any(Number) }]);
    expect(img.warnings).toEqual([]);
    await expectSameAs(img, extractWith('bsdtar', data));
    // cpio -it lists the same names (the root '.' as '/').
    const names = new Set(listWith('cpio', data));
    names.delete('/');
    expect([...(await allEntries(img)).keys()].sort()).toEqual([...names].sort());
  });

  it.each(['newc', 'crc', 'odc'] as const)('%s agrees with the bsdtar -tvf and cpio -itv listings', async (format) => {
    const data = archives.get(format)!;
    const img = await open(compress(data, 'xz'));
    for (const tool of ['bsdtar', 'cpio'] as const) {
      for (const l of listVerbose(tool, data)) {
        if (l.path === '/') continue;
        const e = await img.stat(l.path);
        expect([l.path, modeString(e.type, e.mode), e.nlink]).toEqual([l.path, l.mode, l.nlink]);
        if (tool === 'bsdtar') expect([l.path, String(e.uid), String(e.gid)]).toEqual([l.path, l.owner, l.group]);
        if (e.type === 'symlink') expect(e.target).toBe(l.target);
        else if (e.type === 'char' || e.type === 'block') expect(`${e.rdev!.major},${e.rdev!.minor}`).toBe(l.size);
        // Hard links: the tools show each header's own size (0 on all but one); we show the data.
        else if (e.type === 'file' && (e.nlink ?? 1) < 2) expect([l.path, e.size]).toEqual([l.path, Number(l.size)]);
      }
    }
  });

  it('reads old binary cpio in both byte orders', async () => {
    const le = archives.get('bin')!;
    // GNU cpio writes the host's order (little-endian here): swap every header word.
    const be = Buffer.from(le);
    for (let at = 0; at + 26 <= be.length && be.readUInt16LE(at) === 0x71c7; ) {
      const namesize = le.readUInt16LE(at + 20);
      const size = le.readUInt16LE(at + 22) * 65536 + le.readUInt16LE(at + 24);
      for (let w = 0; w < 13; w++) be.writeUInt16BE(le.readUInt16LE(at + w * 2), at + w * 2);
      const name = le.toString('latin1', at + 26, at + 26 + namesize - 1);
      at += 26 + namesize + (namesize & 1) + size + (size & 1);
      if (name === 'TRAILER!!!') break;
    }
    const a = await allEntries(await open(le));
    const b = await allEntries(await open(be));
    expect([...b.entries()]).toEqual([...a.entries()].map(([p, e]) => [p, { ...e, extents: expect.any(Array) }]));
  });

  it('matches what GNU cpio itself extracts', async () => {
    const data = archives.get('newc')!;
    await expectSameAs(await open(data), extractWith('cpio', data));
  });

  it.each(CODECS)('newc compressed with %s', async (codec: Codec) => {
    const plain = archives.get('newc')!;
    const img = await open(compress(plain, codec));
    expect(img.format).toBe(`cpio+${codec}`);
    expect(img.segments[0]).toMatchObject({ compression: codec, format: 'newc', uncompressedSize: plain.length });
    await expectSameAs(img, extractWith('bsdtar', plain));
  });

  it('gives both hard links the data GNU cpio stored on the last one', async () => {
    const img = await open(archives.get('newc')!);
    const a = await img.stat('/etc/issue');
    const b = await img.stat('/etc/issue.net');
    expect(a.size).toBeGreaterThan(0);
    expect((await readAll(img.open(a))).equals(await readAll(img.open(b)))).toBe(true);
    expect([a.linkOf, b.linkOf].filter(Boolean)).toHaveLength(1);
    expect(a.nlink).toBe(2);
  });

  it('keeps the odd bits: setuid, sticky, fifo, device numbers, long and deep names', async () => {
    const img = await open(compress(archives.get('newc')!, 'gzip'));
    expect((await img.stat('/usr/bin/su')).mode).toBe(0o4755);
    expect((await img.stat('/tmp')).mode).toBe(0o1777);
    expect((await img.stat('/fifo')).type).toBe('fifo');
    expect((await img.stat('/etc/empty')).size).toBe(0);
    expect((await readAll(img.open(await img.stat('/etc/empty')))).length).toBe(0);
    expect((await img.stat(`/long/${'n'.repeat(200)}.txt`)).size).toBe(10);
    expect((await img.stat('/names/with space and ünïcödé.txt')).size).toBe(8);
    const deep = '/' + Array.from({ length: 40 }, (_, i) => `d${i}`).join('/') + '/leaf.txt';
    expect((await readAll(img.open(await img.stat(deep)))).toString()).toBe('deep\n');
    expect((await img.stat('/bin/dangling')).target).toBe('/nonexistent/target');
    expect((await img.stat('/etc/VERSION')).mtime).toBe(MTIME * 1000);
    if (isRoot) expect(await img.stat('/dev/console')).toMatchObject({ type: 'char', rdev: { major: 5, minor: 1 } });
  });
});

describe.skipIf(!haveTools)('initrds of several segments', () => {
  it.each(CODECS)('early uncompressed cpio + main cpio compressed with %s, zero padding between', async (codec: Codec) => {
    const early = tempDir('isolab-early-');
    try {
      sh('mkdir -p kernel/x86/microcode && printf "GenuineIntel microcode" > kernel/x86/microcode/GenuineIntel.bin', early);
      const earlyCpio = cpio(early, 'newc');
      const main = archives.get('newc')!;
      const initrd = Buffer.concat([earlyCpio, Buffer.alloc(4096), compress(main, codec), Buffer.alloc(codec === 'lz4-legacy' ? 8 : 3)]);
      const img = await open(initrd);
      expect(img.format).toBe(`cpio,cpio+${codec}`);
      expect(img.segments.map((s) => s.compression)).toEqual(['none', codec]);
      expect(img.warnings).toEqual([]);
      expect((await readAll(img.open(await img.stat('/kernel/x86/microcode/GenuineIntel.bin')))).toString()).toBe('GenuineIntel microcode');
      expect((await readAll(img.open(await img.stat('/etc/VERSION')))).toString()).toBe('isolab-test 1\n');
      // The union of both archives, as the kernel unpacks them.
      const expected = new Set([...extractWith('bsdtar', earlyCpio).keys(), ...extractWith('bsdtar', main).keys()]);
      expect([...(await allEntries(img)).keys()].sort()).toEqual([...expected].sort());
    } finally {
      rmSync(early, { recursive: true, force: true });
    }
  });

  it('reads concatenated compressed members and lets later ones win', async () => {
    const a = tempDir('isolab-a-');
    const b = tempDir('isolab-b-');
    try {
      sh('mkdir etc && echo first > etc/VERSION && echo only-a > etc/a', a);
      sh('mkdir etc && echo second > etc/VERSION && echo only-b > etc/b', b);
      const img = await open(Buffer.concat([compress(cpio(a), 'gzip'), compress(cpio(b), 'zstd'), compress(cpio(a), 'xz'), compress(cpio(b), 'bzip2')]));
      expect(img.format).toBe('cpio+gzip,cpio+zstd,cpio+xz,cpio+bzip2');
      expect((await readAll(img.open(await img.stat('/etc/VERSION')))).toString()).toBe('second\n');
      expect((await img.readdir('/etc')).map((e) => e.name)).toEqual(['VERSION', 'a', 'b']);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });
});

const FIXTURE = path.join(ROOT, '.cache', 'fixture', 'initrd.cpio.bz2');

describe('the fixture initrd', () => {
  beforeAll(() => {
    if (!existsSync(FIXTURE) && hasTool('xorriso')) run('bash', ['scripts/make-fixture-iso.sh'], { cwd: ROOT });
  }, 600_000);

  it.skipIf(!existsSync(FIXTURE) && !hasTool('xorriso'))('opens as a folder tree', async () => {
    const src = await FileSource.open(FIXTURE);
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'isolab-fixture-cache-'));
    try {
      const img = await ArchiveImage.open(src, { cacheDir, useWorker: false });
      expect(img.format).toBe('cpio+bzip2');
      expect((await readAll(img.open(await img.stat('/etc/VERSION')))).toString()).toBe('isolab-fixture 1\n');
      expect(await img.stat('/bin/sh')).toMatchObject({ type: 'symlink', target: 'busybox' });
      const issue = await readAll(img.open(await img.stat('/etc/issue')));
      expect(issue.length).toBeGreaterThan(0);
      expect(issue.equals(await readAll(img.open(await img.stat('/etc/issue.net'))))).toBe(true);
      expect(await img.stat('/dev/console')).toMatchObject({ type: 'char', rdev: { major: 5, minor: 1 } });
      expect((await img.readdir('/')).map((e) => e.name)).toContain('etc');
      await img.close();
    } finally {
      await src.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!haveTools)('the index cache', () => {
  it('reopens from the cache, re-indexes changed bytes and rebuilds a corrupt index', async () => {
    const dir = tempDir('isolab-cache-');
    try {
      const file = path.join(dir, 'initrd');
      const cacheDir = path.join(dir, 'cache');
      const data = compress(Buffer.concat([archives.get('newc')!, Buffer.alloc(0)]), 'bzip2');
      writeFileSync(file, data);
      const openIt = async () => {
        const src = await FileSource.open(file);
        const t = performance.now();
        const img = await ArchiveImage.open(src, { cacheDir, useWorker: false });
        const ms = performance.now() - t;
        const version = (await readAll(img.open(await img.stat('/etc/VERSION')))).toString();
        await img.close();
        await src.close();
        return { img, ms, version };
      };
      const first = await openIt();
      expect(first.img.fromCache).toBe(false);
      const second = await openIt();
      expect(second.img.fromCache).toBe(true);
      expect(second.version).toBe('isolab-test 1\n');

      const files = readdirSync(path.join(cacheDir, 'archives'));
      expect(files.filter((f) => f.endsWith('.index.json'))).toHaveLength(1);
      expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
      const indexFile = path.join(cacheDir, 'archives', files.find((f) => f.endsWith('.index.json'))!);
      writeFileSync(indexFile, '{"v":1,"this is":"not the index"}\nabc\n');
      const third = await openIt();
      expect(third.img.fromCache).toBe(false);
      expect(third.version).toBe('isolab-test 1\n');
      expect((await openIt()).img.fromCache).toBe(true);

      // Other bytes (a new mtime and size): a new index.
      const other = tempDir('isolab-cache-tree-');
      sh('mkdir etc && echo changed > etc/VERSION', other);
      writeFileSync(file, compress(cpio(other), 'bzip2'));
      rmSync(other, { recursive: true, force: true });
      const changed = await openIt();
      expect(changed.img.fromCache).toBe(false);
      expect(changed.version).toBe('changed\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!haveTools)('indexing on a worker thread', () => {
  let built: { mod: BuiltReader; dir: string; cleanup(): void };
  let bigFile = '';
  let work = '';
  beforeAll(async () => {
    built = await buildReader();
    work = tempDir('isolab-worker-');
    const tree = path.join(work, 'tree');
    makeTree(tree, { big: true });
    // Several MiB of bzip2: long enough to cancel in the middle.
    sh(`for i in 1 2 3 4 5 6; do head -c 2000000 /dev/urandom | base64 > tree/blob$i.txt; done`, work);
    bigFile = path.join(work, 'initrd.bz2');
    writeFileSync(bigFile, compress(cpio(tree), 'bzip2'));
  }, 120_000);
  afterAll(() => {
    built?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('builds the index in the worker and reports progress', async () => {
    const { ArchiveImage: Img, FileSource: FS } = built.mod;
    const src = await FS.open(bigFile);
    const cacheDir = path.join(work, 'cache-ok');
    const progress: { bytesIn: number; totalIn: number; entries: number }[] = [];
    const img = await Img.open(src, { cacheDir, useWorker: true, onProgress: (p) => progress.push(p) });
    expect(img.fromCache).toBe(false);
    expect(img.format).toBe('cpio+bzip2');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ bytesIn: src.size, totalIn: src.size });
    expect(progress.at(-1)!.entries).toBe(img.entryCount);
    expect((await readAll(img.open(await img.stat('/etc/VERSION')))).toString()).toBe('isolab-test 1\n');
    expect((await readAll(img.open(await img.stat('/etc/issue.net')))).length).toBeGreaterThan(0);
    await img.close();
    await src.close();
  });

  it('is cancelled by the abort signal, leaving no partial files', async () => {
    const { ArchiveImage: Img, FileSource: FS } = built.mod;
    const src = await FS.open(bigFile);
    const cacheDir = path.join(work, 'cache-cancel');
    const ac = new AbortController();
    let events = 0;
    const t = performance.now();
    const p = Img.open(src, {
      cacheDir,
      useWorker: true,
      signal: ac.signal,
      onProgress: () => {
        if (++events === 2) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(performance.now() - t).toBeLessThan(10_000);
    expect(readdirSync(path.join(cacheDir, 'archives'))).toEqual([]);
    // An abort before anything started rejects at once.
    await expect(Img.open(src, { cacheDir, useWorker: true, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
    await src.close();
  });

  it('passes archive errors through from the worker as LabErrors', async () => {
    const { ArchiveImage: Img, FileSource: FS } = built.mod;
    const file = path.join(work, 'bad.gz');
    const good = compress(archives.get('newc')!, 'gzip');
    writeFileSync(file, good.subarray(0, good.length - 100));
    const src = await FS.open(file);
    await expect(Img.open(src, { cacheDir: path.join(work, 'cache-bad'), useWorker: true })).rejects.toMatchObject({ code: 'BAD_ARCHIVE', message: expect.stringMatching(/segment 1 \(gzip\)/) });
    await src.close();
  });
});
