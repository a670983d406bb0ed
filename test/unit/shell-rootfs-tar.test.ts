// The rootfs → tar conversion behind the rootfs shell: a newc archive with every kind of
// entry, turned into the tar `docker import` gets, read back header by header and by GNU tar.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootfsTar, type RootfsTarStats } from '../../electron/core/shell/rootfs-tar';
import { dir, file, newc, S, symlink } from '../helpers/archive-newc';
import { openArchive, type Opened } from '../helpers/archive-open';

interface TarHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
  devmajor: number;
  devminor: number;
  data: Buffer;
}

/** Just enough of a tar reader to check what was written: ustar fields, PAX path/uid/gid. */
function readTar(tar: Buffer): TarHeader[] {
  const out: TarHeader[] = [];
  let pax: Record<string, string> = {};
  const str = (b: Buffer, off: number, len: number) => b.toString('utf8', off, off + len).replace(/\0.*$/s, '');
  const oct = (b: Buffer, off: number, len: number) => parseInt(str(b, off, len).trim() || '0', 8);
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((x) => x === 0)) break;
    const size = oct(h, 124, 12);
    const data = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    const type = String.fromCharCode(h[156]!);
    if (type === 'x') {
      pax = Object.fromEntries(
        data
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((r) => r.slice(r.indexOf(' ') + 1).split(/=(.*)/s).slice(0, 2) as [string, string]),
      );
      continue;
    }
    const prefix = str(h, 345, 155);
    out.push({
      name: pax.path ?? (prefix ? `${prefix}/` : '') + str(h, 0, 100),
      mode: oct(h, 100, 8),
      uid: pax.uid ? Number(pax.uid) : oct(h, 108, 8),
      gid: pax.gid ? Number(pax.gid) : oct(h, 116, 8),
      size,
      mtime: oct(h, 136, 12),
      type,
      linkname: pax.linkpath ?? str(h, 157, 100),
      devmajor: oct(h, 329, 8),
      devminor: oct(h, 337, 8),
      data: Buffer.from(data),
    });
    pax = {};
  }
  return out;
}

const LONG = `usr/share/${'deep/'.repeat(30)}file.txt`;
const T = 1_704_067_200;

const archive = newc([
  dir('.', 0o755),
  dir('bin'),
  file('bin/busybox', 'ELF…', { mode: S.file | 0o4755, mtime: T }),
  symlink('bin/sh', 'busybox'),
  dir('etc'),
  file('etc/shadow', 'root::19000:0:99999:7:::\n', { mode: S.file | 0o600 }),
  file('etc/gshadow', '', { mode: S.file | 0o000 }),
  // GNU cpio's newc: every name of a hard-link group, the data on the last one.
  file('etc/issue', '', { ino: 77, nlink: 2 }),
  file('etc/issue.net', 'Welcome\n', { ino: 77, nlink: 2 }),
  dir('tmp', 0o1777),
  dir('dev'),
  { name: 'dev/console', mode: S.char | 0o600, rdev: [5, 1] },
  { name: 'dev/sda', mode: S.block | 0o660, rdev: [8, 0], gid: 6 },
  { name: 'run/initctl', mode: S.fifo | 0o600 },
  dir('home/user', 0o750, { uid: 1000, gid: 1000 }),
  file('home/user/big-ids', 'x', { uid: 3_000_000, gid: 2_500_000, mtime: 0 }),
  file(LONG, 'far down\n'),
]);

let opened: Opened;
let tar: Buffer;
let stats: RootfsTarStats;
let entries: TarHeader[];
const byName = (n: string) => entries.find((e) => e.name.replace(/\/$/, '') === n);

beforeAll(async () => {
  opened = await openArchive(archive);
  const made = rootfsTar(opened.img);
  const chunks: Buffer[] = [];
  for await (const c of made.tar) chunks.push(c as Buffer);
  tar = Buffer.concat(chunks);
  stats = made.stats;
  entries = readTar(tar);
});
afterAll(() => opened?.dispose());

describe('an initrd tree as a tar for docker import', () => {
  it('has every entry once, parents before children, and counts them', () => {
    const names = entries.map((e) => e.name.replace(/\/$/, ''));
    expect(new Set(names).size).toBe(names.length);
    expect(names.indexOf('etc')).toBeLessThan(names.indexOf('etc/shadow'));
    expect(names.indexOf('home')).toBeLessThan(names.indexOf('home/user'));
    expect(names).toContain(LONG);
    expect(stats.entries).toBe(entries.length);
    expect(stats.skipped).toEqual([]);
  });

  it('keeps modes, including 0000, setuid and the sticky bit', () => {
    expect(byName('etc/shadow')!.mode).toBe(0o600);
    expect(byName('etc/gshadow')!.mode).toBe(0o000);
    expect(byName('bin/busybox')!.mode).toBe(0o4755);
    expect(byName('tmp')!).toMatchObject({ type: '5', mode: 0o1777 });
  });

  it('keeps owners (big ones through PAX) and times (0 included)', () => {
    expect(byName('home/user')).toMatchObject({ uid: 1000, gid: 1000 });
    expect(byName('home/user/big-ids')).toMatchObject({ uid: 3_000_000, gid: 2_500_000, mtime: 0 });
    expect(byName('bin/busybox')!.mtime).toBe(T);
  });

  it('writes symlinks, devices and fifos as such', () => {
    expect(byName('bin/sh')).toMatchObject({ type: '2', linkname: 'busybox', size: 0 });
    expect(byName('dev/console')).toMatchObject({ type: '3', devmajor: 5, devminor: 1, mode: 0o600 });
    expect(byName('dev/sda')).toMatchObject({ type: '4', devmajor: 8, devminor: 0, gid: 6 });
    expect(byName('run/initctl')).toMatchObject({ type: '6' });
  });

  it('turns a hard-link group into one file with the data and a link to it', () => {
    const issue = byName('etc/issue')!;
    const net = byName('etc/issue.net')!;
    // The data travelled on the last cpio entry; in the tar it goes with the first name.
    expect(issue).toMatchObject({ type: '0', size: 8 });
    expect(issue.data.toString()).toBe('Welcome\n');
    expect(net).toMatchObject({ type: '1', linkname: 'etc/issue', size: 0 });
    expect(stats.bytes).toBe(entries.filter((e) => e.type === '0').reduce((n, e) => n + e.size, 0));
  });

  it('is a tar GNU tar reads, and extracts to the same tree', () => {
    const listing = execFileSync('tar', ['-tv', '--numeric-owner'], { input: tar }).toString();
    expect(listing).toMatch(/^hrw-r--r-- 0\/0 .* etc\/issue\.net link to etc\/issue$/m);
    expect(listing).toMatch(/^crw------- 0\/0 +5,1 .* dev\/console$/m);
    if (process.getuid?.() !== 0) return; // Owners and device nodes need root to extract.
    const out = mkdtempSync(path.join(os.tmpdir(), 'isolab-rootfs-tar-'));
    try {
      execFileSync('tar', ['-x', '-p', '--numeric-owner', '-C', out], { input: tar });
      const st = (p: string) => lstatSync(path.join(out, p));
      expect(st('etc/issue').ino).toBe(st('etc/issue.net').ino);
      expect(st('etc/issue').nlink).toBe(2);
      expect(readFileSync(path.join(out, 'etc/issue.net'), 'utf8')).toBe('Welcome\n');
      expect(st('tmp').mode & 0o7777).toBe(0o1777);
      expect(st('etc/gshadow').mode & 0o7777).toBe(0);
      expect(st('dev/console').isCharacterDevice()).toBe(true);
      expect(st('home/user/big-ids').uid).toBe(3_000_000);
      expect(readlinkSync(path.join(out, 'bin/sh'))).toBe('busybox');
      expect(readFileSync(path.join(out, LONG), 'utf8')).toBe('far down\n');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
