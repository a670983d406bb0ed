// The open-image registry against files rewritten in place, as a rebuild does to out/hello.iso:
// the session (and its archive index) must describe the file as it is now.
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFolder, readRange } from '../../electron/core/image/inspect';
import { ImageRegistry } from '../../electron/core/image/registry';
import { buildVariant, fixtureIso, unpackFixture } from '../helpers/fixture-variant';

const versionOf = async (reg: ImageRegistry, iso: string) => (await readRange(await reg.get(iso), '/boot/initrd/etc/VERSION', 0, 100)).data.toString();

describe('ImageRegistry', () => {
  it('reuses an open image while the file is unchanged, and reopens it once it is rebuilt in place', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-registry-'));
    const reg = new ImageRegistry(path.join(dir, 'cache'));
    const iso = path.join(dir, 'out.iso');
    copyFileSync(fixtureIso(), iso);
    const first = await reg.get(iso);
    expect(await reg.get(iso)).toBe(first);
    expect(await versionOf(reg, iso)).toBe('isolab-fixture 1\n');

    // A build writes a new file and renames it over the old one.
    const base = unpackFixture(fixtureIso(), path.join(dir, 'base'));
    const variant = buildVariant(base, dir, 'v2', (u) => writeFileSync(path.join(u.rootfs, 'etc', 'VERSION'), 'rebuilt with a longer version\n'));
    renameSync(variant.iso, iso);
    const second = await reg.get(iso);
    expect(second).not.toBe(first);
    expect(await versionOf(reg, iso)).toBe('rebuilt with a longer version\n');
    expect((await listFolder(second, '/boot')).map((e) => e.path)).toEqual(['/boot/bzImage', '/boot/initrd']);

    // Gone: the error says so instead of answering from the old index.
    rmSync(iso);
    await expect(reg.get(iso)).rejects.toMatchObject({ code: expect.any(String) });
    await reg.closeAll();
  }, 60_000);
});
