// The QEMU driver for real: the fixture ISO (scripts/make-fixture-iso.sh) booted under
// QEMU (TCG here, or KVM where the probe says it works), through the VmManager as the app
// uses it. Each boot takes about 5–10 s under TCG.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { VmEvent, VmView } from '../../shared/vm';
import { probeBootSector } from '../../electron/core/vm/kvm-probe';
import { VmManager } from '../../electron/core/vm/vm-manager';

const ROOT = path.resolve(__dirname, '..', '..');
const ISO = path.join(ROOT, '.cache', 'fixture', 'isolab-fixture.iso');
const SMALL = { cpus: 1, memoryMb: 256, diskMb: 64 };

if (!existsSync(ISO)) throw new Error(`the fixture ISO is missing: run bash scripts/make-fixture-iso.sh (${ISO})`);

const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-vmq-'));
const paths = { configDir: path.join(home, 'config'), dataDir: path.join(home, 'data'), cacheDir: path.join(home, 'cache') };
const managers: VmManager[] = [];
function manager(opts: { adopt?: boolean; sweepMs?: number } = {}): VmManager {
  const m = new VmManager({ paths, env: process.env, defaults: async () => ({ driver: 'qemu', ...SMALL }), adopt: opts.adopt ?? true, sweepMs: opts.sweepMs ?? 200 });
  managers.push(m);
  return m;
}
const unique = (what: string) => `it-${what}-${randomBytes(3).toString('hex')}`;

/** QEMU processes whose command line mentions `name` (its -name and socket paths do). */
function qemuPids(name: string): number[] {
  const r = spawnSync('pgrep', ['-f', `qemu-system.*${name}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

async function until<T>(what: string, get: () => T | Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(v)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// One manager per process is what the app has: each test's managers go away with it.
afterEach(async () => {
  for (const m of managers.splice(0)) {
    for (const v of await m.list().catch(() => [] as VmView[])) await m.delete(v.name).catch(() => undefined);
    await m.dispose();
  }
});
afterAll(() => {
  for (const pid of qemuPids(home)) process.kill(pid, 'SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

describe('QEMU VMs (real qemu, fixture ISO)', () => {
  it('boots to login:, logs in as root, reads /etc/VERSION, stops (ACPI, then power off) and leaves nothing behind', async () => {
    const m = manager();
    const name = unique('boot');
    const vm = await m.create({ iso: ISO, name });
    expect(vm).toMatchObject({ state: 'stopped', arch: 'x86_64', spec: { iso: ISO, ...SMALL } });
    expect(['kvm', 'tcg']).toContain(vm.accel);
    if (vm.accel === 'tcg') expect(vm.note).toMatch(/^slow: no hardware acceleration/);
    const events: VmEvent[] = [];
    const wctrl = new AbortController();
    const watching = m.watch(name, (e) => events.push(e), wctrl.signal);

    const t0 = Date.now();
    const running = await m.start(name);
    expect(running.state).toBe('running');
    expect(running.pid).toBeGreaterThan(0);
    // Subscribed only now, the console still starts at the first line of the boot.
    let screen = '';
    const cctrl = new AbortController();
    void m.console(name, (c) => (screen += c.toString()), cctrl.signal);
    await until('the bootloader banner', () => screen, (s) => /ISOLINUX/.test(s), 10_000);
    expect(screen.indexOf('ISOLINUX')).toBeLessThan(200);

    const result = await m.login(name, { command: 'cat /etc/VERSION', timeoutSeconds: 90 });
    console.log(`fixture VM: login + command after ${Date.now() - t0} ms (${vm.accel})`);
    expect(result).toEqual({ loggedIn: true, output: 'isolab-fixture 1\n', exitCode: 0 });
    expect(screen).toMatch(/isolab login: root/);

    const marks = events.flatMap((e) => (e.kind === 'mark' ? [e.mark] : e.kind === 'snapshot' ? e.timeline : []));
    const ids = [...new Set(marks.map((mk) => mk.id))];
    expect(ids).toEqual(expect.arrayContaining(['start', 'bootloader', 'login']));
    const at = (id: string) => marks.find((mk) => mk.id === id)!.atMs;
    expect(at('bootloader')).toBeLessThan(at('login'));

    const pids = qemuPids(name);
    expect(pids).toEqual([running.pid]);
    const stopped = await m.stop(name, { timeoutSeconds: 2 });
    // busybox init ignores the ACPI power button: the timeout path powers it off.
    expect(stopped.state).toBe('stopped');
    expect(stopped.stopReason).toMatch(/ACPI power button/);
    expect(qemuPids(name)).toEqual([]);
    const files = (await m.list()).find((v) => v.name === name)!;
    for (const f of ['serial.sock', 'qmp.sock', 'qmp-ctl.sock', 'qemu.pid']) expect(existsSync(path.join(files.dir, f)), f).toBe(false);
    const transcript = (await m.transcript(name));
    expect(transcript).toMatch(/^\r?\n?ISOLINUX/);
    expect(transcript).toContain('isolab-fixture 1');

    await m.delete(name);
    await watching;
    wctrl.abort();
    cctrl.abort();
    expect(existsSync(vm.dir)).toBe(false);
    const states = events.filter((e) => e.kind === 'state').map((e) => (e as { vm: VmView }).vm.state);
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped', 'absent']);
  }, 120_000);

  it('a qemu killed with SIGKILL shows as stopped, with the reason, within 2 s', async () => {
    const m = manager();
    const name = unique('kill');
    await m.create({ iso: ISO, name });
    const vm = await m.start(name);
    const events: VmEvent[] = [];
    const ctrl = new AbortController();
    void m.watch(name, (e) => events.push(e), ctrl.signal);
    const t0 = Date.now();
    process.kill(vm.pid!, 'SIGKILL');
    const after = await until('the stopped state', () => m.get(name), (v) => v.state === 'stopped', 5000);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(2000);
    expect(after.stopReason).toBe('the qemu process was killed (SIGKILL)');
    expect(events.some((e) => e.kind === 'state' && e.vm.state === 'stopped')).toBe(true);
    // SIGKILL leaves QEMU's sockets and pidfile behind; they are cleaned up.
    for (const f of ['serial.sock', 'qmp.sock', 'qmp-ctl.sock', 'qemu.pid']) expect(existsSync(path.join(vm.dir, f)), f).toBe(false);
    ctrl.abort();
    await m.delete(name);
  }, 60_000);

  it('survives a restart: a new manager finds the running VM, waits for its holder to let go, takes the console and logs in', async () => {
    const first = manager();
    const name = unique('adopt');
    await first.create({ iso: ISO, name });
    const started = await first.start(name);
    const ctrl = new AbortController();
    await new Promise<void>((resolve) => {
      void first.watch(name, (e) => e.kind === 'mark' && e.mark.id === 'login' && resolve(), ctrl.signal);
    });
    ctrl.abort();
    // The app quits and the user keeps the VM running.
    await first.release();
    await first.dispose();
    expect(qemuPids(name)).toEqual([started.pid]);

    // Another process (here: a sleeping child) says it holds the console.
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    writeFileSync(path.join(started.dir, 'owner.json'), JSON.stringify({ pid: holder.pid, host: os.hostname() }));
    const second = manager({ adopt: true, sweepMs: 100 });
    const found = (await second.list()).find((v) => v.name === name)!;
    expect(found).toMatchObject({ state: 'running', pid: started.pid, consoleHeldBy: holder.pid, startedAt: started.startedAt });
    await expect(second.input(name, 'x')).rejects.toMatchObject({ code: 'VM_CONSOLE_ELSEWHERE' });
    // A one-shot CLI manager sees the same, and does not take the console.
    const cli = manager({ adopt: false });
    expect((await cli.list()).find((v) => v.name === name)).toMatchObject({ state: 'running', consoleHeldBy: holder.pid });
    await cli.dispose();

    // A console opened meanwhile shows the screen so far (from the transcript) and says who holds it.
    let screen = '';
    const cctrl = new AbortController();
    void second.console(name, (c) => (screen += c.toString()), cctrl.signal);
    await until('the screen so far', () => screen, (sc) => /ISOLINUX[\s\S]*isolab login:[\s\S]*open in another ISO Lab process/.test(sc), 2000);

    holder.kill('SIGKILL');
    await until('the console to be taken over', () => second.get(name), (v) => v.consoleHeldBy === undefined, 5000);
    const events: VmEvent[] = [];
    const wctrl = new AbortController();
    void second.watch(name, (e) => events.push(e), wctrl.signal);
    await until('the snapshot', () => events.length, (n) => n > 0, 2000);
    const snap = events[0];
    expect(snap?.kind === 'snapshot' && snap.timeline.map((mk) => mk.id)).toEqual(expect.arrayContaining(['start', 'bootloader', 'login']));

    expect(await second.login(name, { command: 'cat /etc/VERSION', timeoutSeconds: 30 })).toEqual({ loggedIn: true, output: 'isolab-fixture 1\n', exitCode: 0 });
    // The open console got the live session after the takeover, without the boot twice.
    expect(screen).toMatch(/isolab-fixture 1/);
    expect(screen.match(/ISOLINUX/g)).toHaveLength(1);
    await second.stop(name, { force: true });
    expect(qemuPids(name)).toEqual([]);
    cctrl.abort();
    wctrl.abort();
    await second.delete(name);
  }, 120_000);

  it('a start that fails leaves the VM in error, with QEMU\'s reason, and no process or socket', async () => {
    const m = manager();
    const name = unique('fail');
    const copy = path.join(home, `${name}.iso`);
    execFileSync('cp', [ISO, copy]);
    const vm = await m.create({ iso: copy, name });
    renameSync(copy, `${copy}.gone`);
    await expect(m.start(name)).rejects.toMatchObject({ code: 'VM_START_FAILED', message: expect.stringMatching(/Could not open|No such file/) });
    expect(await m.get(name)).toMatchObject({ state: 'error', error: { code: 'VM_START_FAILED' } });
    expect(qemuPids(name)).toEqual([]);
    for (const f of ['serial.sock', 'qmp.sock', 'qmp-ctl.sock', 'qemu.pid']) expect(existsSync(path.join(vm.dir, f)), f).toBe(false);
    await m.delete(name);
  }, 30_000);

  it('a QEMU whose VM record is gone (folder deleted by hand) is killed and its leftovers removed', async () => {
    const dir = path.join(paths.dataDir, 'vms', unique('ghost'));
    execFileSync('mkdir', ['-p', dir]);
    // Paused (-S) at once: an orphan need not boot to be found.
    const ghost = spawn('qemu-system-x86_64', ['-S', '-accel', 'tcg', '-display', 'none', '-m', '32', '-nodefaults', '-qmp', `unix:${dir}/qmp.sock,server=on,wait=off`, '-pidfile', `${dir}/qemu.pid`], { stdio: 'ignore', detached: true });
    await until('the orphan to run', () => existsSync(`${dir}/qemu.pid`), (v) => v, 5000);
    const m = manager();
    await m.list();
    await until('the orphan to go', () => ghost.exitCode !== null || ghost.signalCode !== null, (v) => v, 3000);
    expect(ghost.signalCode).toBe('SIGKILL');
    expect(existsSync(dir)).toBe(false);
  }, 30_000);

  it('the KVM probe guest runs under TCG (so a failed probe means KVM, not the probe)', () => {
    const img = path.join(home, 'probe.img');
    writeFileSync(img, probeBootSector());
    const r = spawnSync('qemu-system-x86_64', ['-accel', 'tcg', '-nodefaults', '-display', 'none', '-m', '16', '-no-reboot', '-drive', `file=${img},format=raw,if=floppy`, '-boot', 'a', '-serial', 'stdio'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stdout).toContain('OK');
    // It powers itself off through ACPI: QEMU exits on its own.
    expect(r.status).toBe(0);
  }, 30_000);
});
