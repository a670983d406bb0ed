import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import { VM_NAME_RE, type VmDriverName } from '../../../shared/vm';
import { isoBootInfo, type IsoBootInfo } from './iso-arch';
import type { VmSpec } from './types';

/** The bounds of settings.vm: what the app lets people choose at all. */
export const LIMITS = {
  cpus: { min: 1, max: 64 },
  memoryMb: { min: 128, max: 262_144 },
  diskMb: { min: 64, max: 4_194_304 },
} as const;

export interface SpecInput {
  name?: string;
  iso: string;
  driver?: VmDriverName;
  cpus?: number;
  memoryMb?: number;
  diskMb?: number;
}

export interface VmDefaults {
  driver: VmDriverName;
  cpus: number;
  memoryMb: number;
  diskMb: number;
}

/**
 * Every refusal a person can fix, before anything is created: each is a LabError with a
 * hint. The driver's own checks (is the hypervisor installed, can it run this ISO) follow.
 */
export async function checkSpec(input: SpecInput, defaults: VmDefaults, nameTaken: (name: string) => boolean): Promise<{ spec: VmSpec; driver: VmDriverName; boot: IsoBootInfo }> {
  if (input.name !== undefined) {
    if (!VM_NAME_RE.test(input.name)) {
      throw new LabError('VM_BAD_NAME', `"${input.name}" cannot be a VM name`, 'use 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit');
    }
    if (nameTaken(input.name)) {
      throw new LabError('VM_NAME_IN_USE', `There is already a VM called ${input.name}`, `choose another name, or remove it first: isolab vm rm ${input.name}`);
    }
  }
  const cpus = input.cpus ?? defaults.cpus;
  const memoryMb = input.memoryMb ?? defaults.memoryMb;
  const diskMb = input.diskMb ?? defaults.diskMb;
  const driver = input.driver ?? defaults.driver;
  if (!Number.isInteger(cpus) || cpus < LIMITS.cpus.min || cpus > LIMITS.cpus.max) {
    throw new LabError('VM_BAD_CPUS', `A VM cannot have ${cpus} CPUs`, `choose ${LIMITS.cpus.min}–${LIMITS.cpus.max}; the seed walkthrough uses 2`);
  }
  if (!Number.isInteger(memoryMb) || memoryMb < LIMITS.memoryMb.min) {
    throw new LabError('VM_MEMORY_TOO_SMALL', `${memoryMb} MB of memory is too little for a VM`, `give it at least ${LIMITS.memoryMb.min} MB; minikube ISOs want 2000 MB`);
  }
  const hostMb = Math.floor(os.totalmem() / (1024 * 1024));
  if (memoryMb > Math.min(hostMb, LIMITS.memoryMb.max)) {
    throw new LabError('VM_MEMORY_TOO_LARGE', `${memoryMb} MB of memory is more than this host has (${hostMb} MB)`, `choose less than ${hostMb} MB`);
  }
  if (!Number.isInteger(diskMb) || diskMb < LIMITS.diskMb.min) {
    throw new LabError('VM_DISK_TOO_SMALL', `A ${diskMb} MB disk is smaller than allowed`, `give it at least ${LIMITS.diskMb.min} MB; minikube uses 20000 MB`);
  }
  if (diskMb > LIMITS.diskMb.max) {
    throw new LabError('VM_DISK_TOO_LARGE', `A ${diskMb} MB disk is larger than allowed`, `choose at most ${LIMITS.diskMb.max} MB`);
  }
  const iso = path.resolve(input.iso);
  const st = await fs.promises.stat(iso).catch(() => undefined);
  if (!st) throw new LabError('VM_ISO_MISSING', `The ISO ${iso} does not exist`, 'check the path; isolab build prints the path of the ISO it made');
  if (!st.isFile()) throw new LabError('VM_ISO_MISSING', `${iso} is not a file`, 'choose the .iso file itself');
  let boot: IsoBootInfo;
  try {
    boot = await isoBootInfo(iso);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new LabError('VM_ISO_INVALID', `Cannot boot ${path.basename(iso)}: ${why}`, 'isolab info <iso> shows what the file is');
  }
  if (boot.bootable === false) {
    throw new LabError('VM_ISO_NOT_BOOTABLE', `${path.basename(iso)} has no El Torito boot catalog: a VM cannot boot it`, 'build it with a bootloader (isolinux, or GRUB for EFI); isolab info shows its boot entries');
  }
  return { spec: { iso, cpus, memoryMb, diskMb }, driver, boot };
}
