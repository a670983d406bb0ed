import type { IsoLabApi, StreamHandlers } from '../../../shared/api';
import type { EventArgs, EventChannel, RequestArgs, RequestChannel, RequestResult } from '../../../shared/contract';
import { fromErrorShape } from '../../../shared/errors';
import type { RawLabApi } from '../../../shared/rpc-client';
import { createWsTransport } from './ws-transport';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser, where the WebSocket is used. */
    isolab?: RawLabApi;
  }
}

type ConnectionListener = (connected: boolean) => void;
const listeners = new Set<ConnectionListener>();

export function onConnectionChange(fn: ConnectionListener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function wrap(raw: RawLabApi): IsoLabApi {
  return {
    async request<C extends RequestChannel>(channel: C, args?: RequestArgs<C>): Promise<RequestResult<C>> {
      const outcome = await raw.request(channel, args ?? {});
      if (!outcome.ok) throw fromErrorShape(outcome.error);
      return outcome.result as RequestResult<C>;
    },
    subscribe<C extends EventChannel>(channel: C, args: EventArgs<C> | undefined, handlers: StreamHandlers<C>) {
      return raw.subscribe(channel, args ?? {}, {
        onData: (batch) => handlers.onData(batch as never),
        onEnd: (error) => handlers.onEnd?.(error),
      });
    },
  };
}

/** The rest of the renderer imports only this; it cannot tell which transport is underneath. */
export const api: IsoLabApi = wrap(
  window.isolab ?? createWsTransport((connected) => listeners.forEach((fn) => fn(connected))),
);
