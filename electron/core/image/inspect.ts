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

/** Names containing `query` (case-insensitive) below a folder, breadth first, bounded. */
export async function findEntries(
  session: ImageSession,
  imagePath: string,
  query: string,
  limit: number,
): Promise<{ entries: EntryView[]; truncated: boolean }> {
  const loc = await session.locate(imagePath, { followLast: true, descendLast: true });
  const needle = query.toLowerCase();
  const entries: EntryView[] = [];
  const queue: string[][] = [loc.inner];
  let visited = 0;
  while (queue.length) {
    const inner = queue.shift()!;
    for (const child of await loc.container.readdir(joinImagePath(inner))) {
      const childInner = [...inner, child.name];
      if (++visited > 500_000) return { entries, truncated: true };
      if (child.name.toLowerCase().includes(needle)) {
        entries.push(toEntryView(child, session.outerPath(loc, childInner), { inside: loc.inside }));
        if (entries.length >= limit) return { entries, truncated: true };
      }
      if (child.type === 'dir') queue.push(childInner);
    }
  }
  return { entries, truncated: false };
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
