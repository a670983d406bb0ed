import type { VmAccel, VmArch, VmDriverName } from '../../../shared/vm';
import type { IsoBootInfo } from './iso-arch';
import type { VmRecord, VmSpec } from './types';

/**
 * The one interface both hypervisors implement. The manager owns records, state, console
 * and timeline; a driver only knows how to make its hypervisor do each step and how to
 * tell what the hypervisor is doing.
 */

/** What a driver decided about a spec before anything is created. */
export interface DriverPlan {
  arch: VmArch;
  accel: VmAccel;
  /** Shown with the VM, e.g. "slow: no hardware acceleration (…)". */
  note?: string;
}

export type DriverState =
  | { state: 'running'; pid?: number; paused?: boolean }
  | { state: 'stopped'; reason?: string }
  /** The hypervisor has no such VM (VirtualBox registration gone). */
  | { state: 'absent' }
  | { state: 'error'; message: string; hint?: string };

export type DriverEvent =
  /** The hypervisor ended (or VirtualBox reports the VM off): `reason` for people. */
  | { kind: 'stopped'; reason: string }
  /** The guest reset itself (reboot): the boot starts over on the same console. */
  | { kind: 'reset' }
  /** The hypervisor is wedged (QEMU internal-error, VirtualBox guru meditation). */
  | { kind: 'failed'; message: string; hint?: string };

export interface StartOptions {
  /**
   * Called as soon as the serial endpoint exists; QEMU holds the guest until it returns
   * (`wait=on`), so whatever connects here sees the very first line.
   */
  attachSerial: (endpoint: string) => Promise<void>;
  /** Aborting makes start give up and leave nothing running. */
  signal?: AbortSignal;
}

export interface StartedVm {
  pid?: number;
  startedAt: Date;
}

export interface StopOptions {
  /** Power off at once. */
  force?: boolean;
  /** How long the guest gets after the ACPI power button. */
  timeoutMs: number;
}

export interface StopOutcome {
  /** 'acpi': the guest powered itself off; 'poweroff': it was cut after the timeout (or forced). */
  how: 'acpi' | 'poweroff' | 'already';
}

export interface VmDriver {
  readonly kind: VmDriverName;
  /** Refuses what this hypervisor cannot run (LabError with a hint); no side effects. */
  plan(spec: VmSpec, boot: IsoBootInfo): Promise<DriverPlan>;
  /** Disk image and hypervisor registration; undoes its own partial work when it fails. */
  create(vm: VmRecord): Promise<Partial<VmRecord>>;
  start(vm: VmRecord, opts: StartOptions): Promise<StartedVm>;
  stop(vm: VmRecord, opts: StopOptions): Promise<StopOutcome>;
  kill(vm: VmRecord): Promise<void>;
  /** Removes the hypervisor's side (registration, leftovers); the manager removes the folder. */
  delete(vm: VmRecord): Promise<void>;
  state(vm: VmRecord): Promise<DriverState>;
  serialEndpoint(vm: VmRecord): string;
  /**
   * Follows a running VM; `listener` hears when it stops, resets or fails. `own` is true
   * in the process that holds the console (it may keep connections to the hypervisor).
   */
  watch(vm: VmRecord, listener: (e: DriverEvent) => void, own: boolean): () => void;
  /** Leftovers of a VM that is not running (stale sockets, pidfile) are removed. */
  cleanup(vm: VmRecord): Promise<void>;
  /** Lets go of this process's connections; the VM keeps running. */
  release(vm: VmRecord): void;
  /** The accelerator failed a running guest: later starts must not choose it. */
  accelFailed?(vm: VmRecord, detail: string): Promise<void>;
}
