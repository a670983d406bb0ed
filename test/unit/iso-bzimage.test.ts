// The kernel card from synthetic setup headers (the real Debian kernel is checked in
// test/integration/iso-reader.test.ts).
import { describe, expect, it } from 'vitest';
import { BufferSource } from '../../electron/core/image/byte-source';
import { isBzImage, readKernelCard } from '../../electron/core/kernel/bzimage';
import { LabError } from '../../shared/errors';

function kernel(o: { protocol?: number; setupSects?: number; payload?: Buffer; version?: string; jump?: number } = {}): Buffer {
  const setup = o.setupSects ?? 2;
  const b = Buffer.alloc(((setup || 4) + 1) * 512 + 0x400);
  b[0x1f1] = setup;
  b.writeUInt32LE(0x1234, 0x1f4); // syssize in paragraphs
  b[0x1fe] = 0x55;
  b[0x1ff] = 0xaa;
  b[0x200] = 0xeb;
  b[0x201] = o.jump ?? 0x6a;
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(o.protocol ?? 0x020f, 0x206);
  if (o.version !== undefined) {
    b.writeUInt16LE(0x300 - 0x200, 0x20e);
    b.write(`${o.version}\0`, 0x300, 'latin1');
  }
  b[0x211] = 1;
  b.writeUInt32LE(0x7fffffff, 0x22c);
  b.writeUInt32LE(0x200000, 0x230);
  b[0x234] = 1;
  b.writeUInt16LE(0x7f, 0x236);
  b.writeUInt32LE(2047, 0x238);
  b.writeUInt32LE(0x10, 0x248); // payload_offset
  b.writeUInt32LE(o.payload?.length ?? 0, 0x24c);
  b.writeBigUInt64LE(0x1000000n, 0x258);
  b.writeUInt32LE(0x7c58a0, 0x264);
  if (o.payload) o.payload.copy(b, ((setup || 4) + 1) * 512 + 0x10);
  return b;
}

const src = (b: Buffer) => new BufferSource(b, 'k', 'bzImage');

describe('bzImage kernel card', () => {
  it('reads the setup header fields of a 2.15 kernel', async () => {
    const b = kernel({ version: '6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP', payload: Buffer.from('fd377a585a000004', 'hex') });
    expect(isBzImage(b.subarray(0, 0x300))).toBe(true);
    expect(await readKernelCard(src(b))).toEqual({
      bootProtocol: '2.15',
      setupSectors: 2,
      version: '6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP',
      protectedModeSize: 0x12340,
      initrdAddrMax: '0x7fffffff',
      kernelAlignment: 0x200000,
      relocatable: true,
      xloadflags: ['KERNEL_64', 'CAN_BE_LOADED_ABOVE_4G', 'EFI_HANDOVER_32', 'EFI_HANDOVER_64', 'EFI_KEXEC', '5LEVEL', '5LEVEL_ENABLED'],
      cmdlineMax: 2047,
      preferredAddress: '0x1000000',
      handoverOffset: 0x7c58a0,
      payloadCompression: 'xz',
    });
  });

  it.each([
    ['gzip', '1f8b0800'],
    ['bzip2', '425a6839'],
    ['lzma', '5d000080'],
    ['lzo', '894c5a4f'],
    ['lz4', '02214c18'],
    ['zstd', '28b52ffd'],
    ['unknown', '00000000'],
  ])('sniffs %s payloads', async (name, magic) => {
    expect((await readKernelCard(src(kernel({ payload: Buffer.from(magic + '0000', 'hex') })))).payloadCompression).toBe(name);
  });

  it('setup_sects 0 means 4, and fields newer than the protocol are left out', async () => {
    const card = await readKernelCard(src(kernel({ protocol: 0x0204, setupSects: 0, payload: Buffer.from('1f8b', 'hex') })));
    expect(card).toEqual({ bootProtocol: '2.4', setupSectors: 4, protectedModeSize: 0x12340, initrdAddrMax: '0x7fffffff', cmdlineMax: 255 });
  });

  it('stops at the header end the jump instruction gives', async () => {
    // A jump to 0x202 + 0x32 = 0x234: kernel_alignment (0x230–0x233) fits, relocatable_kernel (0x234) does not.
    const card = await readKernelCard(src(kernel({ jump: 0x32 })));
    expect(card.kernelAlignment).toBe(0x200000);
    expect(card.relocatable).toBeUndefined();
    expect(card.xloadflags).toBeUndefined();
  });

  it('ignores a version pointer into binary data', async () => {
    const b = kernel();
    b.writeUInt16LE(0x100, 0x20e);
    b.fill(0x90, 0x300, 0x320);
    expect((await readKernelCard(src(b))).version).toBeUndefined();
  });

  it('says what was expected where when it is not a kernel', async () => {
    const fail = async (b: Buffer) => {
      const err = await readKernelCard(src(b)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LabError);
      expect((err as LabError).code).toBe('NOT_A_KERNEL');
      return (err as LabError).message;
    };
    expect(await fail(Buffer.alloc(100))).toBe('bzImage is not an x86 bzImage: it has 100 bytes, fewer than the 0x206 the setup header needs.');
    expect(await fail(Buffer.alloc(0x400))).toMatch(/expected the boot flag 55 AA at offset 0x1fe, found 0000/);
    const noHdrS = kernel();
    noHdrS.write('ELF!', 0x202, 'latin1');
    expect(await fail(noHdrS)).toMatch(/expected "HdrS" at offset 0x202, found "ELF!"/);
    expect(isBzImage(noHdrS)).toBe(false);
  });
});
