// The size map against the fixture ISO and archives made for the purpose: the sums must be
// what the files hold (checked against the tree cpio itself extracts), hardlinks count once,
// and what is too small to draw is merged.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requests } from '../../shared/contract';
import { LabError } from '../../shared/errors';
import type { SizeNode } from '../../shared/size-map';
import { ImageSession } from '../../electron/core/image/image-session';
import { listTree } from '../../electron/core/image/inspect';
import { MAX_CHILDREN, sizeMap } from '../../electron/core/image/size-map';
import { dir, file, newc, S, symlink, type NewcEntry } from '../helpers/archive-newc';

const root = path.resolve(__dirname, '..', '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'isolab-size-map-'));
const cacheDir = path.join(tmp, 'cache');
const sessions: ImageSession[] = [];
let iso = '';
let initrd = '';

beforeAll(() => {
  iso = execFileSync('bash', [path.join(root, 'scripts', 'make-fixture-iso.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
  initrd = path.join(path.dirname(iso), 'initrd.cpio.bz2');
}, 300_000);
afterAll(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

async function open(file: string): Promise<ImageSession> {
  const s = await ImageSession.open(file, cacheDir);
  sessions.push(s);
  return s;
}

let archives = 0;
async function openArchive(entries: NewcEntry[]): Promise<ImageSession> {
  const f = path.join(tmp, `a${archives++}.cpio`);
  writeFileSync(f, newc(entries));
  return open(f);
}

const all = { depth: 8, minFraction: 0 };
const child = (n: SizeNode, name: string) => n.children?.find((c) => c.name === name);
const names = (n: SizeNode) => (n.children ?? []).map((c) => c.name);

/** Every node's size is the sum of its children's, when nothing was cut. */
function expectConsistent(n: SizeNode) {
  if (!n.children) return;
  expect([n.path, n.size]).toEqual([n.path, n.children.reduce((s, c) => s + c.size, 0)]);
  expect([n.path, n.files]).toEqual([n.path, n.children.reduce((s, c) => s + c.files, 0)]);
  n.children.forEach(expectConsistent);
}

describe('size map of the fixture ISO', () => {
  it('adds up to the sizes of the files the ISO holds, folder by folder', async () => {
    const s = await open(iso);
    const files = new Map<string, number>();
    await listTree(s, '/', (e) => {
      if (e.type === 'file') files.set(e.path, e.size);
    });
    const sumBelow = (p: string) => [...files].filter(([f]) => f.startsWith(p === '/' ? '/' : p + '/')).reduce((t, [, n]) => t + n, 0);

    const { root: map, entries } = await sizeMap(s, '/', all);
    expect(map).toMatchObject({ path: '/', name: path.basename(iso), kind: 'dir', size: sumBelow('/'), files: files.size });
    expect(entries).toBe(files.size + 2); // and the two folders, boot and isolinux
    expect(names(map)).toEqual(expect.arrayContaining(['boot', 'isolinux', 'boot.catalog']));
    for (const d of ['/boot', '/isolinux']) expect(child(map, d.slice(1))!.size).toBe(sumBelow(d));
    expectConsistent(map);
    // Largest first.
    const sizes = map.children!.map((c) => c.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));

    // The initrd counts by the bytes it takes on the disc, and says it opens as a folder.
    const initrdNode = child(child(map, 'boot')!, 'initrd')!;
    expect(initrdNode).toMatchObject({ kind: 'archive', archive: 'cpio+bzip2', path: '/boot/initrd', size: files.get('/boot/initrd'), files: 1 });
    expect(child(child(map, 'boot')!, 'bzImage')).toMatchObject({ kind: 'file', path: '/boot/bzImage' });
  });

  it('shows the rootfs inside /boot/initrd with the sizes cpio itself extracts', async () => {
    const s = await open(iso);
    const { root: map } = await sizeMap(s, '/boot/initrd', { depth: 1, minFraction: 0 });
    expect(map).toMatchObject({ path: '/boot/initrd', kind: 'archive', archive: 'cpio+bzip2' });
    expect(names(map)).toEqual(expect.arrayContaining(['bin', 'etc', 'usr', 'sbin', 'init']));

    // What the files hold, from the tree GNU cpio unpacks: regular files once per inode, and
    // symlinks by the length of their target.
    const out = path.join(tmp, 'rootfs');
    execFileSync('bash', ['-c', `mkdir -p "$1" && bzip2 -dc "$2" | cpio -i -d -m --quiet --no-absolute-filenames -D "$1" 2>/dev/null || true`, 'x', out, initrd]);
    const listing = execFileSync('find', ['.', '-mindepth', '1', '(', '-type', 'f', '-o', '-type', 'l', ')', '-printf', '%i %y %s %P\\n'], { cwd: out, encoding: 'utf8' });
    const expected = new Map<string, { size: number; files: number }>();
    const inodes = new Set<string>();
    for (const line of listing.trim().split('\n').sort((a, b) => (a.split(' ')[3]! < b.split(' ')[3]! ? -1 : 1))) {
      const [ino, type, size, rel] = line.split(' ') as [string, string, string, string];
      const top = rel.split('/')[0]!;
      const e = expected.get(top) ?? { size: 0, files: 0 };
      e.files++;
      if (type === 'l' || !inodes.has(ino)) e.size += Number(size);
      inodes.add(ino);
      expected.set(top, e);
    }
    for (const [top, e] of expected) expect([top, child(map, top)?.size, child(map, top)?.files]).toEqual([top, e.size, e.files]);
    expect(map.size).toBe([...expected.values()].reduce((t, e) => t + e.size, 0));
    // Empty folders and dev (console is a device: an entry, no bytes) have nothing to draw:
    // they are merged, even with minFraction 0.
    expect(child(map, 'dev')).toBeUndefined();
    expect(map.children!.find((c) => c.kind === 'rest')).toMatchObject({ size: 0, files: 1 });
  });

  it('counts the hardlinked /etc/issue and /etc/issue.net once', async () => {
    const s = await open(iso);
    const { root: etc } = await sizeMap(s, '/boot/initrd/etc', all);
    const issue = child(etc, 'issue')!;
    const net = child(etc, 'issue.net')!;
    expect(issue.size).toBeGreaterThan(0);
    // The walk meets issue first, as du does: it carries the bytes, the other name none.
    expect(net.size).toBe(0);
    expect(net.files).toBe(1);
    expectConsistent(etc);
  });

  it('cuts the tree at the depth asked, marking folders that hold more', async () => {
    const s = await open(iso);
    const { root: map } = await sizeMap(s, '/boot/initrd', { depth: 2, minFraction: 0 });
    const usr = child(map, 'usr')!;
    expect(usr.children?.length).toBeGreaterThan(0);
    const usrBin = child(usr, 'bin')!;
    expect(usrBin.kind).toBe('dir');
    expect(usrBin.more).toBe(true);
    expect(usrBin.children).toBeUndefined();
    expect(usrBin.files).toBeGreaterThan(10);
    expect(usr.size).toBe(usr.children!.reduce((t, c) => t + c.size, 0));
  });

  it('refuses a path that is not a folder or an archive, and one that does not exist', async () => {
    const s = await open(iso);
    const err = await sizeMap(s, '/boot/bzImage', all).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err).toMatchObject({ code: 'NOT_A_DIRECTORY', hint: expect.stringContaining('/boot') });
    await expect(sizeMap(s, '/boot/initrd/etc/VERSION', all)).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
    await expect(sizeMap(s, '/nope', all)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('follows a symlink to a folder, as listing does', async () => {
    const s = await open(iso);
    // /var/run -> ../run in the rootfs.
    const { root: map } = await sizeMap(s, '/boot/initrd/var/run', all);
    expect(map.path).toBe('/boot/initrd/run');
  });

  it('takes a bare initrd as the image', async () => {
    const s = await open(initrd);
    const { root: map } = await sizeMap(s, '/', { depth: 1, minFraction: 0 });
    expect(map).toMatchObject({ path: '/', kind: 'archive', archive: 'cpio+bzip2' });
    expect(child(map, 'etc')).toMatchObject({ path: '/etc', kind: 'dir' });
  });
});

describe('size map of made-up archives', () => {
  it('counts a hardlink once, where the walk first meets it, like du', async () => {
    const data = Buffer.alloc(1000, 7);
    const s = await openArchive([
      dir('a'),
      dir('b'),
      // GNU cpio's way: the data rides on the last link.
      { name: 'b/y', mode: S.file | 0o644, ino: 77, nlink: 2 },
      { name: 'a/x', mode: S.file | 0o644, ino: 77, nlink: 2, data },
      file('b/other', 'x'.repeat(10)),
      symlink('b/link', 'other'),
    ]);
    const { root: map } = await sizeMap(s, '/', all);
    expect(map.size).toBe(1000 + 10 + 5);
    expect(child(map, 'a')!.size).toBe(1000);
    expect(child(map, 'b')!.size).toBe(15);
    expect(map.files).toBe(4);
    // Seen from b alone, the link is met there first.
    expect((await sizeMap(s, '/b', all)).root.size).toBe(1015);
  });

  it('merges the children too small to draw into one node', async () => {
    const entries: NewcEntry[] = [dir('d'), file('d/big', Buffer.alloc(100_000))];
    for (let i = 0; i < 50; i++) entries.push(file(`d/small${i}`, 'x'.repeat(10)));
    entries.push(dir('d/sub'), file('d/sub/a', 'y'.repeat(10)), file('d/sub/b', 'y'.repeat(10)));
    const s = await openArchive(entries);
    const { root: map } = await sizeMap(s, '/d', { depth: 3, minFraction: 0.01 });
    expect(map.size).toBe(100_000 + 500 + 20);
    expect(map.children).toHaveLength(2);
    expect(map.children![0]).toMatchObject({ name: 'big', size: 100_000, kind: 'file' });
    expect(map.children![1]).toMatchObject({ kind: 'rest', count: 51, size: 520, files: 52, path: '/d', name: '(51 smaller items)' });

    // Nothing is merged with minFraction 0, and a lone small item is never "merged" alone.
    expect((await sizeMap(s, '/d', { depth: 3, minFraction: 0 })).root.children).toHaveLength(52);
    const lone = await openArchive([file('big', Buffer.alloc(10_000)), file('tiny', 'z')]);
    expect(names((await sizeMap(lone, '/', { depth: 1, minFraction: 0.1 })).root)).toEqual(['big', 'tiny']);
  });

  it(`keeps at most ${MAX_CHILDREN} children per folder, whatever their sizes`, async () => {
    const entries: NewcEntry[] = [];
    for (let i = 0; i < MAX_CHILDREN + 100; i++) entries.push(file(`f${i}`, 'q'.repeat(1 + (i % 7))));
    const s = await openArchive(entries);
    const { root: map } = await sizeMap(s, '/', { depth: 1, minFraction: 0 });
    expect(map.children).toHaveLength(MAX_CHILDREN + 1);
    expect(map.children![MAX_CHILDREN]).toMatchObject({ kind: 'rest', count: 100 });
    expect(map.children!.reduce((t, c) => t + c.size, 0)).toBe(map.size);
  });

  it('marks an archive inside an archive, so it can be opened', async () => {
    const inner = newc([file('hello', 'hi')]);
    const s = await openArchive([file('boot.img', inner), file('text', 'just text, nothing more')]);
    const { root: map } = await sizeMap(s, '/', all);
    expect(child(map, 'boot.img')).toMatchObject({ kind: 'archive', archive: 'cpio' });
    expect(child(map, 'text')).toMatchObject({ kind: 'file' });
    expect((await sizeMap(s, '/boot.img', all)).root).toMatchObject({ kind: 'archive', size: 2, path: '/boot.img' });
  });

  it('answers for a 100,000-entry rootfs with a small tree', async () => {
    const entries: NewcEntry[] = [];
    for (let a = 0; a < 10; a++) {
      entries.push(dir(`d${a}`));
      for (let b = 0; b < 100; b++) {
        entries.push(dir(`d${a}/e${b}`));
        for (let c = 0; c < 100; c++) entries.push(file(`d${a}/e${b}/f${c}`, 'x'.repeat((a + b + c) % 13)));
      }
    }
    const s = await openArchive(entries);
    const { root: map, entries: walked } = await sizeMap(s, '/', { depth: 3, minFraction: 0.001 });
    expect(walked).toBe(10 + 1000 + 100_000);
    expect(map.files).toBe(100_000);
    expect(JSON.stringify(map).length).toBeLessThan(300_000);
  });

  it('takes its defaults from the contract', () => {
    expect(requests['image.sizeMap'].args.parse({ file: '/x.iso', path: '/' })).toEqual({ file: '/x.iso', path: '/', depth: 3, minFraction: 0.001 });
    expect(requests['image.sizeMap'].args.safeParse({ file: '/x.iso', path: '/', depth: 0 }).success).toBe(false);
    expect(requests['image.sizeMap'].args.safeParse({ file: 'x.iso', path: '/' }).success).toBe(false);
  });
});
