import { expect, test } from '@playwright/test';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { startServe, type Served } from './helpers/serve';

// What a page on another origin, another local program or a signed-in tab can send must
// never end `isolab serve`: each case below killed it before (issue 11), and each checks
// afterwards that the server still answers.

let served: Served;
test.beforeAll(async () => {
  served = await startServe();
});
test.afterAll(async () => {
  await served.stop();
});

async function alive(): Promise<void> {
  expect(served.proc.exitCode).toBeNull();
  const res = await fetch(`${served.origin}/`);
  expect(res.status).toBe(401);
}

async function sessionCookie(): Promise<string> {
  const res = await fetch(served.url, { redirect: 'manual' });
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** Writes raw bytes to the server and returns what it answers until it closes (or 3 s pass). */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const { port } = new URL(served.origin);
    const sock = net.connect(Number(port), '127.0.0.1');
    let got = '';
    const done = () => resolve(got);
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('close', done);
    sock.on('error', done);
    sock.setTimeout(3000, () => sock.destroy());
    sock.write(bytes);
  });
}

const upgrade = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${new URL(served.origin).port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n${extra}\r\n`;

test('an upgrade to // or another odd target is refused, not fatal', async () => {
  for (const target of ['//', '//x:y', '//[', '/rpc//']) {
    const answer = await raw(upgrade(target));
    expect(answer).toMatch(/^HTTP\/1\.1 (400|401|404)/);
    await alive();
  }
  const plain = await raw(`GET // HTTP/1.1\r\nHost: 127.0.0.1:${new URL(served.origin).port}\r\n\r\n`);
  expect(plain).toMatch(/^HTTP\/1\.1 400/);
  await alive();
});

test('a cookie that is not valid percent-encoding neither kills nor wedges it', async () => {
  expect(await raw(upgrade('/rpc', 'Cookie: a=%\r\n'))).toMatch(/^HTTP\/1\.1 401/);
  await alive();
  const res = await fetch(`${served.origin}/`, { headers: { Cookie: 'a=%; b=%zz' } });
  expect(res.status).toBe(401);
  // The real session cookie still works beside a broken one.
  const ok = await fetch(`${served.origin}/`, { headers: { Cookie: `a=%; ${await sessionCookie()}` } });
  expect(ok.status).toBe(200);
});

test('a page on another origin opening WebSockets to it cannot end it', async ({ page }) => {
  const port = new URL(served.origin).port;
  const evil = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    // Each socket is refused (the page sees close or error); the title says when all were.
    res.end(`<script>
      const tries = ['//', '//x', '/rpc', '/rpc?token=wrong'].map((p) => new Promise((done) => {
        try { const ws = new WebSocket('ws://127.0.0.1:${port}' + p); ws.onclose = done; ws.onerror = done; } catch (e) { done(); }
      }));
      Promise.all(tries).then(() => { document.title = 'refused'; });
    </script>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  try {
    await page.goto(`http://127.0.0.1:${(evil.address() as net.AddressInfo).port}/`);
    await expect(page).toHaveTitle('refused');
    await alive();
  } finally {
    evil.close();
  }
});

test('a signed-in socket sending a frame that is too big or malformed is closed alone', async () => {
  const cookie = await sessionCookie();
  const url = `${served.origin.replace('http', 'ws')}/rpc`;
  const big = new WebSocket(url, { headers: { Cookie: cookie } });
  await new Promise((r) => big.once('open', r));
  const closed = new Promise<number>((r) => big.once('close', (code) => r(code)));
  big.send('x'.repeat(9 * 1024 * 1024));
  expect(await closed).toBe(1009);
  await alive();

  // Reserved bit set, unmasked client frame, unknown opcode, invalid UTF-8 in a text frame.
  const frames = [Buffer.from([0xc1, 0x80, 0, 0, 0, 0]), Buffer.from([0x81, 0x01, 0x41]), Buffer.from([0x83, 0x80, 0, 0, 0, 0]), Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28])];
  for (const frame of frames) {
    const answer = await raw(Buffer.concat([Buffer.from(upgrade('/rpc', `Cookie: ${cookie}\r\n`), 'latin1'), frame]));
    expect(answer).toMatch(/^HTTP\/1\.1 101/);
    await alive();
  }
});
