import type {
  EventArgs,
  EventChannel,
  EventData,
  RequestArgs,
  RequestChannel,
  RequestResult,
} from './contract';
import type { LabErrorShape } from './errors';

export type Unsubscribe = () => void;

export interface StreamHandlers<C extends EventChannel> {
  /** Called once per flushed batch, in order. */
  onData: (batch: EventData<C>[]) => void;
  /** The stream ended; `error` is set when it ended because something failed. */
  onEnd?: (error?: LabErrorShape) => void;
}

/**
 * What the renderer sees, whichever transport is underneath: `window.isolab` in Electron,
 * a WebSocket client in the browser. Requests reject with a LabError.
 */
export interface IsoLabApi {
  request<C extends RequestChannel>(channel: C, args?: RequestArgs<C>): Promise<RequestResult<C>>;
  subscribe<C extends EventChannel>(
    channel: C,
    args: EventArgs<C> | undefined,
    handlers: StreamHandlers<C>,
  ): Unsubscribe;
}

/** Wire messages shared by both transports. */
export type ClientMessage =
  | { t: 'req'; id: number; ch: string; args?: unknown }
  | { t: 'sub'; id: number; ch: string; args?: unknown }
  | { t: 'unsub'; id: number };

export type ServerMessage =
  | { t: 'res'; id: number; ok: true; result: unknown }
  | { t: 'res'; id: number; ok: false; error: LabErrorShape }
  | { t: 'ev'; id: number; batch: unknown[] }
  | { t: 'end'; id: number; error?: LabErrorShape };
