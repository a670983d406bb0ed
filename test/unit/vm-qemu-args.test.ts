import { describe, expect, it } from 'vitest';
import { qemuArgs, qemuBinary, qemuImgCreateArgs, type QemuLaunch } from '../../electron/core/vm/qemu-args';
import { probeBootSector } from '../../electron/core/vm/kvm-probe';

const base: QemuLaunch = {
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

/** The value after each occurrence of `flag`. */
const values = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe('QEMU argv', () => {
  it('builds the x86_64 TCG command: ISO as CD-ROM, boot d, qcow2 disk, user net, sockets, pidfile', () => {
    const args = qemuArgs(base);
    expect(args).toEqual([
      '-name', 'fixture,process=isolab-fixture',
      '-cpu', 'max',
      '-accel', 'tcg',
      '-m', '2000',
      '-smp', '2',
      '-display', 'none',
      '-monitor', 'none',
      '-no-user-config',
      '-boot', 'd',
      '-cdrom', '/isos/isolab-fixture.iso',
      '-drive', 'file=/vms/fixture/disk.qcow2,if=virtio,format=qcow2',
      '-nic', 'user,model=virtio',
      '-qmp', 'unix:/vms/fixture/qmp.sock,server=on,wait=off',
      '-qmp', 'unix:/vms/fixture/qmp-ctl.sock,server=on,wait=off',
      '-serial', 'unix:/vms/fixture/serial.sock,server=on,wait=on',
      '-pidfile', '/vms/fixture/qemu.pid',
    ]);
    expect(args).not.toContain('-daemonize');
    expect(args).not.toContain('-nographic');
  });

  it('uses KVM when chosen', () => {
    const args = qemuArgs({ ...base, accel: 'kvm' });
    expect(values(args, '-accel')).toEqual(['kvm']);
    expect(values(args, '-cpu')).toEqual(['max']);
  });

  it('holds the guest until the serial bridge connects, but never for the monitors', () => {
    const args = qemuArgs(base);
    expect(values(args, '-serial')[0]).toMatch(/,server=on,wait=on$/);
    expect(values(args, '-qmp').every((v) => v!.endsWith(',server=on,wait=off'))).toBe(true);
  });

  it('doubles commas in paths, as QEMU option values need', () => {
    const args = qemuArgs({ ...base, iso: '/isos/a,b.iso', serial: '/v,1/serial.sock', disk: '/v,1/disk.qcow2' });
    expect(values(args, '-cdrom')).toEqual(['/isos/a,,b.iso']);
    expect(values(args, '-serial')).toEqual(['unix:/v,,1/serial.sock,server=on,wait=on']);
    expect(values(args, '-drive')).toEqual(['file=/v,,1/disk.qcow2,if=virtio,format=qcow2']);
  });

  it('boots an arm64 ISO on the virt machine with UEFI firmware and a SCSI CD-ROM', () => {
    const args = qemuArgs({ ...base, arch: 'aarch64', firmware: '/usr/share/qemu-efi-aarch64/QEMU_EFI.fd' });
    expect(qemuBinary('aarch64')).toBe('qemu-system-aarch64');
    expect(qemuBinary('x86_64')).toBe('qemu-system-x86_64');
    expect(values(args, '-M')).toEqual(['virt']);
    expect(values(args, '-cpu')).toEqual(['max']);
    expect(values(args, '-bios')).toEqual(['/usr/share/qemu-efi-aarch64/QEMU_EFI.fd']);
    expect(args).not.toContain('-cdrom');
    expect(values(args, '-drive')[0]).toBe('file=/isos/isolab-fixture.iso,if=none,id=cd0,media=cdrom,readonly=on,format=raw');
    expect(values(args, '-device')).toEqual(['virtio-scsi-pci,id=scsi0', 'scsi-cd,drive=cd0,bootindex=0']);
    expect(values(qemuArgs({ ...base, arch: 'aarch64', accel: 'kvm' }), '-cpu')).toEqual(['host']);
  });

  it('makes a sparse qcow2 disk of the chosen size', () => {
    expect(qemuImgCreateArgs('/vms/fixture/disk.qcow2', 20000)).toEqual(['create', '-q', '-f', 'qcow2', '/vms/fixture/disk.qcow2', '20000M']);
  });

  it('the KVM probe is one bootable sector', () => {
    const b = probeBootSector();
    expect(b.length).toBe(512);
    expect([b[510], b[511]]).toEqual([0x55, 0xaa]);
    expect(b[0]).toBe(0xfa); // cli
  });
});
