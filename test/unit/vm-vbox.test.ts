import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../shared/errors';
import { parseVBoxVersion } from '../../electron/core/doctor/virtualbox';
import type { VmRecord } from '../../electron/core/vm/types';
import { VBoxDriver } from '../../electron/core/vm/vbox-driver';
import { parseListVms, parseMachineReadable, parseShowVmInfo, parseUuid, parseVBoxError, parseVBoxVersionNumber, vboxStateToVmState } from '../../electron/core/vm/vbox-parse';
import { VBoxManage, type VBoxResult, type VBoxRunner } from '../../electron/core/vm/vboxmanage';

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'vbox', name), 'utf8');
const UUID = '3f0c6a52-2f0a-4b9e-9a43-2e7f4f6f1a10';

/** A VBoxManage that records argv and answers from a script: the first matching rule wins. */
function fakeVBox(rules: Array<[RegExp, Partial<VBoxResult> | ((args: string[]) => Partial<VBoxResult>)]>) {
  const calls: string[][] = [];
  const runner: VBoxRunner = async (args) => {
    calls.push(args);
    const line = args.join(' ');
    const rule = rules.find(([re]) => re.test(line));
    const r = rule ? (typeof rule[1] === 'function' ? rule[1](args) : rule[1]) : {};
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.code ?? 0 };
  };
  return { calls, runner };
}

function record(over: Partial<VmRecord> = {}): VmRecord {
  const dir = '/data/vms/fixture';
  return {
    version: 1,
    name: 'fixture',
    driver: 'virtualbox',
    spec: { iso: '/isos/isolab-fixture.iso', cpus: 2, memoryMb: 2000, diskMb: 20000 },
    arch: 'x86_64',
    accel: 'vbox',
    createdAt: '2024-03-02T10:00:00.000Z',
    files: {
      dir,
      qmp: `${dir}/qmp.sock`,
      qmpCtl: `${dir}/qmp-ctl.sock`,
      serial: `${dir}/serial.sock`,
      pidfile: `${dir}/qemu.pid`,
      disk: `${dir}/disk.vdi`,
      transcript: `${dir}/console.log`,
      log: `${dir}/isolab.log`,
      owner: `${dir}/owner.json`,
    },
    ...over,
  };
}

describe('VBoxManage output parsing (documented formats)', () => {
  it('reads versions from 6.x, 7.x, distro builds and after the driver warning', () => {
    expect(parseVBoxVersionNumber(fixture('version-6.1.txt'))).toMatchObject({ major: 6, minor: 1, build: 50 });
    expect(parseVBoxVersionNumber(fixture('version-7.0.txt'))).toMatchObject({ major: 7, minor: 0, build: 14 });
    expect(parseVBoxVersionNumber(fixture('version-4.1-ubuntu.txt'))).toMatchObject({ major: 4, minor: 1, text: '4.1.2_Ubuntur38459' });
    const warned = parseVBoxVersion(fixture('version-driver-warning.txt'));
    expect(warned.version).toBe('7.0.14r161095');
    expect(warned.warning).toMatch(/vboxdrv kernel module is not loaded/);
  });

  it('parses showvminfo --machinereadable of 6.1 (running)', () => {
    const info = parseShowVmInfo(fixture('showvminfo-6.1-running.txt'));
    expect(info.name).toBe('isolab-fixture');
    expect(info.uuid).toBe(UUID);
    expect(info.vmState).toBe('running');
    expect(info.vmStateChangeTime).toBe('2024-03-02T10:15:42.123000000');
    expect(info.memoryMb).toBe(2000);
    expect(info.cpus).toBe(2);
    expect(info.uart1).toEqual({ mode: 'server', path: '/home/me/.local/share/isolab/vms/fixture/serial.sock' });
    expect(info.media).toEqual({ 'SATA-0-0': '/home/me/out/isolab-fixture.iso', 'SATA-1-0': '/home/me/.local/share/isolab/vms/fixture/disk.vdi' });
    expect(info.raw.get('SATA-IsEjected')).toBe('off');
    expect(info.raw.get('VideoMode')).toBe('720,400,0');
  });

  it('parses 7.0 (bare Encryption line, escaped Windows paths, per-port DVD keys, named pipe)', () => {
    const info = parseShowVmInfo(fixture('showvminfo-7.0-poweroff.txt'));
    expect(info.vmState).toBe('poweroff');
    expect(info.raw.has('Encryption:     disabled')).toBe(false);
    expect(info.raw.get('CfgFile')).toBe('C:\\Users\\me\\AppData\\Local\\isolab\\vms\\fixture\\isolab-fixture\\isolab-fixture.vbox');
    expect(info.uart1).toEqual({ mode: 'server', path: '\\\\.\\pipe\\isolab-fixture' });
    expect(Object.keys(info.media).sort()).toEqual(['SATA-0-0', 'SATA-1-0']);
    expect(info.raw.get('SATA-IsEjected-0-0')).toBe('off');
  });

  it('parses 7.1 (encryption and platformArchitecture keys) and unused ports', () => {
    const info = parseShowVmInfo(fixture('showvminfo-7.1-aborted.txt'));
    expect(info.vmState).toBe('aborted');
    expect(info.raw.get('platformArchitecture')).toBe('x86');
    expect(info.media['SATA-1-1']).toBe('none');
  });

  it('unescapes quotes and backslashes in values and quoted keys', () => {
    const m = parseMachineReadable('name="a \\"b\\" \\\\c"\n"IDE-0-0"="x"\ngarbage line\nmemory=512\n');
    expect(m.get('name')).toBe('a "b" \\c');
    expect(m.get('IDE-0-0')).toBe('x');
    expect(m.get('memory')).toBe('512');
    expect(m.size).toBe(3);
  });

  it('maps every VMState to a lab state', () => {
    const states = (f: string) => vboxStateToVmState(parseShowVmInfo(fixture(f)).vmState);
    expect(states('showvminfo-6.1-running.txt')).toBe('running');
    expect(states('showvminfo-paused.txt')).toBe('running');
    expect(states('showvminfo-7.0-poweroff.txt')).toBe('stopped');
    expect(states('showvminfo-7.1-aborted.txt')).toBe('stopped');
    expect(states('showvminfo-saved.txt')).toBe('stopped');
    expect(states('showvminfo-stopping.txt')).toBe('stopping');
    expect(states('showvminfo-gurumeditation.txt')).toBe('error');
    expect(vboxStateToVmState('aborted-saved')).toBe('stopped');
    expect(vboxStateToVmState('starting')).toBe('starting');
    expect(vboxStateToVmState('settingup')).toBe('stopped');
    expect(vboxStateToVmState(undefined)).toBe('absent');
  });

  it('parses list vms, including quotes in names and inaccessible VMs', () => {
    expect(parseListVms(fixture('list-vms.txt'))).toEqual([
      { name: 'isolab-fixture', uuid: UUID },
      { name: 'my "quoted" VM', uuid: '0b6f2d4e-1111-4222-8333-944455566677' },
      { name: '<inaccessible>', uuid: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f' },
      { name: 'Ubuntu 22.04 (dev)', uuid: 'deadbeef-0000-4000-8000-00000000cafe' },
    ]);
  });

  it('parses the UUID lines of createvm and createmedium', () => {
    expect(parseUuid(fixture('createvm.txt'))).toBe(UUID);
    expect(parseUuid(fixture('createmedium.txt'))).toBe('8a9d3c0e-5b1f-4c2d-9e7a-1b2c3d4e5f60');
  });

  it('parses the error block on Linux and Windows', () => {
    expect(parseVBoxError(fixture('error-not-found.txt'))).toMatchObject({
      message: "Could not find a registered machine named 'isolab-fixture'",
      code: 'VBOX_E_OBJECT_NOT_FOUND',
      hex: '0x80bb0001',
    });
    expect(parseVBoxError(fixture('error-not-found-windows.txt'))?.code).toBe('VBOX_E_OBJECT_NOT_FOUND');
    expect(parseVBoxError(fixture('error-not-ready.txt'))).toMatchObject({ message: 'The object is not ready', code: 'E_ACCESSDENIED' });
    expect(parseVBoxError(fixture('error-poweroff-stopped.txt'))?.code).toBe('VBOX_E_INVALID_VM_STATE');
    expect(parseVBoxError(fixture('error-not-running.txt'))).toEqual({ message: "Machine 'isolab-fixture' is not currently running" });
    expect(parseVBoxError(fixture('progress-stderr.txt'))).toBeUndefined();
  });
});

describe('VBoxManage runner', () => {
  it('retries "The object is not ready" and then succeeds', async () => {
    let n = 0;
    const vbm = new VBoxManage(async () => (++n < 3 ? { stdout: '', stderr: fixture('error-not-ready.txt'), code: 1 } : { stdout: 'ok', stderr: '', code: 0 }), 1);
    await expect(vbm.run(['showvminfo', 'x', '--machinereadable'])).resolves.toBe('ok');
    expect(n).toBe(3);
  });

  it('gives up on "not ready" after 5 retries', async () => {
    let n = 0;
    const vbm = new VBoxManage(async () => (n++, { stdout: '', stderr: fixture('error-not-ready.txt'), code: 1 }), 1);
    await expect(vbm.run(['showvminfo', 'x'])).rejects.toMatchObject({ code: 'VBOX_NOT_READY' });
    expect(n).toBe(6);
  });

  it('treats error: on stderr as failure even with exit status 0, and progress bars as fine', async () => {
    const bad = new VBoxManage(async () => ({ stdout: '', stderr: fixture('error-locked.txt'), code: 0 }), 1);
    const err = await bad.run(['modifyvm', 'x', '--memory', '1']).catch((e: LabError) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err).toMatchObject({ code: 'VBOX_LOCKED' });
    expect((err as LabError).message).toContain('already locked for a session');
    expect((err as LabError).hint).toBeTruthy();
    const ok = new VBoxManage(async () => ({ stdout: 'Medium created.', stderr: fixture('progress-stderr.txt'), code: 0 }), 1);
    await expect(ok.run(['createmedium'])).resolves.toBe('Medium created.');
  });

  it('names the common failures', async () => {
    const codeOf = async (stderr: string, code = 1) => new VBoxManage(async () => ({ stdout: '', stderr, code }), 1).run(['x', 'y']).catch((e: LabError) => e.code);
    expect(await codeOf(fixture('error-not-found.txt'))).toBe('VBOX_NOT_FOUND');
    expect(await codeOf(fixture('error-not-found-windows.txt'))).toBe('VBOX_NOT_FOUND');
    expect(await codeOf(fixture('error-already-started.txt'))).toBe('VBOX_LOCKED');
    expect(await codeOf(fixture('error-poweroff-stopped.txt'))).toBe('VBOX_NOT_RUNNING');
    expect(await codeOf(fixture('error-not-running.txt'))).toBe('VBOX_NOT_RUNNING');
    expect(await codeOf(fixture('error-settings-exist.txt'))).toBe('VBOX_FILE_EXISTS');
    expect(await codeOf('Usage: VBoxManage modifyvm\n', 2)).toBe('VBOX_USAGE');
  });

  it('runMaybeMissing turns a missing machine into undefined', async () => {
    const vbm = new VBoxManage(async () => ({ stdout: '', stderr: fixture('error-not-found.txt'), code: 1 }), 1);
    await expect(vbm.runMaybeMissing(['showvminfo', 'x'])).resolves.toBeUndefined();
  });
});

describe('VirtualBox driver command sequences', () => {
  const createRules: Array<[RegExp, Partial<VBoxResult>]> = [
    [/^createvm /, { stdout: fixture('createvm.txt') }],
    [/^createmedium /, { stdout: fixture('createmedium.txt'), stderr: fixture('progress-stderr.txt') }],
  ];

  it('creates: createvm, modifyvm (serial socket, boot dvd, NAT), SATA, ISO, disk', async () => {
    const { calls, runner } = fakeVBox(createRules);
    const driver = new VBoxDriver({ env: {}, runner, platform: 'linux' });
    const rec = record();
    const out = await driver.create(rec);
    expect(out).toEqual({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    expect(calls).toEqual([
      ['createvm', '--name', 'isolab-fixture', '--basefolder', '/data/vms/fixture', '--register'],
      [
        'modifyvm', UUID,
        '--firmware', 'bios',
        '--bioslogofadein', 'off', '--bioslogofadeout', 'off', '--bioslogodisplaytime', '0', '--biosbootmenu', 'disabled',
        '--ostype', 'Linux26_64',
        '--cpus', '2', '--memory', '2000',
        '--acpi', 'on', '--ioapic', 'on', '--rtcuseutc', 'on', '--pae', 'on', '--hpet', 'on',
        '--hwvirtex', 'on', '--nestedpaging', 'on',
        '--boot1', 'dvd', '--boot2', 'disk', '--boot3', 'none', '--boot4', 'none',
        '--nic1', 'nat', '--nictype1', 'virtio', '--cableconnected1', 'on',
        '--uart1', '0x3F8', '4', '--uartmode1', 'server', '/data/vms/fixture/serial.sock',
      ],
      ['storagectl', UUID, '--name', 'SATA', '--add', 'sata', '--controller', 'IntelAhci', '--portcount', '2', '--bootable', 'on', '--hostiocache', 'on'],
      ['storageattach', UUID, '--storagectl', 'SATA', '--port', '0', '--device', '0', '--type', 'dvddrive', '--medium', '/isos/isolab-fixture.iso'],
      ['createmedium', 'disk', '--filename', '/data/vms/fixture/disk.vdi', '--size', '20000', '--format', 'VDI'],
      ['storageattach', UUID, '--storagectl', 'SATA', '--port', '1', '--device', '0', '--type', 'hdd', '--medium', '/data/vms/fixture/disk.vdi'],
    ]);
  });

  it('uses a named pipe on Windows and EFI firmware for an EFI-only ISO', () => {
    const driver = new VBoxDriver({ env: {}, runner: fakeVBox([]).runner, platform: 'win32' });
    const rec = record({ efiOnly: true });
    const modify = driver.createCommands(rec, UUID)[0]!;
    expect(modify.slice(-3)).toEqual(['--uartmode1', 'server', '\\\\.\\pipe\\isolab-fixture']);
    expect(modify.slice(2, 4)).toEqual(['--firmware', 'efi']);
    expect(driver.serialEndpoint(rec)).toBe('\\\\.\\pipe\\isolab-fixture');
  });

  it('undoes a half-made VM when a step fails', async () => {
    const { calls, runner } = fakeVBox([
      ...createRules,
      [/^storageattach .* --type dvddrive/, { stderr: 'VBoxManage: error: Could not get the storage format of the medium \'/isos/isolab-fixture.iso\' (VERR_NOT_SUPPORTED)\n', code: 1 }],
    ]);
    const driver = new VBoxDriver({ env: {}, runner, platform: 'linux' });
    await expect(driver.create(record())).rejects.toMatchObject({ code: 'VBOX_FAILED' });
    expect(calls.slice(-2)).toEqual([
      ['unregistervm', UUID, '--delete'],
      ['closemedium', 'dvd', '/isos/isolab-fixture.iso'],
    ]);
    expect(calls.some((c) => c[0] === 'createmedium')).toBe(false);
  });

  it('starts headless (resumes a paused VM), reading the state first', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    const { calls, runner } = fakeVBox([
      [/^showvminfo /, { stdout: fixture('showvminfo-7.0-poweroff.txt') }],
      [/^startvm /, { stdout: fixture('startvm.txt') }],
    ]);
    const attached: string[] = [];
    const driver = new VBoxDriver({ env: {}, runner, platform: 'linux' });
    await driver.start(rec, { attachSerial: async (ep) => void attached.push(ep) });
    expect(calls).toEqual([
      ['showvminfo', UUID, '--machinereadable'],
      ['startvm', UUID, '--type', 'headless'],
    ]);
    expect(attached).toEqual(['/data/vms/fixture/serial.sock']);

    const paused = fakeVBox([[/^showvminfo /, { stdout: fixture('showvminfo-paused.txt') }]]);
    await new VBoxDriver({ env: {}, runner: paused.runner, platform: 'linux' }).start(rec, { attachSerial: async () => undefined });
    expect(paused.calls[1]).toEqual(['controlvm', UUID, 'resume', '--type', 'headless']);
  });

  it('powers the VM off when the serial console cannot be attached after startvm', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    const { calls, runner } = fakeVBox([[/^showvminfo /, { stdout: fixture('showvminfo-7.0-poweroff.txt') }]]);
    const driver = new VBoxDriver({ env: {}, runner, platform: 'linux' });
    await expect(driver.start(rec, { attachSerial: async () => Promise.reject(new LabError('VM_CONSOLE_UNAVAILABLE', 'no socket')) })).rejects.toMatchObject({ code: 'VM_CONSOLE_UNAVAILABLE' });
    expect(calls.at(-1)).toEqual(['controlvm', UUID, 'poweroff']);
  });

  it('stop: ACPI button, polls VMState, powers off after the timeout', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    const { calls, runner } = fakeVBox([[/^showvminfo /, { stdout: fixture('showvminfo-6.1-running.txt') }]]);
    const driver = new VBoxDriver({ env: {}, runner, platform: 'linux', pollMs: 5 });
    await expect(driver.stop(rec, { timeoutMs: 30 })).resolves.toEqual({ how: 'poweroff' });
    const cmds = calls.map((c) => c.filter((a) => a !== UUID).join(' '));
    expect(cmds[0]).toBe('showvminfo --machinereadable');
    expect(cmds[1]).toBe('controlvm acpipowerbutton');
    expect(cmds.slice(2, -1).every((c) => c === 'showvminfo --machinereadable')).toBe(true);
    expect(cmds.at(-1)).toBe('controlvm poweroff');
  });

  it('stop: a guest that obeys the button is not powered off', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    let pressed = false;
    const { calls, runner } = fakeVBox([
      [/acpipowerbutton/, () => ((pressed = true), {})],
      [/^showvminfo /, () => ({ stdout: fixture(pressed ? 'showvminfo-7.0-poweroff.txt' : 'showvminfo-6.1-running.txt') })],
    ]);
    const driver = new VBoxDriver({ env: {}, runner, platform: 'linux', pollMs: 5 });
    await expect(driver.stop(rec, { timeoutMs: 1000 })).resolves.toEqual({ how: 'acpi' });
    expect(calls.some((c) => c.includes('poweroff'))).toBe(false);
  });

  it('stop --force powers off at once; a stopped VM is left alone', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    const running = fakeVBox([[/^showvminfo /, { stdout: fixture('showvminfo-6.1-running.txt') }]]);
    await new VBoxDriver({ env: {}, runner: running.runner, platform: 'linux' }).stop(rec, { force: true, timeoutMs: 1000 });
    expect(running.calls.map((c) => c[0] === 'controlvm' ? c[2] : c[0])).toEqual(['showvminfo', 'poweroff']);
    const off = fakeVBox([[/^showvminfo /, { stdout: fixture('showvminfo-7.0-poweroff.txt') }]]);
    await expect(new VBoxDriver({ env: {}, runner: off.runner, platform: 'linux' }).stop(rec, { timeoutMs: 1000 })).resolves.toEqual({ how: 'already' });
    expect(off.calls).toHaveLength(1);
  });

  it('delete: power off, unregistervm --delete (retrying while locked), forget the ISO', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    let unregisterTries = 0;
    const { calls, runner } = fakeVBox([
      [/^showvminfo /, { stdout: fixture('showvminfo-6.1-running.txt') }],
      [/^unregistervm /, () => (++unregisterTries === 1 ? { stderr: fixture('error-not-ready.txt'), code: 1 } : {})],
    ]);
    await new VBoxDriver({ env: {}, runner, platform: 'linux' }).delete(rec);
    expect(calls.map((c) => c.join(' '))).toEqual([
      `showvminfo ${UUID} --machinereadable`,
      `controlvm ${UUID} poweroff`,
      `unregistervm ${UUID} --delete`,
      `unregistervm ${UUID} --delete`,
      'closemedium dvd /isos/isolab-fixture.iso',
    ]);
  });

  it('delete of a VM VirtualBox no longer knows only forgets the ISO', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    const { calls, runner } = fakeVBox([[/^showvminfo /, { stderr: fixture('error-not-found.txt'), code: 1 }]]);
    await new VBoxDriver({ env: {}, runner, platform: 'linux' }).delete(rec);
    expect(calls.map((c) => c[0])).toEqual(['showvminfo', 'closemedium']);
  });

  it('state: running, paused, stopped (aborted with a reason), error, absent', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    const stateFor = (file: string | Partial<VBoxResult>) =>
      new VBoxDriver({ env: {}, runner: fakeVBox([[/./, typeof file === 'string' ? { stdout: fixture(file) } : file]]).runner, platform: 'linux' }).state(rec);
    expect(await stateFor('showvminfo-6.1-running.txt')).toEqual({ state: 'running' });
    expect(await stateFor('showvminfo-paused.txt')).toEqual({ state: 'running', paused: true });
    expect(await stateFor('showvminfo-7.0-poweroff.txt')).toEqual({ state: 'stopped' });
    expect(await stateFor('showvminfo-7.1-aborted.txt')).toMatchObject({ state: 'stopped', reason: expect.stringMatching(/aborted/) });
    expect(await stateFor('showvminfo-gurumeditation.txt')).toMatchObject({ state: 'error' });
    expect(await stateFor({ stderr: fixture('error-not-found.txt'), code: 1 })).toEqual({ state: 'absent' });
  });

  it('watch reports a VM that powered off or aborted on its own', async () => {
    const rec = record({ vbox: { name: 'isolab-fixture', uuid: UUID } });
    let n = 0;
    const { runner } = fakeVBox([[/^showvminfo /, () => ({ stdout: fixture(++n < 3 ? 'showvminfo-6.1-running.txt' : 'showvminfo-7.1-aborted.txt') })]]);
    const driver = new VBoxDriver({ env: {}, runner, platform: 'linux', pollMs: 5 });
    const event = await new Promise((resolve) => driver.watch(rec, resolve));
    expect(event).toEqual({ kind: 'stopped', reason: 'VirtualBox reports the VM aborted (its process ended)' });
  });

  it('refuses an arm64 ISO and more CPUs than the host has', async () => {
    const driver = new VBoxDriver({ env: {}, runner: fakeVBox([]).runner, platform: 'linux', hostCpus: 4 });
    const spec = { iso: '/isos/minikube-arm64.iso', cpus: 2, memoryMb: 2000, diskMb: 20000 };
    await expect(driver.plan(spec, { arch: 'aarch64', efiOnly: true })).rejects.toMatchObject({ code: 'VM_ARCH_UNSUPPORTED', hint: expect.stringContaining('qemu') });
    await expect(driver.plan({ ...spec, cpus: 8 }, { arch: 'x86_64', efiOnly: false })).rejects.toMatchObject({ code: 'VM_TOO_MANY_CPUS' });
    await expect(driver.plan(spec, { arch: 'x86_64', efiOnly: false })).resolves.toEqual({ arch: 'x86_64', accel: 'vbox' });
  });

  it('says how to install VirtualBox when VBoxManage is missing', async () => {
    const driver = new VBoxDriver({ env: { PATH: '/nonexistent' }, platform: 'win32' });
    await expect(driver.plan({ iso: '/x.iso', cpus: 1, memoryMb: 512, diskMb: 1000 }, { arch: 'x86_64', efiOnly: false })).rejects.toMatchObject({
      code: 'VIRTUALBOX_MISSING',
      hint: expect.stringContaining('virtualbox.org'),
    });
  });
});
