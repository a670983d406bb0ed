import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError, toErrorShape } from '../../../shared/errors';
import type { VmActivity, VmBootInfo, VmDriverName, VmEvent, VmLoginResult, VmView } from '../../../shared/vm';
import type { LabPaths } from '../paths';
import { cpuPercent, cpuSeconds, parseProcStat } from './boot-explain';
import { extractSerialBoot, readBootInfo } from './boot-info';
import type { DriverEvent, DriverState, VmDriver } from './driver';
import { loginAndRun } from './login';
import { findOrphanQemus } from './orphans';
import { pidAlive, rmQuiet, waitForExit } from './process';
import { QemuDriver } from './qemu-driver';
import { checkSpec, type SpecInput, type VmDefaults } from './spec-check';
import { requireState, type VmRecord } from './types';
import { VBoxDriver } from './vbox-driver';
import { VmEntry } from './vm-entry';
import { claimOwner, defaultVmName, readOwner, VmStore, type OwnerInfo } from './vm-store';

export interface VmManagerOptions {
  paths: LabPaths;
  env: NodeJS.ProcessEnv;
  /** settings.vm, read at each create. */
  defaults: () => Promise<VmDefaults>;
  /**
   * Take over the console of running VMs that no live process holds (the app and `serve`
   * do; the CLI's one-shot commands do not, so `isolab vm ls` never grabs a console).
   */
  adopt?: boolean;
  /** Replace a hypervisor (tests). */
  drivers?: Partial<Record<VmDriverName, VmDriver>>;
  /** How long a guest gets after the ACPI power button before it is powered off. */
  stopTimeoutMs?: number;
  /** How often an adopting manager looks for VMs other processes started or let go of. */
  sweepMs?: number;
}

const DEFAULT_STOP_TIMEOUT_MS = 20_000;
const SERIAL_ATTACH_MS = 15_000;
const DEFAULT_LOGIN_TIMEOUT_MS = 120_000;

/**
 * The VMs of the data folder, as jobs of the lab core. A VM started here is owned here:
 * this process holds its serial console (ring buffer, transcript, timeline) and a monitor
 * connection that tells the instant it dies. VMs outlive the process when asked to; the
 * next process finds them by pidfile and monitor, and takes the console over when nobody
 * holds it.
 */
export class VmManager {
  readonly store: VmStore;
  private readonly entries = new Map<string, VmEntry>();
  private readonly reserved = new Set<string>();
  private readonly drivers: Record<VmDriverName, VmDriver>;
  private readonly me: OwnerInfo = { pid: process.pid, host: os.hostname(), instance: randomBytes(6).toString('hex') };
  private loaded: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(private readonly opts: VmManagerOptions) {
    this.store = new VmStore(opts.paths.dataDir);
    const accelCacheFile = path.join(this.store.root, '.accel-probe.json');
    this.drivers = {
      qemu: opts.drivers?.qemu ?? new QemuDriver({ env: opts.env, accelCacheFile }),
      virtualbox: opts.drivers?.virtualbox ?? new VBoxDriver({ env: opts.env }),
    };
  }

  /** Reads the data folder: VMs with their real state, running ones followed, leftovers cleaned. */
  init(): Promise<void> {
    this.loaded ??= (async () => {
      await this.killOrphans();
      await this.scan();
      if (this.opts.adopt !== false && !this.sweepTimer) {
        this.sweepTimer = setInterval(() => void this.sweep(), this.opts.sweepMs ?? 2000);
        this.sweepTimer.unref?.();
      }
    })();
    return this.loaded;
  }

  async list(): Promise<VmView[]> {
    await this.init();
    await this.scan();
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name)).map((e) => e.view());
  }

  async get(name: string): Promise<VmView> {
    return (await this.entry(name)).view();
  }

  /** Running (or starting/stopping) VMs, whoever holds them: what quitting would leave behind. */
  running(): VmView[] {
    return [...this.entries.values()].filter((e) => ['starting', 'running', 'stopping'].includes(e.machine.state)).map((e) => e.view());
  }

  async create(input: SpecInput): Promise<VmView> {
    await this.init();
    const taken = (n: string) => this.entries.has(n) || this.reserved.has(n) || fs.existsSync(this.store.dir(n));
    const checked = await checkSpec(input, await this.opts.defaults(), taken);
    const driver = this.drivers[checked.driver];
    const plan = await driver.plan(checked.spec, checked.boot);
    const name = input.name ?? defaultVmName(checked.spec.iso, taken);
    if (taken(name)) throw new LabError('VM_NAME_IN_USE', `There is already a VM called ${name}`, `choose another name, or remove it first: isolab vm rm ${name}`);
    this.reserved.add(name);
    const files = this.store.files(name, checked.driver);
    try {
      // Not recursive: a folder made meanwhile by another process means the name is taken.
      await fs.promises.mkdir(this.store.root, { recursive: true });
      await fs.promises.mkdir(files.dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw new LabError('VM_NAME_IN_USE', `There is already a VM called ${name}`, 'choose another name');
        throw err;
      });
      let rec: VmRecord = {
        version: 1,
        name,
        driver: checked.driver,
        spec: checked.spec,
        arch: plan.arch,
        accel: plan.accel,
        createdAt: new Date().toISOString(),
        files,
      };
      if (checked.boot.efiOnly) rec.efiOnly = true;
      if (plan.note) rec.note = plan.note;
      try {
        rec = { ...rec, ...(await driver.create(rec)) };
        await this.store.save(rec);
      } catch (err) {
        await this.store.remove(rec);
        throw err;
      }
      const entry = new VmEntry(rec, driver, 'stopped');
      this.entries.set(name, entry);
      return entry.view();
    } finally {
      this.reserved.delete(name);
    }
  }

  /** `serialConsole`: *Boot with the serial console* (see prepareSerialBoot); otherwise the ISO boots as it is. */
  async start(name: string, opts: { signal?: AbortSignal; serialConsole?: boolean } = {}): Promise<VmView> {
    const entry = await this.entry(name);
    return entry.serialize(() => this.doStart(entry, opts.signal, opts.serialConsole === true));
  }

  /** What the console will show when this ISO boots, from its boot config; nothing is started. */
  async bootInfo(iso: string): Promise<VmBootInfo> {
    try {
      return (await readBootInfo(iso, this.opts.paths.cacheDir)).info;
    } catch (err) {
      if (err instanceof LabError) throw err;
      throw new LabError('VM_ISO_INVALID', `Cannot read the boot config of ${path.basename(iso)}: ${(err as Error).message}`, 'isolab info <iso> shows what the file is');
    }
  }

  /**
   * *Boot with the serial console* for an ISO whose boot entry lacks console=ttyS0. Of the
   * two ways (QEMU's direct kernel boot, or a temporary ISO remastered with console=ttyS0
   * added) this is the direct kernel boot: it needs no xorriso (optional on a lab machine),
   * copies only the kernel and initrd instead of writing a whole new ISO (minikube's is
   * ~300 MB; the copy would cost time and disk at every new ISO), and leaves the ISO the
   * VM was made from as its CD-ROM, so a guest that mounts its boot medium still finds it.
   * What it skips is the bootloader (no ISOLINUX line; its menu and timeout), which is
   * exactly the part that is not under test when the question is "what does the kernel say".
   */
  private async prepareSerialBoot(entry: VmEntry): Promise<void> {
    const rec = entry.rec;
    if (rec.driver !== 'qemu') {
      throw new LabError('VM_SERIAL_BOOT_UNSUPPORTED', 'Boot with the serial console needs QEMU: VirtualBox cannot boot a kernel file directly', 'make a QEMU VM for this ISO, or add console=ttyS0 with isolab remaster --cmdline-add console=ttyS0');
    }
    const { info, plan } = await readBootInfo(rec.spec.iso, this.opts.paths.cacheDir, { arch: rec.arch, efi: rec.efiOnly === true || rec.arch === 'aarch64' });
    if (!plan) {
      throw new LabError('VM_SERIAL_BOOT_UNAVAILABLE', `${rec.name} cannot be booted with the serial console: ${info.serialBoot.why ?? 'no boot entry found'}`, 'start it normally');
    }
    const files = await extractSerialBoot(rec.spec.iso, this.opts.paths.cacheDir, plan, path.join(rec.files.dir, 'serial-boot'));
    rec.serialBoot = { label: plan.label, kernel: plan.kernel, initrd: plan.initrd, cmdline: plan.cmdline, files };
  }

  private async doStart(entry: VmEntry, signal?: AbortSignal, serialConsole = false): Promise<VmView> {
    const rec = entry.rec;
    if (entry.machine.state === 'running') return entry.view();
    requireState(rec.name, entry.machine.state, ['stopped', 'error'], 'start');
    // Another process may have started it meanwhile.
    const now = await driverState(entry.driver, rec);
    if (now.state === 'running') {
      entry.pid = now.pid;
      entry.setState('running');
      await this.follow(entry);
      return entry.view();
    }
    const plan = await entry.driver.plan(rec.spec, { arch: rec.arch, efiOnly: rec.efiOnly === true });
    if (serialConsole) await this.prepareSerialBoot(entry);
    else delete rec.serialBoot;
    rec.accel = plan.accel;
    if (plan.note) rec.note = plan.note;
    else delete rec.note;
    delete rec.error;
    delete rec.stopReason;
    delete rec.stoppedAt;
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort();
    if (signal?.aborted) ctrl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const claim = await claimOwner(rec.files.owner, this.me, (o) => this.heldElsewhere(o));
    if (!claim.ok) {
      signal?.removeEventListener('abort', onAbort);
      throw new LabError('VM_BUSY', `${rec.name} is being started by another ISO Lab process (pid ${claim.holder.pid})`, 'wait a moment: isolab vm ls shows its state');
    }
    entry.owned = true;
    entry.heldBy = undefined;
    entry.setState('starting');
    const t0 = Date.now();
    entry.beginBoot(t0, bootBanner(rec, t0));
    const done = entry.driver.start(rec, {
      attachSerial: (endpoint) => entry.bridge.attach(endpoint, { signal: ctrl.signal, timeoutMs: SERIAL_ATTACH_MS }),
      signal: ctrl.signal,
    });
    entry.starting = { ctrl, done };
    try {
      const started = await done;
      entry.pid = started.pid;
      rec.startedAt = new Date(t0).toISOString();
      rec.expectRunning = true;
      await this.store.save(rec);
      this.watchDriver(entry, true);
      entry.setState('running');
      return entry.view();
    } catch (err) {
      entry.bridge.detach();
      entry.owned = false;
      entry.pid = undefined;
      await rmQuiet(rec.files.owner);
      if (ctrl.signal.aborted) {
        rec.stopReason = 'the start was cancelled';
        rec.stoppedAt = new Date().toISOString();
        entry.setState('stopped');
      } else {
        rec.error = toErrorShape(err);
        entry.setState('error');
      }
      await this.store.save(rec).catch(() => undefined);
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      entry.starting = undefined;
    }
  }

  /** ACPI power button, then power off after the timeout (at once with `force`). */
  async stop(name: string, opts: { force?: boolean; timeoutSeconds?: number } = {}): Promise<VmView> {
    const entry = await this.entry(name);
    await this.cancelStart(entry);
    return entry.serialize(async () => {
      const state = entry.machine.state;
      if (state === 'stopped') return entry.view();
      const timeoutMs = opts.timeoutSeconds !== undefined ? opts.timeoutSeconds * 1000 : (this.opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
      if (state === 'error') {
        // A wedged hypervisor does not answer the button.
        await entry.driver.kill(entry.rec);
        await this.markStopped(entry, 'powered off by ISO Lab', true);
        return entry.view();
      }
      entry.setState('stopping');
      try {
        const out = await entry.driver.stop(entry.rec, { force: opts.force === true, timeoutMs });
        const reason =
          out.how === 'acpi'
            ? 'shut down by ISO Lab (ACPI power button)'
            : out.how === 'already'
              ? 'it had already stopped'
              : opts.force
                ? 'powered off by ISO Lab'
                : `powered off by ISO Lab after ${Math.round(timeoutMs / 100) / 10} s: the guest ignored the ACPI power button`;
        await this.markStopped(entry, reason, true);
      } catch (err) {
        entry.rec.error = toErrorShape(err);
        entry.setState('error');
        await this.store.save(entry.rec).catch(() => undefined);
        throw err;
      }
      return entry.view();
    });
  }

  async kill(name: string): Promise<VmView> {
    const entry = await this.entry(name);
    await this.cancelStart(entry);
    return entry.serialize(async () => {
      if (entry.machine.state === 'stopped') return entry.view();
      await entry.driver.kill(entry.rec);
      await this.markStopped(entry, 'killed by ISO Lab (power cut)', true);
      return entry.view();
    });
  }

  /** Stops it (power off: it is going away), then removes its folder and hypervisor registration. */
  async delete(name: string): Promise<void> {
    const entry = await this.entry(name);
    await this.cancelStart(entry);
    await entry.serialize(async () => {
      if (entry.deleted) return;
      entry.unwatchDriver?.();
      entry.unwatchDriver = undefined;
      entry.abortLogins(new LabError('VM_STOPPED', `${name} was deleted while waiting to log in`));
      // Before the power goes: a process holding the console (serve, the app) that sees the VM
      // die reads this and lets it go as deleted, instead of saving it back as "stopped".
      if (fs.existsSync(this.store.recordFile(name))) {
        entry.rec.deleting = true;
        await this.store.save(entry.rec).catch(() => undefined);
      }
      try {
        await entry.driver.delete(entry.rec);
      } catch (err) {
        // Without VirtualBox nothing can be registered in it: the record alone goes.
        if (!(err instanceof LabError && err.code === 'VIRTUALBOX_MISSING')) throw err;
      }
      entry.bridge.close();
      await entry.driver.cleanup(entry.rec);
      await this.store.remove(entry.rec);
      this.entries.delete(name);
      entry.end();
    });
  }

  async input(name: string, data: string): Promise<void> {
    const entry = await this.entry(name);
    this.requireConsole(entry);
    entry.bridge.write(data);
  }

  async transcript(name: string): Promise<string> {
    const entry = await this.entry(name);
    return fs.promises.readFile(entry.rec.files.transcript, 'utf8').catch(() => '');
  }

  async login(name: string, opts: { user?: string; command?: string; timeoutSeconds?: number; signal?: AbortSignal; cols?: number; rows?: number } = {}): Promise<VmLoginResult> {
    const entry = await this.entry(name);
    requireState(name, entry.machine.state, ['running'], 'log in to');
    this.requireConsole(entry);
    const ctrl = new AbortController();
    const o: Parameters<typeof loginAndRun>[1] = { user: opts.user ?? 'root', timeoutMs: opts.timeoutSeconds !== undefined ? opts.timeoutSeconds * 1000 : DEFAULT_LOGIN_TIMEOUT_MS, signal: ctrl.signal };
    if (opts.command) o.command = opts.command;
    if (opts.cols && opts.rows) o.size = { cols: opts.cols, rows: opts.rows };
    const onAbort = () => ctrl.abort(opts.signal?.reason);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    entry.logins.add(ctrl);
    try {
      return await loginAndRun(entry.consolePort(), o);
    } finally {
      entry.logins.delete(ctrl);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Cancel for *Log in as root*: every login waiting on this VM fails with VM_LOGIN_CANCELLED. */
  async loginCancel(name: string): Promise<{ cancelled: boolean }> {
    const entry = await this.entry(name);
    return { cancelled: entry.abortLogins(new LabError('VM_LOGIN_CANCELLED', `Stopped waiting to log in to ${name}: cancelled`)) > 0 };
  }

  /**
   * Every second: how long ago the console last said something and how much CPU the QEMU
   * process burns (its utime+stime from /proc/<pid>/stat, sampled), so a slow boot (CPU
   * busy, output now and then) is told from a hung one (CPU idle or output long gone).
   */
  async activity(name: string, emit: (a: VmActivity) => void, signal: AbortSignal, intervalMs = 1000): Promise<void> {
    const entry = await this.entry(name);
    let prev: { cpuSeconds: number; atMs: number; pid: number } | undefined;
    const sample = async (): Promise<VmActivity> => {
      const state = entry.deleted ? 'absent' : entry.machine.state;
      const a: VmActivity = { state };
      if (state !== 'starting' && state !== 'running' && state !== 'stopping') {
        prev = undefined;
        return a;
      }
      const last = entry.bridge.lastReceivedAt ?? (await transcriptWrittenAt(entry.rec.files.transcript));
      if (last !== undefined) a.lastOutputMsAgo = Math.max(0, Date.now() - last);
      const pid = entry.pid;
      if (pid !== undefined && process.platform === 'linux') {
        const st = parseProcStat(await fs.promises.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
        if (st) {
          const cur = { cpuSeconds: cpuSeconds(st), atMs: Date.now(), pid };
          a.cpuSeconds = Math.round(cur.cpuSeconds * 10) / 10;
          const pct = prev && prev.pid === pid ? cpuPercent(prev, cur) : undefined;
          if (pct !== undefined) a.cpuPercent = pct;
          prev = cur;
        }
      }
      return a;
    };
    let busy = false;
    const tick = async () => {
      if (busy || signal.aborted) return;
      busy = true;
      try {
        const a = await sample();
        if (!signal.aborted) emit(a);
      } finally {
        busy = false;
      }
    };
    await tick();
    const timer = setInterval(() => void tick(), intervalMs);
    await untilEnded(entry, signal, () => clearInterval(timer));
  }

  /** Snapshot, then changes and marks until the watcher leaves or the VM is deleted. */
  async watch(name: string, emit: (e: VmEvent) => void, signal: AbortSignal): Promise<void> {
    const entry = await this.entry(name);
    emit(entry.snapshot());
    await untilEnded(entry, signal, entry.watch(emit));
  }

  /** The ring buffer's screen, then live output, across restarts, until the VM is deleted. */
  async console(name: string, emit: (chunk: Buffer | string) => void, signal: AbortSignal): Promise<void> {
    const entry = await this.entry(name);
    if (!entry.owned) entry.bridge.loadScreen();
    const screen = entry.bridge.ring.contents();
    if (screen.length) emit(screen);
    if (entry.heldBy !== undefined && !entry.owned) {
      emit(`\r\n[ISO Lab: the console of ${name} is open in another ISO Lab process (pid ${entry.heldBy}); it shows here once that one lets go]\r\n`);
    }
    await untilEnded(entry, signal, entry.bridge.subscribe(emit));
  }

  /**
   * Takes the console of a running VM for this process (`isolab console`), unless another
   * live process holds it.
   */
  async attach(name: string): Promise<VmView> {
    const entry = await this.entry(name);
    if (entry.owned) return entry.view();
    requireState(name, entry.machine.state, ['running'], 'attach to');
    const owner = await readOwner(entry.rec.files.owner);
    if (this.heldElsewhere(owner)) {
      throw new LabError('VM_CONSOLE_ELSEWHERE', `The console of ${name} is open in another ISO Lab process (pid ${owner!.pid})`, 'close it there (in the app, or Ctrl-] in the terminal running isolab boot), then try again');
    }
    await this.adoptEntry(entry);
    if (!entry.owned) throw new LabError('VM_CONSOLE_ELSEWHERE', `The console of ${name} was just taken by another ISO Lab process (pid ${entry.heldBy})`, 'close it there, then try again');
    return entry.view();
  }

  /** Lets go of one VM's console (or all): they keep running; another process can take them. */
  async release(name?: string): Promise<void> {
    const targets = name ? [await this.entry(name)] : [...this.entries.values()];
    for (const entry of targets) {
      if (!entry.owned) continue;
      entry.unwatchDriver?.();
      entry.unwatchDriver = undefined;
      entry.bridge.close();
      entry.driver.release(entry.rec);
      entry.owned = false;
      await rmQuiet(entry.rec.files.owner);
      if (entry.machine.state === 'running') this.watchDriver(entry, false);
      entry.changed();
    }
  }

  /** For quitting when the user chose to stop the VMs this process runs. */
  async stopAll(opts: { force?: boolean; timeoutSeconds?: number } = {}): Promise<void> {
    const owned = [...this.entries.values()].filter((e) => e.owned && e.machine.state !== 'stopped');
    await Promise.all(owned.map((e) => this.stop(e.name, opts).catch(() => this.kill(e.name).catch(() => undefined))));
  }

  /** Stops following everything; VMs keep running. */
  async dispose(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.release();
    for (const e of this.entries.values()) {
      e.unwatchDriver?.();
      e.unwatchDriver = undefined;
    }
  }

  // ---------------------------------------------------------------- internals

  private async entry(name: string): Promise<VmEntry> {
    await this.init();
    let e = this.entries.get(name);
    if (!e) {
      await this.loadOne(name);
      e = this.entries.get(name);
    }
    if (!e) throw new LabError('VM_NOT_FOUND', `There is no VM called ${name}`, 'isolab vm ls lists the VMs there are');
    return e;
  }

  private requireConsole(entry: VmEntry): void {
    if (entry.owned && entry.bridge.connected) return;
    if (entry.heldBy !== undefined) {
      throw new LabError('VM_CONSOLE_ELSEWHERE', `The console of ${entry.name} is open in another ISO Lab process (pid ${entry.heldBy})`, 'use it there, or close it there first');
    }
    throw new LabError('VM_NOT_RUNNING', `The console of ${entry.name} is not connected: the VM is ${entry.machine.state}`, `start it: isolab vm start ${entry.name}`);
  }

  private async cancelStart(entry: VmEntry): Promise<void> {
    const s = entry.starting;
    if (!s) return;
    s.ctrl.abort();
    await s.done.catch(() => undefined);
  }

  private async scan(): Promise<void> {
    const names = await this.store.names();
    for (const name of names) if (!this.entries.has(name) && !this.reserved.has(name)) await this.loadOne(name);
  }

  private async loadOne(name: string): Promise<void> {
    if (this.entries.has(name)) return;
    const rec = await this.store.load(name);
    if (!rec) {
      await this.cleanOrphan(name);
      return;
    }
    const driver = this.drivers[rec.driver];
    const ds = await driverState(driver, rec);
    if (this.entries.has(name)) return;
    if (rec.deleting) {
      // A delete in progress elsewhere, or one that died after powering the VM off: not a VM any more.
      if (ds.state !== 'running') {
        await this.store.remove(rec).catch(() => undefined);
        return;
      }
      delete rec.deleting;
    }
    const entry = new VmEntry(rec, driver, ds.state === 'running' ? 'running' : ds.state === 'stopped' ? 'stopped' : 'error');
    this.entries.set(name, entry);
    if (ds.state === 'running') {
      entry.pid = ds.pid;
      await this.follow(entry);
      return;
    }
    if (ds.state === 'error') rec.error = { code: 'VM_HYPERVISOR_ERROR', message: ds.message, ...(ds.hint ? { hint: ds.hint } : {}) };
    if (ds.state === 'absent') {
      rec.error = { code: 'VBOX_NOT_FOUND', message: `VirtualBox has no VM ${rec.vbox?.name ?? name} any more`, hint: `delete ISO Lab's record of it: isolab vm rm ${name}` };
    }
    if (rec.expectRunning && ds.state !== 'error') {
      rec.expectRunning = false;
      rec.stopReason = (ds.state === 'stopped' && ds.reason) || 'it stopped while no ISO Lab process was watching';
      rec.stoppedAt = new Date().toISOString();
      await this.store.save(rec).catch(() => undefined);
    }
    // A live holder of a VM that is not running yet is starting it: its sockets are not leftovers.
    if (ds.state === 'stopped' && !this.heldElsewhere(await readOwner(rec.files.owner))) {
      await driver.cleanup(rec).catch(() => undefined);
      await rmQuiet(rec.files.owner);
    }
  }

  /**
   * A folder without a readable vm.json is a create that died half-way; one that is a minute
   * old is removed, with any QEMU still running from it.
   */
  private async cleanOrphan(name: string): Promise<void> {
    const dir = this.store.dir(name);
    const st = await fs.promises.stat(dir).catch(() => undefined);
    if (!st || Date.now() - st.mtimeMs < 60_000 || fs.existsSync(this.store.recordFile(name))) return;
    const files = this.store.files(name, 'qemu');
    const stub = { name, files } as VmRecord;
    await this.drivers.qemu.kill(stub).catch(() => undefined);
    await this.store.remove(stub).catch(() => undefined);
  }

  /** QEMU processes of VMs whose record is gone: stopped, their sockets removed. */
  private async killOrphans(): Promise<void> {
    for (const o of await findOrphanQemus(this.store.root).catch(() => [])) {
      try {
        process.kill(o.pid, 'SIGKILL');
      } catch {
        continue;
      }
      await waitForExit(o.pid, 2000);
      const name = path.basename(o.dir);
      const files = this.store.files(name, 'qemu');
      await rmQuiet(files.qmp, files.qmpCtl, files.serial, files.pidfile);
      if (!fs.existsSync(this.store.recordFile(name))) await this.store.remove({ name, files }).catch(() => undefined);
    }
  }

  private ownerAlive(owner: OwnerInfo): boolean {
    // A process on another machine (a shared data folder) cannot be checked: assume it lives.
    return owner.host !== this.me.host || pidAlive(owner.pid);
  }

  /** Another live manager (another process, or another instance here) holds the console. */
  private heldElsewhere(owner: OwnerInfo | undefined): owner is OwnerInfo {
    if (!owner || (owner.pid === this.me.pid && owner.instance === this.me.instance)) return false;
    return this.ownerAlive(owner);
  }

  /** A VM found running: take its console if nobody holds it (and this process adopts). */
  private async follow(entry: VmEntry): Promise<void> {
    const owner = await readOwner(entry.rec.files.owner);
    if (this.heldElsewhere(owner)) {
      entry.heldBy = owner.pid;
      this.watchDriver(entry, false);
      return;
    }
    if (this.opts.adopt === false) {
      entry.heldBy = undefined;
      this.watchDriver(entry, false);
      return;
    }
    await this.adoptEntry(entry);
  }

  private async adoptEntry(entry: VmEntry): Promise<void> {
    const claim = await claimOwner(entry.rec.files.owner, this.me, (o) => this.heldElsewhere(o));
    if (!claim.ok) {
      entry.heldBy = claim.holder.pid;
      this.watchDriver(entry, false);
      entry.changed();
      return;
    }
    // Screen and timeline before anything else: whoever sees the holder gone must also see the console.
    entry.owned = true;
    entry.resumeBoot();
    entry.heldBy = undefined;
    this.watchDriver(entry, true);
    await entry.bridge.attach(entry.driver.serialEndpoint(entry.rec), { timeoutMs: 3000 }).catch(() => undefined);
    entry.changed();
  }

  private watchDriver(entry: VmEntry, own: boolean): void {
    entry.unwatchDriver?.();
    entry.unwatchDriver = entry.driver.watch(entry.rec, (e) => void this.onDriverEvent(entry, e), own);
  }

  private async onDriverEvent(entry: VmEntry, e: DriverEvent): Promise<void> {
    if (entry.deleted) return;
    if (e.kind === 'reset') {
      entry.guestReset();
      return;
    }
    if (e.kind === 'stopped') {
      // A stop or kill in progress writes its own reason.
      if (entry.machine.state === 'stopping' || entry.machine.state === 'stopped') return;
      if (await this.deletedElsewhere(entry)) return;
      await this.markStopped(entry, e.reason, entry.owned);
      return;
    }
    const rec = entry.rec;
    rec.error = { code: 'VM_FAILED', message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    if (rec.driver === 'qemu' && rec.accel === 'kvm' && /internal-error/.test(e.message) && entry.owned && entry.driver.accelFailed) {
      // KVM passed the probe but failed this guest: remember, and boot it again under TCG.
      const driver = entry.driver;
      await entry.serialize(async () => {
        await driver.accelFailed!(rec, `KVM stopped a guest with an internal error`);
        await driver.kill(rec);
        await this.markStopped(entry, 'KVM failed on this host: restarting under TCG', true);
        await this.doStart(entry, undefined, rec.serialBoot !== undefined);
      }).catch(() => undefined);
      return;
    }
    if (entry.machine.state === 'running' || entry.machine.state === 'starting') entry.setState('error');
    if (entry.owned) await this.store.save(rec).catch(() => undefined);
  }

  /**
   * Another process (`isolab vm rm`) is deleting this VM: its record says so (written before
   * the power went) or is gone already. Then the VM is let go of as deleted; saving it as
   * stopped would write the record back into the folder being removed, and the VM would
   * reappear after "removed" was printed.
   */
  private async deletedElsewhere(entry: VmEntry): Promise<boolean> {
    const fresh = await this.store.load(entry.name);
    const gone = fresh ? fresh.deleting === true : !fs.existsSync(this.store.recordFile(entry.name));
    if (!gone) return false;
    entry.unwatchDriver?.();
    entry.unwatchDriver = undefined;
    entry.abortLogins(new LabError('VM_STOPPED', `${entry.name} was deleted while waiting to log in`));
    entry.bridge.close();
    entry.driver.release(entry.rec);
    entry.owned = false;
    this.entries.delete(entry.name);
    entry.end();
    return true;
  }

  private async markStopped(entry: VmEntry, reason: string, save: boolean): Promise<void> {
    if (entry.deleted || entry.machine.state === 'stopped') return;
    entry.abortLogins(new LabError('VM_STOPPED', `${entry.name} stopped while waiting to log in (${reason})`, `start it again: isolab vm start ${entry.name}`));
    entry.unwatchDriver?.();
    entry.unwatchDriver = undefined;
    entry.bridge.detach();
    const wasOwned = entry.owned;
    entry.owned = false;
    entry.heldBy = undefined;
    entry.pid = undefined;
    const rec = entry.rec;
    rec.stoppedAt = new Date().toISOString();
    rec.stopReason = reason;
    rec.expectRunning = false;
    if (save || wasOwned) await this.store.save(rec).catch(() => undefined);
    if (wasOwned) {
      entry.driver.release(rec);
      await rmQuiet(rec.files.owner);
    }
    await entry.driver.cleanup(rec).catch(() => undefined);
    entry.setState('stopped');
  }

  /** The app's background look at VMs other processes started, stopped, removed or let go of. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.scan();
      for (const entry of [...this.entries.values()]) {
        if (entry.owned || entry.starting || entry.deleted) continue;
        if (!fs.existsSync(this.store.recordFile(entry.name))) {
          entry.unwatchDriver?.();
          this.entries.delete(entry.name);
          entry.end();
          continue;
        }
        const state = entry.machine.state;
        if (state === 'running' && entry.heldBy !== undefined && !this.heldElsewhere(await readOwner(entry.rec.files.owner))) {
          await entry.serialize(() => this.follow(entry));
        } else if (state === 'stopped' && entry.rec.driver === 'qemu') {
          const fresh = await this.store.load(entry.name);
          if (fresh?.expectRunning) {
            const ds = await driverState(entry.driver, fresh);
            if (ds.state === 'running') {
              entry.rec = fresh;
              entry.pid = ds.pid;
              entry.setState('running');
              await entry.serialize(() => this.follow(entry));
            }
          }
        }
      }
    } catch {
      /* next sweep */
    } finally {
      this.sweeping = false;
    }
  }
}

/** A driver that cannot even be asked (VBoxManage gone) reports an error state, not a throw. */
async function driverState(driver: VmDriver, rec: VmRecord): Promise<DriverState> {
  try {
    return await driver.state(rec);
  } catch (err) {
    const shape = toErrorShape(err);
    return shape.hint ? { state: 'error', message: shape.message, hint: shape.hint } : { state: 'error', message: shape.message };
  }
}

function bootBanner(rec: VmRecord, t0: number): string {
  const time = new Date(t0).toTimeString().slice(0, 8);
  const how = rec.accel === 'vbox' ? 'VirtualBox' : rec.accel === 'kvm' ? 'QEMU, KVM' : 'QEMU, TCG: no hardware acceleration';
  const serial = rec.serialBoot ? `\r\n[ISO Lab: booting ${rec.serialBoot.kernel} directly with the serial console: ${rec.serialBoot.cmdline}]` : '';
  return `\x1b[2m[ISO Lab: ${rec.name} starting at ${time} (${how})]${serial}\x1b[0m\r\n`;
}

/** When the console transcript was last written, if it holds anything (for a console held elsewhere). */
async function transcriptWrittenAt(file: string): Promise<number | undefined> {
  const st = await fs.promises.stat(file).catch(() => undefined);
  return st && st.size > 0 ? st.mtimeMs : undefined;
}

function untilEnded(entry: VmEntry, signal: AbortSignal, unsubscribe: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let offEnd = () => {};
    const done = () => {
      unsubscribe();
      offEnd();
      signal.removeEventListener('abort', done);
      resolve();
    };
    if (signal.aborted || entry.deleted) return done();
    offEnd = entry.onEnd(done);
    signal.addEventListener('abort', done, { once: true });
  });
}
