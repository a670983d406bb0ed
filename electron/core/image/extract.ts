import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { LabError } from '../../../shared/errors';
import type { ExtractProgress } from '../../../shared/image';
import type { Container } from './container';
import type { NodeEntry } from './entry';
import type { ImageSession } from './image-session';
import { joinImagePath } from './paths';

const run = promisify(execFile);

interface Item {
  inner: string[];
  rel: string[];
  entry: NodeEntry;
}

export interface ExtractOptions {
  onProgress?: (p: ExtractProgress) => void;
  signal?: AbortSignal;
  /**
   * Keep setuid/setgid bits and create device nodes (as root only). Off by default: an image
   * is not trusted, and `-rwsrwsrwx` files or a `/dev/mem`-like node are not what a person
   * browsing it wants on their disk.
   */
  preserveSpecial?: boolean;
}

/** Permission bits written: setuid and setgid only when asked for (and as root). */
const SPECIAL = 0o6000;

function noSpace(err: unknown, dest: string): LabError | undefined {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  return new LabError('NO_SPACE', `No space left on the disk of ${dest}; extraction stopped.`, `Free some space and extract again; the files written so far are in ${dest}, none of them cut short.`);
}

/** `minikube.iso` → `minikube`, `initrd.cpio.gz` → `initrd`: the folder an image's root goes into. */
function stripImageSuffixes(name: string): string {
  const bare = name.replace(/(\.(iso|img|cpio|gz|bz2|xz|lzma|lz4|zst|zstd))+$/i, '');
  return bare || 'image';
}

/** A name from an image is only written if it is one plain path component. */
function safeComponent(c: string): boolean {
  return c !== '' && c !== '.' && c !== '..' && !c.includes('/') && !c.includes('\0');
}

/**
 * Writes a file or subtree of an image under `dest`. Nothing is ever written outside it:
 * names that would climb out are refused, no write goes through a symlink (links from the
 * image are created last, and existing ones under dest are never followed), and device
 * nodes are made only as root. What was not written is reported, not hidden.
 */
export async function extractPath(session: ImageSession, imagePath: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractProgress> {
  const destRoot = path.resolve(dest);
  try {
    await fs.mkdir(destRoot, { recursive: true });
  } catch (err) {
    throw new LabError('DEST_FAILED', `Cannot create ${destRoot}: ${(err as Error).message}`, 'Choose a folder you can write to.');
  }
  const st = await fs.stat(destRoot);
  if (!st.isDirectory()) throw new LabError('DEST_FAILED', `${destRoot} is not a folder.`, 'Extract into a folder.');
  const destReal = await fs.realpath(destRoot);

  const loc = await session.locate(imagePath, { descendLast: imagePath.endsWith('/') && imagePath !== '/' });
  const topName = loc.inner.length ? loc.inner[loc.inner.length - 1]! : stripImageSuffixes(path.basename(loc.base || session.name));
  const items = await collect(loc.container, loc.inner, [topName], loc.entry);
  const progress: ExtractProgress = {
    phase: 'extracting',
    files: 0,
    bytes: 0,
    totalFiles: items.length,
    totalBytes: items.reduce((n, i) => n + (i.entry.type === 'file' ? i.entry.size : 0), 0),
    skipped: [],
    dest: destReal,
  };
  const skip = (item: Item, reason: string) => progress.skipped!.push({ path: item.rel.join('/'), reason });
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (force || now - lastReport > 100) {
      lastReport = now;
      opts.onProgress?.({ ...progress, skipped: [...progress.skipped!] });
    }
  };
  const safeDirs = new Set<string>([destReal]);
  const written = new Map<string, string>();
  const isRoot = process.getuid?.() === 0;
  const special = !!opts.preserveSpecial && isRoot;
  const modeOf = (m: number) => m & (special ? 0o7777 : 0o7777 & ~SPECIAL) & (isRoot ? 0o7777 : 0o1777);
  const noteDropped = (item: Item) => {
    if (!special && item.entry.mode & SPECIAL) skip(item, `written without its setuid/setgid bits (${(item.entry.mode & 0o7777).toString(8).padStart(4, '0')} → ${modeOf(item.entry.mode).toString(8).padStart(4, '0')}); --preserve-special keeps them as root`);
  };

  // Every parent is created here and checked to be a real folder, never a symlink.
  async function parentFor(rel: string[]): Promise<string> {
    let dir = destReal;
    for (const c of rel.slice(0, -1)) {
      dir = path.join(dir, c);
      if (safeDirs.has(dir)) continue;
      try {
        await fs.mkdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const s = await fs.lstat(dir);
      if (!s.isDirectory()) throw new LabError('UNSAFE_PATH', `${dir} exists and is not a folder (a symlink?); not writing through it.`);
      safeDirs.add(dir);
    }
    return path.join(dir, rel[rel.length - 1]!);
  }

  const dirModes: [string, number, number | undefined][] = [];
  let tmpSeq = 0;
  const links: Item[] = [];
  for (const item of items) {
    if (opts.signal?.aborted) throw new LabError('CANCELLED', 'Extraction cancelled.', `What was written so far is in ${destReal}.`);
    progress.current = item.rel.join('/');
    if (!item.rel.every(safeComponent)) {
      skip(item, 'unsafe name');
      continue;
    }
    try {
      const target = await parentFor(item.rel);
      const e = item.entry;
      switch (e.type) {
        case 'dir':
          await fs.mkdir(target).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'EEXIST') throw err;
          });
          if (!(await fs.lstat(target)).isDirectory()) throw new LabError('UNSAFE_PATH', `${target} exists and is not a folder.`);
          safeDirs.add(target);
          dirModes.push([target, modeOf(e.mode), e.mtime]);
          noteDropped(item);
          break;
        case 'file': {
          const origin = e.linkOf ? written.get(e.linkOf) : undefined;
          // Never into what is already there: a fresh name (O_EXCL, no links followed), renamed
          // over the target at the end. A file planted in DEST (or a hard link to one outside
          // it) is replaced as a name, never truncated or chmod-ed through.
          const tmp = path.join(path.dirname(target), `.${path.basename(target)}.isolab-${process.pid}-${(tmpSeq++).toString(36)}`);
          try {
            if (origin) {
              await fs.link(origin, tmp);
            } else {
              const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
              try {
                let n = 0;
                for await (const chunk of loc.container.open(e).stream() as AsyncIterable<Buffer>) {
                  if (opts.signal?.aborted) throw new LabError('CANCELLED', 'Extraction cancelled.', `What was written so far is in ${destReal}.`);
                  await fh.write(chunk);
                  n += chunk.length;
                  progress.bytes += chunk.length;
                  report();
                }
                if (n !== e.size) throw new LabError('SHORT_READ', `${item.rel.join('/')}: read ${n} of ${e.size} bytes.`);
                await fh.chmod(modeOf(e.mode));
                if (e.mtime !== undefined) await fh.utimes(e.mtime / 1000, e.mtime / 1000);
              } finally {
                await fh.close();
              }
            }
            const existing = await fs.lstat(target).catch(() => undefined);
            if (existing?.isDirectory()) throw new LabError('UNSAFE_PATH', `${target} exists and is a folder; not replacing it with a file.`);
            await fs.rename(tmp, target);
          } catch (err) {
            await fs.rm(tmp, { force: true }).catch(() => undefined);
            throw err;
          }
          noteDropped(item);
          written.set(joinImagePath(item.inner), target);
          break;
        }
        case 'symlink':
          links.push(item);
          break;
        case 'char':
        case 'block':
          if (!special) {
            skip(item, `${e.type} device ${e.rdev?.major ?? '?'}:${e.rdev?.minor ?? '?'} not created (${isRoot ? 'ask for it with --preserve-special' : 'needs root and --preserve-special'})`);
            break;
          }
          await fs.rm(target, { force: true });
          await run('mknod', ['-m', (e.mode & 0o777).toString(8), target, e.type === 'char' ? 'c' : 'b', String(e.rdev?.major ?? 0), String(e.rdev?.minor ?? 0)]);
          break;
        case 'fifo':
          await fs.rm(target, { force: true });
          await run('mkfifo', ['-m', (e.mode & 0o777).toString(8), target]);
          break;
        case 'socket':
          skip(item, 'sockets cannot be extracted');
          break;
      }
      progress.files++;
      report();
    } catch (err) {
      if (err instanceof LabError && err.code === 'CANCELLED') throw err;
      // A full disk fails every file after it: stop with one error instead of a list of skips.
      const full = noSpace(err, destReal);
      if (full) throw full;
      if ((err as Error).name === 'AbortError') throw new LabError('CANCELLED', 'Extraction cancelled.', `What was written so far is in ${destReal}.`);
      skip(item, err instanceof LabError ? err.message : (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
  }
  // Symlinks last, so no file of this extraction is ever written through one.
  for (const item of links) {
    try {
      const target = await parentFor(item.rel);
      await fs.rm(target, { force: true });
      await fs.symlink(item.entry.target ?? '', target);
      progress.files++;
    } catch (err) {
      skip(item, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
  }
  // Folder modes last too: a read-only folder would have refused its own files.
  for (const [dir, mode, mtime] of dirModes.reverse()) {
    await fs.chmod(dir, mode).catch(() => undefined);
    if (mtime !== undefined) await fs.utimes(dir, mtime / 1000, mtime / 1000).catch(() => undefined);
  }
  progress.phase = 'done';
  progress.current = undefined;
  report(true);
  return progress;
}

async function collect(container: Container, inner: string[], rel: string[], entry: NodeEntry): Promise<Item[]> {
  const out: Item[] = [{ inner, rel, entry }];
  if (entry.type !== 'dir') return out;
  const walk = async (dirInner: string[], dirRel: string[]) => {
    for (const child of await container.readdir(joinImagePath(dirInner))) {
      const ci = [...dirInner, child.name];
      const cr = [...dirRel, child.name];
      out.push({ inner: ci, rel: cr, entry: child });
      if (out.length > 5_000_000) throw new LabError('TOO_MANY_ENTRIES', 'More than 5 million entries to extract.', 'Extract a smaller folder.');
      if (child.type === 'dir') await walk(ci, cr);
    }
  };
  await walk(inner, rel);
  return out;
}
