import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { TimelineMark, VmEvent, VmView } from '../../../shared/vm';
import { TimelineMark as TimelineMarkSchema } from '../../../shared/vm';
import { writeFileAtomic } from '../fs/atomic-write';
import { BootTimeline } from './boot-timeline';
import type { VmDriver } from './driver';
import type { ConsolePort } from './login';
import { SerialBridge } from './serial-bridge';
import { VmStateMachine, type VmRecord } from './types';

/**
 * One VM as this process knows it: its record, state machine, console bridge and boot
 * timeline, and who is watching. The manager drives it; this class only keeps the pieces
 * consistent and tells watchers.
 */
export class VmEntry {
  readonly machine: VmStateMachine;
  readonly bridge: SerialBridge;
  readonly timeline = new BootTimeline();
  private readonly decoder = new StringDecoder('utf8');
  private readonly watchers = new Set<(e: VmEvent) => void>();
  private readonly endListeners = new Set<() => void>();
  /** This process holds the console and the monitor connection. */
  owned = false;
  /** pid of another live ISO Lab process holding the console. */
  heldBy: number | undefined;
  pid: number | undefined;
  unwatchDriver: (() => void) | undefined;
  /** The start in progress, so stop/delete can cancel it. */
  starting: { ctrl: AbortController; done: Promise<unknown> } | undefined;
  /** Operations on one VM run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  deleted = false;
  /** *Log in as root* calls waiting on this VM's console; aborted by a cancel or a stop. */
  readonly logins = new Set<AbortController>();

  constructor(
    public rec: VmRecord,
    readonly driver: VmDriver,
    state: 'stopped' | 'running' | 'error',
  ) {
    this.machine = new VmStateMachine('absent');
    this.machine.to('stopped');
    if (state !== 'stopped') this.machine.to(state);
    this.bridge = new SerialBridge(rec.files.transcript);
    this.bridge.subscribe((chunk) => {
      const text = this.decoder.write(chunk);
      if (!text) return;
      for (const mark of this.timeline.push(text)) this.onMark(mark);
    });
  }

  get name(): string {
    return this.rec.name;
  }

  get timelineFile(): string {
    return path.join(this.rec.files.dir, 'timeline.json');
  }

  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  view(): VmView {
    const r = this.rec;
    const v: VmView = {
      name: r.name,
      driver: r.driver,
      state: this.deleted ? 'absent' : this.machine.state,
      spec: r.spec,
      arch: r.arch,
      accel: r.accel,
      createdAt: r.createdAt,
      serial: this.driver.serialEndpoint(r),
      dir: r.files.dir,
    };
    if (r.note) v.note = r.note;
    if (r.startedAt) v.startedAt = r.startedAt;
    if (r.stoppedAt) v.stoppedAt = r.stoppedAt;
    if (r.stopReason) v.stopReason = r.stopReason;
    if (r.error) v.error = r.error;
    if (this.pid !== undefined && (v.state === 'running' || v.state === 'starting' || v.state === 'stopping')) v.pid = this.pid;
    if (this.heldBy !== undefined && !this.owned) v.consoleHeldBy = this.heldBy;
    if (r.serialBoot) v.serialBoot = { label: r.serialBoot.label, kernel: r.serialBoot.kernel, initrd: r.serialBoot.initrd, cmdline: r.serialBoot.cmdline };
    return v;
  }

  /** Changes state and tells watchers when the view changed. */
  setState(next: VmView['state']): void {
    this.machine.to(next);
    this.emit({ kind: 'state', vm: this.view() });
  }

  /** Something in the view other than the state changed (pid, note, holder). */
  changed(): void {
    this.emit({ kind: 'state', vm: this.view() });
  }

  snapshot(): VmEvent {
    return { kind: 'snapshot', vm: this.view(), timeline: this.timeline.list };
  }

  /** A new boot: fresh timeline and console; watchers get the new snapshot. */
  beginBoot(startedAt: number, banner: string): void {
    this.timeline.start(startedAt);
    this.bridge.newBoot(banner);
    this.persistTimeline();
    this.emit(this.snapshot());
  }

  /** Found running after a restart: the timeline and screen come back from the VM folder. */
  resumeBoot(): void {
    const marks = this.loadTimeline();
    const startedAt = this.rec.startedAt ? Date.parse(this.rec.startedAt) : Date.now();
    this.timeline.start(startedAt);
    // Marks already seen are restored as they were, so they are not given again.
    for (const m of marks) if (m.id !== 'start') this.timeline.restore(m);
    this.bridge.resume();
  }

  guestReset(): void {
    this.onMark(this.timeline.reset());
  }

  watch(listener: (e: VmEvent) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** Called when the VM is deleted: streams end. */
  onEnd(listener: () => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  end(): void {
    this.deleted = true;
    this.emit({ kind: 'state', vm: this.view() });
    for (const l of [...this.endListeners]) l();
    this.endListeners.clear();
    this.watchers.clear();
  }

  /** Ends every login waiting on this VM with `why`; returns how many there were. */
  abortLogins(why: Error): number {
    const n = this.logins.size;
    for (const c of [...this.logins]) c.abort(why);
    this.logins.clear();
    return n;
  }

  consolePort(): ConsolePort {
    return {
      snapshot: () => this.bridge.ring.contents(),
      subscribe: (l) => this.bridge.subscribe(l),
      write: (d) => this.bridge.write(d),
      loginSeen: () => this.timeline.list.some((m) => m.id === 'login'),
    };
  }

  private onMark(mark: TimelineMark): void {
    this.emit({ kind: 'mark', mark });
    this.persistTimeline();
  }

  private emit(e: VmEvent): void {
    for (const w of this.watchers) w(e);
  }

  private persistTimeline(): void {
    if (!this.owned || this.deleted) return;
    void writeFileAtomic(this.timelineFile, `${JSON.stringify(this.timeline.list)}\n`, 0o644).catch(() => undefined);
  }

  private loadTimeline(): TimelineMark[] {
    try {
      const raw = JSON.parse(fs.readFileSync(this.timelineFile, 'utf8')) as unknown[];
      return raw.map((m) => TimelineMarkSchema.safeParse(m)).filter((r) => r.success).map((r) => r.data!);
    } catch {
      return [];
    }
  }
}
