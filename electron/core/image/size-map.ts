import path from 'node:path';
import { LabError } from '../../../shared/errors';
import type { SizeMapResult, SizeNode } from '../../../shared/size-map';
import type { Container } from './container';
import type { NodeEntry } from './entry';
import type { ImageSession } from './image-session';
import { joinImagePath } from './paths';

export interface SizeMapOptions {
  /** Levels of children to keep below the root (1: its children only). */
  depth: number;
  /** Children smaller than this share of the root's size are merged into one `rest` node. */
  minFraction: number;
}

/** Past this many children a folder's smallest are merged whatever their size: no pane draws more. */
export const MAX_CHILDREN = 400;
/** Files whose format is sniffed (largest first); only they can be archives worth zooming into. */
const MAX_SNIFFED = 256;

interface Walk {
  container: Container;
  opts: SizeMapOptions;
  /** Data offsets already counted: hardlinks share one, and count where the walk first meets them. */
  seen: Set<number>;
  entries: number;
  /** The emitted file nodes and their entries, for the archive sniffing at the end. */
  files: { node: SizeNode; entry: NodeEntry }[];
  outer: (inner: string[]) => string;
}

function bytesOf(w: Walk, e: NodeEntry): number {
  if (e.type === 'symlink') return e.size;
  if (e.type !== 'file' || e.size === 0) return 0;
  const at = e.extents?.[0]?.offset;
  if (at !== undefined) {
    if (w.seen.has(at)) return 0;
    w.seen.add(at);
  }
  return e.size;
}

function leafKind(e: NodeEntry): SizeNode['kind'] {
  return e.type === 'file' ? 'file' : e.type === 'symlink' ? 'symlink' : 'other';
}

/** Size and count below a folder the result does not show: no nodes, just sums. */
async function total(w: Walk, inner: string[]): Promise<{ size: number; files: number; entries: number }> {
  const kids = await w.container.readdir(joinImagePath(inner));
  let size = 0;
  let files = 0;
  w.entries += kids.length;
  for (const k of kids) {
    if (k.type === 'dir') {
      const t = await total(w, [...inner, k.name]);
      size += t.size;
      files += t.files;
    } else {
      size += bytesOf(w, k);
      files++;
    }
  }
  return { size, files, entries: kids.length };
}

async function folder(w: Walk, inner: string[], name: string, level: number): Promise<SizeNode> {
  const node: SizeNode = { name, path: w.outer(inner), size: 0, files: 0, kind: 'dir' };
  if (level >= w.opts.depth) {
    const t = await total(w, inner);
    node.size = t.size;
    node.files = t.files;
    if (t.entries > 0) node.more = true;
    return node;
  }
  const kids = await w.container.readdir(joinImagePath(inner));
  w.entries += kids.length;
  const children: SizeNode[] = [];
  for (const k of kids) {
    const childInner = [...inner, k.name];
    let child: SizeNode;
    if (k.type === 'dir') {
      child = await folder(w, childInner, k.name, level + 1);
    } else {
      child = { name: k.name, path: w.outer(childInner), size: bytesOf(w, k), files: 1, kind: leafKind(k) };
      if (k.type === 'file') w.files.push({ node: child, entry: k });
    }
    node.size += child.size;
    node.files += child.files;
    children.push(child);
  }
  node.children = children;
  return node;
}

/**
 * Largest first; what is below `floor` (or past MAX_CHILDREN, or empty) becomes one `rest`
 * node, unless that would merge a single item.
 */
function merge(node: SizeNode, floor: number, dropped: Set<SizeNode>): void {
  const kids = node.children;
  if (!kids) return;
  kids.sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let keep = 0;
  while (keep < kids.length && keep < MAX_CHILDREN && kids[keep]!.size > 0 && kids[keep]!.size >= floor) keep++;
  if (kids.length - keep > 1) {
    const rest: SizeNode = { name: '', path: node.path, size: 0, files: 0, kind: 'rest', count: kids.length - keep };
    for (const k of kids.slice(keep)) {
      rest.size += k.size;
      rest.files += k.files;
      drop(k, dropped);
    }
    rest.name = `(${rest.count} smaller items)`;
    node.children = [...kids.slice(0, keep), rest];
  }
  for (const k of node.children!) merge(k, floor, dropped);
}

function drop(node: SizeNode, dropped: Set<SizeNode>): void {
  dropped.add(node);
  node.children?.forEach((c) => drop(c, dropped));
}

/**
 * The size tree of a folder (or of an archive, opened as one) in one walk of its entries:
 * every size is summed, but only `depth` levels are kept, and small children are merged.
 * Archives below are not entered: they count by their stored size and are marked, so the UI
 * can offer to open them.
 */
export async function sizeMap(session: ImageSession, imagePath: string, opts: SizeMapOptions): Promise<SizeMapResult> {
  const loc = await session.locate(imagePath, { followLast: true, descendLast: true });
  const rootPath = session.outerPath(loc, loc.inner);
  if (loc.entry.type !== 'dir') {
    throw new LabError(
      'NOT_A_DIRECTORY',
      `${rootPath} is a ${loc.entry.type === 'file' ? 'file' : loc.entry.type}, not a folder or an archive: a size map shows what a folder holds.`,
      `Ask for its folder instead: ${path.posix.dirname(rootPath)}`,
    );
  }
  const w: Walk = {
    container: loc.container,
    opts,
    seen: new Set(),
    entries: 0,
    files: [],
    outer: (inner) => session.outerPath(loc, inner),
  };
  const name = rootPath === '/' ? session.name : rootPath.slice(rootPath.lastIndexOf('/') + 1);
  const root = await folder(w, loc.inner, name, 0);
  const archiveRoot = loc.inner.length === 0 ? (loc.base ? loc.base : session.kind === 'archive' ? '/' : undefined) : undefined;
  if (archiveRoot !== undefined) {
    root.kind = 'archive';
    root.archive = (await session.archiveSummary(archiveRoot))?.format ?? (archiveRoot === '/' ? session.format : undefined);
  }

  const dropped = new Set<SizeNode>();
  merge(root, root.size * opts.minFraction, dropped);

  // Archive formats are sniffed from the first bytes of each file; only for what is shown.
  const shown = w.files.filter((f) => !dropped.has(f.node) && f.entry.size >= 6);
  shown.sort((a, b) => b.node.size - a.node.size);
  const sniff = shown.slice(0, MAX_SNIFFED);
  let next = 0;
  const worker = async () => {
    while (next < sniff.length) {
      const { node, entry } = sniff[next++]!;
      const format = await session.archiveFormat(loc.container, entry, node.path);
      if (format) {
        node.kind = 'archive';
        node.archive = format;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, sniff.length) }, worker));
  return { root, entries: w.entries };
}
