import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectArchive, isCpioMagic, sniffCompression } from '../../electron/core/archive/sniff';
import { BufferSource } from '../../electron/core/image/byte-source';
import { dir, file, newc } from '../helpers/archive-newc';

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');
const src = (b: Buffer) => new BufferSource(b, `sniff:${b.length}:${b.subarray(0, 16).toString('hex')}`, 'test');

describe('sniffing archives by content', () => {
  it.each([
    ['gzip', '1f8b0800000000000003'],
    ['bzip2', '425a683931415926'],
    ['xz', 'fd377a585a000001'],
    ['lz4-legacy', '02214c18ffff0000'],
    ['lz4', '04224d1864400000'],
    ['zstd', '28b52ffd00000000'],
    ['lzma', '5d00008000ffffffffffffffff00'],
  ])('%s by its magic', (name, bytes) => {
    expect(sniffCompression(hex(bytes))).toBe(name);
  });

  it('ignores what only looks like a kernel two-byte magic', () => {
    expect(sniffCompression(hex('1f9e0800'))).toBeUndefined();
    expect(sniffCompression(hex('425a6830'))).toBeUndefined();
    expect(sniffCompression(hex('5d000080'))).toBeUndefined();
    expect(sniffCompression(Buffer.from('hello world'))).toBeUndefined();
    expect(sniffCompression(Buffer.alloc(2))).toBeUndefined();
  });

  it('knows every cpio magic', () => {
    for (const m of ['070701', '070702', '070707']) expect(isCpioMagic(Buffer.from(m + '00'))).toBe(true);
    expect(isCpioMagic(hex('c771'))).toBe(true);
    expect(isCpioMagic(hex('71c7'))).toBe(true);
    expect(isCpioMagic(Buffer.from('070703'))).toBe(false);
    expect(isCpioMagic(Buffer.from('07070'))).toBe(false);
  });

  it('detects plain, compressed and multi-segment archives', async () => {
    const early = newc([dir('kernel'), file('kernel/x86/microcode/GenuineIntel.bin', 'ucode')], { padTo: 512 });
    const main = newc([dir('etc'), file('etc/VERSION', 'x\n')]);
    expect(await detectArchive(src(early))).toBe('cpio');
    expect(await detectArchive(src(gzipSync(main)))).toBe('cpio+gzip');
    expect(await detectArchive(src(Buffer.concat([early, Buffer.alloc(512), gzipSync(main)])))).toBe('cpio,cpio+gzip');
    expect(await detectArchive(src(Buffer.concat([early, early, gzipSync(main)])))).toBe('cpio,cpio,cpio+gzip');
  });

  it('does not take other files for archives', async () => {
    expect(await detectArchive(src(gzipSync(Buffer.from('just some text, not cpio'))))).toBeUndefined();
    expect(await detectArchive(src(Buffer.from('#!/bin/sh\necho hi\n')))).toBeUndefined();
    expect(await detectArchive(src(Buffer.alloc(4096)))).toBeUndefined();
    expect(await detectArchive(src(Buffer.alloc(0)))).toBeUndefined();
    expect(await detectArchive(src(hex('1f8b08000000000000')))).toBeUndefined();
  });
});
