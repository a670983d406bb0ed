import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CpioParser, type RawEntry } from '../../electron/core/archive/cpio';
import { LabError } from '../../shared/errors';
import { dir, file, newc, newcEntry, S, symlink } from '../helpers/archive-newc';
import { openArchive, readAll, type Opened } from '../helpers/archive-open';

const opened: Opened[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.dispose()));
});
async function open(b: Buffer) {
  const o = await openArchive(b, { inMemory: true });
  opened.push(o);
  return o.img;
}
async function failure(b: Buffer): Promise<LabError> {
  try {
    await open(b);
  } catch (err) {
    expect(err).toBeInstanceOf(LabError);
    return err as LabError;
  }
  throw new Error('expected the archive to be refused');
}

function parse(b: Buffer, chunk = b.length) {
  const entries: RawEntry[] = [];
  const warnings: string[] = [];
  const p = new CpioParser({ entry: (e) => entries.push(e), trailer: () => entries.push({ name: '<trailer>' } as RawEntry), warning: (w) => warnings.push(w) }, (o) => `offset ${o}`);
  for (let i = 0; i < b.length; i += chunk) p.push(b.subarray(i, i + chunk));
  return { entries, warnings, parser: p };
}

describe('the cpio stream parser', () => {
  it('gives the same entries whatever the chunking', () => {
    const b = newc([dir('.'), dir('etc'), file('etc/a', 'hello'), symlink('etc/b', 'a'), file('etc/c', '')]);
    const whole = parse(b).entries;
    expect(whole.map((e) => e.name)).toEqual(['.', 'etc', 'etc/a', 'etc/b', 'etc/c', '<trailer>']);
    for (const chunk of [1, 3, 7, 110, 113]) expect(parse(b, chunk).entries).toEqual(whole);
    expect(whole[3]!.target).toBe('a');
    expect(whole[2]!.size).toBe(5);
  });

  it('strips the NUL that gen_init_cpio stores after a symlink target', () => {
    const { entries } = parse(newc([symlink('bin/sh', 'busybox\0')]));
    expect(entries[0]!.target).toBe('busybox');
  });

  it('reads lowercase hex', () => {
    const b = Buffer.from(newcEntry({ name: 'x', data: 'abc', mode: S.file | 0o755 }).toString('latin1').toLowerCase(), 'latin1');
    expect(parse(b).entries[0]!.mode).toBe(S.file | 0o755);
  });

  it('stays at a boundary only between entries', () => {
    const b = newc([file('a', 'x'.repeat(100))]);
    const half = parse(b.subarray(0, 150));
    expect(half.parser.atBoundary).toBe(false);
    expect(parse(b).parser.atBoundary).toBe(true);
  });
});

describe('cpio errors and limits', () => {
  it('says what it expected where when a magic is wrong', async () => {
    const good = newc([file('a', 'abc')], { trailer: false });
    const bad = Buffer.concat([good, newcEntry({ name: 'b', data: 'x', magic: 'xx0701' })]);
    const err = await failure(gzipSync(bad));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toBe(`cpio header at offset 0x${good.length.toString(16)} of segment 1 (gzip) has magic 'xx0701', expected 070701`);
    expect(err.hint).toBeTruthy();
  });

  it('verifies 070702 checksums of regular files', async () => {
    const ok = newc([file('a', 'checksummed data')], { format: 'crc' });
    const img = await open(ok);
    expect((await readAll(img.open(await img.stat('/a')))).toString()).toBe('checksummed data');
    const bad = newc([file('a', 'checksummed data', { check: 1234 })], { format: 'crc' });
    const err = await failure(bad);
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/'a' at offset 0x0 of segment 1 .* fails its 070702 checksum: stored 0x4d2, computed 0x/);
  });

  it('refuses names longer than PATH_MAX and names without a NUL', async () => {
    expect((await failure(newc([file('a', 'x', { namesize: 5000 })]))).message).toMatch(/name size of 5000 bytes, expected 1…4096/);
    expect((await failure(newc([file('abcd', 'x', { namesize: 4 })]))).message).toMatch(/not NUL-terminated/);
    expect((await failure(newc([file('a', 'x', { namesize: 0 })]))).message).toMatch(/name size of 0 bytes/);
  });

  it('refuses a file that claims more data than there is', async () => {
    const err = await failure(newc([file('a', 'xyz', { size: 0x7fffffff })], { trailer: false }));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/truncated/);
    const gz = await failure(gzipSync(newc([file('a', 'xyz', { size: 1000 })], { trailer: false })));
    expect(gz.message).toMatch(/ends inside a cpio entry/);
  });

  it('refuses bad hex with the field named', async () => {
    const b = Buffer.from(newc([file('a', 'x')]).toString('latin1').replace(/^070701(.{8})/, '070701zzzzzzzz'), 'latin1');
    expect((await failure(b)).message).toMatch(/bad c_ino field 'zzzzzzzz'/);
  });

  it('tolerates zero padding after the trailer, and warns about other junk', async () => {
    const clean = await open(gzipSync(newc([file('a', 'x')], { padTo: 512 })));
    expect(clean.warnings).toEqual([]);
    const junk = await open(gzipSync(Buffer.concat([newc([file('a', 'x')]), Buffer.from('garbage after the trailer')])));
    expect(junk.warnings.join('\n')).toMatch(/unexpected bytes .* after the cpio trailer at offset 0x[0-9a-f]+ of segment 1 \(gzip\)/);
    expect((await junk.stat('/a')).size).toBe(1);
  });

  it('warns about trailing data after the last segment', async () => {
    const img = await open(Buffer.concat([newc([file('a', 'x')]), Buffer.from('\x7fELF trailing bytes')]));
    expect(img.warnings.join('\n')).toMatch(/unrecognised data at file offset 0x[0-9a-f]+ after segment 1/);
  });

  it('says NOT_AN_ARCHIVE for anything else', async () => {
    expect((await failure(Buffer.from('hello, world'))).code).toBe('NOT_AN_ARCHIVE');
    expect((await failure(gzipSync(Buffer.from('a gzip file of text')))).code).toBe('NOT_AN_ARCHIVE');
  });

  it('skips devices and directories that carry data, as the kernel does', async () => {
    const img = await open(newc([file('dev/x', 'oops', { mode: S.char | 0o600, rdev: [1, 3] }), file('ok', 'fine')]));
    await expect(img.stat('/dev/x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(img.warnings.join('\n')).toMatch(/'dev\/x' is a char with 4 bytes of data: skipped/);
  });
});
