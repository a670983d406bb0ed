import { z } from 'zod';
import { LabErrorShape } from './errors';

/**
 * The VM contract: VMs booting an ISO under QEMU or VirtualBox, their serial console and a
 * boot timeline. A VM belongs to the lab core, not to a window: a reload re-attaches to
 * the console and gets the screen back from the core's ring buffer.
 */

/** Absolute, like every host path in the contract: the core shares no cwd with the UI. */
const AbsPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path');

/** Safe as a folder name, a VirtualBox name and a process-list search term. */
export const VM_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const VmName = z.string().regex(VM_NAME_RE, 'must be 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit');

export const VmDriverName = z.enum(['qemu', 'virtualbox']);
export type VmDriverName = z.infer<typeof VmDriverName>;

/**
 * absent: no such VM (after delete) · stopped: defined, not running · starting: the
 * hypervisor is coming up (QEMU: the process exists but the serial console is not bridged
 * yet) · running · stopping: asked to power off, waiting · error: the last start failed or
 * the hypervisor misbehaves; `error` says why.
 */
export const VmState = z.enum(['absent', 'stopped', 'starting', 'running', 'stopping', 'error']);
export type VmState = z.infer<typeof VmState>;

export const VmAccel = z.enum(['kvm', 'tcg', 'vbox']);
export type VmAccel = z.infer<typeof VmAccel>;
export const VmArch = z.enum(['x86_64', 'aarch64']);
export type VmArch = z.infer<typeof VmArch>;

export const VmSpec = z.object({
  iso: z.string(),
  cpus: z.number().int(),
  memoryMb: z.number().int(),
  diskMb: z.number().int(),
});
export type VmSpec = z.infer<typeof VmSpec>;

export const VmView = z.object({
  name: z.string(),
  driver: VmDriverName,
  state: VmState,
  spec: VmSpec,
  arch: VmArch,
  accel: VmAccel,
  /** For people, e.g. "slow: no hardware acceleration (/dev/kvm does not exist)". */
  note: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  stoppedAt: z.string().optional(),
  /** Why it last stopped: "powered off by ISO Lab", "the qemu process was killed (SIGKILL)" … */
  stopReason: z.string().optional(),
  error: LabErrorShape.optional(),
  /** The hypervisor process (QEMU) while it runs. */
  pid: z.number().int().optional(),
  /** The serial console's host end: a unix socket, or a named pipe on Windows. */
  serial: z.string(),
  /** The VM's folder: vm.json, disk, console transcript. */
  dir: z.string(),
  /**
   * Another ISO Lab process (e.g. `isolab boot` in a terminal) holds the console; this one
   * shows it once that process detaches.
   */
  consoleHeldBy: z.number().int().optional(),
  /**
   * The current (or last) boot was *Boot with the serial console*: QEMU started the ISO's
   * own kernel and initrd directly with this command line (console=ttyS0 added).
   */
  serialBoot: z.object({ label: z.string(), kernel: z.string(), initrd: z.array(z.string()), cmdline: z.string() }).optional(),
});
export type VmView = z.infer<typeof VmView>;

export const TimelineMarkId = z.enum(['start', 'firmware', 'bootloader', 'kernel', 'init', 'login', 'reset']);
export type TimelineMarkId = z.infer<typeof TimelineMarkId>;

/** A boot milestone seen on the console, `atMs` after the hypervisor started. */
export const TimelineMark = z.object({
  id: TimelineMarkId,
  label: z.string(),
  atMs: z.number(),
  /** ISO 8601 */
  at: z.string(),
  /** The console line that gave it away (trimmed, ≤ 200 chars). */
  text: z.string().optional(),
});
export type TimelineMark = z.infer<typeof TimelineMark>;

/**
 * `vm.watch`: first a snapshot, then `state` on every change of the view and `mark` for
 * each new milestone. When the VM is deleted a last `state` with state `absent` comes and
 * the stream ends. A new start clears the timeline (a snapshot with the fresh one follows).
 */
export const VmEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('snapshot'), vm: VmView, timeline: z.array(TimelineMark) }),
  z.object({ kind: z.literal('state'), vm: VmView }),
  z.object({ kind: z.literal('mark'), mark: TimelineMark }),
]);
export type VmEvent = z.infer<typeof VmEvent>;

// Numbers are only loosely bounded here: the core refuses bad values with a message and a hint.
const Count = z.number().int().min(-1_000_000).max(100_000_000);

export const VmCreateArgs = z
  .object({
    name: VmName.optional(),
    iso: AbsPath,
    driver: VmDriverName.optional(),
    cpus: Count.optional(),
    memoryMb: Count.optional(),
    diskMb: Count.optional(),
  })
  .strict();
export type VmCreateArgs = z.infer<typeof VmCreateArgs>;

export const VmNameArgs = z.object({ name: VmName }).strict();
export const VmStartArgs = z
  .object({
    name: VmName,
    /**
     * Boot with the serial console: the ISO's default boot entry's kernel and initrd,
     * booted by QEMU directly with that entry's command line plus console=ttyS0. QEMU only.
     */
    serialConsole: z.boolean().optional(),
  })
  .strict();
export const VmStopArgs = z
  .object({
    name: VmName,
    /** Power off at once, without the ACPI power button first. */
    force: z.boolean().optional(),
    /** How long the guest gets to power off after the ACPI button (default 20 s). */
    timeoutSeconds: z.number().min(0).max(600).optional(),
  })
  .strict();
export const VmInputArgs = z.object({ name: VmName, data: z.string().max(65536) }).strict();

export const VmLoginArgs = z
  .object({
    name: VmName,
    user: z.literal('root').default('root'),
    /** Run after logging in; its output and exit status come back. */
    command: z.string().min(1).max(8192).optional(),
    /** For the login prompt, and again for the command (default 120 s). */
    timeoutSeconds: z.number().min(0.1).max(3600).optional(),
    /** The console's size: typed as `stty cols C rows R` once logged in (a serial line carries no size). */
    cols: z.number().int().min(2).max(1000).optional(),
    rows: z.number().int().min(2).max(1000).optional(),
  })
  .strict();
export const VmLoginResult = z.object({
  loggedIn: z.boolean(),
  output: z.string().optional(),
  exitCode: z.number().int().optional(),
});
export type VmLoginResult = z.infer<typeof VmLoginResult>;

export const MinikubeCommand = z.object({
  command: z.string(),
  fileUrl: z.string(),
  minikubeOnPath: z.boolean(),
  minikubePath: z.string().optional(),
});
export type MinikubeCommand = z.infer<typeof MinikubeCommand>;

/** A boot entry of the ISO's bootloader config, and what its command line makes the serial console show. */
export const VmBootEntry = z.object({
  /** The config file in the ISO, e.g. /isolinux/isolinux.cfg. */
  config: z.string(),
  loader: z.enum(['syslinux', 'grub']),
  label: z.string(),
  kernel: z.string().optional(),
  initrd: z.array(z.string()),
  cmdline: z.string(),
  serialConsole: z.boolean(),
  /** For people: "No serial console (console=ttyS0): …", "loglevel=3: the kernel stays quiet; …". */
  notes: z.array(z.string()),
});
export type VmBootEntry = z.infer<typeof VmBootEntry>;

/** `vm.bootInfo`: read before booting, from the ISO's boot config (nothing is started). */
export const VmBootInfo = z.object({
  iso: z.string(),
  /** The entry the bootloader boots on its own (DEFAULT / set default), for the firmware the VM uses. */
  entry: VmBootEntry.optional(),
  /** Every entry found, in the order of the configs the firmware reads. */
  entries: z.array(VmBootEntry),
  /** Why nothing can be said (no isolinux/syslinux or GRUB config found). */
  unknown: z.string().optional(),
  /** *Boot with the serial console* is offered: the entry lacks console=ttyS0 and its kernel is in the ISO. */
  serialBoot: z.object({ offered: z.boolean(), cmdline: z.string().optional(), why: z.string().optional() }),
});
export type VmBootInfo = z.infer<typeof VmBootInfo>;

/**
 * `vm.activity`: every second while subscribed, so slow is told from hung. Ages are
 * computed by the core, so the browser's clock does not matter.
 */
export const VmActivity = z.object({
  state: VmState,
  /** ms since the serial console last received anything this boot; absent before the first byte. */
  lastOutputMsAgo: z.number().optional(),
  /** The hypervisor process's CPU use since the previous sample, in % of one host core (QEMU only). */
  cpuPercent: z.number().optional(),
  /** CPU seconds the hypervisor process used so far (user + system, /proc/<pid>/stat). */
  cpuSeconds: z.number().optional(),
});
export type VmActivity = z.infer<typeof VmActivity>;

const IsoArgs = z.object({ iso: AbsPath }).strict();

/** Channels of "boots that explain themselves", spread into the contract. */
export const vmExplainRequests = {
  /** What the console will show when this ISO boots, read from its boot config. */
  'vm.bootInfo': { args: IsoArgs, result: VmBootInfo },
  /** Stops a *Log in as root* waiting on this VM (it then fails with VM_LOGIN_CANCELLED). */
  'vm.loginCancel': { args: VmNameArgs, result: z.object({ cancelled: z.boolean() }) },
} as const;

export const vmExplainEvents = {
  /** Last output and CPU use of a VM, every second, until unsubscribed or the VM is deleted. */
  'vm.activity': { kind: 'json', args: VmNameArgs, data: VmActivity },
} as const;
