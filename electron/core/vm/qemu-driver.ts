import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import type { VmArch } from '../../../shared/vm';
import { checkQemuImg, checkQemuSystem } from '../doctor/qemu';
import { probe, which } from '../doctor/tools';
import type { DriverEvent, DriverPlan, DriverState, StartOptions, StartedVm, StopOptions, StopOutcome, VmDriver } from './driver';
import type { IsoBootInfo } from './iso-arch';
import { chooseAccel, recordKvmFailure } from './kvm-probe';
import { pidGone, pidIsOurs, readPidfile, rmQuiet, sleep, waitForExit } from './process';
import { qemuArgs, qemuBinary, qemuImgCreateArgs } from './qemu-args';
import { QmpClient, type QmpEvent } from './qmp';
import type { VmRecord, VmSpec } from './types';

const SERIAL_APPEAR_MS = 15_000;
const QMP_READY_MS = 10_000;
const CTL_TIMEOUT_MS = 2000;
const QUIT_WAIT_MS = 3000;
const POLL_MS = 500;

const FIRMWARE: Record<VmArch, string[]> = {
  aarch64: [
    '/usr/share/qemu-efi-aarch64/QEMU_EFI.fd',
    '/usr/share/AAVMF/AAVMF_CODE.fd',
    '/usr/share/qemu/edk2-aarch64-code.fd',
    '/opt/homebrew/share/qemu/edk2-aarch64-code.fd',
    '/usr/local/share/qemu/edk2-aarch64-code.fd',
  ],
  x86_64: ['/usr/share/ovmf/OVMF.fd', '/usr/share/qemu/OVMF.fd', '/usr/share/qemu/edk2-x86_64-code.fd', '/opt/homebrew/share/qemu/edk2-x86_64-code.fd'],
};

/** What SHUTDOWN's `reason` means to a person. */
const SHUTDOWN_REASONS: Record<string, string> = {
  'guest-shutdown': 'the guest powered off',
  'guest-reset': 'the guest rebooted and QEMU was told not to',
  'guest-panic': 'the guest kernel panicked',
  'host-qmp-quit': 'QEMU was told to quit',
  'host-qmp-system-reset': 'QEMU was reset',
  'host-signal': 'QEMU was terminated by a signal',
  'host-ui': 'QEMU was closed',
  'host-error': 'QEMU hit a host error',
};

export interface QemuDriverOptions {
  env: NodeJS.ProcessEnv;
  /** Where the KVM probe's answer is kept. */
  accelCacheFile: string;
}

/** This process's connections to one QEMU: the child (if we spawned it) and the owner's QMP. */
class QemuRuntime extends EventEmitter {
  child?: ChildProcess;
  qmp?: QmpClient;
  pid?: number;
  shutdownReason?: string;
  exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
}

export class QemuDriver implements VmDriver {
  readonly kind = 'qemu' as const;
  private readonly runtimes = new Map<string, QemuRuntime>();

  constructor(private readonly opts: QemuDriverOptions) {}

  async plan(spec: VmSpec, boot: IsoBootInfo): Promise<DriverPlan & { qemu: string; qemuImg: string; firmware?: string }> {
    const qemu = await this.findQemu(boot.arch);
    const img = await checkQemuImg({ env: this.opts.env });
    if (img.error || !img.path) throw new LabError(img.error?.code ?? 'QEMU_IMG_MISSING', img.error?.message ?? 'qemu-img was not found', img.error?.hint);
    let firmware: string | undefined;
    if (boot.arch === 'aarch64' || boot.efiOnly) {
      firmware = FIRMWARE[boot.arch].find((f) => fs.existsSync(f));
      if (!firmware) {
        throw new LabError('VM_FIRMWARE_MISSING', `${path.basename(spec.iso)} boots only through UEFI and no ${boot.arch} UEFI firmware was found`, boot.arch === 'aarch64' ? 'install it: sudo apt-get install qemu-efi-aarch64' : 'install it: sudo apt-get install ovmf');
      }
    }
    const accel = await chooseAccel({ qemu, cacheFile: this.opts.accelCacheFile, guestArch: boot.arch, env: this.opts.env });
    const plan: DriverPlan & { qemu: string; qemuImg: string; firmware?: string } = { arch: boot.arch, accel: accel.accel, qemu, qemuImg: img.path };
    if (accel.note) plan.note = accel.note;
    if (firmware) plan.firmware = firmware;
    return plan;
  }

  private async findQemu(arch: VmArch): Promise<string> {
    if (arch === 'x86_64') {
      const st = await checkQemuSystem({ env: this.opts.env });
      if (st.path && !st.error) return st.path;
      throw new LabError(st.error?.code ?? 'QEMU_MISSING', st.error?.message ?? 'qemu-system-x86_64 was not found', st.error?.hint);
    }
    const bin = qemuBinary(arch);
    const found = await which(bin, { env: this.opts.env, extraDirs: ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'] });
    if (!found) throw new LabError('QEMU_MISSING', `${bin} was not found on PATH: this ISO is for ${arch}`, 'install it: sudo apt-get install qemu-system-arm (macOS: brew install qemu)');
    return found;
  }

  async create(vm: VmRecord): Promise<Partial<VmRecord>> {
    const img = await checkQemuImg({ env: this.opts.env });
    if (!img.path) throw new LabError('QEMU_IMG_MISSING', 'qemu-img was not found', img.error?.hint);
    const r = await probe(img.path, qemuImgCreateArgs(vm.files.disk, vm.spec.diskMb), { env: this.opts.env, timeoutMs: 60_000 });
    if (!r.ok) {
      await rmQuiet(vm.files.disk);
      throw new LabError('VM_DISK_FAILED', `Could not create the VM's disk: ${r.error.message}`, 'check the free space in the data folder (isolab doctor)');
    }
    return {};
  }

  async start(vm: VmRecord, opts: StartOptions): Promise<StartedVm> {
    const plan = await this.plan(vm.spec, { arch: vm.arch, efiOnly: vm.efiOnly === true });
    const firmware = plan.firmware;
    await this.cleanup(vm);
    await fs.promises.mkdir(path.dirname(vm.files.serial), { recursive: true });
    const args = qemuArgs({
      name: vm.name,
      arch: vm.arch,
      accel: vm.accel === 'kvm' ? 'kvm' : 'tcg',
      cpus: vm.spec.cpus,
      memoryMb: vm.spec.memoryMb,
      iso: vm.spec.iso,
      disk: vm.files.disk,
      qmp: vm.files.qmp,
      qmpCtl: vm.files.qmpCtl,
      serial: vm.files.serial,
      pidfile: vm.files.pidfile,
      ...(vm.files.vnc && vm.arch === 'x86_64' ? { vnc: vm.files.vnc } : {}),
      ...(firmware ? { firmware } : {}),
      ...(vm.serialBoot ? { directKernel: { kernel: vm.serialBoot.files.kernel, append: vm.serialBoot.cmdline, ...(vm.serialBoot.files.initrd ? { initrd: vm.serialBoot.files.initrd } : {}) } } : {}),
    });
    const log = fs.openSync(vm.files.log, 'w');
    let child: ChildProcess;
    try {
      // Detached: its own session, so Ctrl-C in a terminal reaches only us, and the VM may
      // outlive this process when the user keeps it running.
      child = spawn(plan.qemu, args, { detached: true, stdio: ['ignore', log, log], cwd: vm.files.dir, env: this.opts.env, windowsHide: true });
    } finally {
      fs.closeSync(log);
    }
    const rt = new QemuRuntime();
    rt.child = child;
    this.runtimes.set(vm.name, rt);
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new LabError('VM_START_FAILED', `Cannot run ${plan.qemu}: ${err.message}`, 'isolab doctor checks the QEMU install')));
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        rt.exitInfo = { code, signal };
        rt.emit('exit');
        void this.logTail(vm).then((said) =>
          reject(new LabError('VM_START_FAILED', `QEMU exited while starting (${signal ?? `exit ${code}`})${said ? `: ${said}` : ''}`, `see ${vm.files.log}`)),
        );
      });
    });
    exited.catch(() => undefined);
    child.unref();
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new LabError('VM_START_CANCELLED', `Starting ${vm.name} was cancelled`));
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      await Promise.race([spawned, exited, aborted]);
      rt.pid = child.pid;
      // wait=on: QEMU holds the guest until the bridge is connected.
      await Promise.race([opts.attachSerial(vm.files.serial), exited, aborted, timeout(SERIAL_APPEAR_MS, 'create its serial socket')]);
      rt.qmp = await Promise.race([this.connectQmp(vm.files.qmp, QMP_READY_MS), exited, aborted]);
      this.followQmp(vm, rt);
      const status = await Promise.race([rt.qmp.queryStatus(), exited, aborted]);
      if (!status.running && status.status !== 'prelaunch') {
        throw new LabError('VM_START_FAILED', `QEMU started but the guest is ${status.status}`, `see ${vm.files.log}`);
      }
      return { pid: child.pid!, startedAt: new Date() };
    } catch (err) {
      rt.qmp?.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (child.pid) await waitForExit(child.pid, 3000);
      this.runtimes.delete(vm.name);
      await this.cleanup(vm, true);
      throw err;
    }
  }

  private async connectQmp(socket: string, timeoutMs: number): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await QmpClient.connect(socket, { timeoutMs: Math.max(500, deadline - Date.now()) });
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        await sleep(25);
      }
    }
  }

  private followQmp(vm: VmRecord, rt: QemuRuntime): void {
    const qmp = rt.qmp!;
    qmp.on('event', (e: QmpEvent) => {
      if (e.event === 'SHUTDOWN') {
        const reason = String(e.data?.reason ?? '');
        rt.shutdownReason = SHUTDOWN_REASONS[reason] ?? `QEMU shut down (${reason || 'no reason given'})`;
      } else if (e.event === 'RESET') {
        rt.emit('driver', { kind: 'reset' } satisfies DriverEvent);
      } else if (e.event === 'STOP') {
        // A guest stopped without being asked: KVM internal errors and I/O errors end up here.
        void qmp.queryStatus().then(
          async (s) => {
            if (s.status === 'internal-error' || s.status === 'guest-panicked' || s.status === 'io-error') {
              const said = await this.logTail(vm);
              rt.emit('driver', { kind: 'failed', message: `The guest stopped: ${s.status}${said ? ` (${said})` : ''}`, hint: `see ${vm.files.log}` } satisfies DriverEvent);
            }
          },
          () => undefined,
        );
      }
    });
    qmp.on('close', () => rt.emit('qmp-closed'));
  }

  /** QMP for one command: this process's own connection when it has one, else the control socket. */
  private async withQmp<T>(vm: VmRecord, fn: (q: QmpClient) => Promise<T>): Promise<T> {
    const own = this.runtimes.get(vm.name)?.qmp;
    if (own && !own.isClosed) return fn(own);
    const q = await QmpClient.connect(vm.files.qmpCtl, { timeoutMs: CTL_TIMEOUT_MS });
    try {
      return await fn(q);
    } finally {
      q.close();
    }
  }

  private async livePid(vm: VmRecord): Promise<number | undefined> {
    const rt = this.runtimes.get(vm.name);
    const pid = rt?.pid ?? (await readPidfile(vm.files.pidfile));
    if (!pid || pidGone(pid)) return undefined;
    return pidIsOurs(pid, vm.files.dir) ? pid : undefined;
  }

  async state(vm: VmRecord): Promise<DriverState> {
    const pid = await this.livePid(vm);
    if (!pid) return { state: 'stopped' };
    try {
      const s = await this.withQmp(vm, (q) => q.queryStatus(CTL_TIMEOUT_MS));
      if (s.status === 'internal-error' || s.status === 'guest-panicked' || s.status === 'io-error') {
        return { state: 'error', message: `The guest stopped: ${s.status}`, hint: `see ${vm.files.log}` };
      }
      return { state: 'running', pid, paused: !s.running };
    } catch {
      // The monitor is busy or slow; the process is there, which is what matters.
      return { state: 'running', pid };
    }
  }

  async stop(vm: VmRecord, opts: StopOptions): Promise<StopOutcome> {
    const pid = await this.livePid(vm);
    if (!pid) {
      await this.cleanup(vm);
      return { how: 'already' };
    }
    if (!opts.force) {
      const pressed = await this.withQmp(vm, (q) => q.execute('system_powerdown', undefined, { timeoutMs: CTL_TIMEOUT_MS })).then(
        () => true,
        () => false,
      );
      if (pressed && (await waitForExit(pid, opts.timeoutMs))) {
        await this.cleanup(vm, true);
        return { how: 'acpi' };
      }
    }
    await this.powerOff(vm, pid);
    return { how: 'poweroff' };
  }

  /** `quit` (QEMU closes its files and sockets), then SIGKILL if it does not go. */
  private async powerOff(vm: VmRecord, pid: number): Promise<void> {
    await this.withQmp(vm, (q) => q.execute('quit', undefined, { timeoutMs: CTL_TIMEOUT_MS })).catch(() => undefined);
    if (!(await waitForExit(pid, QUIT_WAIT_MS))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
      await waitForExit(pid, QUIT_WAIT_MS);
    }
    await this.cleanup(vm, true);
  }

  async kill(vm: VmRecord): Promise<void> {
    const pid = await this.livePid(vm);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
      await waitForExit(pid, QUIT_WAIT_MS);
    }
    await this.cleanup(vm, true);
  }

  async delete(vm: VmRecord): Promise<void> {
    await this.kill(vm);
    this.runtimes.delete(vm.name);
  }

  serialEndpoint(vm: VmRecord): string {
    return vm.files.serial;
  }

  watch(vm: VmRecord, listener: (e: DriverEvent) => void, own: boolean): () => void {
    let rt = this.runtimes.get(vm.name);
    if (!rt) {
      rt = new QemuRuntime();
      this.runtimes.set(vm.name, rt);
    }
    const runtime = rt;
    let ended = false;
    let poll: NodeJS.Timeout | undefined;
    const onDriver = (e: DriverEvent) => {
      if (!ended) listener(e);
    };
    const check = async () => {
      if (ended) return;
      const pid = runtime.pid ?? (await readPidfile(vm.files.pidfile));
      if (pid && !pidGone(pid)) return;
      ended = true;
      cleanupListeners();
      listener({ kind: 'stopped', reason: await this.deathReason(vm, runtime) });
    };
    const onGone = () => void check();
    const cleanupListeners = () => {
      if (poll) clearInterval(poll);
      runtime.off('driver', onDriver);
      runtime.off('exit', onGone);
      runtime.off('qmp-closed', onGone);
    };
    runtime.on('driver', onDriver);
    runtime.on('exit', onGone);
    runtime.on('qmp-closed', onGone);
    poll = setInterval(onGone, POLL_MS);
    poll.unref?.();
    void (async () => {
      runtime.pid ??= await readPidfile(vm.files.pidfile);
      // An adopted VM: the owner keeps a monitor connection, which closes the instant QEMU dies.
      if (own && (!runtime.qmp || runtime.qmp.isClosed)) {
        try {
          runtime.qmp = await this.connectQmp(vm.files.qmp, 3000);
          if (ended) runtime.qmp.close();
          else this.followQmp(vm, runtime);
        } catch {
          /* polling still sees it die */
        }
      }
      await check();
    })();
    return () => {
      ended = true;
      cleanupListeners();
    };
  }

  async accelFailed(vm: VmRecord, detail: string): Promise<void> {
    await recordKvmFailure(await this.findQemu(vm.arch), this.opts.accelCacheFile, detail);
  }

  /** Lets go of this process's connections without touching the VM (it keeps running). */
  release(vm: VmRecord): void {
    const rt = this.runtimes.get(vm.name);
    rt?.qmp?.close();
    this.runtimes.delete(vm.name);
  }

  private async deathReason(vm: VmRecord, rt: QemuRuntime): Promise<string> {
    if (rt.shutdownReason) return rt.shutdownReason;
    // Our own child: its exit status is on the way (the monitor closes first).
    if (rt.child && !rt.exitInfo) await waitUntilExitInfo(rt, 500);
    if (rt.shutdownReason) return rt.shutdownReason;
    const exit = rt.exitInfo;
    if (exit?.signal) return `the qemu process was killed (${exit.signal})`;
    const said = await this.logTail(vm);
    if (exit && exit.code !== 0) return `QEMU exited with status ${exit.code}${said ? `: ${said}` : ''}`;
    return `the qemu process ended without shutting down (killed or crashed)${said ? `: ${said}` : ''}`;
  }

  /** The last meaningful line QEMU wrote to its log. */
  private async logTail(vm: VmRecord): Promise<string | undefined> {
    const text = await fs.promises.readFile(vm.files.log, 'utf8').catch(() => '');
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/warning: host doesn't support requested feature|QEMU waiting for connection/.test(l))
      .pop()
      ?.slice(0, 300);
  }

  /** Sockets and pidfile of a QEMU that is gone (SIGKILL leaves them behind). */
  async cleanup(vm: VmRecord, force = false): Promise<void> {
    if (!force && (await this.livePid(vm))) return;
    const rt = this.runtimes.get(vm.name);
    if (rt?.qmp && !rt.qmp.isClosed && force) rt.qmp.close();
    await rmQuiet(vm.files.qmp, vm.files.qmpCtl, vm.files.serial, vm.files.pidfile, ...(vm.files.vnc ? [vm.files.vnc] : []));
    const sockDir = path.dirname(vm.files.serial);
    if (sockDir !== vm.files.dir) await fs.promises.rmdir(sockDir).catch(() => undefined);
  }
}

function waitUntilExitInfo(rt: QemuRuntime, ms: number): Promise<void> {
  if (rt.exitInfo) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    rt.once('exit', done);
    function done() {
      clearTimeout(t);
      rt.off('exit', done);
      resolve();
    }
  });
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => {
    const t = setTimeout(() => reject(new LabError('VM_START_FAILED', `QEMU did not ${what} within ${ms / 1000} s`, 'see the VM\'s qemu.log')), ms);
    t.unref?.();
  });
}
