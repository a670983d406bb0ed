import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { dir, file, newc, S, symlink } from '../helpers/archive-newc';
import { allEntries, openArchive, readAll, type Opened } from '../helpers/archive-open';

// How several archives in one initrd merge: the kernel's unpack_to_rootfs rules.
const opened: Opened[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.dispose()));
});
async function open(b: Buffer) {
  const o = await openArchive(b, { inMemory: true });
  opened.push(o);
  return o.img;
}
const text = async (img: Awaited<ReturnType<typeof open>>, p: string) => (await readAll(img.open(await img.stat(p)))).toString();

describe('merging entries the way the kernel unpacks', () => {
  it('lets a later segment replace files and merge directories', async () => {
    const early = newc([dir('etc'), file('etc/VERSION', 'early\n'), file('etc/keep', 'kept\n'), dir('kernel')], { padTo: 512 });
    const main = newc([dir('etc', 0o700, { uid: 5 }), file('etc/VERSION', 'main\n'), file('etc/new', 'new\n')]);
    const img = await open(Buffer.concat([early, Buffer.alloc(1024), gzipSync(main)]));
    expect(img.format).toBe('cpio,cpio+gzip');
    expect(img.segments.map((s) => [s.compression, s.format, s.entries])).toEqual([
      ['none', 'newc', 4],
      ['gzip', 'newc', 3],
    ]);
    expect(img.entryCount).toBe(7);
    expect(await text(img, '/etc/VERSION')).toBe('main\n');
    expect(await text(img, '/etc/keep')).toBe('kept\n');
    expect((await img.readdir('/etc')).map((e) => e.name)).toEqual(['VERSION', 'keep', 'new']);
    const etc = await img.stat('/etc');
    expect([etc.mode, etc.uid]).toEqual([0o700, 5]);
    expect((await img.readdir('/')).map((e) => e.name)).toEqual(['etc', 'kernel']);
  });

  it('replaces a node of another type, but not a non-empty directory', async () => {
    const img = await open(
      Buffer.concat([
        newc([file('a', 'file'), dir('b'), file('b/inner', 'x'), symlink('c', 'a'), dir('d')]),
        newc([dir('a'), file('b', 'cannot replace a full dir'), file('c', 'now a file'), symlink('d', 'a')]),
      ]),
    );
    expect((await img.stat('/a')).type).toBe('dir');
    expect((await img.stat('/b')).type).toBe('dir');
    expect((await img.stat('/c')).type).toBe('file');
    expect((await img.stat('/d')).type).toBe('symlink');
    expect(img.warnings.join('\n')).toMatch(/'\/b' is a non-empty directory/);
  });

  it('gives every hard link the data, and forgets links at a trailer', async () => {
    const group = (data: string) => [
      file('x/first', '', { ino: 7, nlink: 3 }),
      file('x/second', '', { ino: 7, nlink: 3 }),
      file('x/third', data, { ino: 7, nlink: 3 }),
    ];
    const img = await open(Buffer.concat([newc(group('shared\n')), newc([file('y/other', 'not linked', { ino: 7, nlink: 2 })])]));
    for (const p of ['/x/first', '/x/second', '/x/third']) expect(await text(img, p)).toBe('shared\n');
    expect((await img.stat('/x/first')).linkOf).toBe('/x/third');
    expect((await img.stat('/x/second')).linkOf).toBe('/x/third');
    expect((await img.stat('/x/third')).linkOf).toBeUndefined();
    expect(await text(img, '/y/other')).toBe('not linked');
    expect((await img.stat('/y/other')).linkOf).toBeUndefined();
  });

  it('keeps data on the first link when later ones are empty (odc-style or hand-made)', async () => {
    const img = await open(newc([file('a', 'data first', { ino: 9, nlink: 2 }), file('b', '', { ino: 9, nlink: 2 })]));
    expect(await text(img, '/a')).toBe('data first');
    expect(await text(img, '/b')).toBe('data first');
    expect((await img.stat('/b')).linkOf).toBe('/a');
  });

  it('creates parents that never appear, and normalises names', async () => {
    const img = await open(newc([file('./usr/lib/x', '1'), file('/usr/lib/y', '2'), file('a/../../z', '3'), dir('.', 0o700)]));
    expect([...(await allEntries(img)).keys()].sort()).toEqual(['/usr', '/usr/lib', '/usr/lib/x', '/usr/lib/y', '/z']);
    expect((await img.stat('/usr')).type).toBe('dir');
    expect((await img.stat('/')).mode).toBe(0o700);
  });

  it('places entries through symlinked directories (usrmerge) and follows them on lookup', async () => {
    const img = await open(newc([dir('usr'), dir('usr/lib'), symlink('lib', 'usr/lib'), file('lib/modules.dep', 'deps')]));
    expect((await img.readdir('/usr/lib')).map((e) => e.name)).toEqual(['modules.dep']);
    expect((await img.readdir('/lib')).map((e) => e.name)).toEqual(['modules.dep']);
    expect((await img.stat('/lib')).type).toBe('symlink');
    expect(await text(img, '/lib/modules.dep')).toBe('deps');
  });

  it('exposes device numbers, fifos and permission bits', async () => {
    const img = await open(
      newc([
        { name: 'dev/console', mode: S.char | 0o600, rdev: [5, 1] },
        { name: 'dev/sda', mode: S.block | 0o660, rdev: [8, 0], gid: 6 },
        { name: 'run/fifo', mode: S.fifo | 0o644 },
        file('bin/su', 'x', { mode: S.file | 0o4755 }),
      ]),
    );
    expect(await img.stat('/dev/console')).toMatchObject({ type: 'char', rdev: { major: 5, minor: 1 }, mode: 0o600 });
    expect(await img.stat('/dev/sda')).toMatchObject({ type: 'block', rdev: { major: 8, minor: 0 }, gid: 6 });
    expect((await img.stat('/run/fifo')).type).toBe('fifo');
    expect((await img.stat('/bin/su')).mode).toBe(0o4755);
  });

  it('reports lookups that fail', async () => {
    const img = await open(newc([file('a', 'x'), symlink('loop', 'loop'), symlink('dangling', 'nowhere')]));
    await expect(img.stat('/missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(img.readdir('/a')).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
    await expect(img.stat('/a/b')).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
    await expect(img.readdir('/loop')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(img.readdir('/dangling')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await img.stat('/loop')).target).toBe('loop');
  });
});
