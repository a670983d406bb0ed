import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LabError } from '../../shared/errors';
import type { VmEvent } from '../../shared/vm';
import type { DriverEvent, DriverState, StartOptions, VmDriver } from '../../electron/core/vm/driver';
import { canTransition, requireState, VmStateMachine, type VmRecord } from '../../electron/core/vm/types';
import { VmManager } from '../../electron/core/vm/vm-manager';
import { defaultVmName } from '../../electron/core/vm/vm-store';
import { isoFileUrl, minikubeCommand } from '../../electron/core/vm/minikube';
import { RingBuffer } from '../../electron/core/vm/ring-buffer';

const FIXTURE_ISO = path.resolve(__dirname, '..', '..', '.cache', 'fixture', 'isolab-fixture.iso');
const hasFixture = existsSync(FIXTURE_ISO);

/**
 * A hypervisor made of a unix socket: "start" listens on the serial path and prints a boot
 * when the bridge connects (like QEMU with wait=on); "die" ends it as a crash would.
 */
class FakeDriver implements VmDriver {
  readonly kind = 'qemu' as const;
  servers = new Map<string, { server: net.Server; client?: net.Socket }>();
  running = new Set<string>();
  listeners = new Map<string, (e: DriverEvent) => void>();
  failStart?: LabError;
  stops: Array<{ force?: boolean; timeoutMs: number }> = [];
  input = '';

  async plan() {
    return { arch: 'x86_64' as const, accel: 'tcg' as const, note: 'slow: no hardware acceleration (test)' };
  }
  async create() {
    return {};
  }
  async start(vm: VmRecord, opts: StartOptions) {
    if (this.failStart) throw this.failStart;
    const server = net.createServer((c) => {
      entry.client = c;
      c.on('data', (d) => (this.input += d.toString()));
      c.on('error', () => undefined);
      c.write('ISOLINUX 6.04\r\nLoading /boot/bzImage... ok\r\n');
      setTimeout(() => c.write('\r\nisolab login: '), 20);
    });
    const entry: { server: net.Server; client?: net.Socket } = { server };
    this.servers.set(vm.name, entry);
    await new Promise<void>((r) => server.listen(vm.files.serial, r));
    if (opts.signal?.aborted) throw new LabError('VM_START_CANCELLED', 'cancelled');
    await opts.attachSerial(vm.files.serial);
    this.running.add(vm.name);
    return { pid: 4242, startedAt: new Date() };
  }
  private end(name: string) {
    const s = this.servers.get(name);
    s?.client?.destroy();
    s?.server.close();
    this.servers.delete(name);
    this.running.delete(name);
  }
  die(name: string, reason: string) {
    this.end(name);
    this.listeners.get(name)?.({ kind: 'stopped', reason });
  }
  async stop(vm: VmRecord, o: { force?: boolean; timeoutMs: number }) {
    this.stops.push(o);
    this.end(vm.name);
    return { how: o.force ? ('poweroff' as const) : ('acpi' as const) };
  }
  async kill(vm: VmRecord) {
    this.end(vm.name);
  }
  async delete(vm: VmRecord) {
    this.end(vm.name);
  }
  async state(vm: VmRecord): Promise<DriverState> {
    return this.running.has(vm.name) ? { state: 'running', pid: 4242 } : { state: 'stopped' };
  }
  serialEndpoint(vm: VmRecord) {
    return vm.files.serial;
  }
  watch(vm: VmRecord, l: (e: DriverEvent) => void) {
    this.listeners.set(vm.name, l);
    return () => this.listeners.delete(vm.name);
  }
  async cleanup() {}
  release() {}
}

const homes: string[] = [];
function manager(driver: VmDriver = new FakeDriver(), defaults = { driver: 'qemu' as const, cpus: 1, memoryMb: 256, diskMb: 64 }) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-vmm-'));
  homes.push(home);
  const paths = { configDir: path.join(home, 'config'), dataDir: path.join(home, 'data'), cacheDir: path.join(home, 'cache') };
  return new VmManager({ paths, env: process.env, defaults: async () => defaults, adopt: false, drivers: { qemu: driver, virtualbox: driver } });
}
const managers: VmManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.dispose();
});
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function collect(m: VmManager, name: string) {
  const events: VmEvent[] = [];
  const ctrl = new AbortController();
  const done = m.watch(name, (e) => events.push(e), ctrl.signal);
  return { events, stop: () => ctrl.abort(), done };
}

const until = async (test: () => boolean, ms = 2000) => {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('VM state machine', () => {
  it('allows the lifecycle moves and refuses the others', () => {
    const sm = new VmStateMachine();
    for (const s of ['stopped', 'starting', 'running', 'stopping', 'stopped', 'starting', 'error', 'starting', 'running', 'stopped', 'absent'] as const) sm.to(s);
    expect(canTransition('absent', 'running')).toBe(false);
    expect(canTransition('stopping', 'starting')).toBe(false);
    expect(canTransition('stopped', 'running')).toBe(true); // found running (adopted)
    expect(() => new VmStateMachine('absent').to('running')).toThrow(/cannot go from absent to running/);
    expect(() => requireState('x', 'running', ['stopped'], 'start')).toThrow(expect.objectContaining({ code: 'VM_WRONG_STATE', hint: expect.stringContaining('stop it first') }));
  });

  it('ring buffer keeps the newest bytes and replays from a line start once it wrapped', () => {
    const r = new RingBuffer(16);
    r.push(Buffer.from('hello\n'));
    expect(r.contents().toString()).toBe('hello\n');
    r.push(Buffer.from('line two\nline three\n'));
    expect(r.length).toBe(16);
    expect(r.contents().toString()).toBe('line three\n');
    r.push(Buffer.from('x'.repeat(40)));
    expect(r.contents().toString()).toBe('x'.repeat(16));
  });
});

describe.skipIf(!hasFixture)('VM manager (fake hypervisor)', () => {
  it('create → start → console → stop → delete, with watch events and the timeline', async () => {
    const driver = new FakeDriver();
    const m = manager(driver);
    managers.push(m);
    const vm = await m.create({ iso: FIXTURE_ISO });
    expect(vm).toMatchObject({ name: 'isolab-fixture', state: 'stopped', accel: 'tcg', note: expect.stringMatching(/^slow/), spec: { cpus: 1, memoryMb: 256, diskMb: 64 } });
    expect(existsSync(path.join(vm.dir, 'vm.json'))).toBe(true);
    const w = collect(m, vm.name);
    await m.start(vm.name);
    // A console subscribed after start still gets the first line of the boot.
    let screen = '';
    const cctrl = new AbortController();
    void m.console(vm.name, (c) => (screen += c.toString()), cctrl.signal);
    await until(() => screen.includes('isolab login: '));
    expect(screen).toMatch(/^\x1b\[2m\[ISO Lab: isolab-fixture starting at .* \(QEMU, TCG: no hardware acceleration\)\]\x1b\[0m\r\nISOLINUX 6\.04/);
    await m.input(vm.name, 'root\n');
    await until(() => driver.input === 'root\n');
    await until(() => w.events.some((e) => e.kind === 'mark' && e.mark.id === 'login'));
    expect((await m.transcript(vm.name)).startsWith('ISOLINUX 6.04')).toBe(true);
    const stopped = await m.stop(vm.name, { timeoutSeconds: 1 });
    expect(stopped).toMatchObject({ state: 'stopped', stopReason: 'shut down by ISO Lab (ACPI power button)' });
    expect(driver.stops).toEqual([{ force: false, timeoutMs: 1000 }]);
    await m.delete(vm.name);
    await w.done;
    cctrl.abort();
    const states = w.events.filter((e) => e.kind !== 'mark').map((e) => (e.kind === 'snapshot' ? `snapshot:${e.vm.state}` : e.vm.state));
    expect(states).toEqual(['snapshot:stopped', 'starting', 'snapshot:starting', 'running', 'stopping', 'stopped', 'absent']);
    expect(existsSync(vm.dir)).toBe(false);
    await expect(m.get(vm.name)).rejects.toMatchObject({ code: 'VM_NOT_FOUND' });
  });

  it('a VM that dies shows as stopped with the reason', async () => {
    const driver = new FakeDriver();
    const m = manager(driver);
    managers.push(m);
    await m.create({ iso: FIXTURE_ISO, name: 'dies' });
    await m.start('dies');
    driver.die('dies', 'the qemu process was killed (SIGKILL)');
    await until(() => m.running().length === 0);
    expect(await m.get('dies')).toMatchObject({ state: 'stopped', stopReason: 'the qemu process was killed (SIGKILL)' });
    await expect(m.input('dies', 'x')).rejects.toMatchObject({ code: 'VM_NOT_RUNNING' });
  });

  it('a failed start leaves the VM in error with the reason, and it can start again', async () => {
    const driver = new FakeDriver();
    const m = manager(driver);
    managers.push(m);
    await m.create({ iso: FIXTURE_ISO, name: 'flaky' });
    driver.failStart = new LabError('VM_START_FAILED', 'QEMU exited while starting (exit 1): boom', 'see qemu.log');
    await expect(m.start('flaky')).rejects.toMatchObject({ code: 'VM_START_FAILED' });
    expect(await m.get('flaky')).toMatchObject({ state: 'error', error: { code: 'VM_START_FAILED', hint: 'see qemu.log' } });
    driver.failStart = undefined;
    expect(await m.start('flaky')).toMatchObject({ state: 'running' });
    expect((await m.get('flaky')).error).toBeUndefined();
    await expect(m.start('flaky')).resolves.toMatchObject({ state: 'running' });
    await expect(m.delete('flaky')).resolves.toBeUndefined();
  });

  it('refuses bad specs before anything is written, each with a hint', async () => {
    const m = manager();
    managers.push(m);
    await m.create({ iso: FIXTURE_ISO, name: 'taken' });
    const refuse = async (args: Parameters<VmManager['create']>[0], code: string) => {
      const err = await m.create(args).then(() => undefined, (e: LabError) => e);
      expect(err, code).toBeInstanceOf(LabError);
      expect(err).toMatchObject({ code });
      expect(err!.hint, code).toBeTruthy();
    };
    await refuse({ iso: '/nonexistent/minikube.iso' }, 'VM_ISO_MISSING');
    await refuse({ iso: path.dirname(FIXTURE_ISO) }, 'VM_ISO_MISSING');
    await refuse({ iso: __filename }, 'VM_ISO_INVALID');
    await refuse({ iso: FIXTURE_ISO, memoryMb: 0 }, 'VM_MEMORY_TOO_SMALL');
    await refuse({ iso: FIXTURE_ISO, memoryMb: 100_000_000 }, 'VM_MEMORY_TOO_LARGE');
    await refuse({ iso: FIXTURE_ISO, cpus: 0 }, 'VM_BAD_CPUS');
    await refuse({ iso: FIXTURE_ISO, diskMb: 10 }, 'VM_DISK_TOO_SMALL');
    await refuse({ iso: FIXTURE_ISO, name: 'taken' }, 'VM_NAME_IN_USE');
    await refuse({ iso: FIXTURE_ISO, name: '../escape' }, 'VM_BAD_NAME');
    expect(readdirSync(m.store.root).filter((n) => !n.startsWith('.'))).toEqual(['taken']);
  });

  it('refuses a driver that is not available, with its install hint', async () => {
    const unavailable = new FakeDriver();
    unavailable.plan = async () => {
      throw new LabError('VIRTUALBOX_MISSING', 'VBoxManage was not found on PATH or in the usual install folders', 'install VirtualBox from virtualbox.org');
    };
    const m = manager(unavailable);
    managers.push(m);
    await expect(m.create({ iso: FIXTURE_ISO, driver: 'virtualbox' })).rejects.toMatchObject({ code: 'VIRTUALBOX_MISSING', hint: expect.stringContaining('virtualbox.org') });
    expect(existsSync(m.store.root) ? readdirSync(m.store.root) : []).toEqual([]);
  });

  it('names VMs after the ISO, unique', async () => {
    const m = manager();
    managers.push(m);
    expect((await m.create({ iso: FIXTURE_ISO })).name).toBe('isolab-fixture');
    expect((await m.create({ iso: FIXTURE_ISO })).name).toBe('isolab-fixture-2');
    expect(defaultVmName('/x/My Minikube (v1).iso', () => false)).toBe('My-Minikube-v1');
    expect(defaultVmName('/x/.iso', () => false)).toBe('vm');
    expect((await m.list()).map((v) => v.name)).toEqual(['isolab-fixture', 'isolab-fixture-2']);
  });

  it('stop cancels a start in progress and leaves it stopped', async () => {
    const driver = new FakeDriver();
    const slow = driver.start.bind(driver);
    driver.start = async (vm, opts) => {
      await new Promise((r) => setTimeout(r, 100));
      return slow(vm, opts);
    };
    const m = manager(driver);
    managers.push(m);
    await m.create({ iso: FIXTURE_ISO, name: 'cancel' });
    const starting = m.start('cancel');
    await new Promise((r) => setTimeout(r, 20));
    const stopped = await m.stop('cancel');
    await expect(starting).rejects.toMatchObject({ code: 'VM_START_CANCELLED' });
    expect(stopped).toMatchObject({ state: 'stopped', stopReason: 'the start was cancelled' });
  });

  it('a guest KVM stops with an internal error is booted again under TCG, and KVM is not chosen again', async () => {
    const driver = new FakeDriver();
    let kvmBroken = false;
    driver.plan = async () => (kvmBroken ? { arch: 'x86_64' as const, accel: 'tcg' as const, note: 'slow: no hardware acceleration (KVM failed)' } : { arch: 'x86_64' as const, accel: 'kvm' as const }) as never;
    const failed: string[] = [];
    (driver as VmDriver).accelFailed = async (_vm, detail) => {
      failed.push(detail);
      kvmBroken = true;
    };
    const m = manager(driver);
    managers.push(m);
    expect((await m.create({ iso: FIXTURE_ISO, name: 'kvm' })).accel).toBe('kvm');
    await m.start('kvm');
    driver.listeners.get('kvm')!({ kind: 'failed', message: 'The guest stopped: internal-error (KVM internal error. Suberror: 1)' });
    const again = await (async () => {
      for (let i = 0; i < 200; i++) {
        const v = await m.get('kvm');
        if (v.state === 'running' && v.accel === 'tcg') return v;
        await new Promise((r) => setTimeout(r, 10));
      }
      return m.get('kvm');
    })();
    expect(again).toMatchObject({ state: 'running', accel: 'tcg', note: expect.stringMatching(/^slow/) });
    expect(failed).toHaveLength(1);
  });

  it('finds a VM folder whose vm.json is unreadable only as an orphan, and lists the rest', async () => {
    const m = manager();
    managers.push(m);
    await m.create({ iso: FIXTURE_ISO, name: 'good' });
    const bad = path.join(m.store.root, 'broken');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'vm.json'), '{not json');
    expect((await m.list()).map((v) => v.name)).toEqual(['good']);
  });
});

describe('minikube hand-off', () => {
  it('builds the file URL right for each OS', () => {
    expect(isoFileUrl('/home/me/out/minikube.iso', 'linux')).toBe('file:///home/me/out/minikube.iso');
    expect(isoFileUrl('/Users/me/My ISOs/mini kube(1).iso', 'darwin')).toBe('file:///Users/me/My%20ISOs/mini%20kube%281%29.iso');
    expect(isoFileUrl('C:\\Users\\me\\minikube.iso', 'win32')).toBe('file:///C:/Users/me/minikube.iso');
    expect(isoFileUrl('c:/Users/Jane Doe/out/minikube.iso', 'win32')).toBe('file:///C:/Users/Jane%20Doe/out/minikube.iso');
    expect(isoFileUrl('\\\\server\\share\\minikube.iso', 'win32')).toBe('file://server/share/minikube.iso');
  });

  it('gives the command and whether minikube is on PATH', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-mk-'));
    homes.push(dir);
    const none = await minikubeCommand('/out/minikube.iso', { env: { PATH: dir }, platform: 'linux' });
    expect(none).toEqual({ command: 'minikube start --iso-url=file:///out/minikube.iso', fileUrl: 'file:///out/minikube.iso', minikubeOnPath: false });
    writeFileSync(path.join(dir, 'minikube'), '#!/bin/sh\n', { mode: 0o755 });
    const found = await minikubeCommand('/out/minikube.iso', { env: { PATH: dir }, platform: 'linux' });
    expect(found).toMatchObject({ minikubeOnPath: true, minikubePath: path.join(dir, 'minikube') });
  });
});
