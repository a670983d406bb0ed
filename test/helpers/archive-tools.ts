// Builds cpio archives with the real tools (GNU cpio, gzip, bzip2, xz, lz4, zstd) from
// temporary trees, and reads them back with bsdtar and cpio for comparison.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync, linkSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const MAX_BUFFER = 512 * 1024 * 1024;
export const isRoot = process.getuid?.() === 0;

export function run(cmd: string, args: string[], opts: { input?: Buffer; cwd?: string } = {}): Buffer {
  return execFileSync(cmd, args, { input: opts.input, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: MAX_BUFFER });
}

export function sh(script: string, cwd?: string): Buffer {
  return run('bash', ['-c', `set -euo pipefail; ${script}`], { cwd });
}

export function hasTool(name: string): boolean {
  try {
    execFileSync('bash', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function tempDir(prefix = 'isolab-archive-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const MTIME = 1_700_000_000;

/**
 * A tree with every kind of entry the reader must handle: nested dirs, empty files, a
 * symlink, a dangling symlink, hard links (GNU cpio newc puts the data on the last one), a
 * fifo, a char device (root only), setuid and sticky bits, a deep path and long names.
 */
export function makeTree(dir: string, opts: { big?: boolean } = {}): void {
  const w = (rel: string, data: string | Buffer, mode = 0o644) => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, data);
    chmodSync(p, mode);
  };
  w('etc/VERSION', 'isolab-test 1\n');
  w('etc/issue', 'Welcome to the test tree\n');
  linkSync(path.join(dir, 'etc/issue'), path.join(dir, 'etc/issue.net'));
  w('etc/empty', '');
  w('bin/busybox', Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) & 0xff)), 0o755);
  symlinkSync('busybox', path.join(dir, 'bin/sh'));
  symlinkSync('/nonexistent/target', path.join(dir, 'bin/dangling'));
  w('usr/bin/su', 'setuid\n', 0o4755);
  mkdirSync(path.join(dir, 'tmp'));
  chmodSync(path.join(dir, 'tmp'), 0o1777);
  mkdirSync(path.join(dir, 'empty-dir'));
  const deep = Array.from({ length: 40 }, (_, i) => `d${i}`).join('/');
  w(`${deep}/leaf.txt`, 'deep\n');
  w(`long/${'n'.repeat(200)}.txt`, 'long name\n');
  w('names/with space and ünïcödé.txt', 'unicode\n');
  if (opts.big) w('big.bin', Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 2654435761) >>> 24)));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  if (isRoot) {
    mkdirSync(path.join(dir, 'dev'), { recursive: true });
    execFileSync('mknod', [path.join(dir, 'dev/console'), 'c', '5', '1']);
    execFileSync('mknod', [path.join(dir, 'dev/sda'), 'b', '8', '0']);
  }
  // Fixed mtimes, deepest first so parents keep theirs.
  const all = walk(dir).sort((a, b) => b.length - a.length);
  for (const p of all) {
    try {
      execFileSync('touch', ['-h', '-d', `@${MTIME}`, p]);
    } catch {
      // dangling symlink targets etc.
    }
  }
  utimesSync(dir, MTIME, MTIME);
}

export function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    out.push(p);
    if (lstatSync(p).isDirectory()) out.push(...walk(p));
  }
  return out;
}

export type CpioFormatFlag = 'newc' | 'crc' | 'odc' | 'bin';

/** `find . | cpio -o -H <format>` in `dir`. */
export function cpio(dir: string, format: CpioFormatFlag = 'newc'): Buffer {
  return sh(`find . | LC_ALL=C sort | cpio -o -H ${format} --quiet`, dir);
}

export type Codec = 'gzip' | 'bzip2' | 'xz' | 'lzma' | 'lz4-legacy' | 'lz4' | 'zstd';
export const CODECS: Codec[] = ['gzip', 'bzip2', 'xz', 'lzma', 'lz4-legacy', 'lz4', 'zstd'];

export function compress(data: Buffer, codec: Codec): Buffer {
  switch (codec) {
    case 'gzip':
      return run('gzip', ['-c', '-n'], { input: data });
    case 'bzip2':
      return run('bzip2', ['-c'], { input: data });
    case 'xz':
      return run('xz', ['--check=crc32', '-c'], { input: data });
    case 'lzma':
      return run('xz', ['--format=lzma', '-c'], { input: data });
    case 'lz4-legacy':
      return run('lz4', ['-l', '-c', '-q'], { input: data });
    case 'lz4':
      return run('lz4', ['-c', '-q'], { input: data });
    case 'zstd':
      return run('zstd', ['-c', '-q'], { input: data });
  }
}

/** What an extracted file looks like, for comparing with NodeEntry. */
export interface Extracted {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  target?: string;
  rdev?: { major: number; minor: number };
  data?: Buffer;
}

/** Extracts `archive` with `tool` into a temp dir and describes every node. */
export function extractWith(tool: 'bsdtar' | 'cpio', archive: Buffer): Map<string, Extracted> {
  const dir = tempDir('isolab-extract-');
  try {
    if (tool === 'bsdtar') run('bsdtar', ['-x', '-p', '--numeric-owner', '-f', '-', '-C', dir], { input: archive });
    else run('cpio', ['-i', '-d', '-m', '--quiet', '--no-absolute-filenames', '-D', dir], { input: archive });
    const out = new Map<string, Extracted>();
    for (const p of walk(dir)) {
      const st = lstatSync(p);
      const rel = '/' + path.relative(dir, p);
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'socket';
      const e: Extracted = { path: rel, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: type === 'file' ? st.size : 0, mtime: Math.floor(st.mtimeMs / 1000) };
      if (type === 'symlink') e.target = readlinkSync(p);
      if (type === 'file') e.data = readFileSync(p);
      if (type === 'char' || type === 'block') e.rdev = { major: Math.floor(st.rdev / 256) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) };
      out.set(rel, e);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bsdtar -tf` / `cpio -it` names, normalised to absolute paths. */
export function listWith(tool: 'bsdtar' | 'cpio', archive: Buffer): string[] {
  const out = tool === 'bsdtar' ? run('bsdtar', ['-tf', '-'], { input: archive }) : run('cpio', ['-it', '--quiet'], { input: archive });
  return out
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((n) => '/' + n.replace(/^\.?\/+/, '').replace(/^\.$/, ''))
    .map((n) => (n === '/' ? '/' : n.replace(/\/$/, '')));
}

/** One line of `bsdtar -tvf` / `cpio -itv`. */
export interface Listed {
  path: string;
  mode: string;
  nlink: number;
  owner: string;
  group: string;
  /** Bytes, or "major,minor" for devices. */
  size: string;
  target?: string;
  linkTo?: string;
}

/** Parses an `ls -l` style listing as bsdtar -tv and cpio -itv print it. */
export function listVerbose(tool: 'bsdtar' | 'cpio', archive: Buffer): Listed[] {
  const out = tool === 'bsdtar' ? run('bsdtar', ['-tvf', '-', '--numeric-owner'], { input: archive }) : run('cpio', ['-itv', '--quiet'], { input: archive });
  return out
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\S{10})\s+(\d+)\s+(\S+)\s+(\S+)\s+(\d+(?:,\s*\d+)?)\s+\S+\s+\d+\s+\S+\s(.*)$/.exec(line);
      if (!m) throw new Error(`cannot parse listing line: ${line}`);
      let name = m[6]!;
      let target: string | undefined;
      let linkTo: string | undefined;
      if (m[1]!.startsWith('l') && name.includes(' -> ')) [name, target] = name.split(' -> ') as [string, string];
      else if (name.includes(' link to ')) [name, linkTo] = name.split(' link to ') as [string, string];
      const norm = (n: string) => '/' + n.replace(/^\.?\/+/, '').replace(/^\.$/, '');
      return { path: norm(name), mode: m[1]!, nlink: Number(m[2]), owner: m[3]!, group: m[4]!, size: m[5]!.replace(/\s/g, ''), target, linkTo: linkTo && norm(linkTo) };
    });
}
