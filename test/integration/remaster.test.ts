import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, hasTool, isRoot, walk, type Codec } from '../helpers/archive-tools';
import { fixtureIso } from '../helpers/fixture-variant';

// Remastering the fixture ISO with the real tools: the CLI, xorriso, cpio, the CLI
// decompressors, and QEMU for one boot of the result.

const root = path.resolve(__dirname, '..', '..');
const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-remaster-home-'));
const work = mkdtempSync(path.join(os.tmpdir(), 'isolab-remaster-'));
let iso = '';
let isoSha = '';

function isolab(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'isolab.cjs'), ...args], {
    env: { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1', ...env },
    timeout: 300_000,
    maxBuffer: 256 << 20,
  });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** The file at an ISO path, extracted with xorriso (not with ISO Lab). */
function isoFile(image: string, p: string): Buffer {
  const dest = path.join(mkdtempSync(path.join(work, 'x-')), 'f');
  execFileSync('xorriso', ['-osirrox', 'on', '-indev', image, '-extract', p, dest], { stdio: 'ignore' });
  return readFileSync(dest);
}

const DECOMPRESS: Record<Codec | 'none', string[]> = {
  none: ['cat'],
  gzip: ['gzip', '-dc'],
  bzip2: ['bzip2', '-dc'],
  xz: ['xz', '-dc'],
  lzma: ['xz', '--format=lzma', '-dc'],
  'lz4-legacy': ['lz4', '-dc'],
  lz4: ['lz4', '-dc'],
  zstd: ['zstd', '-dc', '-q'],
};

/** The seed's way: the CLI decompressor, then `cpio -idv` into a scratch folder. */
function cpioExtract(compressed: Buffer, codec: Codec | 'none', dir: string): void {
  const [cmd, ...args] = DECOMPRESS[codec];
  const plain = execFileSync(cmd!, args, { input: compressed, maxBuffer: 256 << 20 });
  execFileSync('cpio', ['-idmu', '--quiet', '--no-absolute-filenames', '-D', dir], { input: plain, stdio: ['pipe', 'ignore', 'ignore'] });
}

/** `type path [size] [-> target]` for every node under dir, sorted: a tree to compare. */
function treeOf(dir: string): string[] {
  return walk(dir)
    .map((p) => {
      const rel = '/' + path.relative(dir, p);
      const st = execFileSync('stat', ['-c', '%F|%s|%a', p], { encoding: 'utf8' }).trim().split('|');
      const type = st[0]!.startsWith('regular') ? 'file' : st[0]!.startsWith('directory') ? 'dir' : st[0]!.startsWith('symbolic') ? 'symlink' : st[0]!;
      return `${type} ${rel}${type === 'file' ? ` ${st[1]}` : ''}`;
    })
    .filter((l) => !l.endsWith(' /'))
    .sort();
}

/** The same description of the tree as ISO Lab's reader lists it. */
function treeOfImage(image: string, archive: string): string[] {
  const r = isolab(['ls', image, archive, '-R', '--json']);
  expect(r.code, r.err).toBe(0);
  const entries = JSON.parse(r.out) as { path: string; type: string; size: number }[];
  return entries
    .map((e) => {
      const rel = e.path.slice(archive.length);
      const type = e.type === 'char' || e.type === 'block' ? `${e.type === 'char' ? 'character' : 'block'} special file` : e.type;
      return `${type} ${rel}${e.type === 'file' ? ` ${e.size}` : ''}`;
    })
    .sort();
}

beforeAll(() => {
  iso = fixtureIso();
  isoSha = sha(iso);
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'ignore' });
}, 600_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe('isolab remaster: append (the default)', () => {
  let out = '';
  beforeAll(() => {
    out = path.join(work, 'append.iso');
    const r = isolab(['remaster', iso, out, '--write', '/boot/initrd/etc/VERSION=remastered 2\n', '--write', '/boot/initrd/root/added.txt=hello from remaster', '--cmdline-add', 'isolab.remastered=1', '--json']);
    expect(r.code, r.err).toBe(0);
  }, 120_000);

  it('writes the new ISO and says how, with the input untouched', () => {
    const r = JSON.parse(isolab(['remaster', iso, path.join(work, 'again.iso'), '--write', '/boot/initrd/etc/VERSION=x', '--json']).out);
    expect(r.levels[0]).toMatchObject({ path: '/boot/initrd', method: 'append', formatBefore: 'cpio+bzip2', formatAfter: 'cpio+bzip2,cpio+bzip2' });
    expect(r.sha256).toBe(sha(path.join(work, 'again.iso')));
    expect(r.boot.join(' ')).toContain('boot info table');
    expect(sha(iso)).toBe(isoSha);
  });

  it('isolab diff lists exactly the changes and nothing else', () => {
    const r = isolab(['diff', iso, out, '--json']);
    expect(r.code, r.err).toBe(0);
    const changes = (JSON.parse(r.out) as { changes: { path: string; kind: string }[] }).changes.map((c) => `${c.kind} ${c.path}`);
    expect(changes.sort()).toEqual(['added /boot/initrd/root/added.txt', 'changed /boot/initrd', 'changed /boot/initrd/etc/VERSION', 'changed /isolinux/isolinux.cfg'].sort());
  });

  it('keeps the original initrd bytes in front and appends one segment', () => {
    const before = isoFile(iso, '/boot/initrd');
    const after = isoFile(out, '/boot/initrd');
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    expect(after.length).toBeGreaterThan(before.length);
  });

  it('cpio -idv of each segment in order (the kernel\'s rule) gives the tree ISO Lab lists', () => {
    const before = isoFile(iso, '/boot/initrd');
    const after = isoFile(out, '/boot/initrd');
    let start = before.length;
    while (after[start] === 0) start++;
    const dir = mkdtempSync(path.join(work, 'cpio-'));
    cpioExtract(after.subarray(0, before.length), 'bzip2', dir);
    cpioExtract(after.subarray(start), 'bzip2', dir);
    expect(readFileSync(path.join(dir, 'etc/VERSION'), 'utf8')).toBe('remastered 2\n');
    expect(readFileSync(path.join(dir, 'root/added.txt'), 'utf8')).toBe('hello from remaster');
    expect(treeOfImage(out, '/boot/initrd')).toEqual(treeOf(dir));
  });

  it('the kernel argument is on the boot entry, written back into isolinux.cfg', () => {
    const cfg = isoFile(out, '/isolinux/isolinux.cfg').toString();
    expect(cfg).toMatch(/^\s*append console=ttyS0 loglevel=3 isolab\.remastered=1$/m);
    expect(cfg).toContain('kernel /boot/bzImage');
  });

  it('boots in QEMU, and root sees the changes', () => {
    const r = isolab(['boot', out, '--login', 'root', '--run', 'cat /etc/VERSION; cat /root/added.txt; echo; cat /proc/cmdline', '--timeout', '240']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('remastered 2');
    expect(r.out).toContain('hello from remaster');
    expect(r.out).toMatch(/isolab\.remastered=1/);
  }, 400_000);
});

describe('isolab remaster: repack', () => {
  it('deleting needs repack: --append refuses with the reason, the default repacks', () => {
    const refused = isolab(['remaster', iso, path.join(work, 'no.iso'), '--rm', '/boot/initrd/etc/issue', '--append']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/cannot be written by appending: .*etc\/issue is deleted.*Hint: Write it with repack/);
    expect(readdirSync(work).filter((f) => f.startsWith('no.iso') || f.startsWith('.no.iso'))).toEqual([]);

    const out = path.join(work, 'rm.iso');
    const r = isolab(['remaster', iso, out, '--rm', '/boot/initrd/etc/issue', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).levels[0].method).toBe('repack');
    const changes = (JSON.parse(isolab(['diff', iso, out, '--json']).out) as { changes: { path: string; kind: string }[] }).changes.map((c) => `${c.kind} ${c.path}`);
    expect(changes.sort()).toEqual(['changed /boot/initrd', 'removed /boot/initrd/etc/issue']);
    // issue.net was a hard link of issue: it keeps the data.
    expect(isolab(['cat', out, '/boot/initrd/etc/issue.net']).out).toBe(isolab(['cat', iso, '/boot/initrd/etc/issue.net']).out);
  }, 120_000);

  it('append and repack agree on the merged tree', () => {
    const change = ['--write', '/boot/initrd/etc/VERSION=v3', '--mkdir', '/boot/initrd/opt/new/deep', '--write', '/boot/initrd/opt/new/deep/f=1', '--symlink', '/etc/VERSION:/boot/initrd/opt/v', '--chmod', '0700:/boot/initrd/root'];
    const a = path.join(work, 'agree-a.iso');
    const b = path.join(work, 'agree-r.iso');
    expect(isolab(['remaster', iso, a, ...change]).code).toBe(0);
    expect(isolab(['remaster', iso, b, ...change, '--repack']).code).toBe(0);
    const ta = treeOfImage(a, '/boot/initrd');
    expect(ta).toEqual(treeOfImage(b, '/boot/initrd'));
    expect(ta).toContain('file /opt/new/deep/f 1');
    expect(ta).toContain('symlink /opt/v');
    const modes = (img: string) => JSON.parse(isolab(['ls', img, '/boot/initrd', '--json']).out).find((e: { path: string }) => e.path === '/boot/initrd/root').mode;
    expect(modes(a)).toBe(0o700);
    expect(modes(b)).toBe(0o700);
  }, 120_000);

  const codecs: Codec[] = ['gzip', 'xz', 'lzma', 'zstd', 'lz4-legacy', 'bzip2'];
  for (const codec of codecs) {
    it.skipIf(!hasTool(DECOMPRESS[codec][0]!))(`a ${codec} initrd is repacked as ${codec} and read back by ISO Lab and by cpio`, () => {
      const plain = execFileSync('bzip2', ['-dc'], { input: isoFile(iso, '/boot/initrd'), maxBuffer: 256 << 20 });
      const initrd = path.join(work, `initrd.${codec}`);
      writeFileSync(initrd, compress(plain, codec));
      const variant = path.join(work, `variant-${codec}.iso`);
      execFileSync('xorriso', ['-indev', iso, '-outdev', variant, '-compliance', 'no_emul_toc', '-boot_image', 'any', 'replay', '-map', initrd, '/boot/initrd', '-commit'], { stdio: 'ignore' });
      const out = path.join(work, `repacked-${codec}.iso`);
      const r = isolab(['remaster', variant, out, '--write', `/boot/initrd/etc/VERSION=${codec}`, '--rm', '/boot/initrd/etc/fstab', '--json']);
      expect(r.code, r.err).toBe(0);
      const level = JSON.parse(r.out).levels[0];
      expect(level.method).toBe('repack');
      expect(level.formatAfter).toBe(`cpio+${codec}`);
      expect(isolab(['cat', out, '/boot/initrd/etc/VERSION']).out).toBe(codec);
      const dir = mkdtempSync(path.join(work, `cpio-${codec}-`));
      cpioExtract(isoFile(out, '/boot/initrd'), codec, dir);
      expect(readFileSync(path.join(dir, 'etc/VERSION'), 'utf8')).toBe(codec);
      expect(treeOf(dir)).toEqual(treeOfImage(out, '/boot/initrd'));
      expect(treeOf(dir)).not.toContain('file /etc/fstab');
    }, 120_000);
  }
});

describe('isolab remaster: bad input gets one clear error, nothing written, the input untouched', () => {
  const refuse = (name: string, args: string[], pattern: RegExp, dir = work) => {
    const out = path.join(dir, `${name}.iso`);
    const r = isolab(['remaster', iso, out, ...args]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(pattern);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir).filter((f) => f.includes(name))).toEqual([]);
    expect(sha(iso)).toBe(isoSha);
  };

  it('a path that does not exist', () => refuse('missing', ['--rm', '/boot/initrd/etc/nope'], /\/boot\/initrd\/etc\/nope does not exist/));
  it('a folder that does not exist', () => refuse('nofolder', ['--write', '/boot/initrd/nope/x=1'], /\/boot\/initrd\/nope does not exist.*Hint: Add the folder first/));
  it('a path through a symlink (which could leave the image)', () =>
    refuse('link', ['--symlink', '/:/boot/initrd/up', '--write', '/boot/initrd/up/etc/x=1'], /\/boot\/initrd\/up is a symlink .*changes never follow links/));
  it('writing into a file that is not an archive', () => refuse('notarchive', ['--write', '/boot/bzImage/x=1'], /\/boot\/bzImage is a file, not a folder or an archive/));
  it('an output equal to the input', () => {
    const r = isolab(['remaster', iso, iso, '--write', '/boot/initrd/etc/VERSION=x', '-f']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is the input ISO; the new ISO must be a new file/);
    expect(sha(iso)).toBe(isoSha);
  });
  it('an output folder that does not exist', () => {
    const r = isolab(['remaster', iso, path.join(work, 'nowhere', 'x.iso'), '--write', '/boot/initrd/etc/VERSION=x']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/The folder .*nowhere does not exist\. Hint: Create it first/);
  });
  it.skipIf(!isRoot)('an unwritable output folder (a read-only mount)', () => {
    const ro = path.join(work, 'ro');
    mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]);
    try {
      refuse('ro', ['--write', '/boot/initrd/etc/VERSION=x'], /Cannot write in .*ro|read-only/i, ro);
    } finally {
      execFileSync('umount', [ro]);
    }
  });
  // 512 KiB fills up while the initrd is written, 4 MiB while xorriso writes the ISO.
  for (const size of ['512k', '4m']) {
    it.skipIf(!isRoot)(`a full disk (${size} free)`, () => {
      const small = path.join(work, `small-${size}`);
      mkdirSync(small);
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', small]);
      try {
        refuse('full', ['--write', '/boot/initrd/etc/VERSION=x'], /No space left on the disk of .*full\.iso.*nothing was written/, small);
        expect(readdirSync(small)).toEqual([]);
      } finally {
        execFileSync('umount', [small]);
      }
    });
  }
});
