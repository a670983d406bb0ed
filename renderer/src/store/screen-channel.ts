import type { LabErrorShape } from '../../../shared/errors';
import type { ScreenEvent } from '../../../shared/screen';
import { SCREEN_INPUT_MAX_BYTES } from '../../../shared/screen';

/**
 * The RFB byte stream of a VM's screen over the contract, shaped like the WebSocket noVNC
 * expects (its Websock accepts any object with send/close/binaryType/on…/protocol/readyState,
 * as it does an RTCDataChannel): `vm.screen` brings the server's bytes as base64 strings,
 * `vm.screenInput` takes the client's. What noVNC sends within one task goes as one request,
 * in order; each batch the core flushes arrives as one message.
 */

export interface ScreenTransport {
  subscribe(handlers: { onData: (batch: ScreenEvent[]) => void; onEnd: (error?: LabErrorShape) => void }): () => void;
  /** Resolves when the core took the bytes; rejects when the connection is gone. */
  send(screenId: string, b64: string): Promise<unknown>;
}

type ChannelState = 'connecting' | 'open' | 'closing' | 'closed';

/** What noVNC reads of a close event (a CloseEvent's fields). */
export interface ChannelClose {
  code: number;
  reason: string;
  wasClean: boolean;
}

const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  return btoa(bin);
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** One buffer of the chunks, in order (what arrives in one batch is one message for noVNC). */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Splits bytes into request-sized pieces (the contract caps one vm.screenInput). */
export function splitBytes(bytes: Uint8Array, max = SCREEN_INPUT_MAX_BYTES): Uint8Array[] {
  if (bytes.length <= max) return [bytes];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += max) out.push(bytes.subarray(i, i + max));
  return out;
}

export class ScreenChannel {
  // Own fields, not accessors: noVNC checks for these names among the object's keys.
  binaryType = 'arraybuffer';
  protocol = '';
  readyState: ChannelState = 'connecting';
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((e: ChannelClose) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  /** Why the stream ended, when the core said (the note the screen pane shows). */
  endError: LabErrorShape | undefined;
  /** Bytes each way, for the pane's counter and the tests. */
  received = 0;
  sent = 0;

  private screenId: string | undefined;
  private pending: Uint8Array[] = [];
  private flushQueued = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly transport: ScreenTransport) {
    this.unsubscribe = transport.subscribe({
      onData: (batch) => this.receive(batch),
      onEnd: (error) => this.ended(error),
    });
  }

  send(data: ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 'open') return;
    const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // noVNC reuses its send buffer: copy now.
    this.pending.push(view.slice());
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closing';
    this.unsubscribe();
    this.ended(undefined);
  }

  private flush(): void {
    this.flushQueued = false;
    if (!this.pending.length || !this.screenId || this.readyState !== 'open') return;
    const bytes = concatBytes(this.pending);
    this.pending = [];
    for (const part of splitBytes(bytes)) {
      this.sent += part.length;
      this.transport.send(this.screenId, bytesToBase64(part)).catch((err: unknown) => {
        if (this.readyState === 'open') {
          this.onerror?.(err);
          this.close();
        }
      });
    }
  }

  private receive(batch: ScreenEvent[]): void {
    const parts: Uint8Array[] = [];
    for (const e of batch) {
      if (e.t === 'open') {
        if (this.readyState !== 'connecting') continue;
        this.screenId = e.screenId;
        this.readyState = 'open';
        this.onopen?.({ type: 'open' });
      } else if (this.readyState === 'open') {
        parts.push(base64ToBytes(e.b64));
      }
    }
    if (!parts.length) return;
    const bytes = concatBytes(parts);
    this.received += bytes.length;
    const buf = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    this.onmessage?.({ data: buf as ArrayBuffer });
  }

  private ended(error: LabErrorShape | undefined): void {
    if (this.readyState === 'closed') return;
    const wasOpen = this.readyState === 'open' || this.readyState === 'closing';
    this.readyState = 'closed';
    this.pending = [];
    if (error) this.endError = error;
    if (error && !wasOpen) this.onerror?.({ type: 'error', error });
    this.onclose?.({ code: error ? 1011 : 1000, reason: error?.message ?? '', wasClean: !error });
  }
}
