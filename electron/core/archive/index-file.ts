import { createHash } from 'node:crypto';
import type { EntryType } from '../image/entry';
import type { ArchiveTree, Inode, TreeNode } from './archive-index';
import { pathOf } from './archive-index';
import type { MapRange, SegmentInfo } from './segments';

/*
 * The index as stored next to the decompressed data: JSON, one line, then a line with its
 * SHA-256 so a torn or edited file is noticed and rebuilt. Nodes are listed parents first,
 * each naming its parent by position, which keeps a 2-million-entry index compact.
 */

export const INDEX_VERSION = 1;

const TYPE_CODES: Record<EntryType, string> = { file: 'f', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', socket: 's' };
const TYPES_BY_CODE = Object.fromEntries(Object.entries(TYPE_CODES).map(([k, v]) => [v, k])) as Record<string, EntryType>;

/** [parent, name, type, mode, uid, gid, mtime, size, data, nlink, extra?] */
type NodeRow = [number, string, string, number, number, number, number, number, number, number, NodeExtra?];
interface NodeExtra {
  target?: string;
  rdev?: [number, number];
  linkOf?: string;
  implicit?: 1;
}

export interface IndexFile {
  v: number;
  key: string;
  srcSize: number;
  dataSize: number;
  format: string;
  segments: SegmentInfo[];
  map: MapRange[];
  size: number;
  warnings: string[];
  entryCount: number;
  nodes: NodeRow[];
}

/** One node of a loaded index. */
export interface IndexNode {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  data: number;
  nlink: number;
  target?: string;
  rdev?: { major: number; minor: number };
  linkOf?: string;
  implicit?: boolean;
  parent: IndexNode | undefined;
  children?: Map<string, IndexNode>;
  sorted?: IndexNode[];
}

export interface LoadedIndex {
  meta: Omit<IndexFile, 'nodes'>;
  root: IndexNode;
}

export function serializeIndex(tree: ArchiveTree, meta: Omit<IndexFile, 'nodes' | 'v'>): string {
  // Hard links: every name of a shared inode but the one that carried the data points there.
  const names = new Map<Inode, string[]>();
  const walk = (n: TreeNode) => {
    if (n.type === 'file') {
      const p = pathOf(n);
      const list = names.get(n.inode);
      if (list) list.push(p);
      else names.set(n.inode, [p]);
    }
    n.children?.forEach(walk);
  };
  walk(tree.root);
  const linkOf = new Map<string, string>();
  for (const [inode, paths] of names) {
    if (paths.length < 2) continue;
    const owner = inode.carrier && paths.includes(inode.carrier) ? inode.carrier : paths[0]!;
    for (const p of paths) if (p !== owner) linkOf.set(p, owner);
  }

  const rows: NodeRow[] = [];
  const emit = (n: TreeNode, parent: number) => {
    const i = n.inode;
    const extra: NodeExtra = {};
    if (n.type === 'symlink') extra.target = i.target ?? '';
    if (i.rdev) extra.rdev = i.rdev;
    if (n.implicit) extra.implicit = 1;
    const l = n.type === 'file' ? linkOf.get(pathOf(n)) : undefined;
    if (l) extra.linkOf = l;
    const size = n.type === 'file' || n.type === 'symlink' ? i.size : 0;
    const row: NodeRow = [parent, n.name, TYPE_CODES[n.type], i.mode, i.uid, i.gid, i.mtime, size, size ? i.data : 0, i.nlink];
    if (Object.keys(extra).length) row.push(extra);
    const me = rows.length;
    rows.push(row);
    n.children?.forEach((c) => emit(c, me));
  };
  emit(tree.root, -1);
  const body = JSON.stringify({ v: INDEX_VERSION, ...meta, nodes: rows } satisfies IndexFile);
  return `${body}\n${createHash('sha256').update(body).digest('hex')}\n`;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Parses and checks an index file; anything it cannot fully trust gives the reason instead. */
export function parseIndex(text: string, key: string, srcSize: number, dataSize: number): LoadedIndex | string {
  const nl = text.lastIndexOf('\n', text.length - 2);
  if (nl < 0) return 'no checksum line';
  const body = text.slice(0, nl);
  if (createHash('sha256').update(body).digest('hex') !== text.slice(nl + 1).trim()) return 'checksum mismatch';
  let f: IndexFile;
  try {
    f = JSON.parse(body) as IndexFile;
  } catch {
    return 'not JSON';
  }
  if (f.v !== INDEX_VERSION || f.key !== key || f.srcSize !== srcSize || f.dataSize !== dataSize) return 'made for other bytes (version, key or sizes differ)';
  if (!Array.isArray(f.nodes) || !Array.isArray(f.map) || !Array.isArray(f.segments) || !Array.isArray(f.warnings) || !isCount(f.size)) return 'missing fields';
  for (const r of f.map) {
    if (!isCount(r.logical) || !isCount(r.length) || !isCount(r.offset)) return 'bad map range';
    const limit = r.file === 'source' ? srcSize : r.file === 'data' ? dataSize : -1;
    if (r.offset + r.length > limit || r.logical + r.length > f.size) return 'map range out of bounds';
  }
  const nodes: IndexNode[] = [];
  for (let k = 0; k < f.nodes.length; k++) {
    const row = f.nodes[k]!;
    if (!Array.isArray(row) || row.length < 10) return `node ${k}: not a row`;
    const [parent, name, code, mode, uid, gid, mtime, size, data, nlink, extra] = row;
    const type = TYPES_BY_CODE[code];
    if (!type || typeof name !== 'string' || ![mode, uid, gid, mtime, size, data, nlink].every(isCount)) return `node ${k}: bad fields`;
    if (data + size > f.size) return `node ${k}: data out of bounds`;
    const node: IndexNode = { name, type, mode, uid, gid, mtime, size, data, nlink, parent: undefined };
    if (type === 'dir') node.children = new Map();
    if (extra) {
      if (typeof extra !== 'object') return `node ${k}: bad extra`;
      if (extra.target !== undefined) node.target = String(extra.target);
      if (extra.rdev) node.rdev = { major: Number(extra.rdev[0]), minor: Number(extra.rdev[1]) };
      if (extra.linkOf !== undefined) node.linkOf = String(extra.linkOf);
      if (extra.implicit) node.implicit = true;
    }
    if (k === 0) {
      if (parent !== -1 || type !== 'dir' || name !== '') return 'bad root';
    } else {
      const p = nodes[parent];
      if (!isCount(parent) || !p || !p.children || name === '' || name.includes('/') || p.children.has(name)) return `node ${k}: bad parent or name`;
      node.parent = p;
      p.children.set(name, node);
    }
    nodes.push(node);
  }
  if (nodes.length === 0) return 'no nodes';
  const { nodes: _rows, ...meta } = f;
  void _rows;
  return { meta, root: nodes[0]! };
}
