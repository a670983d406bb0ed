import { mkdtempSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsStore } from '../../electron/core/settings/store';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'isolab-settings-'));
}

describe('SettingsStore', () => {
  it('starts from defaults and persists changes across instances', async () => {
    const dir = tmp();
    const a = new SettingsStore(dir);
    expect((await a.state()).warnings).toEqual([]);
    await a.update({ vm: { cpus: 4 }, docker: { host: 'tcp://127.0.0.1:2375' } });
    const b = new SettingsStore(dir);
    const s = await b.get();
    expect(s.vm.cpus).toBe(4);
    expect(s.vm.memoryMb).toBe(2000);
    expect(s.docker.host).toBe('tcp://127.0.0.1:2375');
    await b.update({ docker: { host: null } });
    expect((await new SettingsStore(dir).get()).docker.host).toBeUndefined();
  });

  it('writes atomically: no temp files remain and the file is complete JSON', async () => {
    const dir = tmp();
    const store = new SettingsStore(dir);
    await Promise.all([1, 2, 3, 4, 5].map((cpus) => store.update({ vm: { cpus } })));
    expect(readdirSync(dir).sort()).toEqual(['settings.json']);
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8')).vm.cpus).toBe(5);
  });

  it('a corrupt file gives defaults and a warning, and the old file is kept aside', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'settings.json'), '{"vm": {"cpus": 4}, ');
    const state = await new SettingsStore(dir).state();
    expect(state.settings.vm.cpus).toBe(2);
    expect(state.warnings).toHaveLength(1);
    expect(state.warnings[0]!.code).toBe('SETTINGS_CORRUPT');
    expect(state.warnings[0]!.hint).toMatch(/settings\.json\.corrupt-/);
    const aside = readdirSync(dir).find((f) => f.startsWith('settings.json.corrupt-'));
    expect(aside).toBeDefined();
    expect(readFileSync(path.join(dir, aside!), 'utf8')).toBe('{"vm": {"cpus": 4}, ');
  });

  it('a file of the wrong shape is treated like a corrupt one', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ vm: { cpus: 'many' } }));
    const state = await new SettingsStore(dir).state();
    expect(state.settings.vm.cpus).toBe(2);
    expect(state.warnings[0]!.message).toContain('vm.cpus');
  });

  it('saving after a corrupt load clears the warning and writes a valid file', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'settings.json'), 'not json');
    const store = new SettingsStore(dir);
    expect((await store.state()).warnings).toHaveLength(1);
    const after = await store.update({ ui: { presenter: true } });
    expect(after.warnings).toEqual([]);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'settings.json'), 'utf8')).ui.presenter).toBe(true);
  });

  it('keeps recent items newest first, without duplicates, and survives a corrupt recent file', async () => {
    const dir = tmp();
    const store = new SettingsStore(dir);
    await store.addRecent('iso', '/a.iso');
    await store.addRecent('iso', '/b.iso');
    await store.addRecent('iso', '/a.iso');
    expect((await new SettingsStore(dir).listRecent()).map((r) => r.path)).toEqual(['/a.iso', '/b.iso']);
    writeFileSync(path.join(dir, 'recent.json'), '[{"kind":1}]');
    const fresh = new SettingsStore(dir);
    expect(await fresh.listRecent()).toEqual([]);
    expect((await fresh.state()).warnings[0]!.code).toBe('SETTINGS_CORRUPT');
  });

  it('an unreadable settings file (a folder in its place) is a warning, not a crash', async () => {
    const dir = tmp();
    await fs.mkdir(path.join(dir, 'settings.json'));
    const state = await new SettingsStore(dir).state();
    expect(state.settings.vm.cpus).toBe(2);
    expect(state.warnings[0]!.code).toBe('SETTINGS_UNREADABLE');
  });
});
