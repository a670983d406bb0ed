// Rock Ridge entries on hand-made images: every RRIP corner the real writers rarely produce.
import { describe, expect, it } from 'vitest';
import { IsoImage } from '../../electron/core/iso/iso-image';
import { directory, DOT, DOTDOT, record, SECTOR, simpleIso, source, su } from '../helpers/iso-synth';

const FILE = 0o100644;
const open = (buf: Buffer) => IsoImage.open(source(buf));

describe('Rock Ridge', () => {
  it('takes type, mode, owner, links and mtime from PX and TF, and the name from NM', async () => {
    const data = Buffer.from('hello\n');
    const iso = await open(
      simpleIso({
        rr: true,
        children: [
          { id: 'HELLO.TXT;1', lba: 30, size: data.length, su: Buffer.concat([su.px(0o104750, 2, 1000, 100), su.tf([120, 6, 7, 8, 9, 10, 4]), su.nm('Hello World.txt')]) },
          { id: 'LONGTF.;1', lba: 0, size: 0, su: Buffer.concat([su.px(FILE), su.tf('2001020304050600' + '\u0000', true), su.nm('long-tf')]) },
        ],
        extra: [[30, data]],
      }),
    );
    expect(iso.info.rockRidge).toBe(true);
    expect(iso.info.tree).toBe('rockridge');
    const [hello, long] = await iso.readdir('/');
    expect(hello).toMatchObject({ name: 'Hello World.txt', type: 'file', size: 6, mode: 0o4750, uid: 1000, gid: 100, nlink: 2 });
    // 08:09:10 at GMT+1 is 07:09:10 UTC.
    expect(new Date(hello!.mtime!).toISOString()).toBe('2020-06-07T07:09:10.000Z');
    expect(new Date(long!.mtime!).toISOString()).toBe('2001-02-03T04:05:06.000Z');
    expect(long!.name).toBe('long-tf');
    expect(long!.extents).toBeUndefined();
    const bytes = await iso.open(hello!).read(0, 100);
    expect(bytes.toString()).toBe('hello\n');
  });

  it('builds symlink targets from SL components: ROOT, PARENT, CURRENT and CONTINUE across entries', async () => {
    const link = (id: string, ...sl: Buffer[]) => ({ id, lba: 0, size: 0, su: Buffer.concat([su.px(0o120777), ...sl, su.nm(id.toLowerCase())]) });
    const iso = await open(
      simpleIso({
        rr: true,
        children: [
          link('ABS', su.sl([[0x08, ''], [0, 'etc'], [0, 'passwd']])),
          link('REL', su.sl([[0x04, ''], [0x04, ''], [0, 'x'], [0x02, ''], [0, 'y']])),
          // Entry 1 continues (flag 1) and its last component does not: a '/' joins them.
          link('SPLIT', su.sl([[0x08, ''], [0, 'usr']], 1), su.sl([[0, 'lib']])),
          // The component itself continues: no '/'.
          link('GLUED', su.sl([[0, 'abc'], [0x01, 'de']], 1), su.sl([[0, 'f']])),
          link('ROOT', su.sl([[0x08, '']])),
        ],
      }),
    );
    const targets = Object.fromEntries((await iso.readdir('/')).map((e) => [e.name, e.target]));
    expect(targets).toEqual({ abs: '/etc/passwd', rel: '../../x/./y', split: '/usr/lib', glued: 'abc/def', root: '/' });
    expect((await iso.stat('/abs')).type).toBe('symlink');
  });

  it('decodes PN both ways writers store it', async () => {
    const dev = (id: string, mode: number, hi: number, lo: number) => ({ id, lba: 0, size: 0, su: Buffer.concat([su.px(mode), su.pn(hi, lo), su.nm(id.toLowerCase())]) });
    const iso = await open(
      simpleIso({
        rr: true,
        children: [
          dev('GENISO', 0o60644, 8, 1), // genisoimage: major and minor words
          dev('XORRISO', 0o20644, 0, 0x11112c70), // xorriso: glibc dev_t in the low word = 300,70000
          dev('OLD', 0o20644, 0, 0x0103), // 16-bit (major << 8) | minor
        ],
      }),
    );
    const devs = Object.fromEntries((await iso.readdir('/')).map((e) => [e.name, [e.type, e.rdev]]));
    expect(devs).toEqual({
      geniso: ['block', { major: 8, minor: 1 }],
      xorriso: ['char', { major: 300, minor: 70000 }],
      old: ['char', { major: 1, minor: 3 }],
    });
  });

  it('follows CE into a continuation area shared by records, and NM continuation', async () => {
    // Two records keep their NM in block 30: one at offset 0, one at offset 100.
    const area1 = Buffer.concat([su.nm('a-very-long-', 1), su.nm('name-from-ce')]);
    const area2 = su.nm('second');
    const ce = Buffer.alloc(SECTOR);
    area1.copy(ce, 0);
    area2.copy(ce, 100);
    const iso = await open(
      simpleIso({
        rr: true,
        children: [
          { id: 'A.;1', lba: 0, size: 0, su: Buffer.concat([su.px(FILE), su.ce(30, 0, area1.length)]) },
          { id: 'B.;1', lba: 0, size: 0, su: Buffer.concat([su.px(FILE), su.ce(30, 100, area2.length)]) },
        ],
        extra: [[30, ce]],
      }),
    );
    expect((await iso.readdir('/')).map((e) => e.name)).toEqual(['a-very-long-name-from-ce', 'second']);
  });

  it('honours SP LEN_SKP in every other system use area', async () => {
    const root = directory([
      record({ id: DOT, lba: 18, size: SECTOR, flags: 2, su: Buffer.concat([su.sp(4), su.er()]) }),
      record({ id: DOTDOT, lba: 18, size: SECTOR, flags: 2 }),
      record({ id: 'F.;1', lba: 0, size: 0, su: Buffer.concat([Buffer.from('JUNK'), su.px(FILE), su.nm('skipped-4')]) }),
    ]);
    const buf = simpleIso({ rr: true, children: [] });
    root.copy(buf, 18 * SECTOR);
    const iso = await open(buf);
    expect((await iso.readdir('/')).map((e) => e.name)).toEqual(['skipped-4']);
  });

  it('shows relocated directories at their CL placeholder and hides RE ones and rr_moved', async () => {
    // /deep is a CL placeholder (a file record) for the directory at LBA 21, which lives in
    // /rr_moved (LBA 20) and carries RE there.
    const dir = 0o40755;
    const rrMoved = directory([
      record({ id: DOT, lba: 20, size: SECTOR, flags: 2 }),
      record({ id: DOTDOT, lba: 18, size: SECTOR, flags: 2 }),
      record({ id: 'DEEP', lba: 21, size: SECTOR, flags: 2, su: Buffer.concat([su.px(dir), su.re(), su.nm('deep')]) }),
    ]);
    const moved = directory([
      record({ id: DOT, lba: 21, size: SECTOR, flags: 2 }),
      record({ id: DOTDOT, lba: 20, size: SECTOR, flags: 2, su: su.pl(18) }),
      record({ id: 'LEAF.TXT;1', lba: 30, size: 4, su: Buffer.concat([su.px(FILE), su.nm('leaf.txt')]) }),
    ]);
    const iso = await open(
      simpleIso({
        rr: true,
        children: [
          { id: 'DEEP.;1', lba: 0, size: 0, su: Buffer.concat([su.px(dir), su.cl(21), su.nm('deep')]) },
          { id: 'RR_MOVED', lba: 20, size: SECTOR, flags: 2, su: Buffer.concat([su.px(dir), su.nm('rr_moved')]) },
        ],
        extra: [
          [20, rrMoved],
          [21, moved],
          [30, Buffer.from('leaf')],
        ],
      }),
    );
    const root = await iso.readdir('/');
    expect(root.map((e) => [e.name, e.type])).toEqual([['deep', 'dir']]);
    expect(root[0]!.extents).toEqual([{ offset: 21 * SECTOR, length: SECTOR }]);
    expect((await iso.readdir('/deep')).map((e) => e.name)).toEqual(['leaf.txt']);
    expect((await iso.open(await iso.stat('/deep/leaf.txt')).read(0, 10)).toString()).toBe('leaf');
  });

  it('names hardlinks by the shallowest path that shares their data', async () => {
    const sub = directory([
      record({ id: DOT, lba: 19, size: SECTOR, flags: 2 }),
      record({ id: DOTDOT, lba: 18, size: SECTOR, flags: 2 }),
      record({ id: 'B.;1', lba: 30, size: 3, su: Buffer.concat([su.px(FILE, 2), su.nm('b')]) }),
    ]);
    const iso = await open(
      simpleIso({
        rr: true,
        children: [
          { id: 'A.;1', lba: 30, size: 3, su: Buffer.concat([su.px(FILE, 2), su.nm('a')]) },
          { id: 'SUB', lba: 19, size: SECTOR, flags: 2, su: Buffer.concat([su.px(0o40755), su.nm('sub')]) },
        ],
        extra: [
          [19, sub],
          [30, Buffer.from('abc')],
        ],
      }),
    );
    const [a] = await iso.readdir('/');
    expect(a!.linkOf).toBeUndefined();
    const [b] = await iso.readdir('/sub');
    expect(b).toMatchObject({ name: 'b', nlink: 2, linkOf: '/a' });
    expect((await iso.stat('/sub/b')).linkOf).toBe('/a');
  });

  it('uses the ISO name, without version, when a record has no NM', async () => {
    const iso = await open(simpleIso({ rr: true, children: [{ id: 'NONAME.TXT;1', lba: 0, size: 0, su: su.px(FILE) }] }));
    expect((await iso.readdir('/')).map((e) => e.name)).toEqual(['NONAME.TXT']);
  });

  it('falls back to plain ISO 9660 when SP is missing, and can be asked for that tree', async () => {
    const children = [{ id: 'FILE.TXT;1', lba: 0, size: 0, su: Buffer.concat([su.px(FILE), su.nm('file.txt')]) }];
    const plain = simpleIso({ rr: false, children });
    const iso = await open(plain);
    expect(iso.info).toMatchObject({ rockRidge: false, joliet: false, tree: 'iso9660' });
    expect(await iso.readdir('/')).toEqual([{ name: 'FILE.TXT', type: 'file', size: 0, mode: 0o444, uid: 0, gid: 0, mtime: Date.UTC(2024, 0, 2, 3, 4, 5) }]);
    // Plain names are found case-insensitively, as on the systems that wrote them.
    expect((await iso.stat('/file.txt')).path).toBe('/FILE.TXT');

    const rr = await IsoImage.open(source(simpleIso({ rr: true, children })), { tree: 'iso9660' });
    expect((await rr.readdir('/')).map((e) => e.name)).toEqual(['FILE.TXT']);
    await expect(IsoImage.open(source(plain), { tree: 'rockridge' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
