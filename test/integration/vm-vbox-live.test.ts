// The VirtualBox driver against a real VirtualBox, wherever VBoxManage exists and works:
// the fixture ISO booted headless, its serial console bridged, root logged in, then
// stopped and removed with nothing left registered. Elsewhere the suite reports itself
// skipped, with the reason in its name.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkVirtualBox } from '../../electron/core/doctor/virtualbox';
import { parseListVms } from '../../electron/core/vm/vbox-parse';
import { VmManager } from '../../electron/core/vm/vm-manager';

const ISO = path.resolve(__dirname, '..', '..', '.cache', 'fixture', 'isolab-fixture.iso');
const vbox = await checkVirtualBox();
const skipReason = !vbox.path
  ? 'VBoxManage was not found on PATH or in the usual install folders'
  : vbox.error
    ? `VirtualBox is not usable: ${vbox.error.message}`
    : !existsSync(ISO)
      ? 'the fixture ISO is missing (bash scripts/make-fixture-iso.sh)'
      : undefined;

const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-vbox-'));
const paths = { configDir: path.join(home, 'config'), dataDir: path.join(home, 'data'), cacheDir: path.join(home, 'cache') };
const m = new VmManager({ paths, env: process.env, defaults: async () => ({ driver: 'virtualbox', cpus: 1, memoryMb: 512, diskMb: 64 }), adopt: false });

afterAll(async () => {
  for (const v of await m.list().catch(() => [])) await m.delete(v.name).catch(() => undefined);
  await m.dispose();
  rmSync(home, { recursive: true, force: true });
});

const registered = () => parseListVms(execFileSync(vbox.path!, ['list', 'vms'], { encoding: 'utf8' })).map((v) => v.name);

describe.skipIf(skipReason !== undefined)(`VirtualBox live${skipReason ? ` (skipped: ${skipReason})` : ` (${vbox.version})`}`, () => {
  it('creates, boots headless with the serial console, logs in as root, stops and removes the VM', async () => {
    const name = `it-vbox-${randomBytes(3).toString('hex')}`;
    const vm = await m.create({ iso: ISO, name });
    expect(vm).toMatchObject({ driver: 'virtualbox', accel: 'vbox', state: 'stopped' });
    expect(registered()).toContain(`isolab-${name}`);
    await m.start(name);
    const r = await m.login(name, { command: 'cat /etc/VERSION', timeoutSeconds: 180 });
    expect(r).toEqual({ loggedIn: true, output: 'isolab-fixture 1\n', exitCode: 0 });
    const stopped = await m.stop(name, { timeoutSeconds: 5 });
    expect(stopped.state).toBe('stopped');
    await m.delete(name);
    expect(registered()).not.toContain(`isolab-${name}`);
    expect(existsSync(vm.dir)).toBe(false);
  }, 300_000);

  it('a VM that VirtualBox powers off on its own shows as stopped', async () => {
    const name = `it-vbox-${randomBytes(3).toString('hex')}`;
    await m.create({ iso: ISO, name });
    await m.start(name);
    execFileSync(vbox.path!, ['controlvm', `isolab-${name}`, 'poweroff'], { stdio: 'ignore' });
    const t0 = Date.now();
    while ((await m.get(name)).state !== 'stopped') {
      if (Date.now() - t0 > 10_000) throw new Error('still not stopped');
      await new Promise((r) => setTimeout(r, 100));
    }
    await m.delete(name);
  }, 300_000);
});

describe('VirtualBox live: availability', () => {
  it(skipReason ? `skipped the live tests: ${skipReason}` : `VBoxManage ${vbox.version} at ${vbox.path}`, () => {
    if (skipReason) console.log(`VirtualBox live tests skipped: ${skipReason}`);
    expect(true).toBe(true);
  });
});
