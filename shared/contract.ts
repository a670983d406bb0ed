import { z } from 'zod';
import {
  BuildEvent,
  BuildId,
  BuildRecord,
  BuildRequest,
  buildRequests,
  CustomRecipe,
  Arch,
  LogLinesArgs,
  LogLinesResult,
  PreflightResult,
  RecipesResult,
} from './build';
import { DoctorReport } from './doctor';
import { EntryView, ExtractProgress, HostEntry, ImageInfo, IndexProgress, KernelCard } from './image';
import { diffEvents, diffRequests } from './diff';
import { remasterEvents, remasterRequests } from './remaster';
import { sampleRequests } from './sample';
import { screenEvents, screenRequests } from './screen';
import { HostPath, InImage, None } from './schemas';
import { RecentItem, SettingsPatch, SettingsState, storageRequests } from './settings';
import { shellEvents, shellRequests } from './shell';
import { sizeMapRequests } from './size-map';
import { MinikubeCommand, VmCreateArgs, VmEvent, VmInputArgs, VmLoginArgs, VmLoginResult, VmNameArgs, VmStartArgs, VmStopArgs, VmView, vmExplainEvents, vmExplainRequests } from './vm';

/**
 * The whole surface between the UI and the lab core. Both transports (Electron IPC and
 * the WebSocket of `isolab serve`) carry exactly these channels, so adding a capability
 * means adding an entry here and a handler on the core side; nothing else changes.
 */


export const LabInfo = z.object({
  name: z.string(),
  version: z.string(),
  configDir: z.string(),
  dataDir: z.string(),
  platform: z.string(),
});
export type LabInfo = z.infer<typeof LabInfo>;

export const requests = {
  'lab.info': { args: None, result: LabInfo },
  'lab.doctor': { args: None, result: DoctorReport },
  'settings.get': { args: None, result: SettingsState },
  'settings.update': { args: SettingsPatch, result: SettingsState },
  'recent.list': { args: None, result: z.array(RecentItem) },
  'recent.add': {
    args: z.object({ kind: RecentItem.shape.kind, path: HostPath }).strict(),
    result: z.array(RecentItem),
  },
  'recent.clear': { args: None, result: z.array(RecentItem) },
  'image.info': { args: z.object({ file: HostPath }).strict(), result: ImageInfo },
  'image.list': {
    args: z.object(InImage).strict(),
    result: z.object({ path: z.string(), entries: z.array(EntryView) }),
  },
  'image.stat': { args: z.object(InImage).strict(), result: EntryView },
  'image.read': {
    args: z.object({ ...InImage, offset: z.number().int().min(0), length: z.number().int().min(0).max(1 << 20) }).strict(),
    result: z.object({ offset: z.number(), size: z.number(), base64: z.string() }),
  },
  'image.kernel': { args: z.object(InImage).strict(), result: KernelCard },
  'image.find': {
    args: z.object({ ...InImage, query: z.string().min(1).max(256), limit: z.number().int().min(1).max(5000).default(500) }).strict(),
    /** `unindexed`: archives below that were not searched because they are not opened yet. */
    result: z.object({ entries: z.array(EntryView), truncated: z.boolean(), unindexed: z.array(z.string()).default([]) }),
  },
  'image.resolve': { args: z.object(InImage).strict(), result: EntryView },
  'host.list': {
    args: z.object({ path: HostPath.optional() }).strict().default({}),
    result: z.object({ path: z.string(), parent: z.string().optional(), home: z.string(), entries: z.array(HostEntry) }),
  },
  /** The recipes for a checkout, with what `auto` picks there and why. */
  'build.recipes': {
    args: z.object({ checkout: HostPath, arch: Arch.optional(), custom: CustomRecipe.optional() }).strict(),
    result: RecipesResult,
  },
  'build.preflight': { args: BuildRequest, result: PreflightResult },
  /** Runs the pre-flight and refuses (LabError) when it finds errors; the build then runs as a job of the core. */
  'build.start': { args: BuildRequest, result: z.object({ buildId: BuildId }) },
  'build.cancel': { args: z.object({ buildId: BuildId }).strict(), result: BuildRecord },
  /** Newest first. */
  'build.history': { args: None, result: z.array(BuildRecord) },
  'build.get': { args: z.object({ buildId: BuildId }).strict(), result: BuildRecord },
  /** Lines of a log file (0-based `from`), for old builds and for scrolling back past what the UI keeps. */
  'build.logLines': { args: LogLinesArgs, result: LogLinesResult },
  /** Builds this process runs, i.e. what quitting it would cancel. */
  'build.running': { args: None, result: z.array(BuildRecord) },
  /** Every VM in the data folder with its live state. */
  'vm.list': { args: None, result: z.array(VmView) },
  /** Refuses a bad spec (LabError with a hint) before anything is written; defaults come from settings.vm. */
  'vm.create': { args: VmCreateArgs, result: VmView },
  /** Resolves once the console is bridged and the guest runs (the boot goes on; follow vm.watch). */
  'vm.start': { args: VmStartArgs, result: VmView },
  /** ACPI power button, then power off after `timeoutSeconds`; `force` powers off at once. */
  'vm.stop': { args: VmStopArgs, result: VmView },
  'vm.kill': { args: VmNameArgs, result: VmView },
  /** Stops it first; removes its folder and any VirtualBox registration. */
  'vm.delete': { args: VmNameArgs, result: None },
  /** Keystrokes for the serial console (UTF-8). */
  'vm.input': { args: VmInputArgs, result: None },
  /** The console transcript of the current (or last) boot, as kept on disk. */
  'vm.transcript': { args: VmNameArgs, result: z.object({ text: z.string() }) },
  /** Waits for `login:`, types the user, optionally runs a command and returns its output and status. */
  'vm.login': { args: VmLoginArgs, result: VmLoginResult },
  /** `minikube start --iso-url=file://…` for this ISO, and whether minikube is on PATH. */
  'vm.minikubeCommand': { args: z.object({ iso: HostPath }).strict(), result: MinikubeCommand },
  ...buildRequests,
  ...storageRequests,
  ...shellRequests,
  ...diffRequests,
  ...sizeMapRequests,
  ...sampleRequests,
  ...remasterRequests,
  ...vmExplainRequests,
  ...screenRequests,
} as const;

/**
 * Streams from the core to the UI. `kind: 'json'` events are batched as arrays of values;
 * `kind: 'text'` events carry UTF-8 text, merged into one string per flush.
 */
export const events = {
  'lab.status': {
    kind: 'json',
    args: z.object({ intervalSeconds: z.number().int().min(1).max(3600).optional() }).strict().default({}),
    data: DoctorReport,
  },
  /** Opens (indexes) the archive at `path`, with progress; unsubscribing cancels. */
  'image.index': { kind: 'json', args: z.object(InImage).strict(), data: IndexProgress },
  /** Writes a file or subtree under `dest`; unsubscribing cancels. */
  'image.extract': {
    kind: 'json',
    /** `preserveSpecial`: keep setuid/setgid bits and create device nodes (as root). */
    args: z.object({ ...InImage, dest: HostPath, preserveSpecial: z.boolean().default(false) }).strict(),
    data: ExtractProgress,
  },
  /**
   * A snapshot (record + log tails), then log/phase/progress/problem events, then `done` and
   * the end of the stream. Unsubscribing stops watching, never the build.
   */
  'build.watch': { kind: 'json', args: z.object({ buildId: BuildId }).strict(), data: BuildEvent },
  /** A snapshot (view + boot timeline), then state changes and timeline marks; ends when the VM is deleted. */
  'vm.watch': { kind: 'json', args: VmNameArgs, data: VmEvent },
  /**
   * The serial console: first what the ring buffer holds (the boot so far), then live output,
   * across restarts of the VM; ends when the VM is deleted.
   */
  'vm.console': { kind: 'text', args: VmNameArgs, data: z.string() },
  /** `minikube start --iso-url=…` run on this machine, its output streamed; unsubscribing interrupts it. */
  'vm.minikubeRun': { kind: 'text', args: z.object({ iso: HostPath }).strict(), data: z.string() },
  ...shellEvents,
  ...diffEvents,
  ...remasterEvents,
  ...vmExplainEvents,
  ...screenEvents,
} as const;

export type RequestChannel = keyof typeof requests;
export type EventChannel = keyof typeof events;
export type RequestArgs<C extends RequestChannel> = z.input<(typeof requests)[C]['args']>;
export type RequestParsedArgs<C extends RequestChannel> = z.output<(typeof requests)[C]['args']>;
export type RequestResult<C extends RequestChannel> = z.output<(typeof requests)[C]['result']>;
export type EventArgs<C extends EventChannel> = z.input<(typeof events)[C]['args']>;
export type EventParsedArgs<C extends EventChannel> = z.output<(typeof events)[C]['args']>;
export type EventData<C extends EventChannel> = (typeof events)[C]['kind'] extends 'text'
  ? string
  : z.output<(typeof events)[C]['data']>;

export function isRequestChannel(ch: unknown): ch is RequestChannel {
  return typeof ch === 'string' && Object.prototype.hasOwnProperty.call(requests, ch);
}
export function isEventChannel(ch: unknown): ch is EventChannel {
  return typeof ch === 'string' && Object.prototype.hasOwnProperty.call(events, ch);
}
