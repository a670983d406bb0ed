import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { LabError } from '../../../shared/errors';
import type { ScreenEvent } from '../../../shared/screen';
import type { VmView } from '../../../shared/vm';
import { sleep } from './process';
import type { VmRecord } from './types';

/**
 * The VM's screen in the lab core: one connection to QEMU's VNC unix socket per `vm.screen`
 * stream (QEMU serves several clients at once and noVNC asks for a shared session, so two
 * windows on one VM both work), its bytes emitted as base64 and `vm.screenInput` written
 * back. RFB is pull-based (the client asks for each update), so what is in flight stays
 * about one screen update: no extra flow control is needed.
 *
 * One thing is added: QEMU's VNC server lengthens its refresh interval (30 ms, then +50 ms
 * per tick up to 3 s) whenever a tick finds no client waiting for an update, so a client whose
 * next request comes 60 ms or more after the last update (the browser, through the contract)
 * gets a few updates a second where a client on the socket gets 30. So when the server's next
 * update begins, the client's last incremental request is repeated once (see `UpdateEcho`):
 * QEMU then has a request waiting at its next tick, and never more than one update runs ahead
 * of what the client asked for.
 */

/** An incremental FramebufferUpdateRequest, sent alone (noVNC sends it as its own message). */
export function isIncrementalUpdateRequest(bytes: Buffer): boolean {
  return bytes.length === 10 && bytes[0] === 3 && bytes[1] === 1;
}

/** The echo of the client's update request: armed by the client's request, fired once by the server's data. */
export class UpdateEcho {
  private last: Buffer | undefined;
  private armed = false;

  /** What the client sent. */
  fromClient(bytes: Buffer): void {
    if (isIncrementalUpdateRequest(bytes)) {
      this.last = bytes;
      this.armed = true;
    }
  }

  /** Data from the server arrived: the request to repeat now, if any. */
  fromServer(): Buffer | undefined {
    if (!this.armed) return undefined;
    this.armed = false;
    return this.last;
  }
}

const CONNECT_MS = 5000;
const RETRY_MS = 50;

/**
 * The VNC socket to connect to, or the reason there is none, as a LabError whose message is
 * the note the screen pane shows.
 */
export function screenEndpoint(vm: Pick<VmView, 'name' | 'driver' | 'state' | 'arch'>, files: Pick<VmRecord['files'], 'vnc'> | undefined): string {
  if (vm.driver === 'virtualbox') {
    throw new LabError(
      'VM_SCREEN_UNSUPPORTED',
      'ISO Lab shows the screen of QEMU VMs only. VirtualBox serves a screen over its remote display (VRDE: RDP, or VNC with the VNC extension pack), which ISO Lab does not connect to.',
      'use the serial console here, or open the VM in VirtualBox Manager to see its screen',
    );
  }
  if (vm.arch !== 'x86_64') {
    throw new LabError('VM_SCREEN_UNSUPPORTED', `ISO Lab gives ${vm.arch} VMs no display device yet: they have the serial console only.`);
  }
  if (!files?.vnc) {
    throw new LabError(
      'VM_SCREEN_NONE',
      `${vm.name} was created before ISO Lab had a screen view, so QEMU runs it without one.`,
      'create a new VM from the same ISO to get its screen; the serial console works as before',
    );
  }
  if (vm.state !== 'running') {
    throw new LabError('VM_NOT_RUNNING', `The screen shows while ${vm.name} runs: it is ${vm.state}.`, 'start it to see its screen');
  }
  return files.vnc;
}

/** Base64 of a chunk; empty chunks are not worth an event. */
export function dataEvent(chunk: Buffer): ScreenEvent | undefined {
  return chunk.length ? { t: 'data', b64: chunk.toString('base64') } : undefined;
}

/** Decodes `vm.screenInput`'s base64, refusing what is not base64 (a bug in the caller). */
export function decodeInput(b64: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new LabError('BAD_ARGS', 'vm.screenInput takes base64', 'this is a bug in the screen view');
  }
  return Buffer.from(b64, 'base64');
}

export class ScreenConnections {
  private readonly open = new Map<string, { sock: net.Socket; echo: UpdateEcho }>();

  get count(): number {
    return this.open.size;
  }

  /** Connects (the socket may appear a moment after the VM runs), then streams until either side closes. */
  async stream(endpoint: string, emit: (e: ScreenEvent) => void, signal: AbortSignal): Promise<void> {
    const sock = await connect(endpoint, signal);
    if (!sock) return;
    const screenId = randomBytes(6).toString('hex');
    const echo = new UpdateEcho();
    this.open.set(screenId, { sock, echo });
    try {
      emit({ t: 'open', screenId });
      await new Promise<void>((resolve) => {
        const done = () => {
          sock.destroy();
          signal.removeEventListener('abort', done);
          resolve();
        };
        sock.on('data', (d: Buffer) => {
          const again = echo.fromServer();
          if (again && !sock.destroyed) sock.write(again);
          const e = dataEvent(d);
          if (e) emit(e);
        });
        sock.on('error', done);
        sock.on('close', done);
        if (signal.aborted) done();
        else signal.addEventListener('abort', done, { once: true });
      });
    } finally {
      this.open.delete(screenId);
    }
  }

  /** Synchronous, so requests handled in arrival order reach the server in that order. */
  write(screenId: string, b64: string): void {
    const conn = this.open.get(screenId);
    const sock = conn?.sock;
    if (!conn || !sock || sock.destroyed) {
      throw new LabError('VM_SCREEN_CLOSED', 'That screen connection is closed', 'the VM stopped or the screen view reconnected');
    }
    const bytes = decodeInput(b64);
    if (!bytes.length) return;
    conn.echo.fromClient(bytes);
    sock.write(bytes);
  }

  closeAll(): void {
    for (const c of this.open.values()) c.sock.destroy();
    this.open.clear();
  }
}

async function connect(endpoint: string, signal: AbortSignal): Promise<net.Socket | undefined> {
  const deadline = Date.now() + CONNECT_MS;
  let last = '';
  while (!signal.aborted) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.createConnection(endpoint);
        s.setNoDelay?.(true);
        s.once('error', (err) => {
          s.destroy();
          reject(err);
        });
        s.once('connect', () => {
          s.removeAllListeners('error');
          resolve(s);
        });
      });
    } catch (err) {
      last = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      if (Date.now() >= deadline) break;
      await sleep(RETRY_MS, signal);
    }
  }
  if (signal.aborted) return undefined;
  throw new LabError('VM_SCREEN_UNAVAILABLE', `Could not connect to the VM's screen at ${endpoint} (${last || 'gave up'})`, "QEMU did not create its VNC socket; see the VM's qemu.log");
}

/** This process's screen connections (Electron main, serve), shared by every window and tab. */
export const screens = new ScreenConnections();
