import { extractPath } from '../image/extract';
import { findEntries, imageInfo, kernelCard, listFolder, readRange, statPath } from '../image/inspect';
import type { EventHandler, RequestHandler } from '../rpc/types';

export const imageInfoHandler: RequestHandler<'image.info'> = async ({ file }, ctx) => imageInfo(await ctx.images.get(file));

export const imageList: RequestHandler<'image.list'> = async ({ file, path }, ctx) => ({
  path,
  entries: await listFolder(await ctx.images.get(file), path),
});

export const imageStat: RequestHandler<'image.stat'> = async ({ file, path }, ctx) => statPath(await ctx.images.get(file), path);

export const imageResolve: RequestHandler<'image.resolve'> = async ({ file, path }, ctx) => {
  const session = await ctx.images.get(file);
  const loc = await session.locate(path, { followLast: true });
  return statPath(session, session.outerPath(loc, loc.inner));
};

export const imageRead: RequestHandler<'image.read'> = async ({ file, path, offset, length }, ctx) => {
  const { data, size } = await readRange(await ctx.images.get(file), path, offset, length);
  return { offset, size, base64: data.toString('base64') };
};

export const imageKernel: RequestHandler<'image.kernel'> = async ({ file, path }, ctx) => kernelCard(await ctx.images.get(file), path);

export const imageFind: RequestHandler<'image.find'> = async ({ file, path, query, limit }, ctx) =>
  findEntries(await ctx.images.get(file), path, query, limit);

export const imageIndex: EventHandler<'image.index'> = async ({ file, path }, emit, signal, ctx) => {
  const session = await ctx.images.get(file);
  const already = session.isArchiveOpen(path);
  let last = { bytesIn: 0, totalIn: 0, bytesOut: 0, entries: 0 };
  await session.locate(path, {
    descendLast: true,
    signal,
    onProgress: (p) => {
      last = p;
      emit({ phase: 'indexing', path, ...p });
    },
  });
  const summary = await session.archiveSummary(path === '/' ? '/' : path.replace(/\/+$/, ''));
  emit({
    phase: 'done',
    path,
    ...last,
    entries: summary?.entryCount ?? last.entries,
    fromCache: already || undefined,
    summary,
  });
};

export const imageExtract: EventHandler<'image.extract'> = async ({ file, path, dest, preserveSpecial }, emit, signal, ctx) => {
  await extractPath(await ctx.images.get(file), path, dest, { signal, onProgress: emit, preserveSpecial });
};
