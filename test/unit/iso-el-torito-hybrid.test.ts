// Boot catalogs and system areas built byte by byte: sections, extension entries, GPT.
import { describe, expect, it } from 'vitest';
import { hasBootInfoTable, parseCatalog } from '../../electron/core/iso/el-torito';
import { readHybrid } from '../../electron/core/iso/hybrid';

function validation(platform: number, id = ''): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 1;
  b[1] = platform;
  b.write(id, 4, 'latin1');
  b[30] = 0x55;
  b[31] = 0xaa;
  let sum = 0;
  for (let i = 0; i < 32; i += 2) sum = (sum + b.readUInt16LE(i)) & 0xffff;
  b.writeUInt16LE((0x10000 - sum) & 0xffff, 28);
  return b;
}

function bootEntry(o: { bootable?: boolean; media?: number; segment?: number; count: number; lba: number }): Buffer {
  const b = Buffer.alloc(32);
  b[0] = o.bootable === false ? 0 : 0x88;
  b[1] = o.media ?? 0;
  b.writeUInt16LE(o.segment ?? 0, 2);
  b.writeUInt16LE(o.count, 6);
  b.writeUInt32LE(o.lba, 8);
  return b;
}

function section(last: boolean, platform: number, count: number): Buffer {
  const b = Buffer.alloc(32);
  b[0] = last ? 0x91 : 0x90;
  b[1] = platform;
  b.writeUInt16LE(count, 2);
  return b;
}

describe('El Torito boot catalog', () => {
  it('reads the validation entry, the default entry and every section, skipping extension entries', () => {
    const ext = Buffer.alloc(32);
    ext[0] = 0x44;
    const cat = Buffer.concat([
      validation(0, 'ISOLAB'),
      bootEntry({ count: 4, lba: 52 }),
      section(false, 0xef, 1),
      bootEntry({ count: 2880, lba: 60, media: 0x20 }), // bit 5: an extension entry follows
      ext,
      section(true, 0x01, 2),
      bootEntry({ bootable: false, media: 2, segment: 0x7c0, count: 1, lba: 70 }),
      bootEntry({ media: 4, count: 0, lba: 80 }),
      Buffer.alloc(64),
    ]);
    const c = parseCatalog('t.iso', cat, 0x1a000, 52)!;
    expect(c.validation).toEqual({ platform: 'bios', idString: 'ISOLAB', checksumOk: true });
    expect(c.entries).toEqual([
      { platform: 'bios', bootable: true, emulation: 'none', loadSegment: 0, sectorCount: 4, lba: 52, kind: 'default' },
      { platform: 'efi', bootable: true, emulation: 'none', loadSegment: 0, sectorCount: 2880, lba: 60, kind: 'section 1' },
      { platform: 'ppc', bootable: false, emulation: 'floppy-1.44', loadSegment: 0x7c0, sectorCount: 1, lba: 70, kind: 'section 2' },
      { platform: 'ppc', bootable: true, emulation: 'hdd', loadSegment: 0, sectorCount: 0, lba: 80, kind: 'section 2' },
    ]);
  });

  it('reports a wrong checksum without failing, and refuses unknown media types', () => {
    const v = validation(0xef);
    v[28] = v[28]! ^ 1;
    const c = parseCatalog('t.iso', Buffer.concat([v, bootEntry({ count: 4, lba: 9 })]), 0, 9)!;
    expect(c.validation).toMatchObject({ platform: 'efi', checksumOk: false });
    expect(() => parseCatalog('t.iso', Buffer.concat([validation(0), bootEntry({ count: 4, lba: 9, media: 7 })]), 0x800, 1)).toThrow(
      /El Torito default entry at offset 0x820 has media type 7, expected 0–4/,
    );
    expect(() => parseCatalog('t.iso', Buffer.concat([validation(0), bootEntry({ count: 4, lba: 9 }), section(true, 0, 5), bootEntry({ count: 1, lba: 2 })]), 0, 1)).toThrow(
      /section 1 at offset 0x80 announces 5 entries, more than the catalog's 128 bytes hold/,
    );
  });

  it('asks for a longer read when the catalog goes on past the first sector', () => {
    const head = Buffer.concat([validation(0), bootEntry({ count: 4, lba: 9 }), section(true, 0xef, 3), bootEntry({ count: 1, lba: 2 })]);
    expect(parseCatalog('t.iso', head, 0, 1, true)).toBeUndefined();
    const full = Buffer.concat([head, bootEntry({ count: 1, lba: 3 }), bootEntry({ count: 1, lba: 4 })]);
    expect(parseCatalog('t.iso', full, 0, 1, true)!.entries.map((e) => e.lba)).toEqual([9, 2, 3, 4]);
  });

  it('recognises the boot info table by the PVD and image LBAs', () => {
    const head = Buffer.alloc(64);
    head.writeUInt32LE(16, 8);
    head.writeUInt32LE(52, 12);
    head.writeUInt32LE(38912, 16);
    expect(hasBootInfoTable(head, 16, 52)).toBe(true);
    expect(hasBootInfoTable(head, 16, 53)).toBe(false);
    expect(hasBootInfoTable(Buffer.alloc(64), 16, 52)).toBe(false);
  });
});

describe('hybrid system area', () => {
  it('lists MBR partitions when 55 AA is there, and nothing otherwise', () => {
    const area = Buffer.alloc(32768);
    expect(readHybrid(area)).toBeUndefined();
    area[446] = 0x80;
    area[446 + 4] = 0x17;
    area.writeUInt32LE(0, 446 + 8);
    area.writeUInt32LE(4096, 446 + 12);
    expect(readHybrid(area)).toBeUndefined(); // no signature
    area[510] = 0x55;
    area[511] = 0xaa;
    expect(readHybrid(area)).toEqual({ mbr: true, gpt: false, partitions: [{ index: 1, type: '0x17', startLba: 0, sectors: 4096, bootable: true, scheme: 'mbr' }] });
  });

  it('lists GPT entries with their names and well-known types', () => {
    const area = Buffer.alloc(32768);
    area.write('EFI PART', 512, 'latin1');
    area.writeUInt32LE(92, 512 + 12);
    area.writeBigUInt64LE(2n, 512 + 72);
    area.writeUInt32LE(4, 512 + 80);
    area.writeUInt32LE(128, 512 + 84);
    const e = 1024 + 128; // second entry; the first stays empty
    Buffer.from('28732AC11FF8D211BA4B00A0C93EC93B', 'hex').copy(area, e);
    area.writeBigUInt64LE(100n, e + 32);
    area.writeBigUInt64LE(2979n, e + 40);
    area.write('EFI boot', e + 56, 'utf16le');
    const e2 = 1024 + 256;
    Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex').copy(area, e2);
    area.writeBigUInt64LE(64n, e2 + 32);
    area.writeBigUInt64LE(63n, e2 + 40);
    expect(readHybrid(area)).toEqual({
      mbr: false,
      gpt: true,
      partitions: [
        { index: 2, type: 'EFI System', startLba: 100, sectors: 2880, name: 'EFI boot', scheme: 'gpt' },
        { index: 3, type: '33221100-5544-7766-8899-AABBCCDDEEFF', startLba: 64, sectors: 0, scheme: 'gpt' },
      ],
    });
  });

  it('ignores a GPT header with absurd sizes', () => {
    const area = Buffer.alloc(32768);
    area.write('EFI PART', 512, 'latin1');
    area.writeUInt32LE(92, 512 + 12);
    area.writeUInt32LE(1_000_000, 512 + 80);
    area.writeUInt32LE(128, 512 + 84);
    expect(readHybrid(area)).toBeUndefined();
  });
});
