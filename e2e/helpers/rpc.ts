import WebSocket from 'ws';
import type { Served } from './serve';

export interface RpcReply {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

/** A contract call over the page's own protocol (token → cookie → WebSocket), for setting up and cleaning up behind the UI. */
export async function rpc(served: Served, channel: string, args: unknown = {}): Promise<RpcReply> {
  const res = await fetch(served.url, { redirect: 'manual' });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const ws = new WebSocket(`${served.origin.replace('http', 'ws')}/rpc`, { headers: { cookie, origin: served.origin } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    const reply = new Promise<RpcReply>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as RpcReply & { t: string; id: number };
        if (m.t === 'res' && m.id === 1) resolve(m);
      }),
    );
    ws.send(JSON.stringify({ t: 'req', id: 1, ch: channel, args }));
    return await reply;
  } finally {
    ws.close();
  }
}
