import type { ImageInfo } from '../../../../shared/image';

/**
 * What boots this disc, read off the ISO itself (the El Torito entries and the files they
 * point at), so the overview and the explanations name ISOLINUX, GRUB, iPXE or an EFI image
 * as the disc has them instead of assuming minikube's isolinux layout.
 */
export interface BootLoader {
  /** The firmware that starts it: BIOS or UEFI (or the catalog's platform id). */
  firmware: string;
  /** ISOLINUX, GRUB, iPXE, an EFI system partition image, or the file's name. */
  name: string;
  /** The file the catalog entry points at, when the ISO has one there. */
  path?: string;
}

export function bootLoaders(info: ImageInfo): BootLoader[] {
  const entries = info.iso?.elTorito?.entries ?? [];
  const seen = new Set<string>();
  const out: BootLoader[] = [];
  for (const e of entries) {
    const firmware = e.platform === 'bios' ? 'BIOS' : e.platform === 'efi' ? 'UEFI' : e.platform;
    const name = loaderName(e.file, e.platform);
    const key = `${firmware}|${name}|${e.file ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ firmware, name, path: e.file });
  }
  return out;
}

function loaderName(file: string | undefined, platform: string): string {
  const base = (file ?? '').slice((file ?? '').lastIndexOf('/') + 1).toLowerCase();
  if (/^(iso|sys)linux\.bin$/.test(base)) return 'ISOLINUX';
  if (/ipxe|\.lkrn$/.test(base)) return 'iPXE';
  if (/grub|eltorito\.img$|^bios\.img$/.test(file?.toLowerCase() ?? '')) return 'GRUB';
  if (platform === 'efi') return 'an EFI system partition image';
  return base || 'an image outside the file tree';
}

/** Files in the Linux kernel's bzImage format that are not Linux (iPXE builds ipxe.krn, ipxe.lkrn). */
export function isIpxeKernel(path: string): boolean {
  return /(^|\/)ipxe[^/]*$|\.lkrn$/i.test(path);
}

/** "ISOLINUX for BIOS (isolinux/isolinux.bin) and GRUB for UEFI (efiboot.img)", or undefined without a boot catalog. */
export function describeLoaders(loaders: BootLoader[]): string | undefined {
  if (!loaders.length) return undefined;
  const parts = loaders.map((l) => `${l.name} for ${l.firmware}${l.path ? ` (${l.path.replace(/^\//, '')})` : ''}`);
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
