// Issue 9: `isolab remaster` keeps the input's boot equipment. Three small ISOs made here
// with real xorriso (isolinux BIOS, El Torito EFI only, and an isohybrid with both plus an
// MBR and a GPT) are remastered with an initrd edit and a kernel argument, and the output's
// boot catalog is compared with the input's twice: by xorriso's own `-report_el_torito
// as_mkisofs` and by ISO Lab's reader (`isolab info --json`).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTools, tmp } from '../helpers/iso-tools';

const root = path.resolve(__dirname, '..', '..');
const work = tmp('remaster-boot');
const home = path.join(work, 'home');

const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin';
const ISOHDPFX = '/usr/lib/ISOLINUX/isohdpfx.bin';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';

const ISOLINUX_CFG = 'default test\nlabel test\n  kernel /boot/bzImage\n  initrd /boot/initrd\n  append console=ttyS0\n';
const GRUB_CFG = 'menuentry "test" {\n  linux /boot/bzImage console=tty0\n  initrd /boot/initrd\n}\n';

function isolab(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'isolab.cjs'), ...args], {
    env: { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1', ...env },
    timeout: 120_000,
    maxBuffer: 256 << 20,
  });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * xorriso's description of the image's boot equipment, as the mkisofs options that would
 * make it again (stdout only; the banner and drive lines go to stderr). An isohybrid's
 * system area is described as `--interval:local_fs:0s-15s:…:'FILE'`, naming the file the
 * report was read from, which is the one thing that must differ between input and output;
 * it is replaced by IMAGE. `--modification-date` is compared as it is: `-boot_image any
 * replay` carries it over (with `discard` instead it becomes the time of the write).
 */
function elToritoReport(iso: string): string {
  const r = spawnSync('xorriso', ['-indev', iso, '-report_el_torito', 'as_mkisofs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xorriso -report_el_torito on ${iso} failed:\n${r.stderr}`);
  return r.stdout.split(`'${iso}'`).join("'IMAGE'");
}

interface Entry {
  platform: string;
  bootable: boolean;
  emulation: string;
  loadSegment: number;
  sectorCount: number;
  lba: number;
  file?: string;
  kind: string;
}
interface Partition {
  index: number;
  scheme?: string;
  type: string;
  startLba: number;
  sectors: number;
  bootable?: boolean;
  name?: string;
}
interface Info {
  iso: {
    volume: { sizeBytes: number };
    elTorito?: { catalogFile?: string; validation: { platform: string; idString: string; checksumOk: boolean }; entries: Entry[]; bootInfoTable?: boolean };
    hybrid?: { mbr: boolean; gpt: boolean; partitions: Partition[] };
  };
}

function info(iso: string): Info {
  const r = isolab(['info', iso, '--json']);
  if (r.code !== 0) throw new Error(`isolab info ${iso} failed: ${r.err}`);
  return JSON.parse(r.out) as Info;
}

/** The catalog without block addresses, which a new image may lay out anew. */
function catalog(i: Info) {
  const t = i.iso.elTorito;
  if (!t) return undefined;
  return {
    catalogFile: t.catalogFile,
    validation: t.validation,
    bootInfoTable: t.bootInfoTable ?? false,
    entries: t.entries.map(({ platform, bootable, emulation, loadSegment, sectorCount, file, kind }) => ({ platform, bootable, emulation, loadSegment, sectorCount, file, kind })),
  };
}

function cat(iso: string, p: string): string {
  const r = isolab(['cat', iso, p]);
  if (r.code !== 0) throw new Error(`isolab cat ${iso} ${p} failed: ${r.err}`);
  return r.out;
}

interface Case {
  name: 'bios' | 'efi' | 'hybrid';
  bios: boolean;
  efi: boolean;
  mkisofs: string[];
  /** The config files whose kernel line --cmdline-add must touch, with that line before and after. */
  configs: { path: string; before: string; after: string }[];
}

const BIOS_ARGS = ['-b', 'isolinux/isolinux.bin', '-c', 'boot.catalog', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table'];
const ISOLINUX = { path: '/isolinux/isolinux.cfg', before: '  append console=ttyS0', after: '  append console=ttyS0 isolab.test=1' };
const GRUB = { path: '/boot/grub/grub.cfg', before: '  linux /boot/bzImage console=tty0', after: '  linux /boot/bzImage console=tty0 isolab.test=1' };

const cases: Case[] = [
  { name: 'bios', bios: true, efi: false, mkisofs: BIOS_ARGS, configs: [ISOLINUX] },
  { name: 'efi', bios: false, efi: true, mkisofs: ['-c', 'boot.catalog', '-e', 'efi.img', '-no-emul-boot'], configs: [GRUB] },
  {
    name: 'hybrid',
    bios: true,
    efi: true,
    mkisofs: ['-isohybrid-mbr', ISOHDPFX, ...BIOS_ARGS, '-eltorito-alt-boot', '-e', 'efi.img', '-no-emul-boot', '-isohybrid-gpt-basdat'],
    configs: [ISOLINUX, GRUB],
  },
];

const inIso = (c: Case) => path.join(work, 'in', `${c.name}.iso`);
const outIso = (c: Case) => path.join(work, `out-${c.name}`, 'remastered.iso');
const remastered = new Map<string, ReturnType<typeof isolab>>();

/** An EFI system partition image; xorriso only stores it, so a FAT one is made only when a tool is there. */
function makeEfiImage(file: string): void {
  if (has('mkfs.vfat')) execFileSync('mkfs.vfat', ['-C', file, '1440'], { stdio: 'ignore' });
  else if (has('mformat')) execFileSync('mformat', ['-C', '-f', '1440', '-i', file, '::'], { stdio: 'ignore' });
  else writeFileSync(file, Buffer.alloc(1440 * 1024));
}

beforeAll(() => {
  requireTools('xorriso', 'cpio', 'gzip');
  for (const f of [ISOLINUX_BIN, ISOHDPFX, LDLINUX]) {
    if (!existsSync(f)) throw new Error(`missing ${f}: apt-get install isolinux syslinux-common`);
  }
  mkdirSync(home);
  mkdirSync(path.join(work, 'in'));

  // A tiny rootfs with /etc/VERSION as a gzip newc cpio, like the seed's initrd.
  const rootfs = path.join(work, 'rootfs');
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc', 'VERSION'), 'v1\n');
  const initrd = path.join(work, 'initrd');
  execFileSync('sh', ['-c', `cd "${rootfs}" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9n > "${initrd}"`]);

  for (const c of cases) {
    mkdirSync(path.dirname(outIso(c)));
    const tree = path.join(work, `tree-${c.name}`);
    mkdirSync(path.join(tree, 'boot'), { recursive: true });
    copyFileSync(initrd, path.join(tree, 'boot', 'initrd'));
    // Never booted here: any small file does as the kernel.
    writeFileSync(path.join(tree, 'boot', 'bzImage'), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 31) % 256)));
    if (c.bios) {
      mkdirSync(path.join(tree, 'isolinux'));
      copyFileSync(ISOLINUX_BIN, path.join(tree, 'isolinux', 'isolinux.bin'));
      copyFileSync(LDLINUX, path.join(tree, 'isolinux', 'ldlinux.c32'));
      writeFileSync(path.join(tree, 'isolinux', 'isolinux.cfg'), ISOLINUX_CFG);
    }
    if (c.efi) {
      mkdirSync(path.join(tree, 'boot', 'grub'));
      writeFileSync(path.join(tree, 'boot', 'grub', 'grub.cfg'), GRUB_CFG);
      makeEfiImage(path.join(tree, 'efi.img'));
    }
    execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', `ISOLAB_${c.name.toUpperCase()}`, '-o', inIso(c), ...c.mkisofs, tree], { stdio: ['ignore', 'ignore', 'pipe'] });
    remastered.set(c.name, isolab(['remaster', inIso(c), outIso(c), '--write', '/boot/initrd/etc/VERSION=changed', '--cmdline-add', 'isolab.test=1']));
  }
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.each(cases)('remaster keeps the boot equipment of the $name ISO', (c) => {
  it('remaster exits 0 and writes the output', () => {
    const r = remastered.get(c.name)!;
    expect(r.code, r.err).toBe(0);
    expect(existsSync(outIso(c))).toBe(true);
    // Nothing left beside the output: the work folder is renamed from and removed.
    expect(readdirSync(path.dirname(outIso(c)))).toEqual(['remastered.iso']);
  });

  it("xorriso's -report_el_torito as_mkisofs of the output equals the input's", () => {
    const before = elToritoReport(inIso(c));
    const after = elToritoReport(outIso(c));
    // The input really has the equipment under test, so equality is not two empty reports.
    expect(before).toContain("-c '/boot.catalog'");
    if (c.bios) {
      expect(before).toContain("-b '/isolinux/isolinux.bin'");
      expect(before).toMatch(/^-boot-load-size 4$/m);
      expect(before).toMatch(/^-boot-info-table$/m);
    } else {
      expect(before).not.toMatch(/^-b /m);
    }
    if (c.efi) expect(before).toContain("-e '/efi.img'");
    else expect(before).not.toMatch(/^-e /m);
    if (c.name === 'hybrid') {
      expect(before).toMatch(/^-isohybrid-mbr /m);
      expect(before).toMatch(/^-isohybrid-gpt-basdat$/m);
    } else {
      expect(before).not.toMatch(/isohybrid/);
    }
    expect(after).toBe(before);
  });

  it('isolab info reads the same El Torito entries and boot info table from both', () => {
    const a = info(inIso(c));
    const b = info(outIso(c));
    const ca = catalog(a)!;
    expect(ca.entries.map((e) => [e.platform, e.file])).toEqual([...(c.bios ? [['bios', '/isolinux/isolinux.bin']] : []), ...(c.efi ? [['efi', '/efi.img']] : [])]);
    expect(ca.bootInfoTable).toBe(c.bios);
    expect(catalog(b)).toEqual(ca);
    if (c.bios) expect(ca.entries[0]).toMatchObject({ emulation: 'none', loadSegment: 0, sectorCount: 4 });
    if (c.efi) expect(ca.entries.at(-1)).toMatchObject({ emulation: 'none', sectorCount: 2880 });
  });

  it('keeps Rock Ridge and Joliet', () => {
    const a = info(inIso(c)).iso as unknown as { rockRidge: boolean; joliet: boolean };
    const b = info(outIso(c)).iso as unknown as { rockRidge: boolean; joliet: boolean };
    expect(a).toMatchObject({ rockRidge: true, joliet: true });
    expect({ rockRidge: b.rockRidge, joliet: b.joliet }).toEqual({ rockRidge: true, joliet: true });
  });

  it('isolab info reads the same MBR and GPT from both', () => {
    const a = info(inIso(c));
    const b = info(outIso(c));
    if (c.name !== 'hybrid') {
      expect(a.iso.hybrid).toBeUndefined();
      expect(b.iso.hybrid).toBeUndefined();
      return;
    }
    // Partition starts are block addresses (the EFI image may move); the rest must match.
    const shape = (i: Info) => ({ mbr: i.iso.hybrid!.mbr, gpt: i.iso.hybrid!.gpt, partitions: i.iso.hybrid!.partitions.map(({ startLba: _s, sectors: _n, ...p }) => p) });
    expect(shape(a)).toMatchObject({ mbr: true, gpt: true });
    expect(shape(a).partitions.map((p) => `${p.scheme}:${p.type}`)).toEqual(['mbr:0x00', 'mbr:0xef', 'gpt:Basic data', 'gpt:Basic data']);
    expect(shape(b)).toEqual(shape(a));
    for (const i of [a, b]) {
      // In each image the partitions still point where they must: the first one starts at
      // sector 0 and covers the ISO, the second one is exactly the El Torito EFI image.
      const efi = i.iso.elTorito!.entries.find((e) => e.platform === 'efi')!;
      for (const scheme of ['mbr', 'gpt']) {
        const [whole, esp] = i.iso.hybrid!.partitions.filter((p) => p.scheme === scheme);
        expect(whole!.startLba).toBe(0);
        // (The GPT's first partition stops short of the backup GPT at the end, so only the MBR's is checked for size.)
        if (scheme === 'mbr') expect(whole!.sectors * 512).toBeGreaterThanOrEqual(i.iso.volume.sizeBytes);
        expect({ scheme, start: esp!.startLba, sectors: esp!.sectors }).toEqual({ scheme, start: efi.lba * 4, sectors: efi.sectorCount });
      }
    }
  });

  it("the initrd's /etc/VERSION is the new text", () => {
    expect(cat(inIso(c), '/boot/initrd/etc/VERSION')).toBe('v1\n');
    expect(cat(outIso(c), '/boot/initrd/etc/VERSION')).toBe('changed');
  });

  it('the kernel line of each boot config got the argument, and nothing else changed', () => {
    for (const cfg of c.configs) {
      const before = cat(inIso(c), cfg.path);
      expect(before.split('\n')).toContain(cfg.before);
      expect(cat(outIso(c), cfg.path)).toBe(before.replace(cfg.before, cfg.after));
    }
  });

  it('isolab diff lists exactly the initrd, its etc/VERSION and the boot config as changed', () => {
    const r = isolab(['diff', inIso(c), outIso(c), '--json']);
    expect(r.code, r.err).toBe(0);
    const d = JSON.parse(r.out) as { summary: { added: number; removed: number; changed: number; containers: number }; changes: { path: string; kind: string }[] };
    const expected = ['/boot/initrd', '/boot/initrd/etc/VERSION', ...c.configs.map((x) => x.path)].sort();
    expect(d.changes.map((x) => `${x.kind} ${x.path}`).sort()).toEqual(expected.map((p) => `changed ${p}`));
    // The initrd is counted as the container of the change inside it, not as a changed file.
    expect(d.summary).toMatchObject({ added: 0, removed: 0, changed: expected.length - 1, containers: 1 });
  });
});

describe('remaster without xorriso', () => {
  const iso = () => inIso(cases[0]!);
  const missing: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['ISOLAB_XORRISO naming a file that is not there', { ISOLAB_XORRISO: '/nonexistent/xorriso' }, /ISOLAB_XORRISO=\/nonexistent\/xorriso/],
    // The CLI is started by node's absolute path, so an empty PATH only hides xorriso.
    ['no xorriso on PATH', { ISOLAB_XORRISO: '', PATH: path.join(work, 'empty-path') }, /xorriso is not installed;/],
  ];

  it.each(missing)('%s: one line with the install hint, exit 1, no output', (_what, env, detail) => {
    mkdirSync(path.join(work, 'empty-path'), { recursive: true });
    const dir = mkdtempSync(path.join(work, 'no-xorriso-'));
    const r = isolab(['remaster', iso(), path.join(dir, 'out.iso'), '--write', '/boot/initrd/etc/VERSION=changed'], env);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/xorriso is not installed/);
    expect(r.err).toMatch(detail);
    expect(r.err).toContain('apt install xorriso');
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual([]);
  });
});
