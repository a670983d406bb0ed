import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabErrorShape } from '../../shared/errors';
import type { ScreenEvent } from '../../shared/screen';
import { SCREEN_INPUT_MAX_BYTES } from '../../shared/screen';
import { base64ToBytes, bytesToBase64, concatBytes, ScreenChannel, splitBytes, type ScreenTransport } from '../../renderer/src/store/screen-channel';

/** A transport that records what the channel sends and lets the test play the core. */
function fakeTransport() {
  const sent: { screenId: string; bytes: number[] }[] = [];
  let handlers: Parameters<ScreenTransport['subscribe']>[0] | undefined;
  let unsubscribed = 0;
  let fail = false;
  const t: ScreenTransport = {
    subscribe: (h) => {
      handlers = h;
      return () => void unsubscribed++;
    },
    send: (screenId, b64) => {
      sent.push({ screenId, bytes: [...Buffer.from(b64, 'base64')] });
      return fail ? Promise.reject(new Error('closed')) : Promise.resolve({});
    },
  };
  return {
    t,
    sent,
    data: (batch: ScreenEvent[]) => handlers!.onData(batch),
    end: (error?: LabErrorShape) => handlers!.onEnd(error),
    get unsubscribed() {
      return unsubscribed;
    },
    failSends: () => (fail = true),
  };
}

const b64 = (...bytes: number[]) => Buffer.from(bytes).toString('base64');
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('screen channel: base64 framing', () => {
  it('round-trips every byte value, and sizes past the 32 KB chunk of the encoder', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect([...base64ToBytes(bytesToBase64(all))]).toEqual([...all]);
    const big = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 31) & 0xff);
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString('base64'));
    expect(Buffer.from(base64ToBytes(Buffer.from(big).toString('base64'))).equals(Buffer.from(big))).toBe(true);
    expect(bytesToBase64(new Uint8Array(0))).toBe('');
  });

  it('joins chunks in order and splits at the request limit', () => {
    expect([...concatBytes([Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)])]).toEqual([1, 2, 3]);
    const parts = splitBytes(new Uint8Array(SCREEN_INPUT_MAX_BYTES * 2 + 5));
    expect(parts.map((p) => p.length)).toEqual([SCREEN_INPUT_MAX_BYTES, SCREEN_INPUT_MAX_BYTES, 5]);
    expect(splitBytes(Uint8Array.of(9)).map((p) => [...p])).toEqual([[9]]);
  });
});

describe('screen channel: a WebSocket for noVNC over vm.screen / vm.screenInput', () => {
  it('opens on the core\'s open event, and each batch is one message with the bytes in order', () => {
    const f = fakeTransport();
    const ch = new ScreenChannel(f.t);
    const events: string[] = [];
    const messages: number[][] = [];
    ch.onopen = () => events.push('open');
    ch.onmessage = (e) => messages.push([...new Uint8Array(e.data)]);
    expect(ch.readyState).toBe('connecting');
    f.data([{ t: 'open', screenId: 'aaaaaaaaaaaa' }, { t: 'data', b64: b64(82, 70, 66) }, { t: 'data', b64: b64(32, 48) }]);
    expect(events).toEqual(['open']);
    expect(ch.readyState).toBe('open');
    f.data([{ t: 'data', b64: b64(51) }]);
    expect(messages).toEqual([[82, 70, 66, 32, 48], [51]]);
    expect(ch.received).toBe(6);
  });

  it('sends what noVNC writes in one task as one request, in order, copied (noVNC reuses its buffer)', async () => {
    const f = fakeTransport();
    const ch = new ScreenChannel(f.t);
    f.data([{ t: 'open', screenId: 'bbbbbbbbbbbb' }]);
    const buf = new Uint8Array(8);
    buf.set([4, 1, 0, 0]);
    ch.send(new Uint8Array(buf.buffer, 0, 4));
    buf.set([5, 0, 1, 2]);
    ch.send(new Uint8Array(buf.buffer, 0, 4));
    expect(f.sent).toEqual([]);
    await tick();
    expect(f.sent).toEqual([{ screenId: 'bbbbbbbbbbbb', bytes: [4, 1, 0, 0, 5, 0, 1, 2] }]);
    ch.send(Uint8Array.of(9).buffer);
    await tick();
    expect(f.sent.map((s) => s.bytes)).toEqual([[4, 1, 0, 0, 5, 0, 1, 2], [9]]);
    expect(ch.sent).toBe(9);
  });

  it('drops what is sent before open, and data before open', async () => {
    const f = fakeTransport();
    const ch = new ScreenChannel(f.t);
    const messages: unknown[] = [];
    ch.onmessage = (e) => messages.push(e);
    ch.send(Uint8Array.of(1));
    f.data([{ t: 'data', b64: b64(1) }]);
    await tick();
    expect(f.sent).toEqual([]);
    expect(messages).toEqual([]);
  });

  it('the stream ending with the core\'s error closes it uncleanly and keeps the reason for the pane', () => {
    const f = fakeTransport();
    const ch = new ScreenChannel(f.t);
    const seen: string[] = [];
    ch.onerror = () => seen.push('error');
    ch.onclose = (e) => seen.push(`close ${e.code} ${e.wasClean} ${e.reason}`);
    f.end({ code: 'VM_SCREEN_NONE', message: 'no screen' });
    expect(seen).toEqual(['error', 'close 1011 false no screen']);
    expect(ch.readyState).toBe('closed');
    expect(ch.endError?.code).toBe('VM_SCREEN_NONE');
  });

  it('close() unsubscribes once and closes cleanly; a failed send closes it', async () => {
    const f = fakeTransport();
    const ch = new ScreenChannel(f.t);
    const closes: number[] = [];
    ch.onclose = (e) => closes.push(e.code);
    f.data([{ t: 'open', screenId: 'cccccccccccc' }]);
    ch.close();
    ch.close();
    expect(f.unsubscribed).toBe(1);
    expect(closes).toEqual([1000]);

    const g = fakeTransport();
    const ch2 = new ScreenChannel(g.t);
    const errors: unknown[] = [];
    ch2.onerror = (e) => errors.push(e);
    g.data([{ t: 'open', screenId: 'dddddddddddd' }]);
    g.failSends();
    ch2.send(Uint8Array.of(1));
    await tick();
    await tick();
    expect(errors).toHaveLength(1);
    expect(ch2.readyState).toBe('closed');
  });
});

describe("screen channel: noVNC's Websock takes it as a raw channel", () => {
  const g = globalThis as { WebSocket?: unknown; window?: unknown };
  const saved = { WebSocket: g.WebSocket, window: g.window };
  beforeAll(() => {
    // websock.js reads WebSocket's state constants at load, its logging `window.console`;
    // Node 20 has neither.
    g.WebSocket ??= { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 };
    g.window ??= { console, Error };
  });
  afterAll(() => {
    if (saved.WebSocket === undefined) delete g.WebSocket;
    if (saved.window === undefined) delete g.window;
  });

  it('attaches (every property noVNC checks is there), reads its messages and flushes through send', async () => {
    // @ts-expect-error noVNC ships no types for its internals
    const { default: Websock } = await import('../../node_modules/@novnc/novnc/core/websock.js');
    const f = fakeTransport();
    const ch = new ScreenChannel(f.t);
    const sock = new Websock();
    let opened = false;
    let got = '';
    sock.on('open', () => (opened = true));
    sock.on('message', () => {
      const n = sock.rQlen();
      got = String.fromCharCode(...Array.from({ length: n }, () => sock.rQshift8()));
    });
    sock.attach(ch);
    expect(sock.readyState).toBe('connecting');
    f.data([{ t: 'open', screenId: 'eeeeeeeeeeee' }, { t: 'data', b64: Buffer.from('RFB 003.008\n').toString('base64') }]);
    expect(opened).toBe(true);
    expect(sock.readyState).toBe('open');
    expect(got).toBe('RFB 003.008\n');
    sock.sQpush8(1);
    sock.flush();
    await tick();
    expect(f.sent.map((s) => s.bytes)).toEqual([[1]]);
  });
});
