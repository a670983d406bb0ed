import type { EntryView } from '../../../shared/image';
import type { ChangeView } from '../../../shared/remaster';

/**
 * The tree as the edit has it. The core lists only the input image (image.list), so the
 * Inspect tree shows the edit by laying the change list over that listing: paths added,
 * hidden (deleted, or renamed away) and patched (size, mode, owner). Kept free of React and
 * of the stores so it can be tested alone.
 */

export type EditMark = 'added' | 'changed' | 'renamed';

export interface EditOverlay {
  /** Entries that are not in the input: added files, folders and links (full entries). */
  added: Map<string, EntryView>;
  /** Renamed entries: new path → the path in the input whose entry they carry. */
  renamedFrom: Map<string, string>;
  /** New children per folder (added or renamed-to paths), in change order. */
  childrenOf: Map<string, string[]>;
  /** Paths gone from the edit (with everything under them). */
  hidden: Set<string>;
  /** What changed about an entry that is still there: size, mode, owner. */
  patches: Map<string, Partial<EntryView>>;
  marks: Map<string, EditMark>;
}

export const EMPTY_OVERLAY: EditOverlay = {
  added: new Map(),
  renamedFrom: new Map(),
  childrenOf: new Map(),
  hidden: new Set(),
  patches: new Map(),
  marks: new Map(),
};

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function nameOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

const TYPE_CHAR: Record<EntryView['type'], string> = { file: '-', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', socket: 's' };

/** 0o755 on a folder → drwxr-xr-x, as ls prints it (setuid, setgid and sticky included). */
export function modeString(type: EntryView['type'], mode: number): string {
  const rwx = (bits: number, special: boolean, ch: string) =>
    (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-');
  return (
    TYPE_CHAR[type] +
    rwx((mode >> 6) & 7, !!(mode & 0o4000), 's') +
    rwx((mode >> 3) & 7, !!(mode & 0o2000), 's') +
    rwx(mode & 7, !!(mode & 0o1000), 't')
  );
}

function synthetic(path: string, type: EntryView['type'], mode: number, extra: Partial<EntryView> = {}): EntryView {
  return { path, name: nameOf(path), type, size: 0, mode, modeString: modeString(type, mode), uid: 0, gid: 0, ...extra };
}

function under(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');
}

/**
 * Lays `changes` (in order) over the input. `inInput` tells whether a path exists in the input
 * when the change list cannot (a `write` says so with `replaces`; others do not).
 */
export function buildOverlay(changes: readonly ChangeView[], inInput: (path: string) => boolean): EditOverlay {
  const o: EditOverlay = { added: new Map(), renamedFrom: new Map(), childrenOf: new Map(), hidden: new Set(), patches: new Map(), marks: new Map() };
  const hiddenNow = (p: string) => [...o.hidden].some((h) => under(p, h));
  /** Whether the edit itself made the path (then taking it back shows nothing of the input). */
  const editMade = (p: string) => o.added.has(p) || o.renamedFrom.has(p);
  const addChild = (p: string) => {
    const dir = parentOf(p);
    const list = o.childrenOf.get(dir) ?? [];
    if (!list.includes(p)) list.push(p);
    o.childrenOf.set(dir, list);
  };
  const forget = (p: string) => {
    // Everything at or under p that the edit had added goes, with its marks and patches.
    for (const map of [o.added, o.renamedFrom, o.patches, o.marks] as Map<string, unknown>[]) for (const k of [...map.keys()]) if (under(k, p)) map.delete(k);
    for (const [dir, list] of o.childrenOf) o.childrenOf.set(dir, list.filter((c) => !under(c, p)));
  };
  const add = (p: string, entry: EntryView, replaces: boolean | undefined) => {
    const made = editMade(p);
    forget(p);
    if (!made && (replaces ?? inInput(p)) && !hiddenNow(p)) {
      // Replacing a file of the input keeps its place in the listing: a patch, not a new entry.
      o.patches.set(p, { type: entry.type, size: entry.size, mode: entry.mode, modeString: entry.modeString, target: entry.target });
      o.marks.set(p, 'changed');
      return;
    }
    // An added entry wins over a deleted one of the input at the same path (see isHidden).
    o.added.set(p, entry);
    o.marks.set(p, 'added');
    addChild(p);
  };
  const patch = (p: string, fields: Partial<EntryView>) => {
    const added = o.added.get(p);
    if (added) {
      o.added.set(p, { ...added, ...fields });
      return;
    }
    o.patches.set(p, { ...o.patches.get(p), ...fields });
    if (!o.marks.has(p)) o.marks.set(p, 'changed');
  };

  for (const { change: c, replaces } of changes) {
    switch (c.op) {
      case 'write':
        add(c.path, synthetic(c.path, 'file', c.mode ?? 0o644, { size: c.size }), replaces);
        break;
      case 'put':
        // The host file's size is only known when the ISO is written.
        add(c.path, synthetic(c.path, 'file', 0o644, { size: Number.NaN }), replaces);
        break;
      case 'mkdir':
        add(c.path, synthetic(c.path, 'dir', c.mode ?? 0o755), replaces);
        break;
      case 'symlink':
        add(c.path, synthetic(c.path, 'symlink', 0o777, { target: c.target }), replaces);
        break;
      case 'rm': {
        // The core checked that the path is there: what the edit did not make is the input's.
        const made = editMade(c.path);
        forget(c.path);
        if (!made) o.hidden.add(c.path);
        break;
      }
      case 'rename': {
        const made = editMade(c.path);
        const from = o.renamedFrom.get(c.path) ?? c.path;
        const wasAdded = o.added.get(c.path);
        const carried = o.patches.get(c.path);
        forget(c.path);
        if (!made) o.hidden.add(c.path);
        if (wasAdded) {
          o.added.set(c.to, { ...wasAdded, path: c.to, name: nameOf(c.to) });
          o.marks.set(c.to, 'added');
        } else {
          o.renamedFrom.set(c.to, from);
          if (carried) o.patches.set(c.to, carried);
          o.marks.set(c.to, 'renamed');
        }
        addChild(c.to);
        break;
      }
      case 'chmod':
        patch(c.path, { mode: c.mode });
        break;
      case 'chown':
        patch(c.path, { uid: c.uid, gid: c.gid });
        break;
      case 'cmdline':
      case 'cmdlineAdd':
        // These land in bootloader configs: marked through ChangeView.path below.
        break;
    }
  }
  // A boot entry's config file changed too (the view names it when there is one path).
  for (const v of changes) if ((v.change.op === 'cmdline' || v.change.op === 'cmdlineAdd') && v.path && !o.marks.has(v.path)) o.marks.set(v.path, 'changed');
  return o;
}

/**
 * The entry at `path` as the edit has it, or undefined when the edit removed it.
 * `lookup` gives the input's entry (from the tree's listing).
 */
export function editedEntry(o: EditOverlay, path: string, lookup: (path: string) => EntryView | undefined): EntryView | undefined {
  const added = o.added.get(path);
  if (added) return added;
  const from = o.renamedFrom.get(path);
  const base = from !== undefined ? lookup(from) : isHidden(o, path) ? undefined : lookup(path);
  if (!base) return undefined;
  const p = o.patches.get(path);
  const entry = from !== undefined ? { ...base, path, name: nameOf(path) } : base;
  if (!p) return entry;
  const merged = { ...entry, ...p };
  return { ...merged, modeString: modeString(merged.type, merged.mode) };
}

export function isHidden(o: EditOverlay, path: string): boolean {
  if (o.added.has(path) || o.renamedFrom.has(path)) return false;
  for (const h of o.hidden) if (under(path, h)) return true;
  return false;
}

/** A folder's children as the edit has them: the input's, less what went, plus what came. */
export function editedChildren(o: EditOverlay, dir: string, listed: readonly string[] | undefined): string[] | undefined {
  const extra = o.childrenOf.get(dir);
  if (!extra?.length && !o.hidden.size) return listed as string[] | undefined;
  const kept = (listed ?? []).filter((p) => !isHidden(o, p));
  if (!extra?.length) return listed ? kept : undefined;
  const seen = new Set(kept);
  return [...kept, ...extra.filter((p) => !seen.has(p))];
}
