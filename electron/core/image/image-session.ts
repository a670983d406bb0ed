import path from 'node:path';
import { LabError } from '../../../shared/errors';
import type { ArchiveSummary } from '../../../shared/image';
import { ArchiveImage, type ArchiveProgress } from '../archive/archive-image';
import { detectArchive } from '../archive/sniff';
import { IsoImage } from '../iso/iso-image';
import { FileSource, type ByteSource } from './byte-source';
import type { Container } from './container';
import type { NodeEntry } from './entry';
import { joinImagePath, resolveLinkTarget, splitImagePath } from './paths';

const MAX_LINK_HOPS = 40;

export interface Located {
  container: Container;
  /** Path inside `container`. */
  inner: string[];
  entry: NodeEntry & { path: string };
  /** Outer path of the innermost archive the entry lies in; '' at the image level. */
  base: string;
  /** Outer paths of the archives passed through, outermost first. */
  inside: string[];
}

export interface IndexOptions {
  onProgress?: (p: ArchiveProgress) => void;
  signal?: AbortSignal;
}

function openError(file: string, err: NodeJS.ErrnoException): LabError {
  switch (err.code) {
    case 'ENOENT':
      return new LabError('NOT_FOUND', `Cannot open ${file}: no such file.`, 'Check the path; an ISO built by ISO Lab is in the build\'s output folder.');
    case 'EACCES':
    case 'EPERM':
      return new LabError('PERMISSION', `Cannot open ${file}: permission denied.`, `Make it readable: chmod a+r ${file}`);
    case 'EISDIR':
      return new LabError('NOT_AN_IMAGE', `${file} is a folder, not an image file.`, 'Choose an .iso file or an initrd inside it.');
    default:
      return new LabError('OPEN_FAILED', `Cannot open ${file}: ${err.message}`);
  }
}

/**
 * One opened image file: an ISO, or a bare archive such as an initrd. Paths run through
 * archive files as if they were folders (/boot/initrd/etc/VERSION); each archive is indexed
 * once, on first use, and kept open for this session.
 */
export class ImageSession {
  private readonly archives = new Map<string, Promise<ArchiveImage>>();
  private readonly formats = new Map<string, Promise<string | undefined>>();

  private constructor(
    readonly file: string,
    readonly name: string,
    private readonly src: FileSource,
    readonly kind: 'iso' | 'archive',
    readonly format: string,
    readonly iso: IsoImage | undefined,
    private readonly cacheDir: string,
  ) {}

  static async open(file: string, cacheDir: string): Promise<ImageSession> {
    const name = path.basename(file);
    let src: FileSource;
    try {
      src = await FileSource.open(file, name);
    } catch (err) {
      throw openError(file, err as NodeJS.ErrnoException);
    }
    try {
      if (src.size === 0) throw new LabError('NOT_AN_IMAGE', `${file} is empty.`, 'Choose an ISO image or an initrd (cpio archive).');
      const head = await src.read(0, 0x8006);
      if (IsoImage.isIso(head)) {
        const iso = await IsoImage.open(src);
        return new ImageSession(file, name, src, 'iso', 'iso9660', iso, cacheDir);
      }
      const format = await detectArchive(src);
      if (format) return new ImageSession(file, name, src, 'archive', format, undefined, cacheDir);
      throw new LabError(
        'NOT_AN_IMAGE',
        `${file} is neither an ISO 9660 image (no CD001 at byte 0x8001) nor a cpio archive (compressed or not).`,
        'ISO Lab opens .iso files and initrd/initramfs images.',
      );
    } catch (err) {
      await src.close();
      throw err;
    }
  }

  /** Size, mtime and inode of the file when it was opened. */
  get stamp(): string {
    return this.src.stamp;
  }

  async close(): Promise<void> {
    const opened = await Promise.allSettled(this.archives.values());
    await Promise.all(opened.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    this.archives.clear();
    await this.src.close();
  }

  get size(): number {
    return this.src.size;
  }

  /** The archive behind `outer` (its path in the image), indexed once and shared. */
  openArchive(outer: string, source: () => ByteSource, opts: IndexOptions = {}): Promise<ArchiveImage> {
    const known = this.archives.get(outer);
    if (known) return known;
    const p = ArchiveImage.open(source(), { cacheDir: this.cacheDir, onProgress: opts.onProgress, signal: opts.signal });
    this.archives.set(outer, p);
    // A failed or cancelled index must not stick: the next look starts afresh.
    p.catch(() => this.archives.delete(outer));
    return p;
  }

  isArchiveOpen(outer: string): boolean {
    return this.archives.has(outer);
  }

  private rootContainer(opts?: IndexOptions): Promise<Container> {
    if (this.iso) return Promise.resolve(this.iso);
    return this.openArchive('/', () => this.src, opts);
  }

  /** Archive format of a file entry (cached per path); undefined for ordinary files. */
  archiveFormat(container: Container, entry: NodeEntry, outerPath: string): Promise<string | undefined> {
    if (entry.type !== 'file' || entry.size < 6) return Promise.resolve(undefined);
    const known = this.formats.get(outerPath);
    if (known) return known;
    const p = detectArchive(container.open(entry, outerPath)).catch(() => undefined);
    this.formats.set(outerPath, p);
    return p;
  }

  /**
   * Walks `imagePath`, opening archives on the way and following symlinks in the middle of
   * the path (and at its end when `followLast`), never outside the container they are in.
   */
  async locate(imagePath: string, opts: { followLast?: boolean; descendLast?: boolean } & IndexOptions = {}): Promise<Located> {
    const parts = splitImagePath(imagePath);
    let container = await this.rootContainer(opts);
    let inner: string[] = [];
    let base = '';
    const inside: string[] = [];
    let entry = await container.stat('/');
    let hops = 0;
    for (let i = 0; i < parts.length; i++) {
      const isLast = i === parts.length - 1;
      const part = parts[i]!;
      if (entry.type === 'file') {
        const outer = base + joinImagePath(inner);
        const fmt = await this.archiveFormat(container, entry, outer);
        if (!fmt) throw new LabError('NOT_A_DIRECTORY', `${outer} is a file, not a folder or an archive.`, `List its folder instead: ${path.posix.dirname(outer)}`);
        const e = entry;
        const c = container;
        container = await this.openArchive(outer, () => c.open(e, `${this.name} › ${outer.slice(1)}`), opts);
        inside.push(outer);
        base = outer;
        inner = [];
      } else if (entry.type !== 'dir') {
        throw new LabError('NOT_A_DIRECTORY', `${base + joinImagePath(inner)} is a ${entry.type}, not a folder.`);
      }
      inner = [...inner, part];
      entry = await this.statIn(container, inner, base);
      while (entry.type === 'symlink' && (!isLast || opts.followLast)) {
        if (++hops > MAX_LINK_HOPS) {
          throw new LabError('LINK_LOOP', `Too many symlinks while resolving ${imagePath}.`, 'The image has a symlink loop.');
        }
        inner = resolveLinkTarget(inner, entry.target ?? '');
        entry = await this.statIn(container, inner, base);
      }
    }
    if (opts.descendLast && entry.type === 'file') {
      const outer = base + joinImagePath(inner);
      const fmt = await this.archiveFormat(container, entry, outer);
      if (fmt) {
        const e = entry;
        const c = container;
        container = await this.openArchive(outer, () => c.open(e, `${this.name} › ${outer.slice(1)}`), opts);
        inside.push(outer);
        base = outer;
        inner = [];
        entry = await container.stat('/');
      }
    }
    return { container, inner, entry, base, inside };
  }

  private async statIn(container: Container, inner: string[], base: string): Promise<NodeEntry & { path: string }> {
    try {
      return await container.stat(joinImagePath(inner));
    } catch (err) {
      if (err instanceof LabError && err.code === 'NOT_FOUND') {
        throw new LabError('NOT_FOUND', `${base + joinImagePath(inner)} does not exist in ${this.name}.`, 'List the folder above it to see what is there.');
      }
      throw err;
    }
  }

  /** Outer path of an entry found in `loc`'s container. */
  outerPath(loc: Pick<Located, 'base'>, inner: string[]): string {
    const p = joinImagePath(inner);
    return loc.base ? (p === '/' ? loc.base : loc.base + p) : p;
  }

  async archiveSummary(outer: string): Promise<ArchiveSummary | undefined> {
    const p = this.archives.get(outer);
    if (!p) return undefined;
    const a = await p;
    return { path: outer, format: a.format, entryCount: a.entryCount, segments: a.segments, warnings: a.warnings ?? [] };
  }
}
