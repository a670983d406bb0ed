// Multi-extent files (ECMA-119 level 3): several records with one name, flag 0x80 on all but
// the last. The > 4 GiB case from xorriso itself is in test/integration/iso-reader.test.ts.
import { open as openFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../electron/core/image/byte-source';
import { IsoImage } from '../../electron/core/iso/iso-image';
import { pvd, record, SECTOR, simpleIso, source, su, terminator, directory, DOT, DOTDOT } from '../helpers/iso-synth';

describe('multi-extent files', () => {
  it('become one entry whose size is the sum and whose bytes are the parts in record order', async () => {
    const a = Buffer.alloc(SECTOR, 'a');
    const b = Buffer.alloc(SECTOR, 'b');
    const c = Buffer.from('ccc');
    // Parts deliberately out of disk order: record order decides.
    const iso = await IsoImage.open(
      source(
        simpleIso({
          rr: true,
          children: [
            { id: 'BIG.;1', lba: 32, size: SECTOR, flags: 0x80, su: Buffer.concat([su.px(0o100600), su.nm('big')]) },
            { id: 'BIG.;1', lba: 30, size: SECTOR, flags: 0x80, su: Buffer.concat([su.px(0o100600), su.nm('big')]) },
            { id: 'BIG.;1', lba: 34, size: 3, flags: 0x00, su: Buffer.concat([su.px(0o100640, 1, 7, 8), su.nm('big')]) },
            { id: 'Z.;1', lba: 0, size: 0, su: Buffer.concat([su.px(0o100644), su.nm('z')]) },
          ],
          extra: [
            [30, b],
            [32, a],
            [34, c],
          ],
        }),
      ),
    );
    const [big, z] = await iso.readdir('/');
    expect(z!.name).toBe('z');
    // The last record's Rock Ridge fields apply (SUSP §5).
    expect(big).toMatchObject({ name: 'big', size: 2 * SECTOR + 3, mode: 0o640, uid: 7, gid: 8 });
    expect(big!.extents).toEqual([
      { offset: 32 * SECTOR, length: SECTOR },
      { offset: 30 * SECTOR, length: SECTOR },
      { offset: 34 * SECTOR, length: 3 },
    ]);
    const bytes = await iso.open(big!).read(0, big!.size);
    expect(bytes.equals(Buffer.concat([a, b, c]))).toBe(true);
    // A read across the part boundary.
    expect((await iso.open(big!).read(SECTOR - 2, 4)).toString()).toBe('aabb');
  });

  it('sums beyond 4 GiB without 32-bit wraparound (sparse synthetic image)', async () => {
    // Part 1: 0xFFFFF800 bytes at LBA 40, part 2: 405 034 752 bytes right after, as xorriso
    // lays out a 4.7 GB file. Only the descriptors and a few marker bytes are written.
    const part1 = 0xfffff800;
    const part2 = 405_034_752;
    const lba2 = 40 + part1 / SECTOR;
    const total = lba2 + Math.ceil(part2 / SECTOR);
    const root = directory([
      record({ id: DOT, lba: 18, size: SECTOR, flags: 2 }),
      record({ id: DOTDOT, lba: 18, size: SECTOR, flags: 2 }),
      record({ id: 'HUGE.BIN;1', lba: 40, size: part1, flags: 0x80 }),
      record({ id: 'HUGE.BIN;1', lba: lba2, size: part2, flags: 0 }),
    ]);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'isolab-multi-'));
    const file = path.join(dir, 'sparse.iso');
    const fh = await openFile(file, 'w');
    try {
      await fh.truncate(total * SECTOR);
      await fh.write(pvd({ rootLba: 18, rootSize: SECTOR, volumeBlocks: total }), 0, SECTOR, 16 * SECTOR);
      await fh.write(terminator(), 0, SECTOR, 17 * SECTOR);
      await fh.write(root, 0, root.length, 18 * SECTOR);
      await fh.write(Buffer.from('END1'), 0, 4, 40 * SECTOR + part1 - 4);
      await fh.write(Buffer.from('BEG2'), 0, 4, lba2 * SECTOR);
    } finally {
      await fh.close();
    }
    const src = await FileSource.open(file);
    try {
      const iso = await IsoImage.open(src);
      const [huge] = await iso.readdir('/');
      expect(huge).toMatchObject({ name: 'HUGE.BIN', size: part1 + part2 });
      expect(huge!.size).toBeGreaterThan(2 ** 32);
      expect(huge!.extents).toEqual([
        { offset: 40 * SECTOR, length: part1 },
        { offset: lba2 * SECTOR, length: part2 },
      ]);
      const f = iso.open(huge!);
      expect(f.size).toBe(part1 + part2);
      expect((await f.read(part1 - 4, 8)).toString()).toBe('END1BEG2');
    } finally {
      await src.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
