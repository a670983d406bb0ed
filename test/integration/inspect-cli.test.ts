import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-inspect-cli-'));
let iso = '';
let initrd = '';

function isolab(args: string[], opts: { input?: Buffer } = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'isolab.cjs'), ...args], {
    env: { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1' },
    timeout: 60_000,
    input: opts.input,
    maxBuffer: 256 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr.toString() };
}

beforeAll(() => {
  iso = execFileSync('bash', [path.join(root, 'scripts', 'make-fixture-iso.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
  initrd = path.join(path.dirname(iso), 'initrd.cpio.bz2');
}, 300_000);

describe('isolab ls / cat / info / extract on the fixture', () => {
  it('ls / shows the seed layout, with the initrd recognised as an archive', () => {
    const r = isolab(['ls', iso, '/', '--json']);
    expect(r.code).toBe(0);
    const names = JSON.parse(r.out.toString()).map((e: { path: string }) => e.path);
    expect(names).toEqual(expect.arrayContaining(['/boot', '/isolinux', '/boot.catalog']));
    const boot = JSON.parse(isolab(['ls', iso, '/boot', '--json']).out.toString());
    const byPath = Object.fromEntries(boot.map((e: { path: string }) => [e.path, e]));
    expect(byPath['/boot/initrd']).toMatchObject({ type: 'file', archive: 'cpio+bzip2' });
    expect(byPath['/boot/bzImage']).toMatchObject({ type: 'file' });
    expect(byPath['/boot/bzImage'].archive).toBeUndefined();
    expect(byPath['/boot/bzImage'].mtime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('ls descends into the initrd and reports symlinks, modes and devices', () => {
    const r = isolab(['ls', iso, '/boot/initrd/bin', '--json']);
    expect(r.code).toBe(0);
    const sh = JSON.parse(r.out.toString()).find((e: { path: string }) => e.path === '/boot/initrd/bin/sh');
    expect(sh).toMatchObject({ type: 'symlink', target: 'busybox' });
    const dev = JSON.parse(isolab(['ls', iso, '/boot/initrd/dev', '--json']).out.toString());
    expect(dev.find((e: { path: string }) => e.path === '/boot/initrd/dev/console')).toMatchObject({ type: 'char', rdev: { major: 5, minor: 1 } });
    const human = isolab(['ls', iso, '/boot/initrd/bin']).out.toString();
    expect(human).toMatch(/^lrwxrwxrwx .* sh -> busybox$/m);
  });

  it('cat reads through the archive, and a hardlink gives its data', () => {
    expect(isolab(['cat', iso, '/boot/initrd/etc/VERSION']).out.toString()).toBe('isolab-fixture 1\n');
    const a = isolab(['cat', iso, '/boot/initrd/etc/issue']).out;
    const b = isolab(['cat', iso, '/boot/initrd/etc/issue.net']).out;
    expect(a.length).toBeGreaterThan(0);
    expect(a.equals(b)).toBe(true);
    const cfg = isolab(['cat', iso, '/isolinux/isolinux.cfg']).out.toString();
    expect(cfg).toContain('kernel /boot/bzImage');
    expect(cfg).toContain('initrd /boot/initrd');
  });

  it('cat of the kernel equals the file xorriso extracts', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'isolab-xorriso-'));
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/boot/bzImage', path.join(out, 'bzImage')], { stdio: 'ignore' });
    expect(isolab(['cat', iso, '/boot/bzImage']).out.equals(readFileSync(path.join(out, 'bzImage')))).toBe(true);
  });

  it('ls -R lists the whole ISO without going into the initrd', () => {
    const r = isolab(['ls', iso, '/', '-R', '--json']);
    expect(r.code).toBe(0);
    const paths = JSON.parse(r.out.toString()).map((e: { path: string }) => e.path);
    expect(paths).toContain('/isolinux/ldlinux.c32');
    expect(paths.some((p: string) => p.startsWith('/boot/initrd/'))).toBe(false);
    const xorriso = execFileSync('xorriso', ['-indev', iso, '-find', '/', '-exec', 'lsdl'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const theirs = [...xorriso.matchAll(/'(\/[^']+)'/g)].map((m) => m[1]).sort();
    expect([...paths].sort()).toEqual(theirs);
  });

  it('info names the volume, the boot entry, the kernel and the initrd', () => {
    const r = isolab(['info', iso, '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out.toString());
    expect(info.iso.volume.volumeId).toBe('ISOLAB_FIXTURE');
    expect(info.iso.rockRidge).toBe(true);
    expect(info.iso.joliet).toBe(true);
    expect(info.iso.elTorito.entries[0]).toMatchObject({ platform: 'bios', bootable: true, emulation: 'none', file: '/isolinux/isolinux.bin' });
    expect(info.kernel.path).toBe('/boot/bzImage');
    expect(info.kernel.card.version).toMatch(/^6\.1\./);
    expect(info.initrds).toEqual([expect.objectContaining({ path: '/boot/initrd', format: 'cpio+bzip2' })]);
    expect(info.archives[0].entryCount).toBeGreaterThan(100);
    const human = isolab(['info', iso]).out.toString();
    expect(human).toContain('El Torito');
    expect(human).toContain('Rock Ridge, Joliet');
  });

  it('a bare initrd opens as an image too', () => {
    expect(isolab(['cat', initrd, '/etc/VERSION']).out.toString()).toBe('isolab-fixture 1\n');
    const info = JSON.parse(isolab(['info', initrd, '--json']).out.toString());
    expect(info).toMatchObject({ kind: 'archive', format: 'cpio+bzip2' });
  });

  it('extract writes a folder of the rootfs under DEST, with modes and links', () => {
    const dest = mkdtempSync(path.join(os.tmpdir(), 'isolab-extract-'));
    const r = isolab(['extract', iso, '/boot/initrd/etc', dest]);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dest, 'etc', 'VERSION'), 'utf8')).toBe('isolab-fixture 1\n');
    const whole = mkdtempSync(path.join(os.tmpdir(), 'isolab-extract-all-'));
    expect(isolab(['extract', iso, '/boot/initrd/', whole]).code).toBe(0);
    const rootfs = path.join(whole, 'initrd');
    expect(readdirSync(rootfs)).toEqual(expect.arrayContaining(['bin', 'etc', 'sbin', 'init']));
    expect(execFileSync('readlink', [path.join(rootfs, 'bin', 'sh')], { encoding: 'utf8' }).trim()).toBe('busybox');
  });
});

describe('bad input', () => {
  const bad = mkdtempSync(path.join(os.tmpdir(), 'isolab-bad-'));

  it('a missing file, a non-image and a path outside the tree each give one line and exit 1', () => {
    writeFileSync(path.join(bad, 'notes.txt'), 'hello world, not an image\n'.repeat(100));
    const cases: [string[], RegExp][] = [
      [['ls', path.join(bad, 'nope.iso')], /no such file/],
      [['ls', path.join(bad, 'notes.txt')], /neither an ISO 9660 image/],
      [['cat', iso, '/boot/nothing-here'], /does not exist/],
      [['cat', iso, '/boot'], /is a dir/],
      [['ls', iso, 'boot'], /absolute/],
      [['ls', iso, '/boot/../etc'], /\.\./],
    ];
    for (const [args, message] of cases) {
      const r = isolab(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('a truncated ISO is reported with where it broke', () => {
    const cut = path.join(bad, 'cut.iso');
    writeFileSync(cut, readFileSync(iso).subarray(0, 0x8000 + 0x800 * 2 + 100));
    const r = isolab(['ls', cut, '/boot']);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/offset|sector|truncated|ends/i);
  });

  it('extraction never writes outside DEST', () => {
    // A hostile initrd: a name that climbs out, and a symlink out followed by a write through it.
    // Hand-write a newc archive so names can be what no tar or cpio would write.
    const entries: [string, number, Buffer][] = [
      ['d', 0o040755, Buffer.alloc(0)],
      ['d/ok.txt', 0o100644, Buffer.from('fine\n')],
      ['d/out', 0o120777, Buffer.from('/tmp')],
      ['d/out/isolab-escaped.txt', 0o100644, Buffer.from('escaped\n')],
      ['../isolab-climbed.txt', 0o100644, Buffer.from('climbed\n')],
      ['TRAILER!!!', 0, Buffer.alloc(0)],
    ];
    const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
    const parts: Buffer[] = [];
    entries.forEach(([name, mode, data], i) => {
      const hex = (v: number) => v.toString(16).padStart(8, '0');
      const nameBuf = Buffer.from(`${name}\0`);
      const header = `070701${hex(i + 1)}${hex(mode)}${hex(0)}${hex(0)}${hex(1)}${hex(0)}${hex(data.length)}${hex(0)}${hex(0)}${hex(0)}${hex(0)}${hex(nameBuf.length)}${hex(0)}`;
      parts.push(Buffer.from(header), nameBuf, pad(110 + nameBuf.length), data, pad(data.length));
    });
    const archive = path.join(bad, 'hostile.cpio');
    writeFileSync(archive, Buffer.concat(parts));
    const dest = mkdtempSync(path.join(os.tmpdir(), 'isolab-dest-'));
    const r = isolab(['extract', archive, '/', dest]);
    expect(existsSync('/tmp/isolab-escaped.txt')).toBe(false);
    expect(existsSync(path.join(path.dirname(dest), 'isolab-climbed.txt'))).toBe(false);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dest, 'hostile', 'd', 'ok.txt'), 'utf8')).toBe('fine\n');
    // `..` cannot climb above the archive's root, as when the kernel unpacks it.
    expect(readFileSync(path.join(dest, 'hostile', 'isolab-climbed.txt'), 'utf8')).toBe('climbed\n');
    expect(execFileSync('readlink', [path.join(dest, 'hostile', 'd', 'out')], { encoding: 'utf8' }).trim()).toBe('/tmp');

    // A symlink already in DEST is never written through.
    const outside = mkdtempSync(path.join(os.tmpdir(), 'isolab-outside-'));
    const dest2 = mkdtempSync(path.join(os.tmpdir(), 'isolab-dest2-'));
    mkdirSync(path.join(dest2, 'hostile'));
    symlinkSync(outside, path.join(dest2, 'hostile', 'd'));
    const r2 = isolab(['extract', archive, '/', dest2]);
    expect(readdirSync(outside)).toEqual([]);
    expect(r2.err).toMatch(/skipped .*d\/ok\.txt: .*not a folder/);
  });

  /** A hand-written newc archive: names and modes no tar or cpio would write. */
  function hostileCpio(name: string, entries: [string, number, Buffer, [number, number]?][]): string {
    const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
    const parts: Buffer[] = [];
    [...entries, ['TRAILER!!!', 0, Buffer.alloc(0)] as [string, number, Buffer]].forEach(([n, mode, data, rdev], i) => {
      const hex = (v: number) => v.toString(16).padStart(8, '0');
      const nameBuf = Buffer.from(`${n}\0`);
      const header = `070701${hex(i + 1)}${hex(mode)}${hex(0)}${hex(0)}${hex(1)}${hex(0)}${hex(data.length)}${hex(0)}${hex(0)}${hex(rdev?.[0] ?? 0)}${hex(rdev?.[1] ?? 0)}${hex(nameBuf.length)}${hex(0)}`;
      parts.push(Buffer.from(header), nameBuf, pad(110 + nameBuf.length), data, pad(data.length));
    });
    const file = path.join(bad, name);
    writeFileSync(file, Buffer.concat(parts));
    return file;
  }

  it('extraction replaces a file planted in DEST as a name, never writing through a hard link to outside', () => {
    const archive = hostileCpio('planted.cpio', [['f', 0o104777, Buffer.from('from the image\n')]]);
    const outside = path.join(mkdtempSync(path.join(os.tmpdir(), 'isolab-victim-')), 'victim');
    writeFileSync(outside, 'precious\n', { mode: 0o644 });
    const dest = mkdtempSync(path.join(os.tmpdir(), 'isolab-dest3-'));
    mkdirSync(path.join(dest, 'planted'));
    execFileSync('ln', [outside, path.join(dest, 'planted', 'f')]);
    const r = isolab(['extract', archive, '/', dest]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(outside, 'utf8')).toBe('precious\n');
    expect(statSync(outside).mode & 0o7777).toBe(0o644);
    expect(readFileSync(path.join(dest, 'planted', 'f'), 'utf8')).toBe('from the image\n');
    // setuid is dropped (and said); nothing half-written is left beside it.
    expect(statSync(path.join(dest, 'planted', 'f')).mode & 0o7777).toBe(0o777);
    expect(r.err).toMatch(/note planted\/f: written without its setuid\/setgid bits \(4777 → 0777\)/);
    expect(readdirSync(path.join(dest, 'planted'))).toEqual(['f']);
  });

  it('device nodes are skipped unless asked for, and names are escaped on the terminal', () => {
    const archive = hostileCpio('devices.cpio', [
      ['mem', 0o020600, Buffer.alloc(0), [1, 1]],
      ['evil\x1b]0;pwned\x07\nname', 0o100644, Buffer.from('x')],
    ]);
    const dest = mkdtempSync(path.join(os.tmpdir(), 'isolab-dest4-'));
    const r = isolab(['extract', archive, '/', dest]);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(path.join(dest, 'devices', 'mem'))).toBe(false);
    expect(r.err).toMatch(/skipped devices\/mem: char device 1:1 not created/);
    const ls = isolab(['ls', archive, '/']);
    expect(ls.out.toString()).toContain('evil\\x1b]0;pwned\\x07\\nname');
    expect(ls.out.toString()).not.toContain('\x1b');
    if (process.getuid?.() === 0) {
      const dest2 = mkdtempSync(path.join(os.tmpdir(), 'isolab-dest5-'));
      expect(isolab(['extract', archive, '/', dest2, '--preserve-special']).code).toBe(0);
      expect(statSync(path.join(dest2, 'devices', 'mem')).isCharacterDevice()).toBe(true);
    }
  });

  it.skipIf(process.getuid?.() !== 0)('a full disk stops extraction with one error and exit 1, and leaves no cut-short file', () => {
    const archive = hostileCpio('big.cpio', [['small', 0o100644, Buffer.from('ok\n')], ['zbig', 0o100644, Buffer.alloc(3 << 20, 7)]]);
    const dest = mkdtempSync(path.join(os.tmpdir(), 'isolab-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dest]);
    try {
      const r = isolab(['extract', archive, '/', dest]);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/No space left on the disk of .*extraction stopped/);
      expect(readdirSync(path.join(dest, 'big'))).toEqual(['small']);
    } finally {
      execFileSync('umount', [dest]);
    }
  });
});

