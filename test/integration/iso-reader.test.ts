// The ISO reader against images made by xorriso and genisoimage, compared with what bsdtar
// (libarchive), xorriso and isoinfo report for the same files.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource, type ByteSource } from '../../electron/core/image/byte-source';
import { modeString } from '../../electron/core/image/entry';
import { IsoImage } from '../../electron/core/iso/iso-image';
import { isBzImage, readKernelCard } from '../../electron/core/kernel/bzimage';
import {
  bsdtarHardlinks,
  bsdtarMtree,
  DEEP,
  isoinfoListing,
  LONG_NAME,
  LONG_TARGET,
  makeRichTree,
  requireTools,
  T_NEW,
  T_OLD,
  tmp,
  tool,
  toolBytes,
  walkOurs,
  withIso,
  xorrisoLsdl,
  xorrisoReport,
  type Listed,
  type RichTree,
} from '../helpers/iso-tools';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const MTREE_TYPE: Record<string, string> = { file: 'file', dir: 'dir', symlink: 'link', char: 'char', block: 'block', fifo: 'fifo' };

let work: string;
let rich: RichTree;

beforeAll(() => {
  requireTools('xorriso', 'genisoimage', 'bsdtar', 'isoinfo');
  work = tmp('iso-reader');
  rich = makeRichTree(work);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function isoFrom(name: string, cmd: string, args: string[]): string {
  const out = path.join(work, name);
  execFileSync(cmd, [...args, '-o', out, rich.root], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

/** The checks every Rock Ridge image must pass against libarchive's view. */
function compareWithMtree(ours: Map<string, Listed>, iso: string, opts: { devices: boolean }): void {
  const theirs = bsdtarMtree(iso);
  theirs.delete('/');
  expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
  const hardlinks = bsdtarHardlinks(iso);
  for (const [p, t] of theirs) {
    const e = ours.get(p)!;
    expect({ p, type: MTREE_TYPE[e.type], mode: e.mode, uid: e.uid, gid: e.gid, time: Math.floor(e.mtime! / 1000) }).toEqual({ p, type: t.type, mode: t.mode, uid: t.uid, gid: t.gid, time: t.time });
    // libarchive gives the second name of a hardlink size 0; the data is the first one's.
    if (e.type === 'file' && !hardlinks.has(p)) expect({ p, size: e.size }).toEqual({ p, size: t.size });
    // libarchive 3.6.2 joins SL entries without '/' (see the formats reference), so long
    // targets are checked against xorriso instead.
    if (e.type === 'symlink' && p !== '/long-link') expect({ p, target: e.target }).toEqual({ p, target: t.link });
    if (opts.devices && (e.type === 'char' || e.type === 'block')) expect({ p, dev: [e.rdev!.major, e.rdev!.minor] }).toEqual({ p, dev: t.device });
  }
}

/** Every regular file's bytes equal what xorriso extracts. */
function compareBytes(ours: Map<string, Listed>, iso: string, read: (e: Listed) => Promise<Buffer>): Promise<void> {
  const out = path.join(work, `extract-${path.basename(iso)}`);
  rmSync(out, { recursive: true, force: true });
  xorrisoReport(['-osirrox', 'on', '-indev', iso, '-extract', '/', out]);
  return (async () => {
    let n = 0;
    for (const e of ours.values()) {
      if (e.type !== 'file') continue;
      const mine = await read(e);
      expect({ p: e.path, same: mine.equals(readFileSync(path.join(out, e.path))) }).toEqual({ p: e.path, same: true });
      n++;
    }
    expect(n).toBeGreaterThan(5);
  })();
}

describe('Rock Ridge image from xorriso', () => {
  let iso: string;
  beforeAll(() => {
    iso = isoFrom('xorriso-rr.iso', 'xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J']);
  });

  it('lists the same tree, types, modes, owners, sizes, mtimes, targets and devices as bsdtar', async () => {
    await withIso(iso, async (img) => {
      expect(img.info).toMatchObject({ rockRidge: true, joliet: true, tree: 'rockridge' });
      const ours = await walkOurs(img);
      compareWithMtree(ours, iso, { devices: rich.devices });
      // The source tree's facts, independently of any reader.
      expect(ours.get('/etc/hostname')).toMatchObject({ mtime: T_OLD.getTime(), size: 7 });
      if (rich.owners) expect(ours.get('/etc/hostname')).toMatchObject({ uid: 1234, gid: 5678 });
      expect(ours.get('/suid')!.mode).toBe(0o4755);
      expect(ours.get('/sticky-group')!.mode).toBe(0o2640);
      expect(ours.get(`/${LONG_NAME}`)!.size).toBe(5);
      expect(ours.get('/ünïcødé-名前.txt')!.size).toBe(11);
      expect(ours.get('/empty-file')).toMatchObject({ type: 'file', size: 0 });
      expect(ours.get('/empty-file')!.extents).toBeUndefined();
      expect(ours.get('/fifo')!.type).toBe('fifo');
      expect(ours.get(`/${DEEP}/bottom.txt`)).toMatchObject({ type: 'file', size: 14 });
      expect(ours.get('/long-link')!.target).toBe(LONG_TARGET);
      expect(ours.get('/d1/up-link')!.target).toBe('../etc/hostname');
      if (rich.devices) {
        expect(ours.get('/null-dev')).toMatchObject({ type: 'char', rdev: { major: 1, minor: 3 } });
        expect(ours.get('/disk-dev')).toMatchObject({ type: 'block', rdev: { major: 8, minor: 1 } });
      }
      expect(ours.get('/empty-dir')!.type).toBe('dir');
      expect(await img.readdir('/empty-dir')).toEqual([]);
      expect((await img.stat('/')).mtime).toBe(T_NEW.getTime());
    });
  });

  it('agrees with xorriso on mode strings, owners, sizes, symlink targets and devices', async () => {
    await withIso(iso, async (img) => {
      const ours = await walkOurs(img);
      const theirs = xorrisoLsdl(iso);
      theirs.delete('/');
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [p, t] of theirs) {
        const e = ours.get(p)!;
        expect({ p, mode: modeString(e.type, e.mode), uid: e.uid, gid: e.gid }).toEqual({ p, mode: t.modeString, uid: t.uid, gid: t.gid });
        if (e.type === 'file') expect({ p, size: e.size }).toEqual({ p, size: t.size });
        if (e.type === 'symlink') expect({ p, target: e.target }).toEqual({ p, target: t.target });
        if (t.device) expect({ p, dev: [e.rdev?.major, e.rdev?.minor] }).toEqual({ p, dev: t.device });
      }
    });
  });

  it('names the hardlink as bsdtar does, by a path sharing its data', async () => {
    await withIso(iso, async (img) => {
      const [issue, net] = [await img.stat('/etc/issue'), await img.stat('/etc/issue.net')];
      expect(issue.extents).toEqual(net.extents);
      expect([issue.nlink, net.nlink]).toEqual([2, 2]);
      expect(issue.linkOf).toBeUndefined();
      expect(net.linkOf).toBe('/etc/issue');
      const theirs = bsdtarHardlinks(iso);
      expect([...theirs.entries()].flat().sort()).toEqual(['/etc/issue', '/etc/issue.net']);
    });
  });

  it('reads every file byte for byte as xorriso extracts it, and as bsdtar -xO does', async () => {
    await withIso(iso, async (img) => {
      const ours = await walkOurs(img);
      await compareBytes(ours, iso, (e) => img.open(e).read(0, e.size));
      const bin = ours.get('/binary.bin')!;
      expect((await img.open(bin, 'x').read(0, bin.size)).equals(toolBytes('bsdtar', ['-xOf', iso, 'binary.bin']))).toBe(true);
      // Streams give the same bytes as reads.
      const chunks: Buffer[] = [];
      for await (const c of img.open(bin).stream()) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(readFileSync(path.join(rich.root, 'binary.bin')))).toBe(true);
    });
  });

  it('reads only descriptors and directories: never file data for readdir and stat', async () => {
    const reads: [number, number][] = [];
    const file = await FileSource.open(iso, 'xorriso-rr.iso');
    const counting: ByteSource = {
      size: file.size,
      cacheKey: file.cacheKey,
      description: file.description,
      read: (offset, length) => {
        reads.push([offset, offset + length]);
        return file.read(offset, length);
      },
      stream: (a, b) => file.stream(a, b),
    };
    try {
      const img = await IsoImage.open(counting);
      const atOpen = reads.length;
      const ours = await walkOurs(img);
      for (const p of ours.keys()) await img.stat(p);
      const data = [...ours.values()].flatMap((e) => (e.type === 'file' ? (e.extents ?? []) : []));
      const touched = reads.filter(([a, b]) => data.some((x) => a < x.offset + x.length && x.offset < b));
      expect(touched).toEqual([]);
      // Open reads the head (system area and descriptors, a few sectors at a time), the root
      // and its continuation block, and reads ahead the root's subdirectories.
      expect(reads[0]).toEqual([0, 0x8000 + 4 * 2048]);
      expect(atOpen).toBeLessThanOrEqual(10);
    } finally {
      await file.close();
    }
  });

  it('offers the Joliet and the plain trees of the same image on request', async () => {
    await withIso(
      iso,
      async (img) => {
        expect(img.info.tree).toBe('joliet');
        const names = (await img.readdir('/')).map((e) => e.name);
        // No symlinks or device nodes in Joliet (xorriso leaves them out).
        expect(names).toContain('ünïcødé-名前.txt');
        expect(names).not.toContain('abs-link');
        // isoinfo has no UTF-8 output charset: compare the ASCII names with it.
        const theirs = isoinfoListing(iso, ['-J']).get('/')!.map((e) => e.name.replace(/;1$/, ''));
        expect(names.filter(isAscii)).toEqual(theirs.filter(isAscii).sort(byCodeUnit));
        expect(names.length).toBe(theirs.length);
      },
      { tree: 'joliet' },
    );
    await withIso(
      iso,
      async (img) => {
        const names = (await img.readdir('/')).map((e) => e.name);
        const theirs = isoinfoListing(iso).get('/')!.map((e) => e.name.replace(/;\d+$/, '').replace(/\.$/, ''));
        expect(names).toEqual([...theirs].sort(byCodeUnit));
      },
      { tree: 'iso9660' },
    );
  });
});

describe('Rock Ridge image from genisoimage (deep directories relocated)', () => {
  it('follows CL, hides RE and rr_moved, and matches bsdtar', async () => {
    const iso = isoFrom('geniso-rr.iso', 'genisoimage', ['-quiet', '-R', '-J', '-joliet-long']);
    // genisoimage really relocated: isoinfo, which does not follow CL, shows rr_moved.
    expect(isoinfoListing(iso, ['-R']).has('/rr_moved')).toBe(true);
    await withIso(iso, async (img) => {
      const ours = await walkOurs(img);
      expect(ours.has('/rr_moved')).toBe(false);
      expect(ours.get(`/${DEEP}/bottom.txt`)).toMatchObject({ type: 'file', size: 14 });
      // genisoimage puts major and minor in PN's two words, which libarchive misreads: devices
      // are compared with the mknod numbers instead.
      compareWithMtree(ours, iso, { devices: false });
      if (rich.devices) expect(ours.get('/null-dev')!.rdev).toEqual({ major: 1, minor: 3 });
      // genisoimage stores SL entries over 255 bytes with LEN modulo 256, so the long target
      // is cut short on the medium; we read what xorriso (and isoinfo) read.
      const target = ours.get('/long-link')!.target!;
      expect(target).toBe(xorrisoLsdl(iso).get('/long-link')!.target);
      expect(LONG_TARGET.startsWith(target)).toBe(true);
      await compareBytes(ours, iso, (e) => img.open(e).read(0, e.size));
    });
  });
});

describe('Joliet-only and plain ISO 9660 images', () => {
  it('xorriso with Rock Ridge off: Joliet names, default modes, record dates', async () => {
    const out = path.join(work, 'xorriso-joliet.iso');
    xorrisoReport(['-outdev', out, '-rockridge', 'off', '-joliet', 'on', '-map', rich.root, '/']);
    await withIso(out, async (img) => {
      expect(img.info).toMatchObject({ rockRidge: false, joliet: true, tree: 'joliet' });
      const ours = await walkOurs(img);
      const theirs = bsdtarMtree(out);
      theirs.delete('/');
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
      // libarchive calls files sharing an extent hardlinks even without Rock Ridge.
      const hardlinks = bsdtarHardlinks(out);
      for (const [p, t] of theirs) {
        const e = ours.get(p)!;
        expect({ p, type: e.type, time: Math.floor(e.mtime! / 1000) }).toEqual({ p, type: t.type, time: t.time });
        expect(e.mode).toBe(e.type === 'dir' ? 0o555 : 0o444);
        if (e.type === 'file' && !hardlinks.has(p)) expect({ p, size: e.size }).toEqual({ p, size: t.size });
      }
      expect(ours.get('/etc/hostname')!.mtime).toBe(T_OLD.getTime());
      await compareBytes(ours, out, (e) => img.open(e).read(0, e.size));
    });
  });

  it('genisoimage -J: names as isoinfo -J and bsdtar show them, without ;1', async () => {
    const iso = isoFrom('geniso-joliet.iso', 'genisoimage', ['-quiet', '-J', '-joliet-long']);
    const theirs = isoinfoListing(iso, ['-J']);
    await withIso(iso, async (img) => {
      expect(img.info.tree).toBe('joliet');
      for (const [dir, list] of theirs) {
        const ours = (await img.readdir(dir)).map((e) => ({ name: e.name, size: e.type === 'dir' ? undefined : e.size }));
        const expected = list.map((e) => ({ name: e.name.replace(/;1$/, ''), size: e.dir ? undefined : e.size }));
        expect(ours.length).toBe(expected.length);
        expect(ours.filter((e) => isAscii(e.name))).toEqual(expected.filter((e) => isAscii(e.name)).sort((a, b) => byCodeUnit(a.name, b.name)));
      }
      expect((await img.stat('/ünïcødé-名前.txt')).size).toBe(11);
      // Without Rock Ridge libarchive reads the Joliet tree too, UTF-8 names included.
      const paths = [...(await walkOurs(img)).keys()].sort();
      const bsd = [...bsdtarMtree(iso).keys()].filter((p) => p !== '/').sort();
      expect(paths).toEqual(bsd);
    });
  });

  it('genisoimage without -R/-J: plain names, case kept, version stripped; found case-insensitively', async () => {
    const iso = isoFrom('geniso-plain.iso', 'genisoimage', ['-quiet']);
    const theirs = isoinfoListing(iso);
    await withIso(iso, async (img) => {
      expect(img.info).toMatchObject({ rockRidge: false, joliet: false, tree: 'iso9660' });
      for (const [dir, list] of theirs) {
        const ours = await img.readdir(dir);
        const expected = list.map((e) => e.name.replace(/;\d+$/, '').replace(/\.$/, '')).sort();
        expect(ours.map((e) => e.name)).toEqual(expected);
      }
      expect((await img.stat('/etc/hostname')).path).toBe('/ETC/HOSTNAME');
      expect((await img.open(await img.stat('/ETC/HOSTNAME')).read(0, 100)).toString()).toBe('isolab\n');
    });
  });
});

describe('El Torito and hybrid images', () => {
  let iso: string;
  beforeAll(() => {
    const dir = path.join(work, 'boot-tree');
    mkdirSync(path.join(dir, 'isolinux'), { recursive: true });
    copyFileSync('/usr/lib/ISOLINUX/isolinux.bin', path.join(dir, 'isolinux', 'isolinux.bin'));
    writeFileSync(path.join(dir, 'efiboot.img'), Buffer.alloc(1440 * 1024, 0xe5));
    writeFileSync(path.join(dir, 'readme.txt'), 'boot me\n');
    iso = path.join(work, 'hybrid.iso');
    execFileSync(
      'xorriso',
      [
        '-as', 'mkisofs', '-quiet', '-R', '-J',
        '-b', 'isolinux/isolinux.bin', '-c', 'boot.catalog', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
        '-eltorito-alt-boot', '-e', 'efiboot.img', '-no-emul-boot',
        '-isohybrid-mbr', '/usr/lib/ISOLINUX/isohdpfx.bin', '-isohybrid-gpt-basdat',
        '-o', iso, dir,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  });

  it('reads the boot catalog as xorriso -report_el_torito does, naming the files', async () => {
    const report = xorrisoReport(['-indev', iso, '-report_el_torito', 'plain']);
    const catalogLba = Number(/El Torito catalog\s*:\s*(\d+)/.exec(report)![1]);
    const images = [...report.matchAll(/El Torito boot img :\s+(\d+)\s+(\w+)\s+([yn])\s+(\w+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(\d+)\s+(\d+)/g)].map((m) => ({
      platform: m[2] === 'UEFI' ? 'efi' : m[2]!.toLowerCase(),
      bootable: m[3] === 'y',
      emulation: m[4],
      loadSegment: Number(m[5]),
      sectorCount: Number(m[6]),
      lba: Number(m[7]),
    }));
    const paths = Object.fromEntries([...report.matchAll(/El Torito img path :\s+(\d+)\s+(\S+)/g)].map((m) => [Number(m[1]) - 1, m[2]]));
    await withIso(iso, async (img) => {
      const cat = img.info.elTorito!;
      expect(cat.catalogLba).toBe(catalogLba);
      expect(cat.catalogFile).toBe(/El Torito cat path\s*:\s*(\S+)/.exec(report)![1]);
      expect(cat.validation).toEqual({ platform: 'bios', idString: '', checksumOk: true });
      expect(cat.entries.map(({ kind: _k, file: _f, ...rest }) => rest)).toEqual(images);
      expect(cat.entries.map((e) => e.file)).toEqual(images.map((_, i) => paths[i]));
      expect(cat.entries.map((e) => e.kind)).toEqual(['default', 'section 1']);
      expect(cat.bootInfoTable).toBe(true);
      // The boot info table xorriso patched in: PVD at 16, the image's own LBA, its length.
      const bin = await img.stat('/isolinux/isolinux.bin');
      const head = await img.open(bin).read(8, 12);
      expect([head.readUInt32LE(0), head.readUInt32LE(4), head.readUInt32LE(8)]).toEqual([16, cat.entries[0]!.lba, bin.size]);
    });
  });

  it('lists the MBR and GPT partitions xorriso -report_system_area shows', async () => {
    const report = xorrisoReport(['-indev', iso, '-report_system_area', 'plain']);
    const mbr = [...report.matchAll(/MBR partition      :\s+(\d+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\d+)\s+(\d+)/g)].map((m) => ({
      index: Number(m[1]),
      type: m[3],
      startLba: Number(m[4]),
      sectors: Number(m[5]),
      bootable: m[2] === '0x80',
      scheme: 'mbr',
    }));
    const names = Object.fromEntries([...report.matchAll(/GPT partname local :\s+(\d+)\s+(\S+)/g)].map((m) => [m[1], m[2]]));
    const gpt = [...report.matchAll(/GPT start and size :\s+(\d+)\s+(\d+)\s+(\d+)/g)].map((m) => ({
      index: Number(m[1]),
      type: 'Basic data',
      startLba: Number(m[2]),
      sectors: Number(m[3]),
      scheme: 'gpt',
      name: names[m[1]!],
    }));
    expect(mbr.length).toBe(2);
    expect(gpt.length).toBe(2);
    await withIso(iso, async (img) => {
      expect(img.info.hybrid).toEqual({ mbr: true, gpt: true, partitions: [...mbr, ...gpt] });
    });
  });
});

describe('the project fixture ISO', () => {
  let fixture: string;
  beforeAll(() => {
    const out = execFileSync('bash', ['scripts/make-fixture-iso.sh'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    fixture = out.trim().split('\n').pop()!;
  }, 600_000);

  it('has the minikube layout, isolinux as the El Torito image with a boot info table', async () => {
    await withIso(fixture, async (img) => {
      expect(img.info).toMatchObject({ rockRidge: true, joliet: true, tree: 'rockridge', volume: { volumeId: 'ISOLAB_FIXTURE', blockSize: 2048 } });
      expect(img.info.volume.created).toBe('2024-01-01T00:00:00.000Z');
      const ours = await walkOurs(img);
      for (const p of ['/boot/bzImage', '/boot/initrd', '/boot.catalog', '/isolinux/isolinux.cfg', '/isolinux/isolinux.bin']) expect(ours.get(p)?.type).toBe('file');
      compareWithMtree(ours, fixture, { devices: false });
      const cat = img.info.elTorito!;
      expect(cat.catalogFile).toBe('/boot.catalog');
      expect(cat.entries).toEqual([{ platform: 'bios', bootable: true, emulation: 'none', loadSegment: 0, sectorCount: 4, lba: cat.entries[0]!.lba, kind: 'default', file: '/isolinux/isolinux.bin' }]);
      expect(cat.bootInfoTable).toBe(true);
      const cfg = await img.open(await img.stat('/isolinux/isolinux.cfg')).read(0, 10_000);
      expect(cfg.equals(readFileSync(path.join(ROOT, 'scripts/fixture/isolinux.cfg')))).toBe(true);
      const initrd = await img.stat('/boot/initrd');
      expect((await img.open(initrd).read(0, initrd.size)).equals(readFileSync(path.join(path.dirname(fixture), 'initrd.cpio.bz2')))).toBe(true);
    });
  });

  it('the kernel card of /boot/bzImage agrees with file(1) and the payload magic', async () => {
    const bz = path.join(path.dirname(fixture), 'bzImage');
    const described = tool('file', ['-b', bz]);
    const version = /version (.*?), (RO-rootFS|swap_dev|Normal VGA)/.exec(described)![1]!;
    await withIso(fixture, async (img) => {
      const src = img.open(await img.stat('/boot/bzImage'));
      expect(isBzImage(await src.read(0, 0x300))).toBe(true);
      const card = await readKernelCard(src);
      expect(card.version).toBe(version);
      expect(card.version).toMatch(/^6\.1\./);
      expect(card.bootProtocol).toMatch(/^2\.1[0-9]$/);
      expect(card).toMatchObject({ relocatable: true, kernelAlignment: 0x200000, cmdlineMax: 2047, preferredAddress: '0x1000000', initrdAddrMax: '0x7fffffff' });
      expect(card.xloadflags).toContain('KERNEL_64');
      // Debian's kernels are xz-compressed; check the magic where the header says the payload is.
      const head = readFileSync(bz);
      const start = (head[0x1f1]! + 1) * 512 + head.readUInt32LE(0x248);
      expect(head.subarray(start, start + 6).toString('hex')).toBe('fd377a585a00');
      expect(card.payloadCompression).toBe('xz');
      expect(card.setupSectors).toBe(head[0x1f1]);
      expect(card.handoverOffset).toBe(head.readUInt32LE(0x264));
    });
  });
});

describe('a file over 4 GiB (xorriso -iso-level 3, multi-extent)', () => {
  it('is one entry of the full size made of two extents, with the bytes at the seam', async () => {
    const dir = path.join(work, 'huge-tree');
    mkdirSync(dir);
    const file = path.join(dir, 'huge.bin');
    const size = 4200 * 1024 * 1024;
    const seam = 0xfffff800;
    writeFileSync(file, '');
    execFileSync('truncate', ['-s', String(size), file]);
    // Markers around the seam between the parts and at the end; the rest stays sparse.
    const put = (at: number, text: string) => execFileSync('dd', ['of=' + file, 'bs=1', `seek=${at}`, 'conv=notrunc', 'status=none'], { input: text });
    put(seam - 4, 'END1BEG2');
    put(size - 4, 'LAST');
    // Through a pipe into cp --sparse so the 4.4 GB image costs a few KiB of disk.
    const iso = path.join(work, 'huge.iso');
    const r = spawnSync('sh', ['-c', 'xorriso -as mkisofs -quiet -iso-level 3 -R -o - "$1" 2>/dev/null | cp --sparse=always /dev/stdin "$2"', 'sh', dir, iso]);
    expect(r.status).toBe(0);
    const listed = /(\d+) \w{3} +\d+ +[\d:]+ huge\.bin/.exec(tool('bsdtar', ['-tvf', iso]))!;
    await withIso(iso, async (img) => {
      const e = await img.stat('/huge.bin');
      expect(e.size).toBe(size);
      expect(e.size).toBe(Number(listed[1]));
      expect(e.extents!.length).toBe(2);
      expect(e.extents![0]!.length).toBe(seam);
      const src = img.open(e);
      expect((await src.read(seam - 4, 8)).toString()).toBe('END1BEG2');
      expect((await src.read(size - 4, 100)).toString()).toBe('LAST');
    });
    rmSync(iso, { force: true });
  }, 120_000);
});
