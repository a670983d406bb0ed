import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScreenEvent } from '../../shared/screen';
import { qemuArgs, type QemuLaunch } from '../../electron/core/vm/qemu-args';
import { VmStore } from '../../electron/core/vm/vm-store';
import { dataEvent, decodeInput, isIncrementalUpdateRequest, ScreenConnections, screenEndpoint, UpdateEcho } from '../../electron/core/vm/vnc-bridge';

const launch: QemuLaunch = {
  name: 'fixture',
  arch: 'x86_64',
  accel: 'tcg',
  cpus: 2,
  memoryMb: 2000,
  iso: '/isos/isolab-fixture.iso',
  disk: '/vms/fixture/disk.qcow2',
  qmp: '/vms/fixture/qmp.sock',
  qmpCtl: '/vms/fixture/qmp-ctl.sock',
  serial: '/vms/fixture/serial.sock',
  pidfile: '/vms/fixture/qemu.pid',
};
const values = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe('QEMU argv: the screen', () => {
  it('serves the display as VNC on the unix socket, and still opens no window', () => {
    const args = qemuArgs({ ...launch, vnc: '/vms/fixture/vnc.sock' });
    expect(values(args, '-vnc')).toEqual(['unix:/vms/fixture/vnc.sock']);
    expect(values(args, '-display')).toEqual(['none']);
  });
  it('doubles commas in the socket path, and has no -vnc without one', () => {
    expect(values(qemuArgs({ ...launch, vnc: '/v,1/vnc.sock' }), '-vnc')).toEqual(['unix:/v,,1/vnc.sock']);
    expect(qemuArgs(launch)).not.toContain('-vnc');
  });
});

describe('VM files: the VNC socket', () => {
  it('sits with the other sockets, in the VM folder when short enough', () => {
    const f = new VmStore('/data').files('a', 'qemu');
    expect(f.vnc).toBe('/data/vms/a/vnc.sock');
    expect(path.dirname(f.vnc!)).toBe(path.dirname(f.serial));
  });
  it('moves to the short temp folder with the others when the VM folder is too deep for a socket', () => {
    const deep = `/${'d'.repeat(90)}`;
    const f = new VmStore(deep).files('a', 'qemu');
    expect(path.dirname(f.vnc!)).toBe(path.dirname(f.qmpCtl));
    expect(f.vnc!.startsWith(os.tmpdir())).toBe(true);
    expect(f.vnc!.length).toBeLessThanOrEqual(100);
  });
  it('VirtualBox VMs get none', () => {
    expect(new VmStore('/data').files('a', 'virtualbox').vnc).toBeUndefined();
  });
});

describe('screenEndpoint: the socket, or why there is no screen', () => {
  const vm = { name: 'a', driver: 'qemu' as const, state: 'running' as const, arch: 'x86_64' as const };
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 'none';
    } catch (err) {
      return (err as { code: string }).code;
    }
  };
  it('a running QEMU VM with a socket: the socket', () => {
    expect(screenEndpoint(vm, { vnc: '/s/vnc.sock' })).toBe('/s/vnc.sock');
  });
  it('notes for VirtualBox, aarch64, a VM made before screens, and one not running', () => {
    expect(code(() => screenEndpoint({ ...vm, driver: 'virtualbox' }, { vnc: '/s' }))).toBe('VM_SCREEN_UNSUPPORTED');
    expect(code(() => screenEndpoint({ ...vm, arch: 'aarch64' }, { vnc: '/s' }))).toBe('VM_SCREEN_UNSUPPORTED');
    expect(code(() => screenEndpoint(vm, {}))).toBe('VM_SCREEN_NONE');
    expect(code(() => screenEndpoint(vm, undefined))).toBe('VM_SCREEN_NONE');
    expect(code(() => screenEndpoint({ ...vm, state: 'stopped' }, { vnc: '/s' }))).toBe('VM_NOT_RUNNING');
  });
});

describe('screen framing in the core', () => {
  it('a chunk is one data event, valid against the contract; empty chunks are none', () => {
    const e = dataEvent(Buffer.from([0, 255, 1]));
    expect(ScreenEvent.parse(e)).toEqual({ t: 'data', b64: 'AP8B' });
    expect(dataEvent(Buffer.alloc(0))).toBeUndefined();
  });
  it('input: base64 in, bytes out; anything else refused', () => {
    expect([...decodeInput('AP8B')]).toEqual([0, 255, 1]);
    expect(() => decodeInput('AP8')).toThrow(/base64/);
    expect(() => decodeInput('!!!!')).toThrow(/base64/);
  });
});

/** FramebufferUpdateRequest: type 3, incremental, x, y, w, h. */
const fbur = (incremental: number) => Buffer.from([3, incremental, 0, 0, 0, 0, 4, 0, 3, 0]);

describe('the echo of update requests (QEMU keeps its refresh fast for a client that is always waiting)', () => {
  it('knows an incremental update request sent alone, and nothing else', () => {
    expect(isIncrementalUpdateRequest(fbur(1))).toBe(true);
    expect(isIncrementalUpdateRequest(fbur(0))).toBe(false);
    expect(isIncrementalUpdateRequest(Buffer.concat([Buffer.from([5, 0, 0, 1, 0, 1]), fbur(1)]))).toBe(false);
    expect(isIncrementalUpdateRequest(Buffer.from('RFB 003.8\n'))).toBe(false);
  });
  it('repeats the client\'s last request once, when the server\'s next data comes', () => {
    const echo = new UpdateEcho();
    expect(echo.fromServer()).toBeUndefined();
    echo.fromClient(Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x41]));
    expect(echo.fromServer()).toBeUndefined();
    echo.fromClient(fbur(1));
    expect([...echo.fromServer()!]).toEqual([...fbur(1)]);
    expect(echo.fromServer()).toBeUndefined();
    // A full (non-incremental) request is the client's business alone.
    echo.fromClient(fbur(0));
    expect(echo.fromServer()).toBeUndefined();
  });
});

describe('ScreenConnections against a unix socket server', () => {
  let dir = '';
  let server: net.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('open, then the server\'s bytes in order; input written in order; the server closing ends the stream', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolab-vnc-'));
    const sock = path.join(dir, 'vnc.sock');
    const received: Buffer[] = [];
    let peer: net.Socket | undefined;
    server = net.createServer((s) => {
      peer = s;
      s.write('RFB 003.008\n');
      s.on('data', (d) => {
        received.push(d);
        if (Buffer.concat(received).length >= 4) {
          s.write(Buffer.from([1, 2, 3]));
          s.end();
        }
      });
    });
    await new Promise<void>((r) => server!.listen(sock, r));
    const screens = new ScreenConnections();
    const events: ScreenEvent[] = [];
    const ctrl = new AbortController();
    const done = screens.stream(sock, (e) => {
      events.push(e);
      if (e.t === 'open') {
        screens.write(e.screenId, Buffer.from([9, 8]).toString('base64'));
        screens.write(e.screenId, Buffer.from([7, 6]).toString('base64'));
      }
    }, ctrl.signal);
    await done;
    expect(events[0]!.t).toBe('open');
    const bytes = Buffer.concat(events.filter((e) => e.t === 'data').map((e) => Buffer.from((e as { b64: string }).b64, 'base64')));
    expect(bytes.toString('latin1')).toBe('RFB 003.008\n\x01\x02\x03');
    expect([...Buffer.concat(received)]).toEqual([9, 8, 7, 6]);
    // No update request among them: nothing was echoed.
    expect(screens.count).toBe(0);
    expect(peer).toBeDefined();
    // A closed screen takes no input.
    expect(() => screens.write((events[0] as { screenId: string }).screenId, 'AA==')).toThrow(/closed/);
  });

  it('an incremental update request reaches the server, and once more when its next data comes', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolab-vnc-'));
    const sock = path.join(dir, 'vnc.sock');
    const received: Buffer[] = [];
    let peer: net.Socket | undefined;
    server = net.createServer((s) => {
      peer = s;
      s.on('data', (d) => received.push(d));
    });
    await new Promise<void>((r) => server!.listen(sock, r));
    const screens = new ScreenConnections();
    const ctrl = new AbortController();
    let id = '';
    const done = screens.stream(sock, (e) => e.t === 'open' && (id = e.screenId), ctrl.signal);
    await expect.poll(() => id && peer).toBeTruthy();
    screens.write(id, fbur(1).toString('base64'));
    await expect.poll(() => Buffer.concat(received).length).toBe(10);
    peer!.write(Buffer.from([0, 0, 0, 1]));
    await expect.poll(() => Buffer.concat(received).length).toBe(20);
    peer!.write(Buffer.from([0, 0, 0, 1]));
    await new Promise((r) => setTimeout(r, 50));
    expect(Buffer.concat(received).equals(Buffer.concat([fbur(1), fbur(1)]))).toBe(true);
    ctrl.abort();
    await done;
  });

  it('the subscriber leaving closes the connection', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolab-vnc-'));
    const sock = path.join(dir, 'vnc.sock');
    let closed = false;
    server = net.createServer((s) => s.on('close', () => (closed = true)));
    await new Promise<void>((r) => server!.listen(sock, r));
    const screens = new ScreenConnections();
    const ctrl = new AbortController();
    const done = screens.stream(sock, (e) => e.t === 'open' && ctrl.abort(), ctrl.signal);
    await done;
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
    expect(screens.count).toBe(0);
  });

  it('no socket: a clear error after retrying', async () => {
    const screens = new ScreenConnections();
    await expect(screens.stream('/nonexistent/isolab/vnc.sock', () => undefined, AbortSignal.timeout(60_000))).rejects.toMatchObject({ code: 'VM_SCREEN_UNAVAILABLE' });
  }, 20_000);
});
