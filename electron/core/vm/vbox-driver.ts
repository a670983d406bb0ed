import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import { checkVirtualBox } from '../doctor/virtualbox';
import type { DriverEvent, DriverPlan, DriverState, StartOptions, StartedVm, StopOptions, StopOutcome, VmDriver } from './driver';
import type { IsoBootInfo } from './iso-arch';
import { rmQuiet, sleep } from './process';
import { execRunner, VBoxManage, type VBoxRunner } from './vboxmanage';
import { parseShowVmInfo, parseUuid, vboxStateToVmState } from './vbox-parse';
import type { VmRecord, VmSpec } from './types';

export interface VBoxDriverOptions {
  env: NodeJS.ProcessEnv;
  /** Replaces the real VBoxManage (tests record the argv). */
  runner?: VBoxRunner;
  platform?: NodeJS.Platform;
  /** How often stop and watch ask VirtualBox for the state. */
  pollMs?: number;
  hostCpus?: number;
}

/** The VirtualBox name of an ISO Lab VM: prefixed, so it never collides with the user's own VMs. */
export function vboxName(name: string): string {
  return `isolab-${name}`;
}

/**
 * VirtualBox through VBoxManage, following minikube's driver (createvm, modifyvm with its
 * BIOS and CPU flags, a SATA controller, the ISO as DVD and boot1 dvd, NAT on nic1) plus
 * what minikube leaves out: the first serial port as a host socket (`--uartmode1 server`),
 * a disk from `createmedium`, and ACPI power-off with a timeout.
 */
export class VBoxDriver implements VmDriver {
  readonly kind = 'virtualbox' as const;
  private vbm: VBoxManage | undefined;
  private readonly platform: NodeJS.Platform;
  private readonly pollMs: number;

  constructor(private readonly opts: VBoxDriverOptions) {
    this.platform = opts.platform ?? process.platform;
    this.pollMs = opts.pollMs ?? 1000;
    if (opts.runner) this.vbm = new VBoxManage(opts.runner, 1);
  }

  private async manage(): Promise<VBoxManage> {
    if (this.vbm) return this.vbm;
    const st = await checkVirtualBox({ env: this.opts.env, platform: this.platform });
    if (!st.path || (st.error && st.error.code !== 'VIRTUALBOX_DRIVER')) {
      throw new LabError(st.error?.code ?? 'VIRTUALBOX_MISSING', st.error?.message ?? 'VBoxManage was not found', st.error?.hint);
    }
    this.vbm = new VBoxManage(execRunner(st.path, this.opts.env));
    return this.vbm;
  }

  async plan(spec: VmSpec, boot: IsoBootInfo): Promise<DriverPlan> {
    await this.manage();
    if (boot.arch !== 'x86_64') {
      throw new LabError('VM_ARCH_UNSUPPORTED', `${path.basename(spec.iso)} is an ${boot.arch} ISO; ISO Lab's VirtualBox VMs are x86_64`, 'use the QEMU driver: --driver qemu');
    }
    const hostCpus = this.opts.hostCpus ?? os.cpus().length;
    if (spec.cpus > hostCpus) {
      throw new LabError('VM_TOO_MANY_CPUS', `VirtualBox cannot give a VM ${spec.cpus} CPUs on a host with ${hostCpus}`, `use at most ${hostCpus}`);
    }
    return { arch: 'x86_64', accel: 'vbox' };
  }

  serialEndpoint(vm: VmRecord): string {
    // VirtualBox on Windows serves the port on a named pipe, elsewhere on a unix socket.
    return this.platform === 'win32' ? `\\\\.\\pipe\\isolab-${vm.name}` : vm.files.serial;
  }

  /** The argv of each step, in order; exported for the tests through `createCommands`. */
  createCommands(vm: VmRecord, uuid: string): string[][] {
    const { cpus, memoryMb } = vm.spec;
    return [
      [
        'modifyvm', uuid,
        '--firmware', vm.efiOnly ? 'efi' : 'bios',
        '--bioslogofadein', 'off', '--bioslogofadeout', 'off', '--bioslogodisplaytime', '0', '--biosbootmenu', 'disabled',
        '--ostype', 'Linux26_64',
        '--cpus', String(cpus), '--memory', String(memoryMb),
        '--acpi', 'on', '--ioapic', 'on', '--rtcuseutc', 'on', '--pae', 'on', '--hpet', 'on',
        '--hwvirtex', 'on', '--nestedpaging', 'on',
        '--boot1', 'dvd', '--boot2', 'disk', '--boot3', 'none', '--boot4', 'none',
        '--nic1', 'nat', '--nictype1', 'virtio', '--cableconnected1', 'on',
        '--uart1', '0x3F8', '4', '--uartmode1', 'server', this.serialEndpoint(vm),
      ],
      ['storagectl', uuid, '--name', 'SATA', '--add', 'sata', '--controller', 'IntelAhci', '--portcount', '2', '--bootable', 'on', '--hostiocache', 'on'],
      ['storageattach', uuid, '--storagectl', 'SATA', '--port', '0', '--device', '0', '--type', 'dvddrive', '--medium', vm.spec.iso],
    ];
  }

  async create(vm: VmRecord): Promise<Partial<VmRecord>> {
    const vbm = await this.manage();
    const name = vboxName(vm.name);
    let uuid: string | undefined;
    let diskMade = false;
    try {
      const out = await vbm.run(['createvm', '--name', name, '--basefolder', vm.files.dir, '--register']);
      uuid = parseUuid(out);
      if (!uuid) throw new LabError('VBOX_FAILED', `VBoxManage createvm printed no UUID: ${out.trim().slice(0, 200)}`);
      for (const args of this.createCommands(vm, uuid)) await vbm.run(args);
      await vbm.run(['createmedium', 'disk', '--filename', vm.files.disk, '--size', String(vm.spec.diskMb), '--format', 'VDI']);
      diskMade = true;
      await vbm.run(['storageattach', uuid, '--storagectl', 'SATA', '--port', '1', '--device', '0', '--type', 'hdd', '--medium', vm.files.disk]);
      return { vbox: { name, uuid } };
    } catch (err) {
      // Leave no half-made VM registered: unregistervm --delete also deletes attached disks.
      if (uuid) await vbm.run(['unregistervm', uuid, '--delete']).catch(() => undefined);
      if (diskMade && fs.existsSync(vm.files.disk)) await vbm.run(['closemedium', 'disk', vm.files.disk, '--delete']).catch(() => undefined);
      await this.forgetIso(vm);
      throw err;
    }
  }

  private id(vm: VmRecord): string {
    return vm.vbox?.uuid ?? vm.vbox?.name ?? vboxName(vm.name);
  }

  private async info(vm: VmRecord) {
    const out = await (await this.manage()).runMaybeMissing(['showvminfo', this.id(vm), '--machinereadable']);
    return out === undefined ? undefined : parseShowVmInfo(out);
  }

  async state(vm: VmRecord): Promise<DriverState> {
    const info = await this.info(vm);
    if (!info) return { state: 'absent' };
    const s = vboxStateToVmState(info.vmState);
    if (s === 'running' || s === 'starting' || s === 'stopping') return info.vmState === 'paused' ? { state: 'running', paused: true } : { state: 'running' };
    if (s === 'error') return { state: 'error', message: `VirtualBox reports the VM in state ${info.vmState}`, hint: 'power it off (isolab vm stop --force) and look at VBox.log in the VM folder' };
    const st: DriverState = { state: 'stopped' };
    if (info.vmState === 'aborted') st.reason = 'VirtualBox reports the VM aborted (its process ended)';
    return st;
  }

  async start(vm: VmRecord, opts: StartOptions): Promise<StartedVm> {
    const vbm = await this.manage();
    const info = await this.info(vm);
    if (!info) throw new LabError('VBOX_NOT_FOUND', `VirtualBox has no VM ${vboxName(vm.name)} any more`, `delete it (isolab vm rm ${vm.name}) and create it again`);
    await this.cleanup(vm);
    try {
      if (info.vmState === 'paused') await vbm.run(['controlvm', this.id(vm), 'resume', '--type', 'headless']);
      else await vbm.run(['startvm', this.id(vm), '--type', 'headless']);
    } catch (err) {
      const said = await this.vboxLogTail(vm);
      if (err instanceof LabError && said) throw new LabError(err.code, `${err.message} (VBox.log: ${said})`, err.hint);
      throw err;
    }
    try {
      // The socket appears when the VM process powers on the UART, a moment after startvm returns.
      await opts.attachSerial(this.serialEndpoint(vm));
    } catch (err) {
      await vbm.run(['controlvm', this.id(vm), 'poweroff']).catch(() => undefined);
      throw err;
    }
    return { startedAt: new Date() };
  }

  async stop(vm: VmRecord, opts: StopOptions): Promise<StopOutcome> {
    const vbm = await this.manage();
    const first = await this.state(vm);
    if (first.state !== 'running') return { how: 'already' };
    if (!opts.force) {
      if (first.paused) await vbm.run(['controlvm', this.id(vm), 'resume']).catch(() => undefined);
      // The guest may ignore the button (no ACPI handling yet, still in the bootloader).
      const pressed = await vbm.run(['controlvm', this.id(vm), 'acpipowerbutton']).then(() => true, () => false);
      const deadline = Date.now() + opts.timeoutMs;
      while (pressed && Date.now() < deadline) {
        await sleep(Math.min(this.pollMs, Math.max(0, deadline - Date.now())));
        if ((await this.state(vm)).state !== 'running') {
          await this.cleanup(vm);
          return { how: 'acpi' };
        }
      }
    }
    await vbm.run(['controlvm', this.id(vm), 'poweroff']).catch((err: unknown) => {
      if (!(err instanceof LabError && err.code === 'VBOX_NOT_RUNNING')) throw err;
    });
    await this.cleanup(vm);
    return { how: 'poweroff' };
  }

  async kill(vm: VmRecord): Promise<void> {
    const vbm = await this.manage();
    await vbm.run(['controlvm', this.id(vm), 'poweroff']).catch((err: unknown) => {
      if (!(err instanceof LabError && (err.code === 'VBOX_NOT_RUNNING' || err.code === 'VBOX_NOT_FOUND'))) throw err;
    });
    await this.cleanup(vm);
  }

  async delete(vm: VmRecord): Promise<void> {
    const vbm = await this.manage();
    const st = await this.state(vm);
    if (st.state === 'absent') {
      await this.forgetIso(vm);
      return;
    }
    if (st.state === 'running' || st.state === 'error') await this.kill(vm);
    // A VM that just powered off stays locked for a moment: "not ready" is retried by the runner.
    await vbm.run(['unregistervm', this.id(vm), '--delete']);
    await this.forgetIso(vm);
  }

  /**
   * Attaching the ISO registered it in VirtualBox's media registry; unregistervm only
   * detaches it. Forgetting it fails harmlessly while another VM still uses it.
   */
  private async forgetIso(vm: VmRecord): Promise<void> {
    await (await this.manage()).run(['closemedium', 'dvd', vm.spec.iso]).catch(() => undefined);
  }

  watch(vm: VmRecord, listener: (e: DriverEvent) => void): () => void {
    let ended = false;
    let busy = false;
    const tick = async () => {
      if (ended || busy) return;
      busy = true;
      try {
        const st = await this.state(vm);
        if (ended) return;
        if (st.state === 'stopped' || st.state === 'absent') {
          ended = true;
          clearInterval(timer);
          listener({ kind: 'stopped', reason: st.state === 'stopped' && st.reason ? st.reason : st.state === 'absent' ? 'the VM was removed from VirtualBox' : 'the VM powered off' });
        } else if (st.state === 'error') {
          listener({ kind: 'failed', message: st.message, ...(st.hint ? { hint: st.hint } : {}) });
        }
      } catch {
        /* VirtualBox busy: next tick */
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), this.pollMs);
    timer.unref?.();
    return () => {
      ended = true;
      clearInterval(timer);
    };
  }

  release(): void {
    /* VBoxManage keeps no connection */
  }

  async cleanup(vm: VmRecord): Promise<void> {
    if (this.platform !== 'win32') await rmQuiet(vm.files.serial);
  }

  private async vboxLogTail(vm: VmRecord): Promise<string | undefined> {
    const log = path.join(vm.files.dir, vboxName(vm.name), 'Logs', 'VBox.log');
    const text = await fs.promises.readFile(log, 'utf8').catch(() => '');
    return text.trim().split('\n').pop()?.trim().slice(0, 300) || undefined;
  }
}
