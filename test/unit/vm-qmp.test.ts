import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, type QmpEvent } from '../../electron/core/vm/qmp';

// Lines as QEMU 7.2.22 sends them (vm-and-docker-drivers.md B.4/B.5): CRLF-terminated, members in its order.
const GREETING = '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}';

type Reply = (cmd: { execute: string; id?: unknown; arguments?: unknown }, sock: net.Socket) => void;

/** A QMP server that greets, insists on qmp_capabilities first, and answers with `reply`. */
function fakeQemu(reply: Reply, opts: { greet?: boolean } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-qmp-'));
  dirs.push(dir);
  const file = path.join(dir, 'qmp.sock');
  const received: string[] = [];
  const server = net.createServer((sock) => {
    if (opts.greet !== false) sock.write(`${GREETING}\r\n`);
    let negotiated = false;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        received.push(line);
        const cmd = JSON.parse(line) as { execute: string; id?: unknown };
        const id = JSON.stringify(cmd.id);
        if (!negotiated && cmd.execute !== 'qmp_capabilities') {
          sock.write(`{"id": ${id}, "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}\r\n`);
        } else if (cmd.execute === 'qmp_capabilities') {
          negotiated = true;
          sock.write(`{"return": {}, "id": ${id}}\r\n`);
        } else reply(cmd, sock);
      }
    });
    sock.on('error', () => undefined);
  });
  servers.push(server);
  return new Promise<{ file: string; received: string[] }>((resolve) => server.listen(file, () => resolve({ file, received })));
}

const servers: net.Server[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('QMP client', () => {
  it('negotiates capabilities, then matches replies to commands by id', async () => {
    const { file, received } = await fakeQemu((cmd, sock) => {
      const id = JSON.stringify(cmd.id);
      if (cmd.execute === 'query-status') sock.write(`{"return": {"status": "running", "singlestep": false, "running": true}, "id": ${id}}\r\n`);
      else sock.write(`{"id": ${id}, "error": {"class": "CommandNotFound", "desc": "The command ${cmd.execute} has not been found"}}\r\n`);
    });
    const q = await QmpClient.connect(file);
    expect(q.greeting).toMatchObject({ version: { qemu: { major: 7, minor: 2 } } });
    expect(JSON.parse(received[0]!)).toMatchObject({ execute: 'qmp_capabilities' });
    await expect(q.queryStatus()).resolves.toEqual({ status: 'running', singlestep: false, running: true });
    await expect(q.execute('no-such-cmd')).rejects.toMatchObject({ code: 'QMP_ERROR', message: expect.stringContaining('has not been found (CommandNotFound)') });
    q.close();
  });

  it('delivers an event that arrives before the reply of the command that caused it', async () => {
    const { file } = await fakeQemu((cmd, sock) => {
      // system_powerdown: POWERDOWN first, then the return (B.5).
      sock.write(`{"timestamp": {"seconds": 1795756520, "microseconds": 895669}, "event": "POWERDOWN"}\r\n{"return": {}, "id": ${JSON.stringify(cmd.id)}}\r\n`);
    });
    const q = await QmpClient.connect(file);
    const events: QmpEvent[] = [];
    q.on('event', (e) => events.push(e));
    await q.execute('system_powerdown');
    expect(events).toEqual([{ timestamp: { seconds: 1795756520, microseconds: 895669 }, event: 'POWERDOWN' }]);
    q.close();
  });

  it('handles replies split across reads and several messages in one read', async () => {
    const { file } = await fakeQemu((cmd, sock) => {
      const text = `{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}\r\n{"return": {"status": "running", "running": true}, "id": ${JSON.stringify(cmd.id)}}\r\n`;
      sock.write(text.slice(0, 30));
      setTimeout(() => sock.write(text.slice(30)), 10);
    });
    const q = await QmpClient.connect(file);
    const events: QmpEvent[] = [];
    q.on('event', (e) => events.push(e));
    await expect(q.queryStatus()).resolves.toMatchObject({ status: 'running' });
    expect(events[0]).toMatchObject({ event: 'SHUTDOWN', data: { reason: 'guest-shutdown', guest: true } });
    q.close();
  });

  it('quit: EOF before the reply counts as success; other commands fail on EOF', async () => {
    const { file } = await fakeQemu((cmd, sock) => {
      if (cmd.execute === 'quit') {
        sock.write('{"timestamp": {"seconds": 1, "microseconds": 0}, "event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}}\r\n');
        sock.destroy();
      }
    });
    const q = await QmpClient.connect(file);
    const closed = new Promise((r) => q.once('close', r));
    const other = q.execute('query-status');
    await expect(q.execute('quit')).resolves.toEqual({});
    await expect(other).rejects.toMatchObject({ code: 'QMP_CLOSED' });
    await closed;
    expect(q.isClosed).toBe(true);
    await expect(q.execute('query-status')).rejects.toMatchObject({ code: 'QMP_CLOSED' });
  });

  it('times out a command QEMU does not answer', async () => {
    const { file } = await fakeQemu(() => undefined);
    const q = await QmpClient.connect(file);
    await expect(q.execute('query-status', undefined, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'QMP_TIMEOUT' });
    q.close();
  });

  it('gives up on a monitor that never greets (another client holds it)', async () => {
    const { file } = await fakeQemu(() => undefined, { greet: false });
    const t0 = Date.now();
    await expect(QmpClient.connect(file, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'QMP_UNAVAILABLE', message: expect.stringContaining('did not answer') });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('fails fast on a missing or refused socket', async () => {
    await expect(QmpClient.connect('/nonexistent/qmp.sock')).rejects.toMatchObject({ code: 'QMP_UNAVAILABLE', message: expect.stringContaining('ENOENT') });
  });
});
