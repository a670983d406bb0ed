import path from 'node:path';
import { z } from 'zod';
import {
  RecentItem,
  Settings,
  type SettingsPatch,
  type SettingsState,
  type StoreWarning,
} from '../../../shared/settings';
import { LabError } from '../../../shared/errors';
import { loadJsonFile, saveJsonFile } from './json-file';

const RecentFile = z.array(RecentItem);
const MAX_RECENT = 20;

/**
 * Settings and recent items, in the config folder. Loaded once; every change is written
 * atomically before the promise resolves, so a crash right after a change keeps it.
 */
export class SettingsStore {
  private settings: Settings = Settings.parse({});
  private recent: RecentItem[] = [];
  private warnings: StoreWarning[] = [];
  private loaded = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly configDir: string) {}

  private get settingsFile(): string {
    return path.join(this.configDir, 'settings.json');
  }
  private get recentFile(): string {
    return path.join(this.configDir, 'recent.json');
  }

  async load(): Promise<void> {
    if (this.loaded) return;
    const [s, r] = await Promise.all([
      loadJsonFile(this.settingsFile, Settings, Settings.parse({})),
      loadJsonFile(this.recentFile, RecentFile, []),
    ]);
    this.settings = s.value;
    this.recent = r.value;
    this.warnings = [s.warning, r.warning].filter((w): w is StoreWarning => w !== undefined);
    this.loaded = true;
  }

  async state(): Promise<SettingsState> {
    await this.load();
    return { settings: this.settings, configDir: this.configDir, warnings: this.warnings };
  }

  async get(): Promise<Settings> {
    await this.load();
    return this.settings;
  }

  async update(patch: SettingsPatch): Promise<SettingsState> {
    await this.load();
    const docker = { ...this.settings.docker };
    if (patch.docker && 'host' in patch.docker) {
      if (patch.docker.host === null || patch.docker.host === undefined) delete docker.host;
      else docker.host = patch.docker.host;
    }
    const next = Settings.parse({
      docker,
      vm: { ...this.settings.vm, ...patch.vm },
      ui: { ...this.settings.ui, ...patch.ui },
      tour: { ...this.settings.tour, ...patch.tour },
    });
    // Kept only once it is on disk: a failed write (a full disk) leaves what get() returns as it was.
    await this.serialize(() => saveJsonFile(this.settingsFile, next)).catch((err: NodeJS.ErrnoException) => {
      throw new LabError('SETTINGS_NOT_SAVED', `Could not save ${this.settingsFile}: ${err.code === 'ENOSPC' ? 'no space left on the disk' : err.message}. Nothing was changed.`, 'Free some space (or fix the folder\'s permissions) and change the setting again.');
    });
    this.settings = next;
    // A successful save replaces the file the warning was about.
    this.warnings = this.warnings.filter((w) => !w.message.startsWith('settings.json'));
    return this.state();
  }

  async listRecent(): Promise<RecentItem[]> {
    await this.load();
    return this.recent;
  }

  async addRecent(kind: RecentItem['kind'], itemPath: string): Promise<RecentItem[]> {
    await this.load();
    const item: RecentItem = { kind, path: itemPath, openedAt: new Date().toISOString() };
    const next = [item, ...this.recent.filter((r) => !(r.kind === kind && r.path === itemPath))].slice(0, MAX_RECENT);
    await this.serialize(() => saveJsonFile(this.recentFile, next));
    this.recent = next;
    return this.recent;
  }

  async clearRecent(): Promise<RecentItem[]> {
    await this.load();
    this.recent = [];
    await this.serialize(() => saveJsonFile(this.recentFile, this.recent));
    return this.recent;
  }

  /** Writes happen one at a time so two quick changes cannot land out of order. */
  private serialize(write: () => Promise<void>): Promise<void> {
    const next = this.writing.then(write, write);
    this.writing = next.catch(() => undefined);
    return next;
  }
}
