import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/api';
import { LabError } from '../../shared/errors';
import { Dispatcher } from '../../electron/core/rpc/dispatcher';
import { MAX_SUBSCRIPTIONS, RpcSession } from '../../electron/core/rpc/session';
import type { EventHandlers, LabContext, RequestHandlers } from '../../electron/core/rpc/types';
import { eventHandlers, requestHandlers } from '../../electron/core/handlers';
import { BuildManager } from '../../electron/core/build/build-manager';
import { ImageRegistry } from '../../electron/core/image/registry';
import { SettingsStore } from '../../electron/core/settings/store';
import { ShellManager } from '../../electron/core/shell/shell-manager';
import { VmManager } from '../../electron/core/vm/vm-manager';
import { EditManager } from '../../electron/core/remaster/edit-manager';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ctx(): LabContext {
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-disp-'));
  const paths = { configDir: path.join(home, 'config'), dataDir: path.join(home, 'data'), cacheDir: path.join(home, 'cache') };
  return { version: 'test', paths, settings: new SettingsStore(paths.configDir), images: new ImageRegistry(paths.cacheDir), builds: new BuildManager({ paths, env: {} }), vms: new VmManager({ paths, env: {}, defaults: async () => ({ driver: 'qemu', cpus: 2, memoryMb: 2000, diskMb: 20000 }), adopt: false }), shells: new ShellManager({ images: new ImageRegistry(paths.cacheDir), env: {} }), edits: new EditManager({ dataDir: paths.dataDir, images: new ImageRegistry(paths.cacheDir) }), env: {} };
}

function make(overrides: { aborted?: () => void } = {}) {
  const handlers = {
    ...requestHandlers,
    'lab.info': async () => {
      throw new LabError('NOPE', 'it failed', 'try again');
    },
  } as RequestHandlers;
  const events = {
    ...eventHandlers,
    'lab.status': async (_args, emit, signal) => {
      let n = 0;
      while (!signal.aborted) {
        emit({ n: n++ });
        await wait(5);
      }
      overrides.aborted?.();
    },
  } as EventHandlers;
  return new Dispatcher(handlers, events, ctx());
}

describe('Dispatcher', () => {
  it('validates arguments before any handler runs', async () => {
    const out = await make().request('recent.add', { kind: 'iso' });
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.code).toBe('BAD_ARGS');
      expect(out.error.message).toContain('path');
    }
  });

  it('refuses unknown channels, including inherited property names', async () => {
    for (const ch of ['nope', 'constructor', '__proto__', 42]) {
      const out = await make().request(ch, {});
      expect(out).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    }
  });

  it('carries a handler error as {code, message, hint}', async () => {
    expect(await make().request('lab.info', {})).toEqual({
      ok: false,
      error: { code: 'NOPE', message: 'it failed', hint: 'try again' },
    });
  });

  it('runs real handlers: settings round trip', async () => {
    const d = make();
    const updated = await d.request('settings.update', { vm: { memoryMb: 4096 } });
    expect(updated.ok).toBe(true);
    const got = await d.request('settings.get', {});
    expect(got.ok && (got.result as { settings: { vm: { memoryMb: number } } }).settings.vm.memoryMb).toBe(4096);
  });
});

describe('RpcSession', () => {
  it('streams batches and stops the handler when the subscriber unsubscribes', async () => {
    let aborted = false;
    const sent: ServerMessage[] = [];
    const session = new RpcSession(make({ aborted: () => (aborted = true) }), (m) => sent.push(m));
    session.handle({ t: 'sub', id: 1, ch: 'lab.status', args: {} });
    await wait(60);
    const evs = sent.filter((m) => m.t === 'ev');
    expect(evs.length).toBeGreaterThan(0);
    // Batching: fewer messages than events emitted.
    const total = evs.reduce((n, m) => n + (m.t === 'ev' ? m.batch.length : 0), 0);
    expect(total).toBeGreaterThan(evs.length - 1);
    session.handle({ t: 'unsub', id: 1 });
    await wait(20);
    expect(aborted).toBe(true);
    expect(session.subscriptionCount).toBe(0);
    const count = sent.length;
    await wait(30);
    expect(sent.length).toBe(count);
  });

  it('caps the streams one connection holds, ending the extra ones with a reason', async () => {
    const sent: ServerMessage[] = [];
    const session = new RpcSession(make(), (m) => sent.push(m));
    for (let id = 1; id <= MAX_SUBSCRIPTIONS + 3; id++) session.handle({ t: 'sub', id, ch: 'lab.status', args: {} });
    expect(session.subscriptionCount).toBe(MAX_SUBSCRIPTIONS);
    const refused = sent.filter((m) => m.t === 'end' && m.error?.code === 'TOO_MANY_STREAMS').map((m) => m.id);
    expect(refused).toEqual([MAX_SUBSCRIPTIONS + 1, MAX_SUBSCRIPTIONS + 2, MAX_SUBSCRIPTIONS + 3]);
    session.close();
  });

  it('closing the session ends every subscription', async () => {
    let stopped = 0;
    const session = new RpcSession(make({ aborted: () => stopped++ }), () => undefined);
    session.handle({ t: 'sub', id: 1, ch: 'lab.status', args: {} });
    session.handle({ t: 'sub', id: 2, ch: 'lab.status', args: {} });
    expect(session.subscriptionCount).toBe(2);
    session.close();
    await wait(20);
    expect(stopped).toBe(2);
  });

  it('ends a subscription with bad arguments at once, with an error', async () => {
    const sent: ServerMessage[] = [];
    const session = new RpcSession(make(), (m) => sent.push(m));
    session.handle({ t: 'sub', id: 7, ch: 'lab.status', args: { intervalSeconds: -1 } });
    expect(sent).toEqual([{ t: 'end', id: 7, error: expect.objectContaining({ code: 'BAD_ARGS' }) }]);
    expect(session.subscriptionCount).toBe(0);
  });

  it('answers requests with the request id', async () => {
    const sent: ServerMessage[] = [];
    const session = new RpcSession(make(), (m) => sent.push(m));
    session.handle({ t: 'req', id: 3, ch: 'recent.list', args: {} });
    await wait(20);
    expect(sent).toEqual([{ t: 'res', id: 3, ok: true, result: [] }]);
  });
});
