import type { FieldChange } from '../../../shared/diff';
import type { NodeEntry } from '../image/entry';

/** One level's entries by their path inside it ('/etc/VERSION'), the level's root left out. */
export type Tree = Map<string, NodeEntry>;

/** An entry both sides have, with the metadata that differs; content is settled later by hashing. */
export interface Common {
  key: string;
  fields: FieldChange[];
  /** Kept apart: an mtime difference alone is not a change unless asked for. */
  mtime?: FieldChange;
  /** Regular files of equal size: only their bytes can tell. */
  needsHash: boolean;
}

export interface TreeDiff {
  added: string[];
  removed: string[];
  common: Common[];
}

/** '/etc' < '/etc/a' < '/etc-old': by component, as `diff -r` and git order paths. */
export function comparePaths(a: string, b: string): number {
  const x = a.replaceAll('/', '\0');
  const y = b.replaceAll('/', '\0');
  return x < y ? -1 : x > y ? 1 : 0;
}

export const octalMode = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');
const rdevString = (e: NodeEntry): string | null => (e.rdev ? `${e.rdev.major},${e.rdev.minor}` : null);
const seconds = (ms: number | undefined): number | undefined => (ms === undefined || !Number.isFinite(ms) ? undefined : Math.floor(ms / 1000));
/** Both formats keep whole seconds: 2024-01-01T00:00:00Z. */
export const isoTime = (ms: number | undefined): string | null => (seconds(ms) === undefined ? null : new Date(seconds(ms)! * 1000).toISOString().replace('.000Z', 'Z'));

/**
 * What differs between two entries at the same path, content aside. Sizes count for regular
 * files only: a folder's size is a directory-record artefact and a symlink's is its target's
 * length, which `target` already says.
 */
export function metaFields(a: NodeEntry, b: NodeEntry): { fields: FieldChange[]; mtime?: FieldChange } {
  const fields: FieldChange[] = [];
  const add = (field: FieldChange['field'], before: FieldChange['before'], after: FieldChange['after']) => {
    if (before !== after) fields.push({ field, before, after });
  };
  add('type', a.type, b.type);
  if (a.type === 'file' && b.type === 'file') add('size', a.size, b.size);
  add('mode', octalMode(a.mode), octalMode(b.mode));
  add('uid', a.uid, b.uid);
  add('gid', a.gid, b.gid);
  if (a.type === 'symlink' || b.type === 'symlink') add('target', a.target ?? null, b.target ?? null);
  if (a.type === 'char' || a.type === 'block' || b.type === 'char' || b.type === 'block') add('rdev', rdevString(a), rdevString(b));
  const ta = isoTime(a.mtime);
  const tb = isoTime(b.mtime);
  return ta === tb ? { fields } : { fields, mtime: { field: 'mtime', before: ta, after: tb } };
}

/** Added, removed and common entries of two levels, each list in path order. */
export function compareTrees(a: Tree, b: Tree): TreeDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const common: Common[] = [];
  for (const [key, ea] of a) {
    const eb = b.get(key);
    if (!eb) {
      removed.push(key);
      continue;
    }
    const { fields, mtime } = metaFields(ea, eb);
    common.push({ key, fields, mtime, needsHash: ea.type === 'file' && eb.type === 'file' && ea.size === eb.size && ea.size > 0 });
  }
  for (const key of b.keys()) if (!a.has(key)) added.push(key);
  const byKey = (x: string, y: string) => comparePaths(x, y);
  added.sort(byKey);
  removed.sort(byKey);
  common.sort((x, y) => comparePaths(x.key, y.key));
  return { added, removed, common };
}

/** Regular-file bytes of a level, a hardlinked file's data counted once. */
export function treeBytes(t: Tree): number {
  let n = 0;
  for (const e of t.values()) if (e.type === 'file' && !e.linkOf) n += e.size;
  return n;
}
