// Boots that explain themselves, for real: a variant of the fixture ISO WITHOUT console=ttyS0
// (made by `isolab remaster --write /isolinux/isolinux.cfg=…`), what vm.bootInfo says about
// it before the boot, and *Boot with the serial console* (QEMU's direct kernel boot) to
// login: on ttyS0; then Log in's cancel and its end when the VM stops, the restart banner on
// its own line, and `isolab vm rm` of a VM whose console another manager holds.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LabError } from '../../shared/errors';
import type { VmActivity, VmView } from '../../shared/vm';
import { VmManager } from '../../electron/core/vm/vm-manager';
import { fixtureIso } from '../helpers/fixture-variant';

const ROOT = path.resolve(__dirname, '..', '..');
const SMALL = { cpus: 1, memoryMb: 256, diskMb: 64 };
const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-vmsb-'));
const paths = { configDir: path.join(home, 'config'), dataDir: path.join(home, 'data'), cacheDir: path.join(home, 'cache') };
let fixture = '';
let noSerial = '';

/** The fixture's isolinux.cfg with the append line replaced: no console=ttyS0. */
const CFG_WITHOUT_SERIAL = 'serial 0 115200\ndefault 1\nprompt 0\ntimeout 1\nlabel 1\n      kernel /boot/bzImage\n      initrd /boot/initrd\n      append loglevel=3\n';

const managers: VmManager[] = [];
function manager(opts: { adopt?: boolean } = {}): VmManager {
  const m = new VmManager({ paths, env: process.env, defaults: async () => ({ driver: 'qemu', ...SMALL }), adopt: opts.adopt ?? true, sweepMs: 200 });
  managers.push(m);
  return m;
}
const unique = (what: string) => `sb-${what}-${randomBytes(3).toString('hex')}`;
const qemuCmdlines = (name: string) => spawnSync('pgrep', ['-af', `qemu-system.*${name}`], { encoding: 'utf8' }).stdout;

async function until<T>(what: string, get: () => T | Promise<T>, ok: (v: T) => boolean, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)?.slice(-600)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function follow(m: VmManager, name: string) {
  let text = '';
  const ctrl = new AbortController();
  void m.console(name, (c) => (text += c.toString()), ctrl.signal);
  return { text: () => text, stop: () => ctrl.abort() };
}

async function failure(p: Promise<unknown>): Promise<LabError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof LabError) return err;
    throw err;
  }
  throw new Error('expected a LabError');
}

beforeAll(() => {
  fixture = fixtureIso();
  if (!existsSync(path.join(ROOT, 'out', 'cli', 'isolab.cjs'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  noSerial = path.join(home, 'no-serial.iso');
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'isolab.cjs'), 'remaster', fixture, noSerial, '--write', `/isolinux/isolinux.cfg=${CFG_WITHOUT_SERIAL}`], {
    env: { ...process.env, ISOLAB_HOME: home },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}, 300_000);

afterEach(async () => {
  for (const m of managers.splice(0)) {
    for (const v of await m.list().catch(() => [] as VmView[])) await m.delete(v.name).catch(() => undefined);
    await m.dispose();
  }
});
afterAll(() => {
  for (const pid of spawnSync('pgrep', ['-f', `qemu-system.*${home}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

describe('boot info, before booting', () => {
  it('the variant without console=ttyS0: output goes to the screen, the kernel is quiet, the serial console is offered', async () => {
    const info = await manager().bootInfo(noSerial);
    expect(info.entry).toMatchObject({ config: '/isolinux/isolinux.cfg', label: '1', kernel: '/boot/bzImage', initrd: ['/boot/initrd'], cmdline: 'loglevel=3', serialConsole: false });
    expect(info.entry!.notes[0]).toMatch(/No serial console \(console=ttyS0\).*go to the screen/);
    expect(info.entry!.notes[1]).toMatch(/^loglevel=3: the kernel stays quiet/);
    expect(info.serialBoot).toEqual({ offered: true, cmdline: 'loglevel=3 console=ttyS0' });
  });

  it('the fixture itself has the serial console: nothing to offer, only the quiet-kernel note', async () => {
    const info = await manager().bootInfo(fixture);
    expect(info.entry).toMatchObject({ cmdline: 'console=ttyS0 loglevel=3', serialConsole: true });
    expect(info.entry!.notes).toEqual([expect.stringMatching(/^loglevel=3: /)]);
    expect(info.serialBoot.offered).toBe(false);
  });
});

describe('Boot with the serial console (direct kernel boot)', () => {
  it('reaches login: on ttyS0 with console=ttyS0 added, tells the guest the terminal size, and reports last output and CPU time', async () => {
    const m = manager();
    const name = unique('serial');
    await m.create({ iso: noSerial, name });
    const running = await m.start(name, { serialConsole: true });
    expect(running.serialBoot).toEqual({ label: '1', kernel: '/boot/bzImage', initrd: ['/boot/initrd'], cmdline: 'loglevel=3 console=ttyS0' });
    expect(qemuCmdlines(name)).toMatch(/-kernel \S+serial-boot\/kernel -append loglevel=3 console=ttyS0 -initrd \S+serial-boot\/initrd/);
    const con = follow(m, name);
    await until('login: on the serial console', con.text, (t) => /login: ?$/m.test(t));
    // No bootloader line: the kernel was started by QEMU, not by ISOLINUX.
    expect(con.text()).not.toContain('ISOLINUX');
    expect(con.text()).toContain(`[ISO Lab: booting /boot/bzImage directly with the serial console: loglevel=3 console=ttyS0]`);

    const activity: VmActivity[] = [];
    const actl = new AbortController();
    void m.activity(name, (a) => activity.push(a), actl.signal, 200);
    await until('two CPU samples', () => activity.filter((a) => a.cpuPercent !== undefined).length, (n) => n >= 1, 10_000);
    actl.abort();
    const last = activity[activity.length - 1]!;
    expect(last.state).toBe('running');
    expect(last.cpuSeconds).toBeGreaterThan(0);
    expect(last.lastOutputMsAgo).toBeGreaterThanOrEqual(0);

    const r = await m.login(name, { command: 'cat /proc/cmdline; stty size', cols: 132, rows: 40, timeoutSeconds: 120 });
    expect(r.loggedIn).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(r.output!.trim().split(/\r?\n/)).toEqual(['loglevel=3 console=ttyS0', '40 132']);
    expect(con.text()).toContain('stty cols 132 rows 40');
    con.stop();

    // A normal start boots the ISO again (ISOLINUX, no -kernel).
    await m.kill(name);
    const normal = await m.start(name);
    expect(normal.serialBoot).toBeUndefined();
    expect(qemuCmdlines(name)).not.toContain('-kernel');
  }, 240_000);
});

describe('Log in as root: cancel, and the VM stopping under it', () => {
  it('cancel ends the wait, a stop ends it with VM_STOPPED; after a restart the banner starts on its own line', async () => {
    const m = manager();
    const name = unique('login');
    await m.create({ iso: fixture, name });
    await m.start(name);
    const con = follow(m, name);
    await until('login:', con.text, (t) => /login: $/.test(t));
    await m.kill(name);
    await m.start(name);

    const waiting = m.login(name, { timeoutSeconds: 300 });
    const cancelled = failure(waiting);
    expect(await m.loginCancel(name)).toEqual({ cancelled: true });
    expect((await cancelled).code).toBe('VM_LOGIN_CANCELLED');
    expect(await m.loginCancel(name)).toEqual({ cancelled: false });

    const again = failure(m.login(name, { timeoutSeconds: 300 }));
    await m.kill(name);
    const stopped = await again;
    expect(stopped.code).toBe('VM_STOPPED');
    expect(stopped.message).toMatch(/stopped while waiting to log in/);

    // The first boot ended on its "login: " prompt; the second banner is on a new line.
    const text = con.text();
    const banner = `\x1b[2m[ISO Lab: ${name} starting at`;
    expect(text.split(banner)).toHaveLength(3);
    expect(text).toMatch(new RegExp(`login: \\r\\n\\x1b\\[2m\\[ISO Lab: ${name} starting at`));
    con.stop();
  }, 240_000);
});

describe('isolab vm rm while another process holds the console', () => {
  it('the VM is gone for the holder too: not saved back as stopped, no folder left', async () => {
    const holder = manager({ adopt: true });
    const name = unique('rm');
    await holder.create({ iso: fixture, name });
    await holder.start(name);
    const con = follow(holder, name);
    await until('login:', con.text, (t) => /login: $/.test(t));
    // What the holder tells its UI (serve's vm.watch) from here on.
    const seen: string[] = [];
    const wctl = new AbortController();
    const watching = holder.watch(name, (e) => e.kind !== 'mark' && seen.push(e.vm.state), wctl.signal);
    // The CLI: a manager that never adopts, deleting the VM the holder runs.
    const cli = manager({ adopt: false });
    expect((await cli.get(name)).consoleHeldBy).toBe(process.pid);
    await cli.delete(name);
    // The holder's stream ends with the VM deleted; it never showed it as "stopped" (killed)
    // after "removed", which is how it came back before (saved as stopped, then swept or not).
    await Promise.race([watching, new Promise((r) => setTimeout(r, 20_000))]);
    expect(seen[0]).toBe('running');
    expect(seen.slice(1)).toEqual(['absent']);
    expect((await holder.list()).map((v) => v.name)).not.toContain(name);
    // Several sweeps later it has not come back, in either manager or on disk.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await holder.list()).map((v) => v.name)).not.toContain(name);
    expect((await cli.list()).map((v) => v.name)).not.toContain(name);
    expect(existsSync(path.join(paths.dataDir, 'vms', name))).toBe(false);
    con.stop();
  }, 180_000);
});

// The variant is the fixture with exactly one file changed.
it('the variant differs from the fixture only in isolinux.cfg', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'isolab.cjs'), 'cat', noSerial, '/isolinux/isolinux.cfg'], { encoding: 'utf8', env: { ...process.env, ISOLAB_HOME: home } });
  expect(r.stdout).toBe(CFG_WITHOUT_SERIAL);
  expect(readFileSync(fixture).length).toBeGreaterThan(0);
});
