// The x86 Linux boot protocol's setup header (Documentation/arch/x86/boot.rst, "The Real-Mode
// Kernel Header"): what a bootloader reads from a bzImage, shown as a card. Fields exist
// from the protocol version noted next to them; older kernels simply lack them.
import { LabError } from '../../../shared/errors';
import type { ByteSource } from '../image/byte-source';

export interface KernelCard {
  version?: string;
  /** "2.15" */
  bootProtocol: string;
  setupSectors: number;
  protectedModeSize?: number;
  payloadCompression?: 'gzip' | 'bzip2' | 'lzma' | 'xz' | 'lzo' | 'lz4' | 'zstd' | 'unknown';
  relocatable?: boolean;
  kernelAlignment?: number;
  preferredAddress?: string;
  initrdAddrMax?: string;
  xloadflags?: string[];
  cmdlineMax?: number;
  handoverOffset?: number;
}

/** Enough for every header field up to protocol 2.15 (the header ends by 0x280). */
const HEADER_READ = 0x300;
const MAX_VERSION = 512;

const XLOADFLAGS = ['KERNEL_64', 'CAN_BE_LOADED_ABOVE_4G', 'EFI_HANDOVER_32', 'EFI_HANDOVER_64', 'EFI_KEXEC', '5LEVEL', '5LEVEL_ENABLED', 'MEM_ENCRYPTION'];

const HINT = 'Point at an x86 bzImage (vmlinuz), e.g. /boot/bzImage or /boot/vmlinuz in the ISO.';

/** boot_flag 0xAA55 at 0x1FE and "HdrS" at 0x202. */
export function isBzImage(head: Buffer): boolean {
  return head.length >= 0x206 && head[0x1fe] === 0x55 && head[0x1ff] === 0xaa && head.toString('latin1', 0x202, 0x206) === 'HdrS';
}

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

function sniff(b: Buffer): NonNullable<KernelCard['payloadCompression']> {
  const starts = (...bytes: number[]) => b.length >= bytes.length && bytes.every((x, i) => b[i] === x);
  if (starts(0x1f, 0x8b) || starts(0x1f, 0x9e)) return 'gzip';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0x5d, 0x00, 0x00)) return 'lzma';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x89, 0x4c, 0x5a, 0x4f)) return 'lzo';
  if (starts(0x02, 0x21, 0x4c, 0x18)) return 'lz4';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  return 'unknown';
}

function notAKernel(src: ByteSource, what: string): LabError {
  return new LabError('NOT_A_KERNEL', `${src.description} is not an x86 bzImage: ${what}.`, HINT);
}

export async function readKernelCard(src: ByteSource): Promise<KernelCard> {
  const h = await src.read(0, HEADER_READ);
  if (h.length < 0x206) throw notAKernel(src, `it has ${h.length} bytes, fewer than the 0x206 the setup header needs`);
  if (h[0x1fe] !== 0x55 || h[0x1ff] !== 0xaa) throw notAKernel(src, `expected the boot flag 55 AA at offset 0x1fe, found ${h.subarray(0x1fe, 0x200).toString('hex')}`);
  if (h.toString('latin1', 0x202, 0x206) !== 'HdrS') {
    throw notAKernel(src, `expected "HdrS" at offset 0x202, found ${JSON.stringify(h.toString('latin1', 0x202, 0x206))} (kernels before boot protocol 2.00 have none)`);
  }
  // The header's true end is 0x202 + the jump's offset byte; only fields before it are real.
  const end = Math.min(h.length, 0x202 + h[0x201]!);
  const has = (off: number, len: number) => off + len <= end;
  const u8 = (off: number) => (has(off, 1) ? h[off]! : undefined);
  const u16 = (off: number) => (has(off, 2) ? h.readUInt16LE(off) : undefined);
  const u32 = (off: number) => (has(off, 4) ? h.readUInt32LE(off) : undefined);

  const protocol = h.readUInt16LE(0x206);
  const at = (major: number, minor: number) => protocol >= (major << 8) + minor;
  const setupSectors = h[0x1f1] || 4;
  const card: KernelCard = { bootProtocol: `${protocol >> 8}.${protocol & 0xff}`, setupSectors };

  const versionPtr = u16(0x20e);
  if (versionPtr) card.version = await versionString(src, 0x200 + versionPtr);
  const syssize = at(2, 4) ? u32(0x1f4) : undefined;
  if (syssize) card.protectedModeSize = syssize * 16;
  const initrdMax = at(2, 3) ? u32(0x22c) : undefined;
  if (initrdMax !== undefined) card.initrdAddrMax = hex(initrdMax);
  const align = at(2, 5) ? u32(0x230) : undefined;
  if (align !== undefined) card.kernelAlignment = align;
  const reloc = at(2, 5) ? u8(0x234) : undefined;
  if (reloc !== undefined) card.relocatable = reloc !== 0;
  const xlf = at(2, 12) ? u16(0x236) : undefined;
  if (xlf !== undefined) card.xloadflags = XLOADFLAGS.flatMap((name, bit) => (xlf & (1 << bit) ? [name] : [])).concat(xlf >> 8 ? [`bits ${hex(xlf & ~0xff)}`] : []);
  // Before 2.06 the command line was limited to 255 characters.
  card.cmdlineMax = at(2, 6) ? u32(0x238) : 255;
  if (at(2, 10) && has(0x258, 8)) card.preferredAddress = hex(h.readBigUInt64LE(0x258));
  const handover = at(2, 11) ? u32(0x264) : undefined;
  if (handover) card.handoverOffset = handover;

  const payloadOffset = at(2, 8) ? u32(0x248) : undefined;
  const payloadLength = at(2, 8) ? u32(0x24c) : undefined;
  if (payloadOffset !== undefined && payloadLength) {
    // payload_offset counts from the protected-mode code, after the (setup_sects + 1) sectors.
    const start = (setupSectors + 1) * 512 + payloadOffset;
    card.payloadCompression = start + 6 <= src.size ? sniff(await src.read(start, 6)) : 'unknown';
  }
  return card;
}

async function versionString(src: ByteSource, at: number): Promise<string | undefined> {
  if (at >= src.size) return undefined;
  const b = await src.read(at, MAX_VERSION);
  const nul = b.indexOf(0);
  const s = b.toString('latin1', 0, nul >= 0 ? nul : b.length);
  // A pointer into code yields binary junk; a version string is printable text.
  return s && /^[\x20-\x7e]+$/.test(s) ? s : undefined;
}
