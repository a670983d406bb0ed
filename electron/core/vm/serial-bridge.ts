import fs from 'node:fs';
import net from 'node:net';
import { LabError } from '../../../shared/errors';
import { sleep } from './process';
import { RingBuffer } from './ring-buffer';

/** 256 KB: a boot's worth of console (minikube's ISO boots with loglevel=3), replayed in a blink. */
const RING_BYTES = 256 * 1024;
/** A console left open for days must not fill the disk. */
const TRANSCRIPT_MAX_BYTES = 32 * 1024 * 1024;
const RETRY_MS = 20;
const RECONNECT_MS = 300;

export type ConsoleListener = (chunk: Buffer) => void;

/**
 * One VM's serial console in this process: the only client of the VM's serial socket (the
 * hypervisor serves one at a time), fanned out to any number of listeners (UI consoles,
 * the timeline, the login helper). Everything received goes to a ring buffer, for consoles
 * that attach late, and to the transcript file of the current boot.
 */
export class SerialBridge {
  readonly ring = new RingBuffer(RING_BYTES);
  private sock: net.Socket | undefined;
  private endpoint: string | undefined;
  private readonly listeners = new Set<ConsoleListener>();
  private transcript: fs.WriteStream | undefined;
  private transcriptBytes = 0;
  /** While true a dropped connection is re-made (the VM still runs). */
  private keepConnected = false;
  private reconnecting: Promise<void> | undefined;
  /** Transcript size when loadScreen filled the ring: what open consoles already show. */
  private loadedUpTo: number | undefined;
  /** When the guest last sent anything (Date.now()); undefined before its first byte this boot. */
  lastReceivedAt: number | undefined;
  /** The last byte consoles were given ended a line (or nothing was given yet). */
  private atLineStart = true;

  constructor(private readonly transcriptFile: string) {}

  get connected(): boolean {
    return !!this.sock && !this.sock.destroyed && !this.sock.connecting;
  }

  /**
   * A new boot: the ring and the transcript start empty. Listeners stay; they get `banner`
   * so a console kept open across restarts shows where the new boot begins.
   */
  newBoot(banner?: string): void {
    this.ring.clear();
    this.loadedUpTo = undefined;
    this.closeTranscript();
    this.transcript = fs.createWriteStream(this.transcriptFile, { flags: 'w' });
    this.transcript.on('error', () => undefined);
    this.transcriptBytes = 0;
    this.lastReceivedAt = undefined;
    // Consoles kept open across a restart may still sit on the old boot's prompt ("login: "):
    // the banner starts on a line of its own. Only they get the line break; the ring starts clean.
    if (!this.atLineStart) for (const l of this.listeners) l(Buffer.from('\r\n'));
    this.atLineStart = true;
    if (banner) this.deliver(Buffer.from(banner), false);
  }

  /**
   * After an app restart the VM is found running: the screen so far comes back from the
   * transcript, and new output is appended to it. Consoles already open get what they lack.
   */
  resume(): void {
    const { tail, size } = this.readTranscriptTail();
    const consolesHave = this.loadedUpTo;
    this.loadedUpTo = undefined;
    this.ring.clear();
    this.ring.push(tail);
    if (tail.length) this.atLineStart = tail[tail.length - 1] === 0x0a;
    this.transcriptBytes = size;
    this.closeTranscript();
    this.transcript = fs.createWriteStream(this.transcriptFile, { flags: 'a' });
    this.transcript.on('error', () => undefined);
    const missing = consolesHave === undefined ? tail : tail.subarray(Math.max(0, tail.length - Math.max(0, size - consolesHave)));
    if (missing.length) for (const l of this.listeners) l(missing);
  }

  /** The last boot's screen for a console opened on a VM this process does not hold (after an app restart). */
  loadScreen(): void {
    if (this.ring.length > 0 || this.transcript) return;
    const { tail, size } = this.readTranscriptTail();
    this.ring.push(tail);
    this.loadedUpTo = size;
  }

  private readTranscriptTail(): { tail: Buffer; size: number } {
    try {
      const fd = fs.openSync(this.transcriptFile, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        const len = Math.min(size, RING_BYTES);
        const tail = Buffer.alloc(len);
        fs.readSync(fd, tail, 0, len, size - len);
        return { tail, size };
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return { tail: Buffer.alloc(0), size: 0 };
    }
  }

  /** Connects, retrying while the endpoint does not exist yet or refuses, until timeoutMs. */
  async attach(endpoint: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.endpoint = endpoint;
    this.keepConnected = true;
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    let lastError = '';
    while (Date.now() < deadline && !opts.signal?.aborted && this.keepConnected) {
      try {
        await this.connectOnce(endpoint);
        return;
      } catch (err) {
        lastError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        await sleep(RETRY_MS, opts.signal);
      }
    }
    throw new LabError('VM_CONSOLE_UNAVAILABLE', `Could not connect to the VM's serial console at ${endpoint} (${lastError || 'gave up'})`, 'the hypervisor did not create its serial socket; see the VM\'s qemu.log');
  }

  /** Stops following the socket (the VM stopped, or this process lets go of it). */
  detach(): void {
    this.keepConnected = false;
    this.sock?.destroy();
    this.sock = undefined;
  }

  /** Also closes the transcript; for deletion and process exit. */
  close(): void {
    this.detach();
    this.closeTranscript();
  }

  write(data: string | Buffer): void {
    if (!this.connected) {
      throw new LabError('VM_CONSOLE_DETACHED', 'The VM\'s serial console is not connected', 'start the VM, or wait until it runs');
    }
    this.sock!.write(data);
  }

  subscribe(listener: ConsoleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private connectOnce(endpoint: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(endpoint);
      sock.setNoDelay?.(true);
      const onError = (err: Error) => {
        sock.destroy();
        reject(err);
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        sock.off('error', onError);
        sock.on('error', () => undefined);
        this.sock?.destroy();
        this.sock = sock;
        sock.on('data', (d: Buffer) => {
          this.lastReceivedAt = Date.now();
          this.deliver(d, true);
        });
        sock.on('close', () => {
          if (this.sock !== sock) return;
          this.sock = undefined;
          if (this.keepConnected) this.reconnect();
        });
        resolve();
      });
    });
  }

  /** The VM may still run (a hiccup, or it restarted in place): try again while wanted. */
  private reconnect(): void {
    if (this.reconnecting || !this.endpoint) return;
    const endpoint = this.endpoint;
    this.reconnecting = (async () => {
      while (this.keepConnected && !this.connected) {
        await sleep(RECONNECT_MS);
        if (!this.keepConnected) break;
        await this.connectOnce(endpoint).catch(() => undefined);
      }
    })().finally(() => {
      this.reconnecting = undefined;
    });
  }

  private deliver(chunk: Buffer, record: boolean): void {
    if (chunk.length) this.atLineStart = chunk[chunk.length - 1] === 0x0a;
    this.ring.push(chunk);
    if (record && this.transcript && this.transcriptBytes < TRANSCRIPT_MAX_BYTES) {
      this.transcript.write(chunk);
      this.transcriptBytes += chunk.length;
    }
    for (const l of this.listeners) l(chunk);
  }

  private closeTranscript(): void {
    this.transcript?.end();
    this.transcript = undefined;
  }
}
