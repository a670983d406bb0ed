import type { VmAccel, VmArch } from '../../../shared/vm';

export interface QemuLaunch {
  name: string;
  arch: VmArch;
  accel: Extract<VmAccel, 'kvm' | 'tcg'>;
  cpus: number;
  memoryMb: number;
  iso: string;
  disk: string;
  qmp: string;
  qmpCtl: string;
  serial: string;
  pidfile: string;
  /** The display as VNC on this unix socket (the screen view); without it the VM has no screen. */
  vnc?: string;
  /** UEFI firmware (aarch64, or an EFI-only x86_64 ISO). */
  firmware?: string;
  /** Direct kernel boot (*Boot with the serial console*): the ISO stays attached as the CD. */
  directKernel?: { kernel: string; initrd?: string; append: string };
}

export function qemuBinary(arch: VmArch): string {
  return arch === 'aarch64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
}

/**
 * The argv after the program name. Like minikube's QEMU driver (BIOS boot, `-boot d`, the
 * ISO as CD-ROM, user networking, a pidfile), with two differences:
 * - the serial port is a socket with `wait=on`: QEMU holds the guest until the console
 *   bridge is connected, so nothing of the boot is lost (with `wait=off` output written
 *   before a client connects is dropped);
 * - two QMP monitors: one stays connected in the process that owns the VM (events), the
 *   other serves short commands from any other ISO Lab process.
 * No -daemonize: the process is spawned detached, with stderr into a log file we can read
 * when it fails at any time (a daemonized QEMU sends it to /dev/null).
 */
export function qemuArgs(l: QemuLaunch): string[] {
  const args: string[] = ['-name', `${l.name},process=isolab-${l.name}`];
  // minikube uses `max` on x86 with every accelerator; on arm64 `host` needs KVM.
  if (l.arch === 'aarch64') args.push('-M', 'virt', '-cpu', l.accel === 'kvm' ? 'host' : 'max');
  else args.push('-cpu', 'max');
  if (l.firmware) args.push('-bios', l.firmware);
  args.push(
    '-accel', l.accel,
    '-m', String(l.memoryMb),
    '-smp', String(l.cpus),
    '-display', 'none',
    '-monitor', 'none',
    '-no-user-config',
    '-boot', 'd',
  );
  if (l.arch === 'aarch64') {
    // The virt machine has no IDE: the CD-ROM goes on virtio-scsi.
    args.push(
      '-device', 'virtio-scsi-pci,id=scsi0',
      '-drive', `file=${opt(l.iso)},if=none,id=cd0,media=cdrom,readonly=on,format=raw`,
      '-device', 'scsi-cd,drive=cd0,bootindex=0',
    );
  } else {
    args.push('-cdrom', opt(l.iso));
  }
  args.push(
    '-drive', `file=${opt(l.disk)},if=virtio,format=qcow2`,
    '-nic', 'user,model=virtio',
    '-qmp', `unix:${opt(l.qmp)},server=on,wait=off`,
    '-qmp', `unix:${opt(l.qmpCtl)},server=on,wait=off`,
    '-serial', `unix:${opt(l.serial)},server=on,wait=on`,
    '-pidfile', l.pidfile,
  );
  // Plain strings to QEMU (not key=value options): commas need no doubling here.
  if (l.directKernel) {
    args.push('-kernel', l.directKernel.kernel, '-append', l.directKernel.append);
    if (l.directKernel.initrd) args.push('-initrd', l.directKernel.initrd);
  }
  // `-display none` stays: no local window; the screen is served to ISO Lab's screen view only.
  if (l.vnc) args.push('-vnc', `unix:${opt(l.vnc)}`);
  return args;
}

/** QEMU splits option values at commas; a literal comma is written twice. */
function opt(value: string): string {
  return value.replace(/,/g, ',,');
}

/** `qemu-img create -f qcow2 <disk> <size>M`: sparse, so a 20 GB disk costs nothing until written. */
export function qemuImgCreateArgs(disk: string, sizeMb: number): string[] {
  return ['create', '-q', '-f', 'qcow2', disk, `${sizeMb}M`];
}
