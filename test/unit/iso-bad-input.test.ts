// Hand-made corruptions: each gives one LabError whose message names what was expected where.
import { describe, expect, it } from 'vitest';
import { LabError } from '../../shared/errors';
import { IsoImage } from '../../electron/core/iso/iso-image';
import { bootRecord, directory, DOT, DOTDOT, pvd, record, SECTOR, simpleIso, source, su, terminator, SynthImage } from '../helpers/iso-synth';

async function failure(p: Promise<unknown>): Promise<LabError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LabError);
    return err as LabError;
  }
  throw new Error('expected a LabError, got success');
}

const openBuf = (buf: Buffer) => IsoImage.open(source(buf));
async function listAll(buf: Buffer) {
  const iso = await openBuf(buf);
  const walk = async (dir: string): Promise<void> => {
    for (const e of await iso.readdir(dir)) if (e.type === 'dir') await walk(`${dir === '/' ? '' : dir}/${e.name}`);
  };
  await walk('/');
}

describe('bad input', () => {
  it('NOT_AN_ISO without CD001 at 0x8001, also for files shorter than that', async () => {
    const e1 = await failure(openBuf(Buffer.alloc(64 * 1024)));
    expect(e1.code).toBe('NOT_AN_ISO');
    expect(e1.message).toMatch(/"CD001" at offset 0x8001/);
    expect(e1.hint).toBeTruthy();
    const e2 = await failure(openBuf(Buffer.from('hello')));
    expect(e2.code).toBe('NOT_AN_ISO');
    expect(e2.message).toMatch(/end of the file \(5 bytes\)/);
    expect(IsoImage.isIso(Buffer.alloc(10))).toBe(false);
    const udf = Buffer.alloc(64 * 1024);
    udf.write('\0BEA01\x01', 0x8000, 'latin1');
    udf.write('\0NSR02\x01', 0x8800, 'latin1');
    const e3 = await failure(openBuf(udf));
    expect(e3.code).toBe('NOT_AN_ISO');
    expect(e3.message).toMatch(/found "BEA01"/);
    expect(e3.hint).toMatch(/UDF/);
  });

  it('a directory record shorter than 34 bytes names its offset', async () => {
    const buf = simpleIso({ children: [{ id: 'A.;1', lba: 0, size: 0 }] });
    const at = 18 * SECTOR + 34 + 34; // after '.' and '..'
    expect(buf[at]).toBeGreaterThan(33);
    buf[at] = 3;
    const e = await failure(openBuf(buf));
    expect(e.code).toBe('BAD_ISO');
    expect(e.message).toBe(`synth.iso: directory record at offset 0x${at.toString(16)} has length 3, less than the 34-byte minimum`);
    expect(e.hint).toMatch(/truncated or corrupt/);
  });

  it('a record crossing its sector, and an identifier longer than its record', async () => {
    // '.', '..' and 58 one-letter records of 34 bytes: the last starts at 2006, 42 bytes before the end.
    const records = [record({ id: DOT, lba: 18, size: SECTOR, flags: 2 }), record({ id: DOTDOT, lba: 18, size: SECTOR, flags: 2 })];
    for (let i = 0; i < 58; i++) records.push(record({ id: String.fromCharCode(65 + (i % 26)), lba: 0, size: 0 }));
    const buf = simpleIso({ children: [], extra: [[18, directory(records)]] });
    const last = 18 * SECTOR + 59 * 34;
    const crossing = Buffer.from(buf);
    crossing[last] = 60;
    expect((await failure(openBuf(crossing))).message).toBe(`synth.iso: directory record at offset 0x${last.toString(16)} has length 60 and would cross the sector end at 0x9800`);
    const longId = Buffer.from(buf);
    longId[18 * SECTOR + 68 + 32] = 200;
    expect((await failure(openBuf(longId))).message).toMatch(/directory record at offset 0x9044 has identifier length 200, which does not fit its record length 34/);
  });

  it('a truncated image: root directory past the end', async () => {
    const buf = simpleIso({ children: [] }).subarray(0, 18 * SECTOR + 100);
    const e = await failure(openBuf(buf));
    expect(e.code).toBe('BAD_ISO');
    expect(e.message).toMatch(/root directory \(record at offset 0x809c\) spans 0x9000–0x9800, past the image end at 0x9064/);
  });

  it('a subdirectory past the image end, and one of absurd size, fail when listed — not at open', async () => {
    const buf = simpleIso({
      children: [
        { id: 'FAR', lba: 1000, size: SECTOR, flags: 2 },
        { id: 'HUGE', lba: 19, size: 0x7fff0000, flags: 2 },
      ],
    });
    const iso = await openBuf(buf);
    expect((await iso.readdir('/')).map((e) => e.name)).toEqual(['FAR', 'HUGE']);
    const far = await failure(iso.readdir('/FAR'));
    expect(far.message).toMatch(/directory \/FAR spans 0x1f4000–0x1f4800, past the image end at 0x14000/);
    const huge = await failure(iso.readdir('/HUGE'));
    expect(huge.message).toMatch(/directory \/HUGE at offset 0x9800 claims 2147418112 bytes, more than the 64 MiB a directory may have/);
  });

  it('a directory that is its own ancestor is a loop, not an endless walk', async () => {
    const sub = directory([
      record({ id: DOT, lba: 19, size: SECTOR, flags: 2 }),
      record({ id: DOTDOT, lba: 18, size: SECTOR, flags: 2 }),
      record({ id: 'BACK', lba: 18, size: SECTOR, flags: 2 }), // points at the root
      record({ id: 'SELF', lba: 19, size: SECTOR, flags: 2 }), // points at itself
    ]);
    const iso = await openBuf(simpleIso({ children: [{ id: 'SUB', lba: 19, size: SECTOR, flags: 2 }], extra: [[19, sub]] }));
    expect((await iso.readdir('/SUB')).map((e) => e.name)).toEqual(['BACK', 'SELF']);
    expect((await failure(iso.readdir('/SUB/BACK'))).message).toMatch(/directory \/SUB\/BACK points back to the data of an ancestor directory \(offset 0x9000\), a loop/);
    expect((await failure(iso.readdir('/SUB/SELF/x'))).message).toMatch(/\/SUB\/SELF points back/);
  });

  it('a CL pointing at an ancestor is a loop too', async () => {
    const iso = await openBuf(simpleIso({ rr: true, children: [{ id: 'UP.;1', lba: 0, size: 0, su: Buffer.concat([su.px(0o40755), su.cl(18), su.nm('up')]) }] }));
    expect((await iso.readdir('/')).map((e) => [e.name, e.type])).toEqual([['up', 'dir']]);
    expect((await failure(iso.readdir('/up'))).message).toMatch(/\/up points back to the data of an ancestor directory/);
  });

  it('CE chains: a loop, an overlong chain, and an area beyond its block', async () => {
    // Block 30 holds a CE pointing at itself.
    const loop = Buffer.alloc(SECTOR);
    su.ce(30, 0, 28).copy(loop, 0);
    const e1 = await failure(openBuf(simpleIso({ rr: true, children: [{ id: 'A.;1', lba: 0, size: 0, su: Buffer.concat([su.px(0o100644), su.ce(30, 0, 28)]) }], extra: [[30, loop]] })));
    expect(e1.message).toMatch(/SUSP CE entry at offset 0xf000 loops back to the continuation area at 0xf000/);

    // 40 distinct areas, each pointing at the next.
    const chain = Buffer.alloc(SECTOR);
    for (let i = 0; i < 40; i++) su.ce(30, (i + 1) * 28, 28).copy(chain, i * 28);
    const e2 = await failure(openBuf(simpleIso({ rr: true, children: [{ id: 'A.;1', lba: 0, size: 0, su: Buffer.concat([su.px(0o100644), su.ce(30, 0, 28)]) }], extra: [[30, chain]] })));
    expect(e2.message).toMatch(/SUSP continuation chain through the CE entry at offset 0x[0-9a-f]+ is longer than 32 areas/);

    const e3 = await failure(openBuf(simpleIso({ rr: true, children: [{ id: 'A.;1', lba: 0, size: 0, su: Buffer.concat([su.px(0o100644), su.ce(30, 2000, 100)]) }] })));
    expect(e3.message).toMatch(/SUSP CE entry at offset 0x9[0-9a-f]+ points to 100 bytes at block 30 offset 2000, beyond its 2048-byte block/);
  });

  it('SUSP and RRIP entries with impossible lengths', async () => {
    const badLen = Buffer.concat([su.px(0o100644), Buffer.from('NM\x40\x01x', 'latin1')]);
    const e1 = await failure(openBuf(simpleIso({ rr: true, children: [{ id: 'A.;1', lba: 0, size: 0, su: badLen }] })));
    expect(e1.message).toMatch(/SUSP entry "NM" at offset 0x[0-9a-f]+ has length 64, past the end of its system use area at 0x[0-9a-f]+/);
    const shortPx = su.raw('PX', Buffer.alloc(8));
    const e2 = await failure(openBuf(simpleIso({ rr: true, children: [{ id: 'A.;1', lba: 0, size: 0, su: shortPx }] })));
    expect(e2.message).toMatch(/Rock Ridge PX entry at offset 0x[0-9a-f]+ has length 12, less than the 36 bytes it needs/);
    const badSl = su.raw('SL', Buffer.from([0, 0, 50, 0x61]));
    const e3 = await failure(openBuf(simpleIso({ rr: true, children: [{ id: 'A.;1', lba: 0, size: 0, su: Buffer.concat([su.px(0o120777), badSl]) }] })));
    expect(e3.message).toMatch(/Rock Ridge SL entry at offset 0x[0-9a-f]+ has a component at 0x[0-9a-f]+ running past the end of its system use area/);
  });

  it('a Rock Ridge name with a slash', async () => {
    const e = await failure(openBuf(simpleIso({ rr: true, children: [{ id: 'A.;1', lba: 0, size: 0, su: Buffer.concat([su.px(0o100644), su.nm('../../etc/passwd')]) }] })));
    expect(e.message).toMatch(/directory record at offset 0x90[0-9a-f]{2} in \/ has the name "..\/..\/etc\/passwd", which cannot be a file name/);
  });

  it('multi-extent without its final part', async () => {
    const e1 = await failure(openBuf(simpleIso({ children: [{ id: 'A.;1', lba: 30, size: SECTOR, flags: 0x80 }] })));
    expect(e1.message).toMatch(/multi-extent file "A" \(record at offset 0x9044\) has no final part before the end of directory \//);
    const e2 = await failure(
      openBuf(
        simpleIso({
          children: [
            { id: 'A.;1', lba: 30, size: SECTOR, flags: 0x80 },
            { id: 'B.;1', lba: 31, size: 1 },
          ],
        }),
      ),
    );
    expect(e2.message).toMatch(/has no final part: the next record at 0x[0-9a-f]+ is "B.;1"/);
  });

  it('interleaved files are refused with the record offset', async () => {
    const e = await failure(openBuf(simpleIso({ children: [{ id: 'A.;1', lba: 30, size: 10, unitSize: 2 }] })));
    expect(e.message).toMatch(/directory record at offset 0x9044 describes an interleaved file \(unit size 2, gap 0\)/);
  });

  it('file data past the image end is reported by open(), never allocated', async () => {
    const iso = await openBuf(simpleIso({ children: [{ id: 'BIG.;1', lba: 30, size: 0xfffff000 }] }));
    const [big] = await iso.readdir('/');
    expect(big!.size).toBe(0xfffff000);
    const e = await failure(Promise.resolve().then(() => iso.open(big!)));
    expect(e.message).toMatch(/BIG has data at 0xf000–0x10000e000, past the image end at 0x14000/);
  });

  it('descriptors: no PVD, a bad block size, a root record that is not a directory', async () => {
    const noPvd = new SynthImage(20).put(16, bootRecord(30)).put(17, terminator()).toBuffer();
    expect((await failure(openBuf(noPvd))).message).toMatch(/no primary volume descriptor \(type 1\) in the descriptor set starting at offset 0x8000/);
    const badBlock = simpleIso({ children: [] });
    badBlock.writeUInt16LE(3, 16 * SECTOR + 128);
    expect((await failure(openBuf(badBlock))).message).toMatch(/volume descriptor at offset 0x8000 has logical block size 3 at 0x8080, expected 2048/);
    const notDir = simpleIso({ children: [] });
    notDir[16 * SECTOR + 156 + 25] = 0;
    expect((await failure(openBuf(notDir))).message).toMatch(/root directory record at offset 0x809c is malformed/);
  });

  it('El Torito: a catalog past the end and a broken validation entry', async () => {
    const base = (catalogLba: number, catalog?: Buffer) => {
      const img = new SynthImage(40)
        .put(16, pvd({ rootLba: 18, rootSize: SECTOR, volumeBlocks: 40 }))
        .put(17, bootRecord(catalogLba))
        .put(18, terminator())
        .put(19, directory([record({ id: DOT, lba: 19, size: SECTOR, flags: 2 }), record({ id: DOTDOT, lba: 19, size: SECTOR, flags: 2 })]));
      if (catalog) img.put(catalogLba, catalog);
      const b = img.toBuffer();
      b.writeUInt32LE(19, 16 * SECTOR + 156 + 2); // root at 19
      return b;
    };
    expect((await failure(openBuf(base(500)))).message).toMatch(/boot catalog at block 500 \(offset 0xfa000\), past the image end at 0x14000/);
    expect((await failure(openBuf(base(30, Buffer.alloc(64, 7))))).message).toMatch(/El Torito validation entry at offset 0xf000 should start with 0x01 and end with 55 AA; found 0x7/);
  });

  it('paths that do not exist or run through files', async () => {
    const iso = await openBuf(simpleIso({ children: [{ id: 'F.;1', lba: 0, size: 0 }] }));
    const e1 = await failure(iso.stat('/nope'));
    expect(e1.code).toBe('NOT_FOUND');
    expect(e1.message).toMatch(/\/nope does not exist/);
    expect((await failure(iso.readdir('/F'))).code).toBe('NOT_A_DIRECTORY');
    expect((await failure(iso.stat('/F/x'))).code).toBe('NOT_A_DIRECTORY');
    // '/', '//', '/.', '/x/..' all name the root.
    for (const p of ['/', '//', '/.', '/F/..', '']) expect((await iso.stat(p)).path).toBe('/');
  });

  it('a huge directory count is capped', async () => {
    // 64 MiB of 34-byte records would be ~2 million entries; the cap stops at 250 000.
    const n = 260_000;
    const rec = record({ id: 'A', lba: 0, size: 0 });
    const perSector = Math.floor(SECTOR / rec.length);
    const sectors = Math.ceil((n + 2) / perSector);
    const dir = Buffer.alloc(sectors * SECTOR);
    let i = 0;
    for (let s = 0; s < sectors; s++) for (let k = 0; k < perSector; k++, i++) rec.copy(dir, s * SECTOR + k * rec.length);
    const buf = simpleIso({ children: [], rootSize: dir.length, totalSectors: 20 + sectors, extra: [[18, dir]] });
    const e = await failure(listAll(buf));
    expect(e.message).toMatch(/directory \/ at offset 0x9000 has more than 250000 entries/);
  });
});
