import type { EntryType } from '../image/entry';
import type { RawEntry } from './cpio';
import { MODE } from './cpio';
import { LIMITS } from './limits';

/*
 * The merged tree of an initrd, built the way the kernel unpacks it (init/initramfs.c):
 * later entries for a path replace earlier ones, directories merge and take the latest
 * mode and owner, a type change removes the old node (unless it is a non-empty directory),
 * hard links share one inode whose data the link carrying it provides, and the link table
 * is forgotten at every TRAILER!!!. Unlike the kernel, parents that never appear are
 * created (flagged implicit) instead of dropping their children.
 */

export interface Inode {
  mode: number;
  uid: number;
  gid: number;
  /** Seconds. */
  mtime: number;
  size: number;
  /** Offset of the data in the archive's decompressed stream. */
  data: number;
  nlink: number;
  rdev?: [number, number];
  target?: string;
  /** Path of the link that last wrote the data, for `linkOf`. */
  carrier?: string;
}

export interface TreeNode {
  name: string;
  type: EntryType;
  inode: Inode;
  parent: TreeNode | undefined;
  children?: Map<string, TreeNode>;
  implicit?: boolean;
}

const TYPE_OF: Record<number, EntryType> = {
  [0o100000]: 'file',
  [0o040000]: 'dir',
  [0o120000]: 'symlink',
  [0o020000]: 'char',
  [0o060000]: 'block',
  [0o010000]: 'fifo',
  [0o140000]: 'socket',
};

export function entryType(mode: number): EntryType | undefined {
  return TYPE_OF[mode & MODE.S_IFMT];
}

/** '/a/b' from a stored name: './', '/' prefixes and '.', '..' components resolved. */
export function normalizeName(name: string): string[] {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts;
}

export function pathOf(node: TreeNode): string {
  const parts: string[] = [];
  for (let n: TreeNode | undefined = node; n && n.parent; n = n.parent) parts.push(n.name);
  return '/' + parts.reverse().join('/');
}

export class ArchiveTree {
  readonly root: TreeNode = {
    name: '',
    type: 'dir',
    inode: { mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, data: 0, nlink: 2 },
    parent: undefined,
    children: new Map(),
    implicit: true,
  };
  readonly warnings: string[] = [];
  /** Hard-link table of the current archive: "ino:major:minor:type" → inode. */
  private links = new Map<string, Inode>();

  /** The kernel forgets hard links at a trailer, so separate archives may reuse inode numbers. */
  trailer(): void {
    this.links.clear();
  }

  warn(message: string): void {
    if (this.warnings.length < 100) this.warnings.push(message);
    else if (this.warnings.length === 100) this.warnings.push('more warnings were dropped');
  }

  /**
   * Follows `parts` from the root; symlinks in the middle are followed (the kernel's VFS
   * would), missing directories are created when `create` is set. Returns the node for the
   * last part's parent directory, or a reason it cannot be reached.
   */
  private walkDirs(parts: string[], create: boolean, hops = { n: 0 }): TreeNode | string {
    let dir = this.root;
    for (const name of parts) {
      let next = dir.children!.get(name);
      if (!next) {
        if (!create) return `${name} does not exist`;
        next = {
          name,
          type: 'dir',
          inode: { mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, data: 0, nlink: 2 },
          parent: dir,
          children: new Map(),
          implicit: true,
        };
        dir.children!.set(name, next);
      }
      const resolved = this.follow(next, create, hops);
      if (typeof resolved === 'string') return resolved;
      if (resolved.type !== 'dir') return `${pathOf(next)} is not a directory`;
      dir = resolved;
    }
    return dir;
  }

  /** Resolves a symlink node to what it points at (itself for other nodes). */
  follow(node: TreeNode, create = false, hops = { n: 0 }): TreeNode | string {
    while (node.type === 'symlink') {
      if (++hops.n > LIMITS.maxSymlinkHops) return `too many levels of symbolic links at ${pathOf(node)}`;
      const t = node.inode.target ?? '';
      const base = t.startsWith('/') ? [] : normalizeName(pathOf(node.parent!));
      const parts = normalizeName([...base, t].join('/'));
      if (parts.length === 0) return this.root;
      const dir = this.walkDirs(parts.slice(0, -1), create, hops);
      if (typeof dir === 'string') return dir;
      const last = dir.children!.get(parts[parts.length - 1]!);
      if (!last) return `${t} (the target of ${pathOf(node)}) does not exist`;
      node = last;
    }
    return node;
  }

  /** Looks a path up: intermediate symlinks followed, the last one only when `followLast`. */
  lookup(parts: string[], followLast: boolean): TreeNode | string {
    if (parts.length === 0) return this.root;
    const dir = this.walkDirs(parts.slice(0, -1), false);
    if (typeof dir === 'string') return dir;
    const node = dir.children!.get(parts[parts.length - 1]!);
    if (!node) return `${parts[parts.length - 1]} does not exist`;
    return followLast ? this.follow(node) : node;
  }

  add(e: RawEntry): void {
    const type = entryType(e.mode);
    if (!type) {
      this.warn(`'${e.name}' has an unknown file type (mode ${e.mode.toString(8)}): skipped`);
      return;
    }
    const parts = normalizeName(e.name);
    if (parts.length > LIMITS.maxDepth) {
      this.warn(`'${e.name.slice(0, 200)}…' is nested deeper than ${LIMITS.maxDepth} levels: skipped`);
      return;
    }
    if (type !== 'file' && type !== 'symlink' && e.size !== 0) {
      this.warn(`'${e.name}' is a ${type} with ${e.size} bytes of data: skipped, as the kernel does`);
      return;
    }
    const perm = e.mode & 0o7777;
    if (parts.length === 0) {
      // '.' or '/': the kernel's mkdir fails with EEXIST and its chmod/chown still apply.
      if (type === 'dir') Object.assign(this.root.inode, { mode: perm, uid: e.uid, gid: e.gid, mtime: e.mtime, nlink: e.nlink });
      this.root.implicit = false;
      return;
    }
    const dir = this.walkDirs(parts.slice(0, -1), true);
    if (typeof dir === 'string') {
      this.warn(`'${e.name}' cannot be placed: ${dir}; skipped`);
      return;
    }
    const name = parts[parts.length - 1]!;
    const path = pathOf(dir) === '/' ? `/${name}` : `${pathOf(dir)}/${name}`;
    const old = dir.children!.get(name);

    if (type === 'dir') {
      if (old && old.type === 'dir') {
        Object.assign(old.inode, { mode: perm, uid: e.uid, gid: e.gid, mtime: e.mtime, nlink: e.nlink });
        old.implicit = false;
        return;
      }
      if (old && !this.remove(old)) return;
      dir.children!.set(name, {
        name,
        type,
        inode: { mode: perm, uid: e.uid, gid: e.gid, mtime: e.mtime, size: 0, data: 0, nlink: e.nlink },
        parent: dir,
        children: new Map(),
      });
      return;
    }

    // Regular files with nlink >= 2 may be hard links to one seen earlier in this archive.
    let linked: Inode | undefined;
    if (type === 'file' && e.nlink >= 2) {
      const key = `${e.ino}:${e.devMajor}:${e.devMinor}`;
      linked = this.links.get(key);
      if (!linked) {
        linked = this.newInode(e, perm, path);
        this.links.set(key, linked);
      } else {
        Object.assign(linked, { mode: perm, uid: e.uid, gid: e.gid, mtime: e.mtime, nlink: e.nlink });
        // Data on any link (GNU cpio puts it on the last) is the group's; a later empty link
        // does not truncate it, so every name shows the data.
        if (e.size > 0) Object.assign(linked, { size: e.size, data: e.dataOffset, carrier: path });
      }
    }
    if (old) {
      if (linked && old.inode === linked) return;
      if (type === 'file' && !linked && old.type === 'file') {
        // Same type: the kernel opens the existing file with O_TRUNC and rewrites it.
        Object.assign(old.inode, { mode: perm, uid: e.uid, gid: e.gid, mtime: e.mtime, size: e.size, data: e.dataOffset, nlink: e.nlink, carrier: path });
        return;
      }
      if (!this.remove(old)) return;
    }
    dir.children!.set(name, { name, type, inode: linked ?? this.newInode(e, perm, path), parent: dir });
  }

  private newInode(e: RawEntry, perm: number, path: string): Inode {
    const type = entryType(e.mode);
    return {
      mode: perm,
      uid: e.uid,
      gid: e.gid,
      mtime: e.mtime,
      size: type === 'file' || type === 'symlink' ? e.size : 0,
      data: e.dataOffset,
      nlink: e.nlink,
      rdev: type === 'char' || type === 'block' ? [e.rdevMajor, e.rdevMinor] : undefined,
      target: e.target,
      carrier: path,
    };
  }

  /** Removes a node for a new one of another type; a non-empty directory stays (rmdir fails). */
  private remove(old: TreeNode): boolean {
    if (old.type === 'dir' && old.children!.size > 0) {
      this.warn(`'${pathOf(old)}' is a non-empty directory and cannot be replaced: the later entry is skipped, as the kernel does`);
      return false;
    }
    old.parent!.children!.delete(old.name);
    return true;
  }
}
