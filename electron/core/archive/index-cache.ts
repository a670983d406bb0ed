import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseIndex, type LoadedIndex } from './index-file';
import { LIMITS } from './limits';

export interface CachePaths {
  dir: string;
  base: string;
  data: string;
  index: string;
}

/** <cacheDir>/archives/<sha256 of the source's cacheKey>.{data,index.json} */
export function cachePaths(cacheDir: string, cacheKey: string): CachePaths {
  const dir = path.join(cacheDir, 'archives');
  const base = createHash('sha256').update(cacheKey).digest('hex');
  return { dir, base, data: path.join(dir, `${base}.data`), index: path.join(dir, `${base}.index.json`) };
}

export function tempPaths(p: CachePaths, suffix: string): { data: string; index: string } {
  return { data: `${p.data}.${suffix}.tmp`, index: `${p.index}.${suffix}.tmp` };
}

/** The cached index for these bytes, if present and intact; a bad one is deleted. */
export async function loadCached(p: CachePaths, cacheKey: string, srcSize: number, problems?: string[]): Promise<LoadedIndex | undefined> {
  let text: string;
  let dataSize: number;
  try {
    [text, dataSize] = await Promise.all([fs.readFile(p.index, 'utf8'), fs.stat(p.data).then((s) => s.size)]);
  } catch {
    return undefined;
  }
  const loaded = parseIndex(text, cacheKey, srcSize, dataSize);
  if (typeof loaded === 'string') {
    problems?.push(loaded);
    await Promise.all([fs.rm(p.index, { force: true }), fs.rm(p.data, { force: true })]);
    return undefined;
  }
  // Recently used entries survive eviction longest.
  const now = new Date();
  await Promise.all([fs.utimes(p.index, now, now), fs.utimes(p.data, now, now)]).catch(() => undefined);
  return loaded;
}

const STALE_TMP_MS = 60 * 60 * 1000;

/** Deletes the least recently used archives beyond the cache cap, and leftovers of crashes. */
export async function evictCache(dir: string, keepBase: string, cap = LIMITS.cacheBytes): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const groups = new Map<string, { files: string[]; size: number; used: number }>();
  const now = Date.now();
  for (const name of names) {
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st) continue;
    if (name.endsWith('.tmp')) {
      if (now - st.mtimeMs > STALE_TMP_MS) await fs.rm(file, { force: true });
      continue;
    }
    const base = name.split('.')[0]!;
    const g = groups.get(base) ?? { files: [], size: 0, used: 0 };
    g.files.push(file);
    g.size += st.size;
    g.used = Math.max(g.used, st.mtimeMs);
    groups.set(base, g);
  }
  let total = [...groups.values()].reduce((n, g) => n + g.size, 0);
  const oldest = [...groups.entries()].filter(([b]) => b !== keepBase).sort((a, b) => a[1].used - b[1].used);
  for (const [, g] of oldest) {
    if (total <= cap) break;
    await Promise.all(g.files.map((f) => fs.rm(f, { force: true })));
    total -= g.size;
  }
}
