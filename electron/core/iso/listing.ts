// One directory's extent turned into NodeEntries, in whichever tree was chosen: Rock Ridge
// names and metadata, Joliet names, or plain ISO 9660 names.
import type { ByteSource } from '../image/byte-source';
import type { EntryType, Extent, NodeEntry } from '../image/entry';
import { badIso, hex } from './bad-iso';
import { shortDate } from './dates';
import { FLAG_ASSOCIATED, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, isSelfOrParent, isoName, walkRecords, type DirRecord } from './directory';
import { decodeUcs2, jolietName } from './joliet';
import { RockRidge } from './rock-ridge';
import { followContinuations, walkSusp, type Continuation, type ContinuationReader } from './susp';
import { SECTOR } from './volume';

export type TreeKind = 'rockridge' | 'joliet' | 'iso9660';

/** A directory this large holds ~2 million records: no real image has one. */
export const MAX_DIR_BYTES = 64 * 1024 * 1024;
export const MAX_DIR_ENTRIES = 250_000;
/** 4096 parts of just under 4 GiB: 16 TiB, more than any image holds. */
const MAX_EXTENTS = 4096;

const DIR_MODE = 0o555;
const FILE_MODE = 0o444;

export interface ListingReader extends ContinuationReader {
  src: ByteSource;
  tree: TreeKind;
  /** Bytes before the SUSP entries of every system use area but the root's `.`: CD-XA + LEN_SKP. */
  suspSkip: number;
  /** The same for the root's `.` record, which holds SP itself: CD-XA only. */
  suspSkipRoot: number;
  /** A directory's bytes (the image may have them prefetched). */
  readDir(offset: number, size: number): Promise<Buffer>;
}

/** What the `.` record says about the directory itself (the root has no other record). */
export interface DirSelf {
  mode?: number;
  uid?: number;
  gid?: number;
  nlink?: number;
  mtime?: number;
}

export interface DirListing {
  /** Sorted by name. Shared with the cache: callers hand out copies. */
  entries: NodeEntry[];
  byName: Map<string, NodeEntry>;
  byFoldedName?: Map<string, NodeEntry>;
  /** RE directories left out; a relocation directory holding only these is hidden too. */
  relocatedHidden: number;
  self: DirSelf;
}

/** A record whose entry needs more reading (a CE chain, a CL target) or more records (multi-extent). */
interface Pending {
  abs: number;
  flags: number;
  date?: number;
  /** Raw identifier, for matching the records of a multi-extent file. */
  id: string;
  name: string;
  extents: Extent[];
  size: number;
  rr?: RockRidge;
  ce?: Continuation;
}

const byName = (a: NodeEntry, b: NodeEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Checks a directory's extent before anything is allocated for it. */
export function checkDirExtent(r: ListingReader, path: string, offset: number, size: number): void {
  if (size > MAX_DIR_BYTES) {
    throw badIso(r.desc, `directory ${path} at offset ${hex(offset)} claims ${size} bytes, more than the ${MAX_DIR_BYTES / 1048576} MiB a directory may have`);
  }
  if (offset + size > r.imageSize) {
    throw badIso(r.desc, `directory ${path} spans ${hex(offset)}–${hex(offset + size)}, past the image end at ${hex(r.imageSize)}`);
  }
}

/** Reads and parses the directory whose data is `size` bytes at image offset `offset`. */
export async function readListing(r: ListingReader, path: string, offset: number, size: number, isRoot: boolean): Promise<DirListing> {
  checkDirExtent(r, path, offset, size);
  const buf = await r.readDir(offset, size);
  if (buf.length < size) throw badIso(r.desc, `directory ${path} at offset ${hex(offset)} is cut short by the end of the image`);
  const b = new ListingBuilder(r, path, buf, offset, isRoot);
  walkRecords(r.desc, buf, offset, (rec) => b.record(rec));
  return b.finish();
}

class ListingBuilder {
  private readonly entries: NodeEntry[] = [];
  private readonly pending: Pending[] = [];
  private multi?: Pending;
  private relocatedHidden = 0;
  private selfSeen = false;
  private readonly self: DirSelf = {};
  private selfRr?: RockRidge;
  private selfCe?: Continuation;
  /** Reused for every record that needs no further reading. */
  private rr: RockRidge;
  private readonly rockRidge: boolean;

  constructor(
    private readonly r: ListingReader,
    private readonly path: string,
    private readonly buf: Buffer,
    private readonly offset: number,
    private readonly isRoot: boolean,
  ) {
    this.rockRidge = r.tree === 'rockridge';
    this.rr = new RockRidge(r.desc);
  }

  record(rec: DirRecord): void {
    const { r, buf } = this;
    if (isSelfOrParent(buf, rec)) {
      if (buf[rec.idAt] === 0 && !this.selfSeen) this.selfRecord(rec);
      return;
    }
    if (rec.flags & FLAG_ASSOCIATED) return;
    if (rec.unitSize !== 0 || rec.gapSize !== 0) {
      throw badIso(r.desc, `directory record at offset ${hex(rec.abs)} describes an interleaved file (unit size ${rec.unitSize}, gap ${rec.gapSize}), which this reader does not support`);
    }
    if (this.multi) return this.nextPart(rec, this.multi);
    if (this.entries.length + this.pending.length >= MAX_DIR_ENTRIES) {
      throw badIso(r.desc, `directory ${this.path} at offset ${hex(this.offset)} has more than ${MAX_DIR_ENTRIES} entries`);
    }
    if (rec.flags & FLAG_MULTI_EXTENT) {
      if (rec.flags & FLAG_DIRECTORY) throw badIso(r.desc, `directory record at offset ${hex(rec.abs)} is a directory flagged multi-extent`);
      this.multi = this.toPending(rec);
      this.pending.push(this.multi);
      return;
    }
    if (!this.rockRidge) {
      this.add(plainEntry(this.name(rec), rec.flags, rec.dataLength, this.extentOf(rec), shortDate(buf, rec.at + 18)), rec.abs);
      return;
    }
    const rr = this.rr;
    rr.reset();
    const ce = this.susp(rec, rr, r.suspSkip);
    if (ce || rr.childLink !== undefined) {
      const p = this.toPending(rec);
      p.rr = rr;
      p.ce = ce;
      this.pending.push(p);
      this.rr = new RockRidge(r.desc);
      return;
    }
    if (rr.relocated) {
      this.relocatedHidden++;
      return;
    }
    const extents = this.extentOf(rec);
    this.add(rockRidgeEntry(rr, rr.name ?? this.name(rec), rec.flags, rec.dataLength, extents, rr.mtime ?? shortDate(buf, rec.at + 18)), rec.abs);
  }

  async finish(): Promise<DirListing> {
    const { r } = this;
    if (this.selfRr && this.selfCe) await followContinuations(r, this.selfCe, this.selfRr);
    if (this.multi) {
      throw badIso(r.desc, `multi-extent file ${JSON.stringify(this.multi.name)} (record at offset ${hex(this.multi.abs)}) has no final part before the end of directory ${this.path}`);
    }
    for (const p of this.pending) {
      const rr = p.rr;
      if (!rr) {
        this.add(plainEntry(p.name, p.flags, p.size, p.extents, p.date), p.abs);
        continue;
      }
      if (p.ce) await followContinuations(r, p.ce, rr);
      if (rr.relocated) {
        this.relocatedHidden++;
        continue;
      }
      let { flags, size, extents } = p;
      if (rr.childLink !== undefined) {
        // A CL placeholder is a file record standing for a directory moved elsewhere (RRIP §4.1.5.1).
        const moved = await relocatedDirectory(r, p.abs, rr.childLink);
        flags |= FLAG_DIRECTORY;
        size = moved.length;
        extents = [moved];
      }
      this.add(rockRidgeEntry(rr, rr.name ?? p.name, flags, size, extents, rr.mtime ?? p.date), p.abs);
    }
    const byNameMap = new Map<string, NodeEntry>();
    const entries: NodeEntry[] = [];
    for (const e of this.entries) {
      // Duplicate names come only from broken writers: one entry per name, the first one met.
      if (byNameMap.has(e.name)) continue;
      byNameMap.set(e.name, e);
      entries.push(e);
    }
    entries.sort(byName);
    const s = this.selfRr;
    if (s) Object.assign(this.self, { mode: s.mode, uid: s.uid, gid: s.gid, nlink: s.nlink, mtime: s.mtime ?? this.self.mtime });
    return { entries, byName: byNameMap, relocatedHidden: this.relocatedHidden, self: this.self };
  }

  private selfRecord(rec: DirRecord): void {
    this.selfSeen = true;
    this.self.mtime = shortDate(this.buf, rec.at + 18);
    if (this.rockRidge && this.isRoot) {
      this.selfRr = new RockRidge(this.r.desc);
      this.selfCe = this.susp(rec, this.selfRr, this.r.suspSkipRoot);
    }
  }

  private nextPart(rec: DirRecord, multi: Pending): void {
    const { r, buf } = this;
    const id = buf.toString('latin1', rec.idAt, rec.idAt + rec.idLen);
    if (id !== multi.id) {
      throw badIso(r.desc, `multi-extent file ${JSON.stringify(multi.name)} (record at offset ${hex(multi.abs)}) has no final part: the next record at ${hex(rec.abs)} is ${JSON.stringify(id)}`);
    }
    if (multi.extents.length >= MAX_EXTENTS) throw badIso(r.desc, `multi-extent file ${JSON.stringify(multi.name)} at offset ${hex(multi.abs)} has more than ${MAX_EXTENTS} parts`);
    multi.extents.push(...this.extentOf(rec));
    multi.size += rec.dataLength;
    // SUSP §5: the fields recorded with the last extent apply to the file.
    multi.flags = rec.flags & ~FLAG_MULTI_EXTENT;
    multi.date = shortDate(buf, rec.at + 18);
    if (this.rockRidge) {
      multi.rr = new RockRidge(r.desc);
      multi.ce = this.susp(rec, multi.rr, r.suspSkip);
    }
    if (!(rec.flags & FLAG_MULTI_EXTENT)) this.multi = undefined;
  }

  private toPending(rec: DirRecord): Pending {
    return {
      abs: rec.abs,
      flags: rec.flags,
      date: shortDate(this.buf, rec.at + 18),
      id: this.buf.toString('latin1', rec.idAt, rec.idAt + rec.idLen),
      name: this.name(rec),
      extents: this.extentOf(rec),
      size: rec.dataLength,
    };
  }

  private name(rec: DirRecord): string {
    return this.r.tree === 'joliet' ? jolietName(decodeUcs2(this.buf, rec.idAt, rec.idLen), (rec.flags & FLAG_DIRECTORY) !== 0) : isoName(this.buf, rec);
  }

  /** Directories keep their extent even when empty: it is how they are found again. */
  private extentOf(rec: DirRecord): Extent[] {
    if (rec.dataLength === 0 && !(rec.flags & FLAG_DIRECTORY)) return [];
    return [{ offset: (rec.lba + rec.xarBlocks) * this.r.blockSize, length: rec.dataLength }];
  }

  /** Parses the record's own system use area; returns its CE for finish() to follow. */
  private susp(rec: DirRecord, rr: RockRidge, skip: number): Continuation | undefined {
    const start = rec.suAt + skip;
    return start + 4 <= rec.suEnd ? walkSusp(this.r.desc, this.buf, start, rec.suEnd, this.offset, rr) : undefined;
  }

  private add(e: NodeEntry, abs: number): void {
    const n = e.name;
    if (!n || n === '.' || n === '..' || n.includes('/') || n.includes('\0')) {
      throw badIso(this.r.desc, `directory record at offset ${hex(abs)} in ${this.path} has the name ${JSON.stringify(n)}, which cannot be a file name`);
    }
    this.entries.push(e);
  }
}

function plainEntry(name: string, flags: number, size: number, extents: Extent[], mtime: number | undefined): NodeEntry {
  const isDir = (flags & FLAG_DIRECTORY) !== 0;
  const e: NodeEntry = { name, type: isDir ? 'dir' : 'file', size, mode: isDir ? DIR_MODE : FILE_MODE, uid: 0, gid: 0 };
  if (mtime !== undefined) e.mtime = mtime;
  if (extents.length) e.extents = extents;
  return e;
}

function rockRidgeEntry(rr: RockRidge, name: string, flags: number, size: number, extents: Extent[], mtime: number | undefined): NodeEntry {
  // The directory flag decides what can be listed; PX only refines non-directories.
  let type: EntryType;
  if (flags & FLAG_DIRECTORY) {
    type = 'dir';
  } else {
    const t = rr.type;
    type = t && t !== 'dir' ? t : 'file';
  }
  if (type !== 'dir' && type !== 'file') {
    size = 0;
    extents = [];
  }
  const e: NodeEntry = {
    name,
    type,
    size,
    mode: rr.mode !== undefined ? rr.mode & 0o7777 : type === 'dir' ? DIR_MODE : FILE_MODE,
    uid: rr.uid ?? 0,
    gid: rr.gid ?? 0,
  };
  if (mtime !== undefined) e.mtime = mtime;
  if (type === 'symlink') {
    const target = rr.target;
    if (target !== undefined) e.target = target;
  } else if (type === 'char' || type === 'block') {
    const rdev = rr.rdev;
    if (rdev) e.rdev = rdev;
  }
  if (rr.nlink !== undefined) e.nlink = rr.nlink;
  if (extents.length) e.extents = extents;
  return e;
}

/** The extent of the directory a CL entry points to, from the `.` record that starts it. */
async function relocatedDirectory(r: ListingReader, recordAt: number, lba: number): Promise<Extent> {
  const at = lba * r.blockSize;
  if (at + SECTOR > r.imageSize) {
    throw badIso(r.desc, `Rock Ridge CL entry of the record at offset ${hex(recordAt)} points to block ${lba} (offset ${hex(at)}), past the image end at ${hex(r.imageSize)}`);
  }
  const block = await r.src.read(at, SECTOR);
  let found: Extent | undefined;
  if (block[0] !== 0) {
    walkRecords(r.desc, block, at, (rec) => {
      if (!found && isSelfOrParent(block, rec) && block[rec.idAt] === 0 && rec.flags & FLAG_DIRECTORY) {
        found = { offset: (rec.lba + rec.xarBlocks) * r.blockSize, length: rec.dataLength };
      }
    });
  }
  if (!found) {
    throw badIso(r.desc, `Rock Ridge CL entry of the record at offset ${hex(recordAt)} points to block ${lba} (offset ${hex(at)}), which does not start with a directory's "." record`);
  }
  return found;
}
