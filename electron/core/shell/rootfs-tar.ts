import type { Readable } from 'node:stream';
import { packTar, type TarEntry } from '../build/tar-pack';
import type { Container } from '../image/container';
import type { NodeEntry } from '../image/entry';

/**
 * An opened archive's merged tree (what the kernel would unpack) as a tar for `docker import`:
 * modes, owners, times, symlinks, devices and fifos as stored. A hard-link group becomes one
 * file with the data and `link` entries naming it, whichever of its names comes first. File
 * data is read as the tar is consumed, so nothing of the rootfs is held in memory.
 */

export interface RootfsTarStats {
  entries: number;
  bytes: number;
  /** Sockets: tar has no type for them (the kernel would mknod them; nothing in a rootfs needs one). */
  skipped: string[];
}

function tarEntry(e: NodeEntry, p: string, container: Container, links: Map<string, string>): TarEntry | undefined {
  const base = { name: p.slice(1), mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime === undefined ? 0 : Math.floor(e.mtime / 1000), size: 0 };
  switch (e.type) {
    case 'dir':
      return { ...base, type: 'dir' };
    case 'symlink':
      return { ...base, type: 'symlink', linkname: e.target ?? '' };
    case 'char':
    case 'block':
      return { ...base, type: e.type, rdev: e.rdev ?? { major: 0, minor: 0 } };
    case 'fifo':
      return { ...base, type: 'fifo' };
    case 'socket':
      return undefined;
    case 'file': {
      const group = e.linkOf ?? ((e.nlink ?? 1) > 1 ? p : undefined);
      if (group !== undefined) {
        const first = links.get(group);
        if (first !== undefined) return { ...base, type: 'link', linkname: first.slice(1) };
        links.set(group, p);
      }
      return { ...base, type: 'file', size: e.size, source: () => container.open(e, p).stream() };
    }
  }
}

async function* walk(container: Container, dir: string, links: Map<string, string>, stats: RootfsTarStats): AsyncGenerator<TarEntry> {
  for (const e of await container.readdir(dir)) {
    const p = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
    const t = tarEntry(e, p, container, links);
    if (!t) {
      stats.skipped.push(p);
      continue;
    }
    stats.entries++;
    if (t.type === 'file') stats.bytes += t.size;
    yield t;
    if (e.type === 'dir') yield* walk(container, p, links, stats);
  }
}

/** `stats` fills in as the tar is read; it is complete when the stream ends. */
export function rootfsTar(container: Container): { tar: Readable; stats: RootfsTarStats } {
  const stats: RootfsTarStats = { entries: 0, bytes: 0, skipped: [] };
  return { tar: packTar(walk(container, '/', new Map(), stats)), stats };
}
