import { LabError } from '../../../shared/errors';
import type { Container } from '../image/container';
import type { EntryType, NodeEntry } from '../image/entry';

/**
 * One level of an edit (the ISO's own tree, or one initrd's rootfs) as the input's tree with
 * an overlay of changes on top. Lookups see the merged tree; every change is checked against
 * it before it is kept, so what gets written later is always possible. Paths are the level's
 * own, as part lists (['etc', 'VERSION']).
 */

/** Where a file's bytes come from when the new image is written. */
export type DataRef =
  | { kind: 'base'; entry: NodeEntry; container: Container }
  | { kind: 'file'; path: string; size: number }
  | { kind: 'buffer'; buf: Buffer };

export interface Meta {
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
}

type Ov =
  | { t: 'file'; data: DataRef; meta: Meta }
  /** `from`: the input's folder whose entries show through (a moved folder); absent for a new one. */
  | { t: 'dir'; meta: Meta; from?: string[] }
  | { t: 'symlink'; target: string; meta: Meta }
  | { t: 'gone' }
  | { t: 'meta'; meta: Partial<Meta> }
  | { t: 'moved'; from: string[]; meta: Partial<Meta> };

/** A node of the merged tree. */
export interface Eff {
  parts: string[];
  type: EntryType;
  meta: Meta;
  size: number;
  target?: string;
  rdev?: { major: number; minor: number };
  /** The file's bytes. */
  data?: DataRef;
  /** Where it is in the input, when it comes from there (unchanged, moved or re-moded). */
  basePath?: string[];
  baseEntry?: NodeEntry;
  /** True when the overlay holds something at exactly this path. */
  touched: boolean;
}

export const key = (parts: string[]) => `/${parts.join('/')}`;
const now = () => Math.floor(Date.now() / 1000);

function metaOf(e: NodeEntry): Meta {
  return { mode: e.mode, uid: e.uid, gid: e.gid, mtime: Math.floor((e.mtime ?? 0) / 1000) };
}

export class EditTree {
  private readonly ov = new Map<string, Ov>();
  private readonly kids = new Map<string, Set<string>>();
  private readonly baseCache = new Map<string, Promise<NodeEntry | undefined>>();
  /** Why append cannot express this level's changes (deletes, moves, hard links). */
  readonly repackReasons = new Set<string>();

  /** `label` names the level in messages: "/boot/initrd" or "the ISO". */
  constructor(
    readonly base: Container,
    readonly label: string,
    /** Outer path prefix for messages ('' for the ISO, '/boot/initrd' inside it). */
    private readonly outer: string,
  ) {}

  show(parts: string[]): string {
    return this.outer + (parts.length ? key(parts) : this.outer ? '' : '/');
  }

  private baseStat(parts: string[]): Promise<NodeEntry | undefined> {
    const k = key(parts);
    let p = this.baseCache.get(k);
    if (!p) {
      p = this.base.stat(k).then(
        (e) => e,
        (err: unknown) => {
          if (err instanceof LabError && (err.code === 'NOT_FOUND' || err.code === 'NOT_A_DIRECTORY')) return undefined;
          throw err;
        },
      );
      this.baseCache.set(k, p);
    }
    return p;
  }

  private set(parts: string[], o: Ov): void {
    const k = key(parts);
    this.ov.set(k, o);
    if (parts.length) {
      const pk = key(parts.slice(0, -1));
      let s = this.kids.get(pk);
      if (!s) this.kids.set(pk, (s = new Set()));
      s.add(parts[parts.length - 1]!);
    }
  }

  private unsetTree(parts: string[]): void {
    const k = key(parts);
    const prefix = k === '/' ? '/' : `${k}/`;
    for (const other of [...this.ov.keys()]) if (other === k || other.startsWith(prefix)) this.ov.delete(other);
  }

  /** The merged node at `parts`, or undefined; throws when a folder on the way is not a folder. */
  async lookup(parts: string[]): Promise<Eff | undefined> {
    let cur = await this.root();
    for (let i = 0; i < parts.length; i++) {
      if (cur.type === 'symlink') {
        throw new LabError(
          'PATH_THROUGH_SYMLINK',
          `${this.show(cur.parts)} is a symlink (→ ${cur.target}), so ${this.show(parts)} would be written wherever it points.`,
          'Name the path the link points to instead; changes never follow links.',
        );
      }
      if (cur.type !== 'dir') throw new LabError('NOT_A_DIRECTORY', `${this.show(cur.parts)} is a ${cur.type === 'file' ? 'file' : cur.type}, not a folder.`, 'Choose a folder to put it in.');
      const next = await this.child(cur, parts[i]!);
      if (!next) return undefined;
      cur = next;
    }
    return cur;
  }

  private async root(): Promise<Eff> {
    const be = (await this.baseStat([]))!;
    const o = this.ov.get('/');
    const meta = { ...metaOf(be), ...(o?.t === 'meta' ? o.meta : {}) };
    return { parts: [], type: 'dir', meta, size: 0, basePath: [], baseEntry: be, touched: !!o };
  }

  private async child(parent: Eff, name: string): Promise<Eff | undefined> {
    const parts = [...parent.parts, name];
    const o = this.ov.get(key(parts));
    if (o?.t === 'gone') return undefined;
    if (o?.t === 'file') return { parts, type: 'file', meta: o.meta, size: dataSize(o.data), data: o.data, touched: true };
    if (o?.t === 'symlink') return { parts, type: 'symlink', meta: o.meta, size: Buffer.byteLength(o.target), target: o.target, touched: true };
    if (o?.t === 'dir') return { parts, type: 'dir', meta: o.meta, size: 0, basePath: o.from, touched: true };
    let bp: string[] | undefined;
    let extra: Partial<Meta> = {};
    if (o?.t === 'moved') {
      bp = o.from;
      extra = o.meta;
    } else {
      if (!parent.basePath) return undefined;
      bp = [...parent.basePath, name];
      if (o?.t === 'meta') extra = o.meta;
    }
    const be = await this.baseStat(bp);
    if (!be) return undefined;
    const eff: Eff = { parts, type: be.type, meta: { ...metaOf(be), ...extra }, size: be.type === 'dir' ? 0 : be.size, basePath: bp, baseEntry: be, touched: !!o };
    if (be.target !== undefined) eff.target = be.target;
    if (be.rdev) eff.rdev = be.rdev;
    if (be.type === 'file') eff.data = { kind: 'base', entry: be, container: this.base };
    return eff;
  }

  /** The merged folder's entries, sorted by name. */
  async children(dir: Eff): Promise<Eff[]> {
    const names = new Set<string>();
    if (dir.basePath) for (const e of await this.base.readdir(key(dir.basePath))) names.add(e.name);
    for (const n of this.kids.get(key(dir.parts)) ?? []) names.add(n);
    const out: Eff[] = [];
    for (const n of [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const c = await this.child(dir, n);
      if (c) out.push(c);
    }
    return out;
  }

  private async parentDir(parts: string[]): Promise<Eff> {
    if (parts.length === 0) throw new LabError('BAD_PATH', `${this.show(parts)} is the root of ${this.label}; name something inside it.`);
    const parent = await this.lookup(parts.slice(0, -1));
    if (!parent) {
      throw new LabError('NOT_FOUND', `${this.show(parts.slice(0, -1))} does not exist, so ${this.show(parts)} cannot be put there.`, `Add the folder first (mkdir ${this.show(parts.slice(0, -1))}).`);
    }
    if (parent.type === 'symlink') {
      throw new LabError('PATH_THROUGH_SYMLINK', `${this.show(parent.parts)} is a symlink (→ ${parent.target}); changes never follow links.`, 'Name the path the link points to instead.');
    }
    if (parent.type !== 'dir') throw new LabError('NOT_A_DIRECTORY', `${this.show(parent.parts)} is a ${parent.type}, not a folder.`, 'Choose a folder to put it in.');
    return parent;
  }

  async mustExist(parts: string[]): Promise<Eff> {
    const e = await this.lookup(parts);
    if (!e) throw new LabError('NOT_FOUND', `${this.show(parts)} does not exist in ${this.label}.`, 'List the folder above it to see what is there.');
    return e;
  }

  async write(parts: string[], data: DataRef, mode?: number): Promise<{ replaces: boolean }> {
    await this.parentDir(parts);
    const old = await this.lookup(parts);
    if (old?.type === 'dir') throw new LabError('IS_A_DIRECTORY', `${this.show(parts)} is a folder; a file cannot replace it.`, 'Delete the folder first, or write a file inside it.');
    if (old?.baseEntry && (old.baseEntry.nlink ?? 1) > 1 && old.type === 'file') {
      this.repackReasons.add(`${this.show(parts)} is hard-linked in the input (writing over it in an appended segment would change every link)`);
    }
    const keep = old && old.type === 'file' ? old.meta : { mode: 0o644, uid: 0, gid: 0, mtime: 0 };
    this.set(parts, { t: 'file', data, meta: { ...keep, mode: mode ?? keep.mode, mtime: now() } });
    return { replaces: !!old };
  }

  async mkdir(parts: string[], mode?: number): Promise<{ created: number }> {
    let created = 0;
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i);
      const e = await this.lookup(p);
      if (e) {
        if (e.type !== 'dir') throw new LabError('NOT_A_DIRECTORY', `${this.show(p)} exists and is a ${e.type}, not a folder.`, 'Choose another name, or delete it first.');
        continue;
      }
      this.set(p, { t: 'dir', meta: { mode: mode ?? 0o755, uid: 0, gid: 0, mtime: now() } });
      created++;
    }
    return { created };
  }

  async symlink(parts: string[], target: string): Promise<{ replaces: boolean }> {
    await this.parentDir(parts);
    const old = await this.lookup(parts);
    if (old?.type === 'dir') throw new LabError('IS_A_DIRECTORY', `${this.show(parts)} is a folder; a symlink cannot replace it.`, 'Delete the folder first.');
    this.set(parts, { t: 'symlink', target, meta: { mode: 0o777, uid: old?.meta.uid ?? 0, gid: old?.meta.gid ?? 0, mtime: now() } });
    return { replaces: !!old };
  }

  async rm(parts: string[]): Promise<void> {
    if (parts.length === 0) throw new LabError('BAD_PATH', `The root of ${this.label} cannot be deleted.`);
    await this.mustExist(parts);
    this.unsetTree(parts);
    // Only what the input has needs hiding; something this edit added simply goes away.
    const parent = (await this.lookup(parts.slice(0, -1)))!;
    const shows = parent.basePath ? await this.baseStat([...parent.basePath, parts[parts.length - 1]!]) : undefined;
    if (shows) {
      this.set(parts, { t: 'gone' });
      this.repackReasons.add(`${this.show(parts)} is deleted (an appended segment can add and replace, not delete)`);
    }
  }

  async rename(parts: string[], to: string[]): Promise<void> {
    const src = await this.mustExist(parts);
    await this.parentDir(to);
    if (await this.lookup(to)) throw new LabError('EXISTS', `${this.show(to)} already exists.`, 'Choose another name, or delete it first.');
    if (key(to).startsWith(`${key(parts)}/`)) throw new LabError('BAD_PATH', `${this.show(parts)} cannot be moved into itself.`);
    // Changes below the source move with it; what the input has there shows through `moved`.
    const from = key(parts);
    const moved: [string[], Ov][] = [];
    for (const [k, o] of this.ov) if (k.startsWith(`${from}/`)) moved.push([[...to, ...k.slice(from.length + 1).split('/')], o]);
    const own = this.ov.get(from);
    await this.rm(parts);
    if (own && own.t !== 'meta' && own.t !== 'gone') this.set(to, own);
    else if (src.basePath) this.set(to, { t: 'moved', from: src.basePath, meta: own?.t === 'meta' ? own.meta : {} });
    for (const [p, o] of moved) this.set(p, o);
    this.repackReasons.add(`${this.show(parts)} is renamed (an appended segment cannot remove the old name)`);
  }

  async chmod(parts: string[], mode: number): Promise<void> {
    await this.setMeta(parts, { mode });
  }

  async chown(parts: string[], uid: number, gid: number): Promise<void> {
    await this.setMeta(parts, { uid, gid });
  }

  private async setMeta(parts: string[], m: Partial<Meta>): Promise<void> {
    const e = await this.mustExist(parts);
    const o = this.ov.get(key(parts));
    if (o && (o.t === 'file' || o.t === 'dir' || o.t === 'symlink')) o.meta = { ...o.meta, ...m };
    else if (o?.t === 'moved' || o?.t === 'meta') o.meta = { ...o.meta, ...m };
    else this.set(parts, { t: 'meta', meta: m });
    if (e.type === 'file' && e.baseEntry && (e.baseEntry.nlink ?? 1) > 1) {
      this.repackReasons.add(`${this.show(parts)} is hard-linked in the input (an appended segment would change every link)`);
    }
  }

  /** Nothing changed at this level. */
  get empty(): boolean {
    return this.ov.size === 0;
  }

  /** Paths the overlay holds, parents before children (the order an appended segment needs). */
  async touched(): Promise<Eff[]> {
    const keys = [...this.ov.keys()].map((k) => (k === '/' ? [] : k.slice(1).split('/')));
    keys.sort(comparePaths);
    const out: Eff[] = [];
    for (const parts of keys) {
      const e = await this.lookup(parts).catch(() => undefined);
      if (e) out.push(e);
    }
    return out;
  }

  /** Every node of the merged tree, parents first, children by name. */
  async *walk(): AsyncGenerator<Eff> {
    const stack: Eff[] = [await this.root()];
    while (stack.length) {
      const e = stack.pop()!;
      yield e;
      if (e.type === 'dir') {
        const kids = await this.children(e);
        for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
      }
    }
  }
}

export function dataSize(d: DataRef): number {
  return d.kind === 'base' ? d.entry.size : d.kind === 'file' ? d.size : d.buf.length;
}

export function comparePaths(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}
