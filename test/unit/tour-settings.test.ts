import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsStore } from '../../electron/core/settings/store';
import { Settings, SettingsPatch, TOUR_DEFAULTS } from '../../shared/settings';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'isolab-tour-settings-'));

describe('tour settings', () => {
  it('an old settings file, without a tour section, loads with the tour’s defaults', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ vm: { cpus: 3 }, ui: { theme: 'dark' } }));
    const state = await new SettingsStore(dir).state();
    expect(state.warnings).toEqual([]);
    expect(state.settings.tour).toEqual(TOUR_DEFAULTS);
    expect(state.settings.tour).toMatchObject({ active: false, path: 'none', step: 'build', collapsed: false, done: [], checkout: '', iso: '' });
  });

  it('keeps the tour across instances, merged field by field', async () => {
    const dir = tmp();
    await new SettingsStore(dir).update({ tour: { active: true, path: 'own', step: 'boot', iso: '/isos/minikube.iso', done: ['inspect'] } });
    const b = new SettingsStore(dir);
    await b.update({ tour: { collapsed: true } });
    const tour = (await new SettingsStore(dir).get()).tour;
    expect(tour).toEqual({ ...TOUR_DEFAULTS, active: true, path: 'own', step: 'boot', collapsed: true, iso: '/isos/minikube.iso', done: ['inspect'] });
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8')).tour.step).toBe('boot');
  });

  it('a patch of one field changes that field only (no defaults filled in for the others)', async () => {
    const parsed = SettingsPatch.parse({ ui: { presenter: true }, tour: { step: 'console' } });
    expect(parsed).toEqual({ ui: { presenter: true }, tour: { step: 'console' } });

    const dir = tmp();
    const store = new SettingsStore(dir);
    await store.update(SettingsPatch.parse({ ui: { theme: 'dark', statusRefreshSeconds: 30 } }));
    await store.update(SettingsPatch.parse({ ui: { presenter: true } }));
    await store.update(SettingsPatch.parse({ vm: { cpus: 4, memoryMb: 4096 } }));
    await store.update(SettingsPatch.parse({ vm: { diskMb: 30000 } }));
    const s = await new SettingsStore(dir).get();
    expect(s.ui).toEqual({ theme: 'dark', presenter: true, statusRefreshSeconds: 30 });
    expect(s.vm).toMatchObject({ cpus: 4, memoryMb: 4096, diskMb: 30000 });
  });

  it('refuses a patch with an unknown step; a file with one restarts the tour and keeps the rest', async () => {
    expect(SettingsPatch.safeParse({ tour: { step: 'nope' } }).success).toBe(false);
    expect(Settings.parse({ vm: { cpus: 6 }, tour: { path: 'elsewhere', step: 'boot' } })).toMatchObject({ vm: { cpus: 6 }, tour: TOUR_DEFAULTS });
    const dir = tmp();
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ vm: { cpus: 6 }, tour: { step: 'a-later-step' } }));
    const state = await new SettingsStore(dir).state();
    expect(state.warnings).toEqual([]);
    expect(state.settings.vm.cpus).toBe(6);
    expect(state.settings.tour).toEqual(TOUR_DEFAULTS);
  });
});
