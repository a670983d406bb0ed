import { describe, expect, it } from 'vitest';
import type { EntryView, ImageInfo } from '../../shared/image';
import { bootLoaders, describeLoaders, isIpxeKernel } from '../../renderer/src/views/inspect/boot-equipment';
import { explain } from '../../renderer/src/views/inspect/explain';

// Issue 10: the overview and explanations said "isolinux" and "the Linux kernel" for every
// disc. These are the El Torito entries xorriso writes for the usual layouts (as
// `-report_el_torito` lists them for an isolinux, a Debian GRUB hybrid and an iPXE ISO).
const entry = (platform: string, file?: string) => ({ platform, bootable: true, emulation: 'none', loadSegment: 0, sectorCount: 4, lba: 40, kind: 'initial', ...(file ? { file } : {}) });
const info = (entries: ReturnType<typeof entry>[], kernel?: string): ImageInfo =>
  ({
    file: '/x.iso',
    name: 'x.iso',
    size: 1,
    kind: 'iso',
    format: 'iso9660',
    initrds: [],
    ...(kernel ? { kernel: { path: kernel, card: { bootProtocol: '2.15', setupSectors: 30 } } } : {}),
    iso: { elTorito: { catalogLba: 30, catalogFile: '/boot.catalog', validation: { platform: entries[0]?.platform ?? 'bios', idString: '', checksumOk: true }, entries } },
  }) as unknown as ImageInfo;
const file = (path: string): EntryView => ({ path, name: path.slice(path.lastIndexOf('/') + 1), type: 'file', size: 1 << 20, mode: 0o644, modeString: '-rw-r--r--', uid: 0, gid: 0 });

describe('boot loaders read off the catalog', () => {
  it('names ISOLINUX, GRUB, iPXE and EFI images as the disc has them', () => {
    expect(describeLoaders(bootLoaders(info([entry('bios', '/isolinux/isolinux.bin')])))).toBe('ISOLINUX for BIOS (isolinux/isolinux.bin)');
    expect(describeLoaders(bootLoaders(info([entry('bios', '/boot/grub/i386-pc/eltorito.img'), entry('efi', '/boot/grub/efi.img')])))).toBe(
      'GRUB for BIOS (boot/grub/i386-pc/eltorito.img) and GRUB for UEFI (boot/grub/efi.img)',
    );
    expect(describeLoaders(bootLoaders(info([entry('bios', '/isolinux/isolinux.bin'), entry('efi', '/efiboot.img')])))).toBe(
      'ISOLINUX for BIOS (isolinux/isolinux.bin) and an EFI system partition image for UEFI (efiboot.img)',
    );
    expect(describeLoaders(bootLoaders(info([entry('bios', '/ipxe.lkrn')])))).toBe('iPXE for BIOS (ipxe.lkrn)');
    expect(describeLoaders(bootLoaders(info([])))).toBeUndefined();
  });

  it('lists an entry repeated in another section once', () => {
    expect(bootLoaders(info([entry('efi', '/efiboot.img'), entry('efi', '/efiboot.img')]))).toHaveLength(1);
  });
});

describe('explanations keyed on the file', () => {
  it('calls ipxe.krn iPXE, not the Linux kernel', () => {
    expect(isIpxeKernel('/boot/ipxe.krn')).toBe(true);
    expect(isIpxeKernel('/boot/bzImage')).toBe(false);
    const i = info([entry('bios', '/isolinux/isolinux.bin')], '/boot/ipxe.krn');
    expect(explain(file('/boot/ipxe.krn'), i)?.title).toMatch(/iPXE/);
    expect(explain(file('/boot/ipxe.krn'), i)?.text).toMatch(/Not Linux/);
  });

  it('does not say how a kernel is compressed (the card reads it from the file)', () => {
    const text = explain(file('/boot/bzImage'), info([entry('bios', '/isolinux/isolinux.bin')], '/boot/bzImage'))!.text;
    expect(text).not.toMatch(/LZ4|xz|gzip/i);
    expect(text).toMatch(/grub\.cfg/);
  });
});
