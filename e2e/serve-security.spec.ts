import { expect, test } from '@playwright/test';
import http from 'node:http';
import WebSocket from 'ws';
import { startServe, type Served } from './helpers/serve';

let served: Served;
test.beforeAll(async () => {
  served = await startServe();
});
test.afterAll(async () => {
  await served.stop();
});

/** Opens a WebSocket with the given headers and says how the handshake ended. */
function handshake(url: string, headers: Record<string, string>): Promise<{ opened: boolean; status?: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ opened: true, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.once('error', () => resolve({ opened: false }));
  });
}

async function sessionCookie(): Promise<string> {
  const res = await fetch(served.url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const cookie = res.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(';')[0]!;
}

test('listens on loopback only and prints the URL on a line of its own', () => {
  expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  expect(served.output().split('\n')).toContain(served.url);
});

test('answers 401 without the token or the cookie, and with a wrong token', async () => {
  for (const path of ['/', '/index.html', '/assets/', '/rpc']) {
    const res = await fetch(`${served.origin}${path}`);
    expect(res.status, path).toBe(401);
  }
  expect((await fetch(`${served.origin}/?token=wrong`)).status).toBe(401);
  expect((await fetch(`${served.origin}/`, { headers: { cookie: `isolab_session_1=nope` } })).status).toBe(401);
});

test('the token sets a session cookie that then opens the app', async () => {
  const cookie = await sessionCookie();
  const res = await fetch(`${served.origin}/`, { headers: { cookie } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(await res.text()).toContain('<div id="root">');
});

test('refuses a WebSocket from another Origin, even with a valid cookie', async () => {
  const cookie = await sessionCookie();
  const wsUrl = `${served.origin.replace('http', 'ws')}/rpc`;
  const foreign = await handshake(wsUrl, { cookie, origin: 'http://evil.example' });
  expect(foreign.opened).toBe(false);
  expect(foreign.status).toBe(403);
  const lookalike = await handshake(wsUrl, { cookie, origin: `${served.origin}.evil.example` });
  expect(lookalike.status).toBe(403);
  const anonymous = await handshake(wsUrl, { origin: served.origin });
  expect(anonymous.status).toBe(401);
});

test('a same-origin WebSocket with the cookie speaks the contract', async () => {
  const cookie = await sessionCookie();
  const { opened, ws } = await handshake(`${served.origin.replace('http', 'ws')}/rpc`, { cookie, origin: served.origin });
  expect(opened).toBe(true);
  const reply = new Promise<unknown>((resolve) => ws!.once('message', (d) => resolve(JSON.parse(String(d)))));
  ws!.send(JSON.stringify({ t: 'req', id: 1, ch: 'lab.info', args: {} }));
  expect(await reply).toMatchObject({ t: 'res', id: 1, ok: true, result: { name: 'ISO Lab', dataDir: `${served.home}/data` } });
  const bad = new Promise<unknown>((resolve) => ws!.once('message', (d) => resolve(JSON.parse(String(d)))));
  ws!.send(JSON.stringify({ t: 'req', id: 2, ch: 'recent.add', args: { kind: 'iso' } }));
  expect(await bad).toMatchObject({ t: 'res', id: 2, ok: false, error: { code: 'BAD_ARGS' } });
  ws!.close();
});

test('rejects a foreign Host header (DNS rebinding)', async () => {
  const res = await new Promise<number>((resolve, reject) => {
    const u = new URL(served.url);
    const req = http.get({ host: '127.0.0.1', port: Number(u.port), path: u.pathname + u.search, headers: { host: `evil.example:${u.port}` } }, (r) => {
      r.resume();
      resolve(r.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  expect(res).toBe(403);
});
