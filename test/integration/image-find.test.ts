import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findEntries, queryMatcher } from '../../electron/core/image/inspect';
import { ImageRegistry } from '../../electron/core/image/registry';
import { fixtureIso } from '../helpers/fixture-variant';

// Search in Inspect: names, path fragments and globs, through the archives already opened.

const cache = mkdtempSync(path.join(os.tmpdir(), 'isolab-find-'));
const images = new ImageRegistry(cache);
let iso = '';

beforeAll(() => {
  iso = fixtureIso();
}, 300_000);
afterAll(async () => {
  await images.closeAll();
  rmSync(cache, { recursive: true, force: true });
});

describe('queryMatcher', () => {
  it('matches names by part, paths by fragment, and globs against the relative path', () => {
    expect(queryMatcher('VERS')('VERSION', 'etc/VERSION')).toBe(true);
    expect(queryMatcher('usr/bin/bash')('bash', 'usr/bin/bash')).toBe(true);
    expect(queryMatcher('usr/bin/bash')('bash', 'bin/bash')).toBe(false);
    expect(queryMatcher('*.png')('logo.png', 'usr/share/logo.png')).toBe(true);
    expect(queryMatcher('*.png')('logo.svg', 'usr/share/logo.svg')).toBe(false);
    expect(queryMatcher('bin/*sh')('ash', 'bin/ash')).toBe(true);
    expect(queryMatcher('bin/*sh')('ash', 'usr/bin/ash')).toBe(false);
  });
});

describe('findEntries on the fixture ISO', () => {
  it('names the initrd as not searched until it is opened, then searches inside it', async () => {
    const s = await images.get(iso);
    const before = await findEntries(s, '/', 'busybox', 100);
    expect(before.entries).toEqual([]);
    expect(before.unindexed).toEqual(['/boot/initrd']);
    await s.locate('/boot/initrd', { descendLast: true });
    const after = await findEntries(s, '/', 'busybox', 100);
    expect(after.entries.map((e) => e.path)).toContain('/boot/initrd/bin/busybox');
    expect(after.unindexed).toEqual([]);
  });

  it('finds by glob and by path, relative to the folder searched', async () => {
    const s = await images.get(iso);
    await s.locate('/boot/initrd', { descendLast: true });
    expect((await findEntries(s, '/', '*.cfg', 100)).entries.map((e) => e.path)).toEqual(['/isolinux/isolinux.cfg']);
    const inEtc = await findEntries(s, '/boot/initrd', 'etc/VERSION', 100);
    expect(inEtc.entries.map((e) => e.path)).toEqual(['/boot/initrd/etc/VERSION']);
    const shells = (await findEntries(s, '/boot/initrd', 'bin/*sh', 100)).entries.map((e) => e.path);
    expect(shells).toContain('/boot/initrd/bin/ash');
    expect(shells.every((p) => /^\/boot\/initrd\/bin\/[^/]*sh$/.test(p))).toBe(true);
  });
});
