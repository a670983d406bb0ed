// An ISO 9660 image read at random: descriptors at open, then only the directory sectors a
// call needs. Tree preference follows Linux and libarchive: Rock Ridge, Joliet, plain names.
import { LabError } from '../../../shared/errors';
import { ExtentSource, type ByteSource } from '../image/byte-source';
import type { Container } from '../image/container';
import type { NodeEntry } from '../image/entry';
import { badIso, hex } from './bad-iso';
import { isoString } from './dates';
import { DirectoryCache } from './directory-cache';
import { isSelfOrParent, walkRecords } from './directory';
import { CATALOG_READ, hasBootInfoTable, parseCatalog, type BootCatalog } from './el-torito';
import { readHybrid, type HybridInfo } from './hybrid';
import { readListing, type DirListing, type ListingReader, type TreeKind } from './listing';
import { hasRripExtension, RockRidge } from './rock-ridge';
import { followContinuations, walkSusp } from './susp';
import { DESCRIPTORS_AT, hasCd001, MAX_DESCRIPTORS, parseVolumeSet, readHead, SECTOR, type Descriptor, type VolumeSet } from './volume';

export type { BootCatalog, BootEntry } from './el-torito';
export type { HybridInfo, HybridPartition } from './hybrid';

export interface IsoVolumeInfo {
  systemId: string;
  volumeId: string;
  volumeSetId?: string;
  publisherId?: string;
  preparerId?: string;
  applicationId?: string;
  blockSize: number;
  volumeBlocks: number;
  sizeBytes: number;
  /** ISO 8601 */
  created?: string;
  modified?: string;
}

export interface IsoInfo {
  volume: IsoVolumeInfo;
  rockRidge: boolean;
  joliet: boolean;
  tree: 'rockridge' | 'joliet' | 'iso9660';
  elTorito?: BootCatalog;
  hybrid?: HybridInfo;
}

export interface IsoOpenOptions {
  tree?: 'auto' | 'rockridge' | 'joliet' | 'iso9660';
}

/** Rock Ridge trees can exceed ECMA-119's 8 levels, but not this. */
const MAX_DEPTH = 1024;
/** How much of the tree open() may read to name the boot images. */
const BOOT_SCAN_ENTRIES = 20_000;
/** How much of the tree a hardlink lookup may read. */
const LINK_SCAN_ENTRIES = 250_000;
const CE_BLOCKS_CACHED = 64;
/** Largest single read-ahead of sibling directories, and all read-ahead not yet used. */
const PREFETCH_RUN = 1024 * 1024;
const PREFETCH_BUDGET = 16 * 1024 * 1024;
/** CD-XA discs put a 14-byte record before the SUSP entries (Linux retries at this offset). */
const XA_RECORD = 14;

const NOT_FOUND_HINT = 'Paths start at the image root, e.g. /boot/initrd; list the parent directory to see what it holds.';

interface Resolved {
  entry: NodeEntry;
  path: string;
}

export class IsoImage implements Container {
  private readonly cache = new DirectoryCache();
  private readonly ceBlocks = new Map<number, Promise<Buffer>>();
  private readonly prefetched = new Map<number, { size: number; bytes: Promise<Buffer> }>();
  private prefetchedBytes = 0;
  private readonly reader: ListingReader;
  private readonly root: NodeEntry;
  private hardlinks?: Promise<Map<number, string>>;

  private constructor(
    private readonly src: ByteSource,
    readonly info: IsoInfo,
    tree: TreeKind,
    blockSize: number,
    rootDescriptor: Descriptor,
    suspSkip: number,
    suspSkipRoot: number,
  ) {
    this.reader = {
      desc: src.description,
      src,
      tree,
      blockSize,
      imageSize: src.size,
      suspSkip,
      suspSkipRoot,
      readBlock: (lba) => this.readBlock(lba),
      readDir: (offset, size) => this.readDir(offset, size),
    };
    const r = rootDescriptor.root;
    this.root = { name: '', type: 'dir', size: r.size, mode: 0o555, uid: 0, gid: 0, extents: [{ offset: r.dataOffset, length: r.size }] };
  }

  /** 'CD001' at 0x8001: the first volume descriptor. */
  static isIso(head: Buffer): boolean {
    return hasCd001(head, DESCRIPTORS_AT);
  }

  static async open(src: ByteSource, opts: IsoOpenOptions = {}): Promise<IsoImage> {
    const desc = src.description;
    const head = await readHead(src);
    if (!IsoImage.isIso(head)) throw notAnIso(desc, head);
    const vs = parseVolumeSet(desc, head.subarray(DESCRIPTORS_AT), src.size);
    const pvd = vs.primary;
    const rr = await detectRockRidge(src, pvd);
    const want = opts.tree ?? 'auto';
    let tree: TreeKind;
    if (want === 'auto') tree = rr ? 'rockridge' : vs.joliet || vs.jolietError ? 'joliet' : 'iso9660';
    else tree = want;
    if (tree === 'joliet' && vs.jolietError) throw vs.jolietError;
    if (tree === 'rockridge' && !rr) throw new LabError('NOT_FOUND', `${desc} has no Rock Ridge tree.`, 'Open it with tree "auto", "joliet" or "iso9660".');
    if (tree === 'joliet' && !vs.joliet) throw new LabError('NOT_FOUND', `${desc} has no Joliet tree.`, 'Open it with tree "auto", "rockridge" or "iso9660".');

    const info: IsoInfo = { volume: volumeInfo(pvd), rockRidge: !!rr, joliet: !!vs.joliet, tree };
    const hybrid = readHybrid(head.subarray(0, DESCRIPTORS_AT));
    if (hybrid) info.hybrid = hybrid;
    const rootDescriptor = tree === 'joliet' ? vs.joliet! : pvd;
    const xa = rr?.xa ?? 0;
    const iso = new IsoImage(src, info, tree, pvd.blockSize, rootDescriptor, xa + (rr?.skip ?? 0), xa);
    const root = await iso.listing('/', iso.root, true);
    Object.assign(iso.root, rootMetadata(root, tree));
    if (vs.bootCatalogLba !== undefined) info.elTorito = await iso.readBootCatalog(vs, vs.bootCatalogLba);
    return iso;
  }

  async readdir(path: string): Promise<NodeEntry[]> {
    const { entry, path: abs } = await this.resolve(path);
    if (entry.type !== 'dir') throw notADirectory(this.reader.desc, abs);
    const listing = await this.listing(abs, entry, abs === '/');
    const out = listing.entries.map((e) => ({ ...e }));
    if (out.some(sharesData)) {
      const links = await this.hardlinkIndex();
      for (const e of out) linkTo(e, links, joinPath(abs, e.name));
    }
    return out;
  }

  async stat(path: string): Promise<NodeEntry & { path: string }> {
    const { entry, path: abs } = await this.resolve(path);
    const out = { ...entry, path: abs };
    if (sharesData(out)) linkTo(out, await this.hardlinkIndex(), abs);
    return out;
  }

  open(entry: NodeEntry, description?: string): ByteSource {
    const extents = entry.extents ?? [];
    const where = 'path' in entry && typeof entry.path === 'string' ? entry.path.replace(/^\//, '') : entry.name;
    for (const e of extents) {
      if (e.offset + e.length > this.src.size) {
        throw badIso(this.reader.desc, `${where} has data at ${hex(e.offset)}–${hex(e.offset + e.length)}, past the image end at ${hex(this.src.size)}`);
      }
    }
    return new ExtentSource(this.src, entry.type === 'file' || entry.type === 'dir' ? extents : [], description ?? `${this.reader.desc} › ${where}`);
  }

  // ---------------------------------------------------------------- tree walking

  private async resolve(path: string): Promise<Resolved> {
    const parts = splitPath(path);
    if (parts.length > MAX_DEPTH) throw badIso(this.reader.desc, `path ${path} is deeper than ${MAX_DEPTH} levels`);
    let entry = this.root;
    let abs = '/';
    // A directory whose extent is one of its ancestors' would make every walk endless.
    const ancestors = new Set<number>([dirOffset(this.root)]);
    for (const name of parts) {
      if (entry.type !== 'dir') throw notADirectory(this.reader.desc, abs);
      const listing = await this.listing(abs, entry, abs === '/');
      const child = listing.byName.get(name) ?? this.folded(listing, name);
      if (!child) throw new LabError('NOT_FOUND', `${this.reader.desc}: ${joinPath(abs, name)} does not exist (no "${name}" in ${abs}).`, NOT_FOUND_HINT);
      abs = joinPath(abs, child.name);
      if (child.type === 'dir') {
        const off = dirOffset(child);
        if (ancestors.has(off)) {
          throw badIso(this.reader.desc, `directory ${abs} points back to the data of an ancestor directory (offset ${hex(off)}), a loop`);
        }
        ancestors.add(off);
      }
      entry = child;
    }
    return { entry, path: abs };
  }

  /** Plain ISO and Joliet names are case-insensitive, as on the systems that made them. */
  private folded(listing: DirListing, name: string): NodeEntry | undefined {
    if (this.reader.tree === 'rockridge') return undefined;
    if (!listing.byFoldedName) {
      listing.byFoldedName = new Map();
      for (const e of listing.entries) {
        const k = e.name.toLowerCase();
        if (!listing.byFoldedName.has(k)) listing.byFoldedName.set(k, e);
      }
    }
    return listing.byFoldedName.get(name.toLowerCase());
  }

  private listing(path: string, dir: NodeEntry, isRoot: boolean): Promise<DirListing> {
    const off = dirOffset(dir);
    return this.cache.get(off, async () => {
      const l = await readListing(this.reader, path, off, dir.size, isRoot);
      this.prefetchChildren(l);
      return isRoot ? this.hideRelocationDir(l) : l;
    });
  }

  private readDir(offset: number, size: number): Promise<Buffer> {
    const hit = this.prefetched.get(offset);
    if (hit && hit.size === size) {
      this.prefetched.delete(offset);
      this.prefetchedBytes -= size;
      return hit.bytes;
    }
    return this.src.read(offset, size);
  }

  /**
   * Whoever lists a directory usually lists its subdirectories next (a tree view, a walk).
   * Writers lay sibling directories out back to back, so one read fetches a run of them
   * instead of one round trip each. Only directory extents are read, never file data.
   */
  private prefetchChildren(l: DirListing): void {
    const dirs = l.entries
      .filter((e) => e.type === 'dir' && e.size > 0 && e.size <= PREFETCH_RUN && !this.prefetched.has(dirOffset(e)) && !this.cache.has(dirOffset(e)))
      .map((e) => ({ offset: dirOffset(e), size: e.size }))
      .filter((d) => d.offset >= 0 && d.offset + d.size <= this.src.size)
      .sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < dirs.length; ) {
      const start = dirs[i]!.offset;
      let end = start + dirs[i]!.size;
      let j = i + 1;
      while (j < dirs.length && dirs[j]!.offset === end && end + dirs[j]!.size - start <= PREFETCH_RUN) end += dirs[j++]!.size;
      // Read-ahead nobody used yet goes first (oldest first) to keep within the budget.
      for (const [off, old] of this.prefetched) {
        if (this.prefetchedBytes + (end - start) <= PREFETCH_BUDGET) break;
        this.prefetched.delete(off);
        this.prefetchedBytes -= old.size;
      }
      const run = this.src.read(start, end - start);
      for (const d of dirs.slice(i, j)) {
        const bytes = run.then((b) => b.subarray(d.offset - start, d.offset - start + d.size));
        // Never awaited if nobody lists that directory; its failure then belongs to no one.
        bytes.catch(() => undefined);
        this.prefetched.set(d.offset, { size: d.size, bytes });
        this.prefetchedBytes += d.size;
      }
      i = j;
    }
  }

  /** rr_moved holds the directories genisoimage relocated; shown in place via CL, it is noise. */
  private async hideRelocationDir(root: DirListing): Promise<DirListing> {
    if (this.reader.tree !== 'rockridge') return root;
    for (const name of ['rr_moved', '.rr_moved']) {
      const d = root.byName.get(name);
      if (!d || d.type !== 'dir' || dirOffset(d) === dirOffset(this.root)) continue;
      const inner = await this.listing(`/${name}`, d, false).catch(() => undefined);
      if (inner && inner.entries.length === 0 && inner.relocatedHidden > 0) {
        root.byName.delete(name);
        root.entries = root.entries.filter((e) => e !== d);
      }
    }
    return root;
  }

  /** Breadth first, so the shallowest path of a shared extent comes first; bad dirs are skipped. */
  private async walk(maxEntries: number, visit: (path: string, e: NodeEntry) => boolean): Promise<void> {
    const queue: Resolved[] = [{ entry: this.root, path: '/' }];
    const seen = new Set<number>([dirOffset(this.root)]);
    let count = 0;
    for (let i = 0; i < queue.length; i++) {
      const { entry, path } = queue[i]!;
      let listing: DirListing;
      try {
        listing = await this.listing(path, entry, path === '/');
      } catch (err) {
        if (err instanceof LabError) continue;
        throw err;
      }
      for (const e of listing.entries) {
        if (++count > maxEntries) return;
        const p = joinPath(path, e.name);
        if (visit(p, e)) return;
        if (e.type === 'dir' && !seen.has(dirOffset(e)) && queue.length < maxEntries) {
          seen.add(dirOffset(e));
          queue.push({ entry: e, path: p });
        }
      }
    }
  }

  private hardlinkIndex(): Promise<Map<number, string>> {
    this.hardlinks ??= (async () => {
      const first = new Map<number, string>();
      await this.walk(LINK_SCAN_ENTRIES, (p, e) => {
        if (sharesData(e) && !first.has(e.extents![0]!.offset)) first.set(e.extents![0]!.offset, p);
        return false;
      });
      return first;
    })();
    return this.hardlinks;
  }

  // ---------------------------------------------------------------- El Torito

  private async readBootCatalog(vs: VolumeSet, lba: number): Promise<BootCatalog> {
    const desc = this.reader.desc;
    const at = lba * SECTOR;
    if (at + 64 > this.src.size) {
      throw badIso(desc, `El Torito boot record at offset ${hex(vs.bootRecordAt!)} points to a boot catalog at block ${lba} (offset ${hex(at)}), past the image end at ${hex(this.src.size)}`);
    }
    const cat =
      parseCatalog(desc, await this.src.read(at, SECTOR), at, lba, this.src.size - at > SECTOR) ??
      parseCatalog(desc, await this.src.read(at, Math.min(CATALOG_READ, this.src.size - at)), at, lba)!;
    const pvdLba = vs.primary.offset / SECTOR;
    let infoTable = false;
    for (const e of cat.entries) {
      if (e.emulation !== 'none' || e.lba * SECTOR + 64 > this.src.size) continue;
      if (hasBootInfoTable(await this.src.read(e.lba * SECTOR, 64), pvdLba, e.lba)) infoTable = true;
    }
    cat.bootInfoTable = infoTable;
    // Name the boot images and the catalog by the files whose data starts where they do.
    const wanted = new Map<number, string | undefined>([[at, undefined]]);
    for (const e of cat.entries) wanted.set(e.lba * SECTOR, undefined);
    let missing = wanted.size;
    await this.walk(BOOT_SCAN_ENTRIES, (p, e) => {
      const off = e.type === 'file' ? e.extents?.[0]?.offset : undefined;
      if (off !== undefined && wanted.has(off) && wanted.get(off) === undefined) {
        wanted.set(off, p);
        missing--;
      }
      return missing === 0;
    });
    const catalogFile = wanted.get(at);
    if (catalogFile) cat.catalogFile = catalogFile;
    for (const e of cat.entries) {
      const f = wanted.get(e.lba * SECTOR);
      if (f) e.file = f;
    }
    return cat;
  }

  private readBlock(lba: number): Promise<Buffer> {
    let p = this.ceBlocks.get(lba);
    if (!p) {
      if (this.ceBlocks.size >= CE_BLOCKS_CACHED) this.ceBlocks.delete(this.ceBlocks.keys().next().value as number);
      p = this.src.read(lba * this.reader.blockSize, this.reader.blockSize);
      this.ceBlocks.set(lba, p);
    }
    return p;
  }
}

// ------------------------------------------------------------------ open() helpers

interface RockRidgeUse {
  /** Offset of SUSP in the root's `.` record: 0, or 14 after a CD-XA record. */
  xa: number;
  /** SP's LEN_SKP. */
  skip: number;
}

/** Rock Ridge is in use when the root's `.` record starts its system use with SP and RRIP follows. */
async function detectRockRidge(src: ByteSource, pvd: Descriptor): Promise<RockRidgeUse | undefined> {
  const desc = src.description;
  const { dataOffset, size } = pvd.root;
  const first = await src.read(dataOffset, Math.min(size, SECTOR));
  let found: { at: number; end: number } | undefined;
  if (first.length === 0 || first[0] === 0) return undefined;
  walkRecords(desc, first, dataOffset, (rec) => {
    if (found || !isSelfOrParent(first, rec) || first[rec.idAt] !== 0) return;
    found = { at: rec.suAt, end: rec.suEnd };
  });
  if (!found) return undefined;
  for (const xa of [0, XA_RECORD]) {
    const at = found.at + xa;
    if (at + 7 > found.end || first.toString('latin1', at, at + 2) !== 'SP' || first[at + 4] !== 0xbe || first[at + 5] !== 0xef) continue;
    const rr = new RockRidge(desc);
    const ce = walkSusp(desc, first, at, found.end, dataOffset, rr);
    if (ce) {
      const blockSize = pvd.blockSize;
      const blocks = new Map<number, Promise<Buffer>>();
      await followContinuations(
        { desc, blockSize, imageSize: src.size, readBlock: (lba) => blocks.get(lba) ?? blocks.set(lba, src.read(lba * blockSize, blockSize)).get(lba)! },
        ce,
        rr,
      );
    }
    if (!hasRripExtension(rr) && !rr.any) return undefined;
    return { xa, skip: rr.spSkip ?? 0 };
  }
  return undefined;
}

function volumeInfo(pvd: Descriptor): IsoVolumeInfo {
  const v: IsoVolumeInfo = {
    systemId: pvd.systemId,
    volumeId: pvd.volumeId,
    blockSize: pvd.blockSize,
    volumeBlocks: pvd.volumeBlocks,
    sizeBytes: pvd.volumeBlocks * pvd.blockSize,
  };
  if (pvd.volumeSetId) v.volumeSetId = pvd.volumeSetId;
  if (pvd.publisherId) v.publisherId = pvd.publisherId;
  if (pvd.preparerId) v.preparerId = pvd.preparerId;
  if (pvd.applicationId) v.applicationId = pvd.applicationId;
  const created = isoString(pvd.created);
  const modified = isoString(pvd.modified);
  if (created) v.created = created;
  if (modified) v.modified = modified;
  return v;
}

function rootMetadata(root: DirListing, tree: TreeKind): Partial<NodeEntry> {
  const s = root.self;
  const m: Partial<NodeEntry> = {};
  if (tree === 'rockridge') {
    if (s.mode !== undefined) m.mode = s.mode & 0o7777;
    if (s.uid !== undefined) m.uid = s.uid;
    if (s.gid !== undefined) m.gid = s.gid;
    if (s.nlink !== undefined) m.nlink = s.nlink;
  }
  if (s.mtime !== undefined) m.mtime = s.mtime;
  return m;
}

function notAnIso(desc: string, head: Buffer): LabError {
  const found = head.length >= DESCRIPTORS_AT + 6 ? JSON.stringify(head.toString('latin1', DESCRIPTORS_AT + 1, DESCRIPTORS_AT + 6)) : `the end of the file (${head.length} bytes)`;
  const udf = /BEA01|NSR0[23]/.test(head.toString('latin1', DESCRIPTORS_AT, head.length).slice(0, MAX_DESCRIPTORS * SECTOR));
  return new LabError(
    'NOT_AN_ISO',
    `${desc} is not an ISO 9660 image: expected "CD001" at offset 0x8001, found ${found}.`,
    udf ? 'It looks like a UDF-only image, which ISO Lab does not read.' : 'Choose an .iso file (run `file` on it to see what it is).',
  );
}

function notADirectory(desc: string, path: string): LabError {
  return new LabError('NOT_A_DIRECTORY', `${desc}: ${path} is not a directory.`, NOT_FOUND_HINT);
}

// ------------------------------------------------------------------ small helpers

function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

const joinPath = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** Directories always carry their extent (readListing gives every directory one). */
function dirOffset(dir: NodeEntry): number {
  return dir.extents?.[0]?.offset ?? -1;
}

/** Rock Ridge files with several links share their extent with another path. */
function sharesData(e: NodeEntry): boolean {
  return e.type === 'file' && (e.nlink ?? 1) > 1 && !!e.extents?.length;
}

function linkTo(e: NodeEntry, first: Map<number, string>, path: string): void {
  if (!sharesData(e)) return;
  const p = first.get(e.extents![0]!.offset);
  if (p && p !== path) e.linkOf = p;
}
