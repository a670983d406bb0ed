import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsStore } from '../../electron/core/settings/store';

// A full disk under the config folder (a small tmpfs): a failed save is an error, changes
// nothing in memory, and leaves no temp file; the settings file before it stays whole.

const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-full-config-'));

beforeAll(() => {
  if (isRoot) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
});
afterAll(() => {
  if (isRoot) execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('settings on a full disk', () => {
  it('a save that cannot be written changes nothing and leaves no temp file', async () => {
    const store = new SettingsStore(dir);
    await store.update({ vm: { memoryMb: 3000 } });
    // Fill the disk.
    try {
      writeFileSync(path.join(dir, 'filler'), Buffer.alloc(200 << 10));
    } catch {
      // ENOSPC once it is full: that is the point.
    }
    await expect(store.update({ vm: { memoryMb: 5000 } })).rejects.toMatchObject({ code: 'SETTINGS_NOT_SAVED', message: expect.stringMatching(/no space left on the disk\. Nothing was changed\./) });
    expect((await store.get()).vm.memoryMb).toBe(3000);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect((await new SettingsStore(dir).get()).vm.memoryMb).toBe(3000);
  });
});
