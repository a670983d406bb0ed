import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoctorReport } from '../../shared/doctor';
import { checkDisk, nearestExistingDir } from '../../electron/core/doctor/disk';
import { checkKvm, parseQemuVersion } from '../../electron/core/doctor/qemu';
import { runDoctor } from '../../electron/core/doctor/report';
import { which } from '../../electron/core/doctor/tools';
import { checkVirtualBox, parseVBoxVersion } from '../../electron/core/doctor/virtualbox';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'isolab-doctor-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function paths() {
  const home = path.join(tmp, 'isolab-home');
  return { configDir: path.join(home, 'config'), dataDir: path.join(home, 'data', 'not', 'yet'), cacheDir: path.join(home, 'cache') };
}

describe('runDoctor', () => {
  it('produces a valid report on this machine, with QEMU found', async () => {
    const report = await runDoctor({ paths: paths() });
    expect(DoctorReport.parse(report)).toEqual(report);
    expect(report.qemu.system.path).toBeTruthy();
    expect(report.qemu.system.version).toMatch(/^\d+\.\d+/);
    expect(report.qemu.img.version).toMatch(/^\d+\.\d+/);
    expect(report.checks.map((c) => c.id)).toEqual(['docker', 'qemu-system', 'qemu-img', 'kvm', 'virtualbox', 'xorriso', 'disk']);
    expect(report.xorriso.version).toMatch(/^\d+\.\d+/);
    expect(report.checks.find((c) => c.id === 'qemu-system')!.level).toBe('ok');
    expect(report.disks[0]).toMatchObject({ label: 'builds and VMs', path: paths().dataDir });
    expect(report.disks[0]!.totalBytes).toBeGreaterThan(0);
    for (const check of report.checks) if (check.level !== 'ok') expect(check.hint, check.id).toBeTruthy();
  });

  it('reports the docker check as an error with a hint when the configured socket is missing', async () => {
    const started = Date.now();
    const report = await runDoctor({ settingHost: `unix://${path.join(tmp, 'no-such.sock')}`, paths: paths() });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(report.docker).toMatchObject({ answering: false, endpoint: { source: 'setting' }, error: { code: 'DOCKER_UNREACHABLE' } });
    const docker = report.checks.find((c) => c.id === 'docker')!;
    expect(docker.level).toBe('error');
    expect(docker.hint).toMatch(/systemctl start docker/);
    expect(DoctorReport.parse(report)).toEqual(report);
  });

  it('warns about a malformed DOCKER_HOST even when a later source answers', async () => {
    const report = await runDoctor({ env: { ...process.env, DOCKER_HOST: 'foo' }, settingHost: undefined, paths: paths(), dockerTimeoutMs: 1000 });
    expect(report.docker.endpoint.problems?.[0]?.message).toContain('DOCKER_HOST=foo is not a valid endpoint');
    expect(['warn', 'error']).toContain(report.checks.find((c) => c.id === 'docker')!.level);
  });
});

describe('tools', () => {
  it('finds executables on PATH only when they are executable files', async () => {
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'runme'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'plain'), 'x', { mode: 0o644 });
    fs.mkdirSync(path.join(bin, 'dir'), { recursive: true });
    const env = { PATH: `/nonexistent:${bin}` };
    expect(await which('runme', { env })).toBe(path.join(bin, 'runme'));
    expect(await which('plain', { env })).toBeUndefined();
    expect(await which('dir', { env })).toBeUndefined();
    expect(await which('runme', { env: { PATH: '' }, extraDirs: [bin] })).toBe(path.join(bin, 'runme'));
  });

  it('parses QEMU and VBoxManage versions', () => {
    expect(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright …')).toBe('7.2.22');
    expect(parseQemuVersion('qemu-img version 8.1.0\n')).toBe('8.1.0');
    expect(parseVBoxVersion('7.0.14r161095\n')).toEqual({ version: '7.0.14r161095' });
    const withWarning = parseVBoxVersion(
      'WARNING: The vboxdrv kernel module is not loaded. Either there is no module\n         available for the current kernel (6.1.0) or it failed to\n6.0.12r133076\n',
    );
    expect(withWarning.version).toBe('6.0.12r133076');
    expect(withWarning.warning).toMatch(/vboxdrv/);
  });

  it('reports VirtualBox as missing with an install hint, or finds a fake VBoxManage', async () => {
    const missing = await checkVirtualBox({ env: { PATH: '/nonexistent' }, platform: 'darwin' });
    if (!missing.path) {
      expect(missing.error).toMatchObject({ code: 'VIRTUALBOX_MISSING' });
      expect(missing.error!.hint).toMatch(/virtualbox\.org/);
    }
    const bin = path.join(tmp, 'vbox');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'VBoxManage'), '#!/bin/sh\necho 7.0.14r161095\n', { mode: 0o755 });
    const found = await checkVirtualBox({ env: { PATH: bin } });
    expect(found).toMatchObject({ name: 'VBoxManage', path: path.join(bin, 'VBoxManage'), version: '7.0.14r161095' });
    expect(found.error).toBeUndefined();
  });

  it('explains a missing /dev/kvm', async () => {
    const kvm = await checkKvm({ platform: 'linux', device: path.join(tmp, 'no-kvm') });
    expect(kvm.usable).toBe(false);
    expect(kvm.detail).toMatch(/without hardware acceleration/);
    expect(kvm.hint).toBeTruthy();
  });
});

describe('disk', () => {
  it('measures the nearest existing folder and warns below the threshold', async () => {
    expect(await nearestExistingDir(path.join(tmp, 'a', 'b', 'c'))).toBe(tmp);
    const roomy = await checkDisk(path.join(tmp, 'a', 'b'), 'builds and VMs', 0);
    expect(roomy.hint).toBeUndefined();
    const tight = await checkDisk(path.join(tmp, 'a', 'b'), 'builds and VMs', Number.MAX_SAFE_INTEGER);
    expect(tight.hint).toMatch(/tens of GB/);
    expect(tight.freeBytes).toBeLessThanOrEqual(tight.totalBytes);
  });
});
