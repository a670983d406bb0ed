import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write';

/** Keys remembered; each is a line of JSON, so a few hundred cost nothing to read. */
const KEEP = 256;

/**
 * Content keys of rootfs archives (the sha256 a shell's image is tagged with) by the archive's
 * cache key (real path, size, mtime, inode, range), on disk: hashing a 460 MB initrd takes
 * seconds, and without this a restarted app would do it again before every first shell.
 */
export class ContentKeys {
  private map: Map<string, string> | undefined;

  constructor(private readonly file: string) {}

  private async load(): Promise<Map<string, string>> {
    if (this.map) return this.map;
    const text = await fs.readFile(this.file, 'utf8').catch(() => '{}');
    let parsed: unknown = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // A torn or foreign file is only a lost optimisation.
    }
    const entries = parsed && typeof parsed === 'object' ? Object.entries(parsed as Record<string, unknown>) : [];
    this.map = new Map(entries.filter((e): e is [string, string] => typeof e[1] === 'string' && /^[a-f0-9]{64}$/.test(e[1])));
    return this.map;
  }

  async get(cacheKey: string): Promise<string | undefined> {
    return (await this.load()).get(cacheKey);
  }

  async set(cacheKey: string, key: string): Promise<void> {
    const map = await this.load();
    map.delete(cacheKey);
    map.set(cacheKey, key);
    while (map.size > KEEP) map.delete(map.keys().next().value as string);
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    // The cache is an optimisation: when it cannot be written, shells still open.
    await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(map))).catch(() => undefined);
  }
}
