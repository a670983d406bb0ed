import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BuildId, BuildRecord } from '../../../shared/build';
import { LabError } from '../../../shared/errors';
import { writeFileAtomic } from '../fs/atomic-write';

/**
 * Every build keeps a folder under <dataDir>/builds/<id>: record.json (written atomically on
 * each change of phase, and now and then while it runs) and the two logs beside it. The
 * folder listing is the history, so the CLI's builds show up in the app and the other way round.
 */

export const RECORD_FILE = 'record.json';
export const IMAGE_LOG = 'image.log';
export const BUILD_LOG = 'build.log';

export class BuildHistory {
  private readonly writes = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  newId(now = new Date()): string {
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const suffix = [...randomBytes(4)].map((b) => alphabet[b % alphabet.length]).join('');
    return `${stamp}-${suffix}`;
  }

  folder(id: string): string {
    // The schema keeps ids to [0-9a-z-], so an id can never name a path outside dir.
    if (!BuildId.safeParse(id).success) throw new LabError('BUILD_NOT_FOUND', `No build ${JSON.stringify(id)}`);
    return path.join(this.dir, id);
  }

  logPaths(id: string): { image: string; build: string } {
    const f = this.folder(id);
    return { image: path.join(f, IMAGE_LOG), build: path.join(f, BUILD_LOG) };
  }

  /** Writes of one record are queued, so an older state never lands after a newer one. */
  save(record: BuildRecord): Promise<void> {
    const file = path.join(this.folder(record.id), RECORD_FILE);
    const body = `${JSON.stringify(record, null, 2)}\n`;
    const prev = this.writes.get(record.id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => writeFileAtomic(file, body, 0o644));
    this.writes.set(record.id, next);
    void next.finally(() => {
      if (this.writes.get(record.id) === next) this.writes.delete(record.id);
    }).catch(() => undefined);
    return next;
  }

  async load(id: string): Promise<BuildRecord | undefined> {
    let text: string;
    try {
      text = await fs.promises.readFile(path.join(this.folder(id), RECORD_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const parsed = BuildRecord.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Newest first; folders without a readable record are left out. */
  async list(): Promise<BuildRecord[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const ids = names.filter((n) => BuildId.safeParse(n).success);
    const records = await Promise.all(ids.map((id) => this.load(id).catch(() => undefined)));
    return records.filter((r): r is BuildRecord => r !== undefined).sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : b.id.localeCompare(a.id)));
  }
}
