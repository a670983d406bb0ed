import picomatch from 'picomatch';
import { LabError } from '../../../shared/errors';
import type { EntryView, ImageInfo, KernelCard } from '../../../shared/image';
import { isBzImage, readKernelCard } from '../kernel/bzimage';
import type { ImageSession, Located } from './image-session';
import { joinImagePath } from './paths';
import { toEntryView } from './views';

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The entries of a folder, or of an archive file opened as one. */
export async function listFolder(session: ImageSession, imagePath: string): Promise<EntryView[]> {
  const loc = await session.locate(imagePath, { followLast: true, descendLast: true });
  if (loc.entry.type !== 'dir') {
    return [toEntryView(loc.entry, session.outerPath(loc, loc.inner), { inside: loc.inside })];
  }
  const children = await loc.container.readdir(joinImagePath(loc.inner));
  return mapLimit(children, 16, async (child) => {
    const inner = [...loc.inner, child.name];
    const outer = session.outerPath(loc, inner);
    const archive = await session.archiveFormat(loc.container, child, outer);
    return toEntryView(child, outer, { archive, inside: loc.inside });
  });
}

/** The whole subtree below a folder, without going into archives (that would read every file). */
export async function listTree(session: ImageSession, imagePath: string, onEntry: (e: EntryView) => void): Promise<void> {
  const loc = await session.locate(imagePath, { followLast: true, descendLast: true });
  if (loc.entry.type !== 'dir') {
    onEntry(toEntryView(loc.entry, session.outerPath(loc, loc.inner), { inside: loc.inside }));
    return;
  }
  const walk = async (inner: string[]): Promise<void> => {
    const children = await loc.container.readdir(joinImagePath(inner));
    for (const child of children) {
      const childInner = [...inner, child.name];
      onEntry(toEntryView(child, session.outerPath(loc, childInner), { inside: loc.inside }));
      if (child.type === 'dir') await walk(childInner);
    }
  };
  await walk(loc.inner);
}

export async function statPath(session: ImageSession, imagePath: string): Promise<EntryView> {
  const loc = await session.locate(imagePath);
  const outer = session.outerPath(loc, loc.inner);
  const archive = await session.archiveFormat(loc.container, loc.entry, outer);
  return toEntryView(loc.entry, outer, { archive, inside: loc.inside });
}

/** A regular file's bytes, following symlinks; hardlinks give their shared data. */
export async function fileSource(session: ImageSession, imagePath: string): Promise<{ loc: Located; source: ReturnType<Located['container']['open']> }> {
  const loc = await session.locate(imagePath, { followLast: true });
  if (loc.entry.type !== 'file') {
    throw new LabError('NOT_A_FILE', `${imagePath} is a ${loc.entry.type}, not a file.`, loc.entry.type === 'dir' ? `List it instead: isolab ls <image> ${imagePath}` : undefined);
  }
  return { loc, source: loc.container.open(loc.entry, `${session.name} › ${imagePath.slice(1)}`) };
}

export const MAX_READ = 1 << 20;

export async function readRange(session: ImageSession, imagePath: string, offset: number, length: number): Promise<{ data: Buffer; size: number }> {
  const { source } = await fileSource(session, imagePath);
  const data = await source.read(offset, Math.min(length, MAX_READ));
  return { data, size: source.size };
}

export async function kernelCard(session: ImageSession, imagePath: string): Promise<KernelCard> {
  const { source } = await fileSource(session, imagePath);
  return readKernelCard(source);
}

/**
 * How a search query matches: a glob (`*.png`, `usr/bin/*sh`) when it has glob characters, a
 * path fragment (`usr/bin/bash`) when it has a slash, else a part of the name; all
 * case-insensitive. Paths are matched relative to the folder searched.
 */
export function queryMatcher(query: string): (name: string, rel: string) => boolean {
  const q = query.trim().toLowerCase();
  if (/[*?[\]{}]/.test(q)) {
    const isMatch = picomatch(q.includes('/') ? q.replace(/^\/+/, '') : q, { dot: true, nocase: true, basename: !q.includes('/') });
    return (_name, rel) => isMatch(rel);
  }
  if (q.includes('/')) {
    const frag = q.replace(/^\/+/, '');
    return (_name, rel) => rel.toLowerCase().includes(frag);
  }
  return (name) => name.toLowerCase().includes(q);
}

/** Most entries a search walks; past it the result says it was cut short. */
const FIND_MAX_VISITS = 2_000_000;

/**
 * Entries below a folder whose name or path matches `query` (see queryMatcher), breadth
 * first, bounded. Archives below that are already indexed are searched too, as folders;
 * the others are listed in `unindexed`, so the UI can offer to open them.
 */
export async function findEntries(
  session: ImageSession,
  imagePath: string,
  query: string,
  limit: number,
): Promise<{ entries: EntryView[]; truncated: boolean; unindexed: string[] }> {
  const matches = queryMatcher(query);
  const entries: EntryView[] = [];
  const unindexed: string[] = [];
  const start = await session.locate(imagePath, { followLast: true, descendLast: true });
  const base = session.outerPath(start, start.inner);
  const prefix = base === '/' ? 1 : base.length + 1;
  const levels: Located[] = [start];
  let visited = 0;
  while (levels.length) {
    const loc = levels.shift()!;
    const queue: string[][] = [loc.inner];
    while (queue.length) {
      const inner = queue.shift()!;
      for (const child of await loc.container.readdir(joinImagePath(inner))) {
        const childInner = [...inner, child.name];
        if (++visited > FIND_MAX_VISITS) return { entries, truncated: true, unindexed };
        const outer = session.outerPath(loc, childInner);
        if (matches(child.name, outer.slice(prefix))) {
          entries.push(toEntryView(child, outer, { inside: loc.inside }));
          if (entries.length >= limit) return { entries, truncated: true, unindexed };
        }
        if (child.type === 'dir') queue.push(childInner);
        else if (child.type === 'file' && child.size >= 6 && loc.inside.length === 0) {
          if (session.isArchiveOpen(outer)) levels.push(await session.locate(outer, { descendLast: true }));
          else if (await session.archiveFormat(loc.container, child, outer)) unindexed.push(outer);
        }
      }
    }
  }
  return { entries, truncated: false, unindexed };
}

const KERNEL_DIRS = ['/boot', '/isolinux', '/casper', '/live', '/images/pxeboot', '/'];

/** What a person wants first: the volume, how it boots, its kernel and its initrd. */
export async function imageInfo(session: ImageSession, opts: { indexArchives?: boolean } = {}): Promise<ImageInfo> {
  const info: ImageInfo = {
    file: session.file,
    name: session.name,
    size: session.size,
    kind: session.kind,
    format: session.format,
    initrds: [],
  };
  if (session.iso) {
    info.iso = session.iso.info;
    for (const dir of KERNEL_DIRS) {
      let children: EntryView[];
      try {
        children = await listFolder(session, dir);
      } catch {
        continue;
      }
      for (const child of children) {
        if (child.type !== 'file') continue;
        if (child.archive) info.initrds.push({ path: child.path, format: child.archive, size: child.size });
        else if (!info.kernel && child.size > 0x300) {
          const head = (await readRange(session, child.path, 0, 0x300)).data;
          if (isBzImage(head)) info.kernel = { path: child.path, card: await kernelCard(session, child.path) };
        }
      }
    }
  } else {
    info.initrds.push({ path: '/', format: session.format, size: session.size });
  }
  if (opts.indexArchives) {
    info.archives = [];
    for (const initrd of info.initrds) {
      await session.locate(initrd.path, { descendLast: true });
      const summary = await session.archiveSummary(initrd.path);
      if (summary) info.archives.push(summary);
    }
  }
  return info;
}
