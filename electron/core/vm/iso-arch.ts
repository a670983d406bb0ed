import type { VmArch } from '../../../shared/vm';
import { FileSource } from '../image/byte-source';
import { IsoImage } from '../iso/iso-image';

export interface IsoBootInfo {
  arch: VmArch;
  /** The ISO boots only through UEFI (QEMU then needs firmware for it). */
  efiOnly: boolean;
  /** It has an El Torito boot catalog at all. */
  bootable?: boolean;
}

/**
 * Which QEMU to run for an ISO, from its El Torito catalog. A BIOS entry means x86; an
 * EFI-only ISO (minikube-arm64.iso) is arm64 when /EFI/BOOT holds an AA64 loader or no x64
 * one. Kept simple on purpose: what cannot be read is taken for x86_64, and QEMU's own
 * error says the rest.
 */
export async function isoBootInfo(iso: string): Promise<IsoBootInfo> {
  const src = await FileSource.open(iso);
  try {
    const img = await IsoImage.open(src);
    const entries = img.info.elTorito?.entries ?? [];
    if (entries.length === 0) return { arch: 'x86_64', efiOnly: false, bootable: false };
    const efiOnly = entries.every((e) => e.platform === 'efi');
    if (!efiOnly) return { arch: 'x86_64', efiOnly: false, bootable: true };
    const names = await img
      .readdir('/EFI/BOOT')
      .then((list) => list.map((e) => e.name.toLowerCase()))
      .catch(() => [] as string[]);
    const aa64 = names.some((n) => n.includes('aa64'));
    const x64 = names.some((n) => n.includes('x64'));
    return { arch: aa64 || !x64 ? 'aarch64' : 'x86_64', efiOnly: true, bootable: true };
  } finally {
    await src.close();
  }
}
