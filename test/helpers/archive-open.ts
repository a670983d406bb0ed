// Opens archives held in memory or on disk with ArchiveImage, in-thread and with a cache of
// their own, and walks the resulting tree.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ArchiveImage, type ArchiveOpenOptions } from '../../electron/core/archive/archive-image';
import { BufferSource, FileSource, type ByteSource } from '../../electron/core/image/byte-source';
import type { NodeEntry } from '../../electron/core/image/entry';

let counter = 0;

export interface Opened {
  img: ArchiveImage;
  src: ByteSource;
  cacheDir: string;
  dispose(): Promise<void>;
}

/** Opens `data` (through a temp file, as a FileSource, unless `inMemory`). */
export async function openArchive(data: Buffer, opts: Partial<ArchiveOpenOptions> & { inMemory?: boolean } = {}): Promise<Opened> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-arc-'));
  const cacheDir = opts.cacheDir ?? path.join(dir, 'cache');
  let src: ByteSource;
  if (opts.inMemory) src = new BufferSource(data, `mem:${process.pid}:${counter++}:${data.length}`, 'test archive');
  else {
    const file = path.join(dir, 'archive');
    writeFileSync(file, data);
    src = await FileSource.open(file, 'test archive');
  }
  try {
    const img = await ArchiveImage.open(src, { useWorker: false, ...opts, cacheDir });
    return {
      img,
      src,
      cacheDir,
      dispose: async () => {
        await img.close();
        if (src instanceof FileSource) await src.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (src instanceof FileSource) await src.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function readAll(src: ByteSource): Promise<Buffer> {
  return src.read(0, src.size);
}

/** Every node below '/', by absolute path (directories are descended, symlinks are not). */
export async function allEntries(img: ArchiveImage, dir = '/', out = new Map<string, NodeEntry>()): Promise<Map<string, NodeEntry>> {
  for (const e of await img.readdir(dir)) {
    const p = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
    out.set(p, e);
    if (e.type === 'dir') await allEntries(img, p, out);
  }
  return out;
}
