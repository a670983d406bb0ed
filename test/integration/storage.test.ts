// Settings → Storage (issue 10 item 10) through the lab core, against real folders, the real
// dockerd and QEMU: the sizes of the index cache, rootfs images, VM disks, build logs and
// remaster edits, Clear for each, and Clear refused (with the reason, nothing removed) while a
// running VM, a live build or an open shell uses what it would remove.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageItem } from '../../shared/settings';
import { createLab } from '../../electron/core/lab';
import type { Dispatcher } from '../../electron/core/rpc/dispatcher';
import { fixtureIso } from '../helpers/fixture-variant';

const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-storage-'));
const l: Dispatcher = createLab({ env: { ...process.env, ISOLAB_HOME: home } });
const TAG = `isolab-test/storage-rootfs:${process.pid}`;
const containers: string[] = [];

async function req<T>(channel: string, args: unknown = {}): Promise<T> {
  const o = await l.request(channel, args);
  if (!o.ok) throw Object.assign(new Error(o.error.message), o.error);
  return o.result as T;
}
async function refused(channel: string, args: unknown) {
  const o = await l.request(channel, args);
  if (o.ok) throw new Error(`${channel} did not refuse`);
  return o.error;
}
const usage = async () => Object.fromEntries((await req<{ items: StorageItem[] }>('storage.usage')).items.map((i) => [i.kind, StorageItem.parse(i)]));
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

afterAll(async () => {
  for (const c of containers) sh('docker', ['rm', '-f', c]);
  try {
    sh('docker', ['rmi', '-f', TAG]);
  } catch {
    // cleared by the test
  }
  for (const v of await req<{ name: string }[]>('vm.list').catch(() => [])) await req('vm.delete', { name: v.name }).catch(() => undefined);
});

describe('storage sizes and Clear', () => {
  it('lists the five, with sizes of what the folders really hold', async () => {
    mkdirSync(path.join(home, 'cache', 'archives'), { recursive: true });
    writeFileSync(path.join(home, 'cache', 'archives', 'x.data'), Buffer.alloc(300_000, 1));
    writeFileSync(path.join(home, 'cache', 'archives', 'x.index.json'), '{}');
    mkdirSync(path.join(home, 'data', 'edits', 'e1'), { recursive: true });
    writeFileSync(path.join(home, 'data', 'edits', 'e1', 'edit.json'), Buffer.alloc(10_000, 1));
    const u = await usage();
    expect(Object.keys(u)).toEqual(['indexCache', 'rootfsImages', 'vmDisks', 'buildLogs', 'remasterEdits']);
    expect(u.indexCache).toMatchObject({ location: path.join(home, 'cache', 'archives'), count: 2 });
    // Allocated bytes, as du counts them.
    const du = Number(sh('du', ['-s', '-B1', path.join(home, 'cache', 'archives')]).split(/\s/)[0]);
    expect(u.indexCache!.bytes).toBeGreaterThanOrEqual(300_000);
    expect(u.indexCache!.bytes).toBeLessThanOrEqual(du);
    expect(u.remasterEdits).toMatchObject({ count: 1, location: path.join(home, 'data', 'edits') });
    expect(u.vmDisks).toMatchObject({ count: 0, bytes: 0 });
    expect(u.rootfsImages!.location).toMatch(/^unix:\/\/\/var\/run\/docker\.sock, images labelled io\.isolab\.shell$/);
  });

  it('clears the index cache and the edits: the folders are empty, the freed bytes said', async () => {
    const r = await req<{ freed: number; item: StorageItem }>('storage.clear', { kind: 'indexCache' });
    expect(r.freed).toBeGreaterThanOrEqual(300_000);
    expect(r.item).toMatchObject({ bytes: 0, count: 0 });
    expect(readdirSync(path.join(home, 'cache', 'archives'))).toEqual([]);
    await req('storage.clear', { kind: 'remasterEdits' });
    expect(readdirSync(path.join(home, 'data', 'edits'))).toEqual([]);
  });

  it('build logs: refused while a build of a live process is not over, cleared after', async () => {
    const dir = path.join(home, 'data', 'builds', '20260101-000000-live');
    mkdirSync(dir, { recursive: true });
    const record = { id: '20260101-000000-live', recipe: 'hello', arch: 'x86_64', checkout: '/tmp', image: 'x', startedAt: new Date().toISOString(), phase: 'build', logs: { image: path.join(dir, 'image.log'), build: path.join(dir, 'build.log') }, problems: [], owner: { pid: process.pid, host: os.hostname() } };
    writeFileSync(path.join(dir, 'record.json'), JSON.stringify(record));
    writeFileSync(path.join(dir, 'build.log'), 'x\n'.repeat(5000));
    const u = await usage();
    expect(u.buildLogs).toMatchObject({ count: 1, inUse: expect.stringContaining('20260101-000000-live is running') });
    const e = await refused('storage.clear', { kind: 'buildLogs' });
    expect(e).toMatchObject({ code: 'STORAGE_IN_USE', message: expect.stringContaining('cannot be cleared now') });
    expect(existsSync(path.join(dir, 'build.log'))).toBe(true);
    writeFileSync(path.join(dir, 'record.json'), JSON.stringify({ ...record, phase: 'done' }));
    await req('storage.clear', { kind: 'buildLogs' });
    expect(readdirSync(path.join(home, 'data', 'builds'))).toEqual([]);
  });

  it('rootfs images in Docker: label-filtered, refused while a shell container uses one, removed after', async () => {
    const tar = path.join(home, 'root.tar');
    const src = mkdtempSync(path.join(os.tmpdir(), 'isolab-storage-root-'));
    writeFileSync(path.join(src, 'hello'), 'hi\n');
    sh('tar', ['-C', src, '-cf', tar, '.']);
    sh('docker', ['import', '--change', 'LABEL io.isolab.shell=storage-test', tar, TAG]);
    const before = await usage();
    expect(before.rootfsImages!.count).toBeGreaterThanOrEqual(1);
    expect(before.rootfsImages!.inUse).toBeUndefined();
    containers.push(sh('docker', ['create', '--label', 'io.isolab.shell=storage-test', TAG, '/hello']));
    const busy = await usage();
    expect(busy.rootfsImages!.inUse).toMatch(/shell/);
    expect(await refused('storage.clear', { kind: 'rootfsImages' })).toMatchObject({ code: 'STORAGE_IN_USE' });
    expect(sh('docker', ['images', '-q', TAG])).not.toBe('');
    sh('docker', ['rm', '-f', containers.pop()!]);
    const r = await req<{ freed: number; item: StorageItem }>('storage.clear', { kind: 'rootfsImages' });
    expect(r.item.count).toBe(0);
    expect(sh('docker', ['images', '-q', '--filter', 'label=io.isolab.shell'])).toBe('');
    // Images without the label are not touched.
    expect(sh('docker', ['images', '-q', 'isolab-test-base:bookworm'])).not.toBe('');
  }, 120_000);

  it('VM disks: refused while the VM runs, naming it; cleared once it is stopped', async () => {
    const iso = fixtureIso();
    await req('vm.create', { name: 'storage-vm', iso, diskMb: 64, memoryMb: 256, cpus: 1 });
    const u = await usage();
    expect(u.vmDisks).toMatchObject({ count: 1 });
    expect(u.vmDisks!.bytes).toBeGreaterThan(0);
    await req('vm.start', { name: 'storage-vm' });
    expect((await usage()).vmDisks!.inUse).toBe('the VM storage-vm is running: stop it first');
    const e = await refused('storage.clear', { kind: 'vmDisks' });
    expect(e.message).toMatch(/storage-vm is running/);
    expect(existsSync(path.join(home, 'data', 'vms', 'storage-vm'))).toBe(true);
    await req('vm.kill', { name: 'storage-vm' });
    const r = await req<{ freed: number; item: StorageItem }>('storage.clear', { kind: 'vmDisks' });
    expect(r.item).toMatchObject({ count: 0, bytes: 0 });
    expect(r.freed).toBeGreaterThanOrEqual(u.vmDisks!.bytes);
    expect(await req<unknown[]>('vm.list')).toEqual([]);
  }, 180_000);
});
