import { existsSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { LabError } from '../../shared/errors';
import type { Dispatcher } from '../core/rpc/dispatcher';
import { RpcSession } from '../core/rpc/session';
import { hostAllowed, originAllowed, requestUrl, ServeAuth } from './auth';
import { securityHeaders, serveStatic } from './static-files';

export interface ServeOptions {
  dispatcher: Dispatcher;
  rendererDir: string;
  host?: string;
  port?: number;
}

export interface RunningServer {
  /** The URL to open, token included. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A WebSocket message larger than this closes that socket with 1009 (message too big); nothing the UI sends comes close. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

const UNAUTHORIZED_PAGE = `<!doctype html><meta charset="utf-8"><title>ISO Lab: token needed</title>
<body style="font-family:system-ui;max-width:40em;margin:4em auto">
<h1>401: this ISO Lab server needs its token</h1>
<p>Open the full address that <code>isolab serve</code> printed (it ends in <code>?token=…</code>).</p></body>`;

/**
 * `isolab serve`: the built renderer over HTTP and the contract over one WebSocket per
 * tab, bound to loopback by default and gated by a token, then a session cookie.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const rendererDir = path.resolve(opts.rendererDir);
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new LabError('RENDERER_MISSING', `The UI is not built (${rendererDir}/index.html is missing).`, 'Run `npm run build` first.');
  }
  let boundPort = 0;
  const auth = new ServeAuth(() => boundPort);
  const sessions = new Set<RpcSession>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const server = http.createServer((req, res) => {
    void handleHttp(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  // Malformed HTTP (bad request lines, oversized headers): answer 400 on that socket, never throw.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url);
    if (!url) {
      res.writeHead(400, securityHeaders());
      res.end('Bad request target\n');
      return;
    }
    if (!hostAllowed(req, host, boundPort)) {
      res.writeHead(403, securityHeaders());
      res.end('Forbidden host\n');
      return;
    }
    if (!auth.isAuthorized(req, url)) {
      res.writeHead(401, { ...securityHeaders(), 'Content-Type': 'text/html; charset=utf-8' });
      res.end(UNAUTHORIZED_PAGE);
      return;
    }
    if (url.searchParams.has('token')) {
      // Swap the token for the cookie and drop it from the address bar and history.
      url.searchParams.delete('token');
      res.writeHead(302, { ...securityHeaders(), 'Set-Cookie': auth.sessionCookie(), Location: url.pathname + url.search });
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, securityHeaders());
      res.end();
      return;
    }
    await serveStatic(rendererDir, url.pathname, res);
  }

  server.on('upgrade', (req, socket, head) => {
    // Everything here runs before authentication: nothing in it may throw or leave the socket open.
    socket.on('error', () => socket.destroy());
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    try {
      const url = requestUrl(req.url);
      if (!url) return refuse('400 Bad Request');
      if (url.pathname !== '/rpc') return refuse('404 Not Found');
      if (!hostAllowed(req, host, boundPort) || !originAllowed(req)) return refuse('403 Forbidden');
      if (!auth.isAuthorized(req, url)) return refuse('401 Unauthorized');
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
    } catch {
      refuse('400 Bad Request');
    }
  });

  function attach(ws: WebSocket): void {
    const session = new RpcSession(opts.dispatcher, (msg) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    });
    sessions.add(session);
    // A bad frame (too big, reserved bits, unmasked, bad opcode or UTF-8) fails this socket
    // with its close code; ws reports it here, and without a listener it would end the process.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        session.handle(JSON.parse(String(data)));
      } catch {
        // Not JSON: ignored, like any message that is not of the protocol.
      }
    });
    ws.on('close', () => {
      session.close();
      sessions.delete(session);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new LabError('PORT_IN_USE', `Port ${opts.port} on ${host} is already in use.`, 'Choose another with --port, or --port 0 for any free port.')
          : err.code === 'EADDRNOTAVAIL'
            ? new LabError('BAD_HOST', `Cannot listen on ${host}: no such local address.`, 'Use 127.0.0.1 (the default) or an address of this machine.')
            : err,
      );
    });
    server.listen(opts.port ?? 7420, host, () => resolve());
  });
  boundPort = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

  return {
    url: `http://${shownHost}:${boundPort}/?token=${auth.token}`,
    port: boundPort,
    close: async () => {
      for (const s of sessions) s.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
