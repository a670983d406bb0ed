// Integration tests for scripts/make-fixture-iso.sh: the ISO layout, the
// bzip2 newc initrd inside it, and a real boot under QEMU (TCG) with a
// passwordless root login on the serial console.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = 'scripts/make-fixture-iso.sh';
const MAX_BUFFER = 256 * 1024 * 1024;

/** Runs the fixture script; returns the ISO path (last stdout line). */
function buildFixture(outDir?: string, env: NodeJS.ProcessEnv = {}): string {
  const stdout = execFileSync('bash', outDir ? [SCRIPT, outDir] : [SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
    maxBuffer: MAX_BUFFER,
  });
  const lines = stdout.trim().split('\n');
  const iso = lines[lines.length - 1] ?? '';
  expect(iso).toMatch(/isolab-fixture\.iso$/);
  return iso;
}

function run(cmd: string, args: string[], opts: { input?: Buffer; cwd?: string } = {}): Buffer {
  return execFileSync(cmd, args, {
    input: opts.input,
    cwd: opts.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: MAX_BUFFER,
  });
}

/** Everything xorriso prints (it writes most of its reports to stderr). */
function xorriso(args: string[]): string {
  return execFileSync('sh', ['-c', 'exec xorriso "$@" 2>&1', 'xorriso', ...args], {
    encoding: 'utf8',
    maxBuffer: MAX_BUFFER,
  });
}

interface CpioEntry {
  name: string;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  filesize: number;
  rdevmajor: number;
  rdevminor: number;
  dataOffset: number;
}

/** Minimal newc ("070701") reader, independent of GNU cpio. */
function parseNewc(buf: Buffer): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const align4 = (n: number) => (n + 3) & ~3;
  let off = 0;
  for (;;) {
    const magic = buf.toString('latin1', off, off + 6);
    if (magic !== '070701') throw new Error(`bad newc magic ${JSON.stringify(magic)} at ${off}`);
    const field = (i: number) => parseInt(buf.toString('latin1', off + 6 + i * 8, off + 14 + i * 8), 16);
    const namesize = field(11);
    const name = buf.toString('utf8', off + 110, off + 110 + namesize - 1);
    const dataOffset = align4(off + 110 + namesize);
    const filesize = field(6);
    if (name === 'TRAILER!!!') return entries;
    entries.push({
      name,
      ino: field(0),
      mode: field(1),
      uid: field(2),
      gid: field(3),
      nlink: field(4),
      filesize,
      rdevmajor: field(9),
      rdevminor: field(10),
      dataOffset,
    });
    off = align4(dataOffset + filesize);
    if (off >= buf.length) throw new Error('newc archive has no TRAILER!!!');
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

let iso = '';
let outDir = '';
const tmpDirs: string[] = [];
function tmpDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

beforeAll(() => {
  iso = buildFixture();
  outDir = path.dirname(iso);
}, 600_000);

afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

describe('make-fixture-iso.sh', () => {
  it('writes the ISO, the bare initrd and the kernel into OUT_DIR', () => {
    expect(iso).toBe(path.join(ROOT, '.cache', 'fixture', 'isolab-fixture.iso'));
    for (const f of ['isolab-fixture.iso', 'initrd.cpio.bz2', 'bzImage', '.inputs-hash']) {
      expect(existsSync(path.join(outDir, f)), f).toBe(true);
    }
    // bzImage: x86 boot protocol header "HdrS" at 0x202.
    const kernel = readFileSync(path.join(outDir, 'bzImage'));
    expect(kernel.toString('latin1', 0x202, 0x206)).toBe('HdrS');
  });

  it('is cached: a rerun with the same inputs does not rebuild', () => {
    const before = statSync(iso).mtimeMs;
    const t0 = Date.now();
    expect(buildFixture()).toBe(iso);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(statSync(iso).mtimeMs).toBe(before);
  });

  it('has the minikube ISO layout, El Torito boot, Rock Ridge and Joliet', () => {
    const listing = xorriso(['-indev', iso, '-find', '/', '-exec', 'lsdl']);
    const files = new Set([...listing.matchAll(/^-\S+\s.*'(\/[^']*)'$/gm)].map((m) => m[1]));
    for (const f of [
      '/boot/bzImage',
      '/boot/initrd',
      '/isolinux/isolinux.bin',
      '/isolinux/ldlinux.c32',
      '/isolinux/isolinux.cfg',
    ]) {
      expect(files.has(f), `${f} in\n${listing}`).toBe(true);
    }
    // xorriso lists the El Torito catalog with file type "e".
    expect(listing).toMatch(/^e\S+\s.*'\/boot\.catalog'$/m);

    const toc = xorriso(['-indev', iso, '-toc']);
    expect(toc).toMatch(/^ISO offers\s*:.*\bRock_Ridge\b.*\bJoliet\b/m);
    expect(toc).toMatch(/^Boot record\s*:\s*El Torito/m);
    expect(toc).toMatch(/^Boot catalog\s*:\s*'\/boot\.catalog'/m);
    expect(toc).toMatch(/^Boot image\s*:\s*'\/isolinux\/isolinux\.bin'\s*,\s*boot_info_table=on/m);
    expect(toc).toMatch(/^Volume id\s*:\s*'ISOLAB_FIXTURE'/m);

    // Independently of xorriso: walk the volume descriptors (sector 16 on).
    const img = readFileSync(iso);
    const types: number[] = [];
    let joliet = false;
    for (let s = 16; s < 64; s++) {
      const vd = img.subarray(s * 2048, s * 2048 + 2048);
      if (vd.toString('latin1', 1, 6) !== 'CD001') break;
      const type = vd[0] ?? -1;
      types.push(type);
      // Supplementary VD with a UCS-2 escape sequence = Joliet.
      if (type === 2 && /^%\/[@CE]/.test(vd.toString('latin1', 88, 91))) joliet = true;
      if (type === 255) break;
    }
    expect(types[0]).toBe(1); // primary
    expect(types).toContain(0); // El Torito boot record
    expect(joliet).toBe(true);
    // Rock Ridge: the "." record of the root directory starts its System Use
    // area with "SP", and (here via a "CE" continuation) an "ER" entry names
    // the RRIP extension.
    const pvd = img.subarray(16 * 2048, 17 * 2048);
    const rootLba = pvd.readUInt32LE(156 + 2);
    const dot = img.subarray(rootLba * 2048, rootLba * 2048 + (img[rootLba * 2048] ?? 0));
    const dotNameLen = dot[32] ?? 0;
    const suStart = 33 + dotNameLen + (dotNameLen % 2 === 0 ? 1 : 0);
    expect(dot.toString('latin1', suStart, suStart + 2)).toBe('SP');
    const susp = (area: Buffer): Array<{ sig: string; body: Buffer }> => {
      const out: Array<{ sig: string; body: Buffer }> = [];
      for (let o = 0; o + 4 <= area.length; ) {
        const len = area[o + 2] ?? 0;
        if (len < 4) break;
        out.push({ sig: area.toString('latin1', o, o + 2), body: area.subarray(o, o + len) });
        o += len;
      }
      return out;
    };
    const suEntries = susp(dot.subarray(suStart));
    for (const ce of suEntries.filter((e) => e.sig === 'CE')) {
      const at = ce.body.readUInt32LE(4) * 2048 + ce.body.readUInt32LE(12);
      suEntries.push(...susp(img.subarray(at, at + ce.body.readUInt32LE(20))));
    }
    const er = suEntries.find((e) => e.sig === 'ER');
    expect(er, 'Rock Ridge ER entry').toBeDefined();
    expect(er?.body.toString('latin1')).toMatch(/RRIP_1991A|IEEE_P1282|IEEE_1282/);
    expect(suEntries.map((e) => e.sig)).toContain('PX'); // POSIX file attributes

    const cfgPath = path.join(tmpDir('isolab-cfg-'), 'isolinux.cfg');
    run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/isolinux/isolinux.cfg', cfgPath]);
    const cfg = readFileSync(cfgPath, 'utf8');
    expect(cfg).toMatch(/^default 1$/m);
    expect(cfg).toMatch(/^\s*kernel \/boot\/bzImage$/m);
    expect(cfg).toMatch(/^\s*initrd \/boot\/initrd$/m);
    expect(cfg).toMatch(/^\s*append .*console=ttyS0\b/m);
  });

  it('has a bzip2-compressed newc cpio busybox rootfs as /boot/initrd', () => {
    // The initrd inside the ISO is the same file as OUT_DIR/initrd.cpio.bz2.
    const dir = tmpDir('isolab-initrd-');
    const fromIso = path.join(dir, 'initrd');
    run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/boot/initrd', fromIso]);
    const initrd = readFileSync(path.join(outDir, 'initrd.cpio.bz2'));
    expect(readFileSync(fromIso).equals(initrd)).toBe(true);

    expect(initrd.toString('latin1', 0, 3)).toBe('BZh');
    const cpio = run('bzip2', ['-dc', path.join(outDir, 'initrd.cpio.bz2')]);
    expect(cpio.toString('latin1', 0, 6)).toBe('070701');

    const names = run('cpio', ['-it', '--quiet'], { input: cpio }).toString('utf8').split('\n');
    for (const n of ['etc/VERSION', 'bin/busybox', 'etc/inittab', 'etc/passwd', 'bin/sh']) {
      expect(names, n).toContain(n);
    }
    expect(names.includes('init') || names.includes('sbin/init')).toBe(true);
    for (const d of ['bin', 'sbin', 'etc', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'root', 'var']) {
      expect(names, d).toContain(d);
    }

    const extractDir = tmpDir('isolab-cpio-');
    run('cpio', ['-idm', '--quiet', 'etc/VERSION', 'etc/passwd', 'etc/shadow', 'etc/inittab'], {
      input: cpio,
      cwd: extractDir,
    });
    expect(readFileSync(path.join(extractDir, 'etc/VERSION'), 'utf8')).toBe('isolab-fixture 1\n');
    // Passwordless root: empty password field, in /etc/passwd or (behind an
    // "x") in /etc/shadow, as buildroot writes it when no root password is set.
    const passwd = readFileSync(path.join(extractDir, 'etc/passwd'), 'utf8');
    const rootPw = passwd.match(/^root:([^:]*):0:0:[^:]*:\/root:\/bin\/sh$/m);
    expect(rootPw, passwd).not.toBeNull();
    if (rootPw?.[1] === 'x') {
      const shadow = readFileSync(path.join(extractDir, 'etc/shadow'), 'utf8');
      expect(shadow).toMatch(/^root::/m);
    } else {
      expect(rootPw?.[1]).toBe('');
    }
    expect(readFileSync(path.join(extractDir, 'etc/inittab'), 'utf8')).toMatch(/^ttyS0::respawn:\/sbin\/getty\b.*ttyS0/m);

    // Entry types, read with our own newc parser.
    const entries = parseNewc(cpio);
    const byName = new Map(entries.map((e) => [e.name, e]));
    const consoleNode = byName.get('dev/console');
    expect(consoleNode).toBeDefined();
    expect((consoleNode?.mode ?? 0) & S_IFMT).toBe(S_IFCHR);
    expect([consoleNode?.rdevmajor, consoleNode?.rdevminor]).toEqual([5, 1]);
    // The kernel does not create parent directories while unpacking.
    const order = entries.map((e) => e.name);
    expect(order.indexOf('dev')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('dev')).toBeLessThan(order.indexOf('dev/console'));
    expect(order.filter((n) => n === 'dev')).toHaveLength(1);
    const sh = byName.get('bin/sh');
    expect((sh?.mode ?? 0) & S_IFMT).toBe(S_IFLNK);
    expect(cpio.toString('utf8', sh?.dataOffset ?? 0, (sh?.dataOffset ?? 0) + (sh?.filesize ?? 0))).toBe('busybox');
    const hardlinked = entries.filter((e) => (e.mode & S_IFMT) === S_IFREG && e.nlink > 1);
    expect(hardlinked.length).toBeGreaterThanOrEqual(2);
    const inos = new Set(hardlinked.map((e) => e.ino));
    expect(inos.size).toBeLessThan(hardlinked.length); // at least two names share an inode
    // Every entry belongs to root, whoever built the archive.
    expect(entries.filter((e) => e.uid !== 0 || e.gid !== 0).map((e) => e.name)).toEqual([]);
    expect(entries.length).toBeGreaterThan(200); // busybox applet symlinks
  });

  it('FIXTURE_VERSION changes /etc/VERSION and nothing else', () => {
    const dir2 = tmpDir('isolab-fixture-v2-');
    const iso2 = buildFixture(dir2, { FIXTURE_VERSION: '2' });
    expect(iso2).toBe(path.join(dir2, 'isolab-fixture.iso'));
    const a = run('bzip2', ['-dc', path.join(outDir, 'initrd.cpio.bz2')]);
    const b = run('bzip2', ['-dc', path.join(dir2, 'initrd.cpio.bz2')]);
    expect(b.length).toBe(a.length);
    const version = parseNewc(a).find((e) => e.name === 'etc/VERSION');
    expect(version).toBeDefined();
    const start = version?.dataOffset ?? 0;
    const end = start + (version?.filesize ?? 0);
    expect(b.toString('utf8', start, end)).toBe('isolab-fixture 2\n');
    const diffs: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diffs.push(i);
    expect(diffs.length).toBeGreaterThan(0);
    expect(diffs.every((i) => i >= start && i < end)).toBe(true);
    expect(readFileSync(path.join(dir2, 'bzImage')).equals(readFileSync(path.join(outDir, 'bzImage')))).toBe(true);
  }, 300_000);
});

describe('booting the fixture ISO under QEMU (TCG)', () => {
  let qemu: ChildProcess | undefined;
  let sock: net.Socket | undefined;

  afterAll(() => {
    sock?.destroy();
    if (qemu && qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
  });

  it('reaches login:, logs in as root without a password and reads /etc/VERSION', async () => {
    const dir = tmpDir('isolab-qemu-');
    const serialPath = path.join(dir, 'serial.sock');
    const qemuLog: string[] = [];
    const started = Date.now();
    qemu = spawn(
      'qemu-system-x86_64',
      [
        '-accel', 'tcg',
        '-m', '256',
        '-cdrom', iso,
        '-boot', 'd',
        '-display', 'none',
        '-monitor', 'none',
        '-no-reboot',
        '-serial', `unix:${serialPath},server=on,wait=on`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    qemu.stdout?.on('data', (d: Buffer) => qemuLog.push(d.toString()));
    qemu.stderr?.on('data', (d: Buffer) => qemuLog.push(d.toString()));
    const exited = new Promise<never>((_, reject) => {
      qemu?.once('error', (err) => reject(new Error(`cannot run qemu-system-x86_64: ${err.message}`)));
      qemu?.once('exit', (code, signal) =>
        reject(new Error(`qemu exited (${code ?? signal}): ${qemuLog.join('')}`)),
      );
    });
    exited.catch(() => {}); // only observed through Promise.race below

    // wait=on: QEMU does not start the guest before we are connected.
    const deadline = Date.now() + 10_000;
    while (!existsSync(serialPath)) {
      if (Date.now() > deadline) throw new Error(`no serial socket: ${qemuLog.join('')}`);
      await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
    }
    const conn = net.createConnection(serialPath);
    sock = conn;
    await Promise.race([new Promise((r) => conn.once('connect', r)), exited]);

    let raw = '';
    let out = '';
    const waiters: Array<() => void> = [];
    conn.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      // Drop CSI sequences: busybox ash asks for the cursor position (ESC[6n)
      // after every prompt.
      out = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      for (const w of waiters.splice(0)) w();
    });
    /** Resolves with the output from `from` on once `re` matches it. */
    const waitFor = (re: RegExp, from: number, ms: number): Promise<string> =>
      Promise.race([
        exited,
        new Promise<string>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`timed out waiting for ${re} after ${ms} ms; serial output:\n${out}`)),
            ms,
          );
          const check = () => {
            const tail = out.slice(from);
            if (re.test(tail)) {
              clearTimeout(timer);
              resolve(tail);
            } else waiters.push(check);
          };
          check();
        }),
      ]);

    await waitFor(/login: $/, 0, 90_000);
    const loginAfterMs = Date.now() - started;
    console.log(`fixture ISO reached login: after ${(loginAfterMs / 1000).toFixed(1)} s (TCG)`);

    let mark = out.length;
    conn.write('root\n');
    const afterLogin = await waitFor(/(# $)|(Password:)|(Login incorrect)/, mark, 20_000);
    expect(afterLogin).not.toMatch(/Password:/);
    expect(afterLogin).not.toMatch(/Login incorrect/);
    expect(afterLogin).toMatch(/root@isolab:~# $/);

    mark = out.length;
    conn.write('cat /etc/VERSION\n');
    const reply = await waitFor(/isolab-fixture \S+\r?\n[\s\S]*# $/, mark, 20_000);
    expect(reply).toMatch(/^isolab-fixture 1\r?$/m);

    sock.destroy();
    qemu.kill('SIGKILL');
  }, 120_000);
});
