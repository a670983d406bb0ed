import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import type { HostEntry } from '../../../shared/image';
import { detectArchive } from '../archive/sniff';
import { FileSource } from '../image/byte-source';
import { IsoImage } from '../iso/iso-image';
import type { RequestHandler } from '../rpc/types';

/** Says whether a file is something the inspector opens, from its first bytes only. */
async function openable(file: string): Promise<boolean> {
  let src: FileSource | undefined;
  try {
    src = await FileSource.open(file);
    if (IsoImage.isIso(await src.read(0, 0x8006))) return true;
    return (await detectArchive(src)) !== undefined;
  } catch {
    return false;
  } finally {
    await src?.close();
  }
}

/**
 * The file picker's view of the machine the lab core runs on. In the browser UI this is the
 * only way to choose a file, since a page never learns real paths.
 */
export const hostList: RequestHandler<'host.list'> = async ({ path: dir }) => {
  const home = os.homedir();
  const target = path.resolve(dir ?? home);
  let names: string[];
  try {
    names = await fs.readdir(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LabError(
      code === 'ENOENT' ? 'NOT_FOUND' : code === 'ENOTDIR' ? 'NOT_A_DIRECTORY' : 'PERMISSION',
      `Cannot list ${target}: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (err as Error).message}.`,
    );
  }
  const entries: HostEntry[] = [];
  for (const name of names.slice(0, 5000)) {
    const p = path.join(target, name);
    const st = await fs.stat(p).catch(() => undefined);
    if (!st) continue;
    const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    const e: HostEntry = { name, path: p, type, size: st.size, mtime: st.mtime.toISOString() };
    // Sniffing reads a few bytes per file; only plausible sizes are worth it.
    if (type === 'file' && st.size >= 512) e.openable = await openable(p);
    entries.push(e);
  }
  entries.sort((a, b) => (a.type === 'dir') !== (b.type === 'dir') ? (a.type === 'dir' ? -1 : 1) : a.name.localeCompare(b.name));
  const parent = path.dirname(target);
  return { path: target, parent: parent !== target ? parent : undefined, home, entries };
};
