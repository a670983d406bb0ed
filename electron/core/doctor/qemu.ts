import fs from 'node:fs';
import type { KvmStatus, ToolStatus } from '../../../shared/doctor';
import { probe, which, type ToolCheckOptions } from './tools';

/** Homebrew and the Windows installer do not always put QEMU on the PATH a GUI app sees. */
function qemuDirs(platform: NodeJS.Platform): string[] {
  if (platform === 'darwin') return ['/opt/homebrew/bin', '/usr/local/bin', '/opt/local/bin'];
  if (platform === 'win32') return ['C:\\Program Files\\qemu'];
  return ['/usr/bin', '/usr/local/bin'];
}

/** "QEMU emulator version 7.2.22 (Debian …)" and "qemu-img version 7.2.22 (…)" → "7.2.22". */
export function parseQemuVersion(output: string): string | undefined {
  return /\bversion\s+(\d+\.\d+(?:\.\d+)?)/i.exec(output)?.[1];
}

function installHint(platform: NodeJS.Platform, linuxPackages: string): string {
  if (platform === 'darwin') return 'install QEMU: brew install qemu';
  if (platform === 'win32') return 'install QEMU from qemu.org and add its folder to PATH';
  return `install QEMU: sudo apt-get install ${linuxPackages} (Fedora: sudo dnf install qemu-kvm qemu-img)`;
}

async function checkQemuTool(name: string, code: string, linuxPackages: string, opts: ToolCheckOptions): Promise<ToolStatus> {
  const platform = opts.platform ?? process.platform;
  const file = await which(name, { env: opts.env, platform, extraDirs: qemuDirs(platform) });
  if (!file) {
    return { name, error: { code, message: `${name} was not found on PATH`, hint: installHint(platform, linuxPackages) } };
  }
  const result = await probe(file, ['--version'], { env: opts.env, timeoutMs: opts.timeoutMs });
  if (!result.ok) return { name, path: file, error: { ...result.error, hint: `reinstall it: ${installHint(platform, linuxPackages)}` } };
  const version = parseQemuVersion(result.output);
  if (!version) {
    return { name, path: file, error: { code: 'TOOL_VERSION_UNKNOWN', message: `${name} --version printed no version: ${result.output.trim().slice(0, 200)}` } };
  }
  return { name, path: file, version };
}

export function checkQemuSystem(opts: ToolCheckOptions = {}): Promise<ToolStatus> {
  return checkQemuTool('qemu-system-x86_64', 'QEMU_MISSING', 'qemu-system-x86 qemu-utils', opts);
}

export function checkQemuImg(opts: ToolCheckOptions = {}): Promise<ToolStatus> {
  return checkQemuTool('qemu-img', 'QEMU_IMG_MISSING', 'qemu-utils', opts);
}

const TCG = 'VMs run without hardware acceleration (slow)';

/** QEMU can use KVM only when the user may open /dev/kvm for reading and writing. */
export async function checkKvm(opts: { platform?: NodeJS.Platform; device?: string } = {}): Promise<KvmStatus> {
  const platform = opts.platform ?? process.platform;
  const device = opts.device ?? '/dev/kvm';
  if (platform !== 'linux') {
    return { usable: false, detail: `KVM exists only on Linux; on ${platform} QEMU uses TCG here: ${TCG}` };
  }
  try {
    await fs.promises.access(device, fs.constants.F_OK);
  } catch {
    return {
      usable: false,
      detail: `${device} does not exist: ${TCG}`,
      hint: 'enable virtualization (VT-x/AMD-V) in the BIOS/UEFI and load the module (sudo modprobe kvm_intel or kvm_amd); inside a VM, enable nested virtualization',
    };
  }
  try {
    await fs.promises.access(device, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return {
      usable: false,
      detail: `${device} exists but you cannot read and write it: ${TCG}`,
      hint: 'add yourself to the kvm group: sudo usermod -aG kvm $USER, then log in again',
    };
  }
  return { usable: true, detail: `${device} is usable: VMs run with KVM acceleration` };
}
