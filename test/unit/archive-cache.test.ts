import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveImage } from '../../electron/core/archive/archive-image';
import { cachePaths, evictCache } from '../../electron/core/archive/index-cache';
import { LIMITS } from '../../electron/core/archive/limits';
import { file, newc } from '../helpers/archive-newc';
import { openArchive, readAll } from '../helpers/archive-open';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'isolab-cache-unit-'));
  dirs.push(d);
  return d;
};

describe('the archive cache', () => {
  it('names files by the SHA-256 of the cache key', () => {
    const p = cachePaths('/c', 'key');
    expect(p.dir).toBe(path.join('/c', 'archives'));
    expect(p.data).toBe(path.join('/c', 'archives', '2c70e12b7a0646f92279f427c7b38e7334d8e5389cff167a1dc30e73f826b683.data'));
    expect(p.index).toBe(p.data.replace(/\.data$/, '.index.json'));
  });

  it('evicts the least recently used archives beyond the cap, and stale temp files', async () => {
    const dir = tmp();
    const mk = (base: string, size: number, age: number) => {
      for (const ext of ['data', 'index.json']) {
        const f = path.join(dir, `${base}.${ext}`);
        writeFileSync(f, Buffer.alloc(size / 2));
        const t = Date.now() / 1000 - age;
        utimesSync(f, t, t);
      }
    };
    mk('old', 400, 300);
    mk('mid', 400, 200);
    mk('new', 400, 100);
    mk('keep', 400, 1000);
    writeFileSync(path.join(dir, 'x.data.123.tmp'), 'partial');
    utimesSync(path.join(dir, 'x.data.123.tmp'), Date.now() / 1000 - 7200, Date.now() / 1000 - 7200);
    writeFileSync(path.join(dir, 'y.data.456.tmp'), 'in progress');
    await evictCache(dir, 'keep', 1000);
    expect(readdirSync(dir).sort()).toEqual(['keep.data', 'keep.index.json', 'new.data', 'new.index.json', 'y.data.456.tmp']);
  });

  it('opens from the cache the second time and rebuilds when the data file is gone', async () => {
    const cacheDir = tmp();
    const first = await openArchive(gzipSync(newc([file('a', 'hello')])), { cacheDir, inMemory: true });
    expect(first.img.fromCache).toBe(false);
    const reopen = await ArchiveImage.open(first.src, { cacheDir, useWorker: false });
    expect(reopen.fromCache).toBe(true);
    rmSync(cachePaths(cacheDir, first.src.cacheKey).data);
    const rebuilt = await ArchiveImage.open(first.src, { cacheDir, useWorker: false });
    expect(rebuilt.fromCache).toBe(false);
    expect((await readAll(rebuilt.open(await rebuilt.stat('/a')))).toString()).toBe('hello');
    await Promise.all([reopen.close(), rebuilt.close(), first.dispose()]);
  });
});

describe('cancelling in-thread indexing', () => {
  it('stops at the abort signal and leaves no partial files', async () => {
    const cacheDir = tmp();
    const big = gzipSync(newc(Array.from({ length: 64 }, (_, i) => file(`f${i}`, Buffer.alloc(1 << 20, i)))));
    const ac = new AbortController();
    let events = 0;
    await expect(
      openArchive(big, {
        cacheDir,
        inMemory: true,
        signal: ac.signal,
        onProgress: () => {
          if (++events === 1) ac.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(path.join(cacheDir, 'archives'))).toEqual([]);
  });
});

describe('limits against hostile archives', () => {
  const saved = { ...LIMITS };
  afterEach(() => Object.assign(LIMITS, saved));

  it('refuses a decompression bomb', async () => {
    LIMITS.maxOutput = 1 << 20;
    const bomb = gzipSync(newc([file('zeros', Buffer.alloc(4 << 20))]));
    await expect(openArchive(bomb, { inMemory: true })).rejects.toMatchObject({ code: 'BAD_ARCHIVE', message: expect.stringMatching(/decompresses to more than/), hint: expect.stringMatching(/bomb/) });
  });

  it('refuses too many entries and too many name bytes', async () => {
    LIMITS.maxEntries = 10;
    const many = newc(Array.from({ length: 20 }, (_, i) => file(`f${i}`, 'x')));
    await expect(openArchive(many, { inMemory: true })).rejects.toMatchObject({ code: 'BAD_ARCHIVE', message: expect.stringMatching(/more than 10 entries/) });
    Object.assign(LIMITS, saved);
    LIMITS.maxNameBytes = 1000;
    const long = newc(Array.from({ length: 20 }, (_, i) => file(`${'n'.repeat(100)}${i}`, 'x')));
    await expect(openArchive(long, { inMemory: true })).rejects.toMatchObject({ code: 'BAD_ARCHIVE', message: expect.stringMatching(/names add up/) });
  });

  it('skips entries nested too deep', async () => {
    LIMITS.maxDepth = 5;
    const o = await openArchive(newc([file('a/b/c/d/e/f/g', 'deep'), file('ok', 'x')]), { inMemory: true });
    expect(o.img.warnings.join()).toMatch(/nested deeper than 5 levels/);
    await o.dispose();
  });
});
