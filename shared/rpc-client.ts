import type { ClientMessage, ServerMessage } from './api';
import type { LabErrorShape } from './errors';

export type Outcome = { ok: true; result: unknown } | { ok: false; error: LabErrorShape };

export interface RawStreamHandlers {
  onData: (batch: unknown[]) => void;
  onEnd?: (error?: LabErrorShape) => void;
}

/** The low-level surface both transports offer: promises never reject, errors are data. */
export interface RawLabApi {
  request(channel: string, args?: unknown): Promise<Outcome>;
  subscribe(channel: string, args: unknown, handlers: RawStreamHandlers): () => void;
  /** Electron only: the real path of a file dropped on the window. */
  pathForFile?(file: File): string | undefined;
}

const DISCONNECTED: LabErrorShape = {
  code: 'DISCONNECTED',
  message: 'The connection to the ISO Lab core was lost.',
  hint: 'Reload the window; if you use `isolab serve`, check that it is still running.',
};

/**
 * Client side of the wire protocol, independent of the pipe: the Electron preload runs it
 * over ipcRenderer, the browser over a WebSocket.
 */
export class RpcClient implements RawLabApi {
  private nextId = 1;
  private readonly pending = new Map<number, (o: Outcome) => void>();
  private readonly streams = new Map<number, RawStreamHandlers>();

  constructor(private readonly post: (msg: ClientMessage) => void) {}

  receive(msg: ServerMessage): void {
    switch (msg.t) {
      case 'res': {
        const resolve = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        resolve?.(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error });
        return;
      }
      case 'ev':
        this.streams.get(msg.id)?.onData(msg.batch);
        return;
      case 'end': {
        const h = this.streams.get(msg.id);
        this.streams.delete(msg.id);
        h?.onEnd?.(msg.error);
        return;
      }
    }
  }

  request(channel: string, args?: unknown): Promise<Outcome> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      try {
        this.post({ t: 'req', id, ch: channel, args });
      } catch {
        this.pending.delete(id);
        resolve({ ok: false, error: DISCONNECTED });
      }
    });
  }

  subscribe(channel: string, args: unknown, handlers: RawStreamHandlers): () => void {
    const id = this.nextId++;
    this.streams.set(id, handlers);
    try {
      this.post({ t: 'sub', id, ch: channel, args });
    } catch {
      this.streams.delete(id);
      handlers.onEnd?.(DISCONNECTED);
    }
    return () => {
      if (!this.streams.delete(id)) return;
      try {
        this.post({ t: 'unsub', id });
      } catch {
        // Already disconnected: the server side dropped the subscription with the connection.
      }
    };
  }

  /** The pipe broke: everything in flight fails with one clear error. */
  disconnect(): void {
    for (const resolve of this.pending.values()) resolve({ ok: false, error: DISCONNECTED });
    this.pending.clear();
    for (const h of this.streams.values()) h.onEnd?.(DISCONNECTED);
    this.streams.clear();
  }
}
