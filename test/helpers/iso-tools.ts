// Real images from real tools (xorriso, genisoimage) and what other readers (bsdtar, xorriso,
// isoinfo) say about them, for comparing our reader against.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync, lutimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSource } from '../../electron/core/image/byte-source';
import type { NodeEntry } from '../../electron/core/image/entry';
import { IsoImage } from '../../electron/core/iso/iso-image';

const MAX_BUFFER = 256 * 1024 * 1024;

export function tool(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  return execFileSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function toolBytes(cmd: string, args: string[]): Buffer {
  return execFileSync(cmd, args, { maxBuffer: MAX_BUFFER, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** xorriso writes its reports to stderr. */
export function xorrisoReport(args: string[]): string {
  const r = spawnSync('xorriso', args, { encoding: 'utf8', maxBuffer: MAX_BUFFER });
  if (r.status !== 0) throw new Error(`xorriso ${args.join(' ')} failed:\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

export function requireTools(...cmds: string[]): void {
  const missing = cmds.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: apt-get install xorriso genisoimage libarchive-tools`);
}

export const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), `isolab-${prefix}-`));

/** Fixed times so listings compare to the second. */
export const T_OLD = new Date('2020-02-03T04:05:06Z');
export const T_NEW = new Date('2024-05-06T07:08:09Z');

export const LONG_NAME = `${'long-name-'.repeat(21)}end.txt`; // 217 characters
export const LONG_TARGET = `/${Array.from({ length: 30 }, (_, i) => `component-${String(i).padStart(2, '0')}`).join('/')}`; // > 255 bytes: SL over several entries
export const DEEP = 'd1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11';

export interface RichTree {
  root: string;
  /** mknod and chown need root; without it the tree has no devices and one owner. */
  devices: boolean;
  owners: boolean;
}

/**
 * Everything Rock Ridge can carry: symlinks (absolute, `..`, long), a hardlink, a char and
 * a block device, a fifo, setuid and odd modes, owners, a tree deeper than 8 levels, long
 * and UTF-8 names, empty files and directories.
 */
export function makeRichTree(parent: string): RichTree {
  const root = path.join(parent, 'tree');
  const p = (rel: string) => path.join(root, rel);
  mkdirSync(p(DEEP), { recursive: true });
  mkdirSync(p('empty-dir'));
  mkdirSync(p('etc'));
  writeFileSync(p(`${DEEP}/bottom.txt`), 'at the bottom\n');
  writeFileSync(p('etc/hostname'), 'isolab\n');
  writeFileSync(p('etc/issue'), 'ISO Lab test image\n');
  linkSync(p('etc/issue'), p('etc/issue.net'));
  writeFileSync(p('empty-file'), '');
  writeFileSync(p(LONG_NAME), 'long\n');
  writeFileSync(p('ünïcødé-名前.txt'), 'utf-8 name\n');
  writeFileSync(p('suid'), '#!/bin/sh\n');
  chmodSync(p('suid'), 0o4755);
  writeFileSync(p('sticky-group'), 'x');
  chmodSync(p('sticky-group'), 0o2640);
  writeFileSync(p('binary.bin'), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 251)));
  let owners = true;
  try {
    chownSync(p('etc/hostname'), 1234, 5678);
  } catch {
    owners = false;
  }
  symlinkSync('/etc/passwd', p('abs-link'));
  symlinkSync('../etc/hostname', p('d1/up-link'));
  symlinkSync(LONG_TARGET, p('long-link'));
  spawnSync('mkfifo', [p('fifo')]);
  const devices = spawnSync('mknod', [p('null-dev'), 'c', '1', '3']).status === 0 && spawnSync('mknod', [p('disk-dev'), 'b', '8', '1']).status === 0;
  // Directories last: writing into them changes their mtime.
  for (const rel of tool('find', [root, '-mindepth', '1'], {}).trim().split('\n').reverse()) {
    const t = rel.endsWith('hostname') ? T_OLD : T_NEW;
    lutimesSync(rel, t, t);
  }
  utimesSync(root, T_NEW, T_NEW);
  return { root, devices, owners };
}

export async function withIso<T>(file: string, fn: (iso: IsoImage) => Promise<T>, opts?: Parameters<typeof IsoImage.open>[1]): Promise<T> {
  const src = await FileSource.open(file, path.basename(file));
  try {
    return await fn(await IsoImage.open(src, opts));
  } finally {
    await src.close();
  }
}

export type Listed = NodeEntry & { path: string };

/** Our reader's whole tree, as path → entry. */
export async function walkOurs(iso: IsoImage): Promise<Map<string, Listed>> {
  const out = new Map<string, Listed>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await iso.readdir(dir)) {
      const p = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      out.set(p, { ...e, path: p });
      if (e.type === 'dir') await walk(p);
    }
  };
  await walk('/');
  return out;
}

export interface MtreeEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  time: number;
  size?: number;
  link?: string;
  device?: [number, number];
  nlink?: number;
}

/** mtree escapes bytes as backslash + three octal digits. */
function unescapeMtree(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(...Buffer.from(s[i]!));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** libarchive's view of the image, through `bsdtar --format=mtree`. */
export function bsdtarMtree(iso: string): Map<string, MtreeEntry> {
  const text = tool('bsdtar', ['--format=mtree', '--options', 'mtree:all,!sha1,!sha256,!sha384,!sha512,!rmd160,!md5,!cksum', '-cf', '-', `@${iso}`]);
  const out = new Map<string, MtreeEntry>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [rawPath, ...kvs] = line.split(' ');
    const kv = Object.fromEntries(kvs.map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]));
    const p = unescapeMtree(rawPath!).replace(/^\./, '') || '/';
    const e: MtreeEntry = { type: kv.type!, mode: parseInt(kv.mode!, 8), uid: Number(kv.uid), gid: Number(kv.gid), time: Math.floor(Number(kv.time)) };
    if (kv.size !== undefined) e.size = Number(kv.size);
    if (kv.link !== undefined) e.link = unescapeMtree(kv.link);
    if (kv.device !== undefined) {
      const [, maj, min] = kv.device.split(',');
      e.device = [Number(maj), Number(min)];
    }
    if (kv.nlink !== undefined) e.nlink = Number(kv.nlink);
    out.set(p, e);
  }
  return out;
}

/** Hardlinks as `bsdtar -tv` reports them: path → the path it is a link to. */
export function bsdtarHardlinks(iso: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of tool('bsdtar', ['-tvf', iso]).split('\n')) {
    const m = / (\S+) link to (\S+)$/.exec(line);
    if (m) out.set(`/${m[1]}`, `/${m[2]}`);
  }
  return out;
}

export interface LsdlEntry {
  modeString: string;
  uid: number;
  gid: number;
  size?: number;
  device?: [number, number];
  target?: string;
}

/** xorriso's own view: `-find / -exec lsdl`, one `ls -l` line per node. */
export function xorrisoLsdl(iso: string): Map<string, LsdlEntry> {
  const out = new Map<string, LsdlEntry>();
  const text = xorrisoReport(['-indev', iso, '-find', '/', '-exec', 'lsdl']);
  for (const line of text.split('\n')) {
    const m = /^([-dlcbps][-rwxsStT]{9})\s+\d+\s+(\d+)\s+(\d+)\s+(\S+)\s+\w{3}\s+\d+\s+[\d:]+\s+'(.*?)'(?: -> '(.*)')?$/.exec(line);
    if (!m) continue;
    const e: LsdlEntry = { modeString: m[1]!, uid: Number(m[2]), gid: Number(m[3]) };
    if (m[4]!.includes(',')) e.device = m[4]!.split(',').map(Number) as [number, number];
    else e.size = Number(m[4]);
    if (m[6] !== undefined) e.target = m[6];
    out.set(m[5]!, e);
  }
  return out;
}

/** `isoinfo -l` (optionally -J): directory → names as isoinfo prints them. */
export function isoinfoListing(iso: string, extra: string[] = []): Map<string, { name: string; size: number; dir: boolean }[]> {
  const out = new Map<string, { name: string; size: number; dir: boolean }[]>();
  let cur = '';
  for (const line of tool('isoinfo', [...extra, '-l', '-i', iso]).split('\n')) {
    const d = /^Directory listing of (.*)$/.exec(line);
    if (d) {
      cur = d[1]!.replace(/\/$/, '') || '/';
      out.set(cur, []);
      continue;
    }
    const m = /^([d-])\S{9}\s+\d+\s+\d+\s+\d+\s+(\d+)\s+\w{3}\s+\d+\s+\d{4}\s+\[\s*\d+\s+\d+\]\s+(.*?) ?$/.exec(line);
    if (!m || m[3] === '.' || m[3] === '..') continue;
    out.get(cur)!.push({ name: m[3]!, size: Number(m[2]), dir: m[1] === 'd' });
  }
  return out;
}
