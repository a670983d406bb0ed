import type { ClientMessage, ServerMessage } from '../../../shared/api';
import { RpcClient, type Outcome, type RawLabApi, type RawStreamHandlers } from '../../../shared/rpc-client';

/**
 * The browser transport: the same wire protocol as Electron IPC, over a WebSocket to the
 * `isolab serve` that served this page (its session cookie authenticates the socket).
 * Messages sent while connecting are queued; a dropped socket is reopened with backoff.
 */
export function createWsTransport(onConnectionChange?: (connected: boolean) => void): RawLabApi {
  let socket: WebSocket | undefined;
  let client: RpcClient;
  let queue: ClientMessage[] = [];
  let delay = 500;

  function connect(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/rpc`);
    socket = ws;
    const c = new RpcClient((msg) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
      else if (ws.readyState === WebSocket.CONNECTING) queue.push(msg);
      else throw new Error('closed');
    });
    client = c;
    ws.onopen = () => {
      delay = 500;
      for (const msg of queue) ws.send(JSON.stringify(msg));
      queue = [];
      onConnectionChange?.(true);
    };
    ws.onmessage = (ev) => {
      try {
        c.receive(JSON.parse(String(ev.data)) as ServerMessage);
      } catch {
        // A message we cannot read is dropped rather than taking the UI down.
      }
    };
    ws.onclose = () => {
      queue = [];
      c.disconnect();
      onConnectionChange?.(false);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10_000);
    };
  }
  connect();

  return {
    request: (channel: string, args?: unknown): Promise<Outcome> => client.request(channel, args),
    subscribe: (channel: string, args: unknown, handlers: RawStreamHandlers) => client.subscribe(channel, args, handlers),
  };
}

