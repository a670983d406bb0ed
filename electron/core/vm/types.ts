import { z } from 'zod';
import { LabError, LabErrorShape } from '../../../shared/errors';
import { VmAccel, VmArch, VmDriverName, VmSpec, type VmState } from '../../../shared/vm';

export type { VmSpec, VmState, VmView } from '../../../shared/vm';

/** Where a VM's files are; absolute, recorded in vm.json so a later process finds the same sockets. */
export const VmFiles = z.object({
  dir: z.string(),
  /** QEMU: the socket the owning process keeps connected (events). */
  qmp: z.string(),
  /** QEMU: a second monitor for short commands from other processes (`isolab vm stop` while the app runs it). */
  qmpCtl: z.string(),
  serial: z.string(),
  /** QEMU: the display as VNC on a unix socket (VMs created before the screen view have none). */
  vnc: z.string().optional(),
  pidfile: z.string(),
  disk: z.string(),
  /** The console of the current boot, as received. */
  transcript: z.string(),
  /** QEMU's stderr: the reason when it refuses to start or dies. */
  log: z.string(),
  /** pid of the process that holds the serial console and QMP connection. */
  owner: z.string(),
});
export type VmFiles = z.infer<typeof VmFiles>;

/** vm.json: what a VM is. Its state is not stored as truth: it is asked from the hypervisor. */
export const VmRecord = z.object({
  version: z.literal(1),
  name: z.string(),
  driver: VmDriverName,
  spec: VmSpec,
  arch: VmArch,
  accel: VmAccel,
  /** The ISO boots only through UEFI: QEMU gets firmware for it. */
  efiOnly: z.boolean().optional(),
  note: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  stoppedAt: z.string().optional(),
  stopReason: z.string().optional(),
  error: LabErrorShape.optional(),
  /** True from start until a stop is seen: a VM found dead with this set stopped while nobody watched. */
  expectRunning: z.boolean().optional(),
  /**
   * Written by the process deleting the VM before it powers it off: the process holding the
   * console then sees the VM go as deleted, instead of saving it back as stopped.
   */
  deleting: z.boolean().optional(),
  files: VmFiles,
  vbox: z.object({ name: z.string(), uuid: z.string().optional() }).optional(),
  /**
   * Started with *Boot with the serial console*: QEMU boots these host copies of the ISO's
   * kernel and initrd directly, with `cmdline`. Cleared by a normal start.
   */
  serialBoot: z
    .object({
      label: z.string(),
      kernel: z.string(),
      initrd: z.array(z.string()),
      cmdline: z.string(),
      files: z.object({ kernel: z.string(), initrd: z.string().optional() }),
    })
    .optional(),
});
export type VmRecord = z.infer<typeof VmRecord>;

/**
 * The allowed moves. `stopped → running` and `error → running` exist for a VM found already
 * running (adopted after an app restart, or started by another process).
 */
const TRANSITIONS: Record<VmState, readonly VmState[]> = {
  absent: ['stopped'],
  stopped: ['starting', 'running', 'absent', 'error'],
  starting: ['running', 'stopped', 'error', 'stopping'],
  running: ['stopping', 'stopped', 'error', 'starting'],
  stopping: ['stopped', 'error', 'running'],
  error: ['starting', 'stopped', 'running', 'absent'],
};

export function canTransition(from: VmState, to: VmState): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** Holds one VM's state and refuses moves that would mean a bookkeeping bug. */
export class VmStateMachine {
  constructor(private current: VmState = 'absent') {}

  get state(): VmState {
    return this.current;
  }

  /** Returns whether the state changed. */
  to(next: VmState): boolean {
    if (!canTransition(this.current, next)) {
      throw new LabError('VM_BAD_TRANSITION', `A VM cannot go from ${this.current} to ${next}`, 'this is a bug in ISO Lab; run "isolab vm ls" to see the real state');
    }
    const changed = next !== this.current;
    this.current = next;
    return changed;
  }
}

/** Which requests make sense in which state, with the message people see otherwise. */
export function requireState(name: string, state: VmState, allowed: readonly VmState[], action: string): void {
  if (allowed.includes(state)) return;
  const hints: Partial<Record<VmState, string>> = {
    running: `stop it first: isolab vm stop ${name}`,
    starting: 'wait until it runs, or stop it',
    stopping: 'wait until it has stopped',
    stopped: `start it: isolab vm start ${name}`,
    absent: 'isolab vm ls lists the VMs there are',
  };
  throw new LabError('VM_WRONG_STATE', `Cannot ${action} VM ${name}: it is ${state}`, hints[state]);
}
