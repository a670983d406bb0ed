import { LabError } from '../../../shared/errors';
import type { ByteSource } from '../image/byte-source';
import { badArchive, cancelled, hex, isLabError } from './archive-errors';
import { CodecError, type MemberDecoder } from './codec';
import { CpioParser, type CpioFormat, type RawEntry } from './cpio';
import { createDecoder } from './decompress';
import { LIMITS } from './limits';
import { isCpioMagic, skipZeros, sniffCompression, type Compression } from './sniff';

export interface SegmentInfo {
  offset: number;
  compression: Compression;
  format: CpioFormat;
  entries: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** Where a range of the decompressed stream is stored: in the source itself or the data file. */
export interface MapRange {
  /** Start in the decompressed stream. */
  logical: number;
  length: number;
  file: 'source' | 'data';
  offset: number;
}

export interface WalkProgress {
  bytesIn: number;
  bytesOut: number;
  entries: number;
  segment: number;
}

export interface WalkHooks {
  entry(e: RawEntry): void;
  trailer(): void;
  warning(message: string): void;
  /** Decompressed bytes of compressed segments, in order (the data file); `owned` as in Sink. */
  data(out: Buffer, owned?: boolean): void;
  /** Called between input chunks: lets the data file's writes catch up. */
  drain(): Promise<void>;
  progress(p: WalkProgress): void;
  signal?: AbortSignal;
}

export interface WalkResult {
  segments: SegmentInfo[];
  map: MapRange[];
  /** Length of the whole decompressed stream. */
  size: number;
}

const CHUNK = 1 << 20;
const READ_AHEAD = 4;
/** Data runs longer than this are seeked over instead of read. */
const BIG_SKIP = 8 << 20;

/**
 * Sequential reads with the next few chunks already on their way: on a worker thread every
 * read is a round trip to the owning thread, and lz4 decodes a chunk faster than that.
 */
class ChunkReader {
  private readonly ahead: Promise<Buffer>[] = [];
  constructor(
    private readonly src: ByteSource,
    private pos: number,
  ) {}
  read(): Promise<Buffer> {
    while (this.ahead.length < READ_AHEAD) {
      this.ahead.push(this.pos < this.src.size ? this.src.read(this.pos, CHUNK) : Promise.resolve(Buffer.alloc(0)));
      this.pos += CHUNK;
    }
    return this.ahead.shift()!;
  }
}

/**
 * Walks an initramfs buffer as the kernel's unpack_to_rootfs does: zero bytes are skipped,
 * a cpio magic starts an uncompressed archive (read by its headers, data skipped), a known
 * compression magic starts a member whose output is parsed as cpio archives. Anything else
 * ends the walk with a warning (the kernel would fail there) — or, first thing in the file,
 * means this is not an archive at all.
 */
export async function walkSegments(src: ByteSource, hooks: WalkHooks): Promise<WalkResult> {
  const segments: SegmentInfo[] = [];
  const map: MapRange[] = [];
  let logical = 0;
  let dataOffset = 0;
  let entries = 0;
  let pos: number | undefined = 0;
  let lastReport = 0;
  const report = (bytesIn: number, force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < 100) return;
    lastReport = now;
    hooks.progress({ bytesIn, bytesOut: logical, entries, segment: segments.length });
  };
  const checkAbort = () => {
    if (hooks.signal?.aborted) throw cancelled();
  };

  for (;;) {
    checkAbort();
    pos = await skipZeros(src, pos);
    if (pos === undefined) break;
    const head = await src.read(pos, 16);
    const n = segments.length + 1;
    const base = logical;
    const events = {
      entry: (e: RawEntry) => {
        e.dataOffset += base;
        e.headerOffset += base;
        entries++;
        hooks.entry(e);
      },
      trailer: hooks.trailer,
      warning: hooks.warning,
    };

    if (isCpioMagic(head)) {
      const start = pos;
      const where = (off: number) => `offset ${hex(off)} of segment ${n} (uncompressed, file offset ${hex(start + off)})`;
      const parser = new CpioParser(events, where, true);
      // Sequential reads beat one read per header; only long runs of data are seeked over.
      let at = start;
      let reader = new ChunkReader(src, at);
      while (!parser.stopped && at < src.size) {
        checkAbort();
        const skip = Math.min(parser.skippable(), src.size - at);
        if (skip >= BIG_SKIP) {
          parser.skip(skip);
          at += skip;
          reader = new ChunkReader(src, at);
          continue;
        }
        const b = await reader.read();
        if (b.length === 0) break;
        at += parser.push(b);
        report(at);
      }
      if (!parser.atBoundary) throw badArchive(`cpio archive in segment ${n} is truncated at file offset ${hex(at)} (inside an entry)`);
      const len = at - start;
      segments.push({ offset: start, compression: 'none', format: parser.format!, entries: parser.entries, compressedSize: len, uncompressedSize: len });
      map.push({ logical, length: len, file: 'source', offset: start });
      logical += len;
      pos = at;
      continue;
    }

    const c = sniffCompression(head);
    if (!c || c === 'none') {
      if (segments.length === 0) {
        throw new LabError('NOT_AN_ARCHIVE', `${src.description} is not a cpio archive: it starts with bytes ${head.subarray(0, 8).toString('hex')}, neither a cpio magic nor a known compression.`, 'Open an initrd or a cpio archive (plain, or compressed with gzip, bzip2, xz, lzma, lz4 or zstd).');
      }
      hooks.warning(`unrecognised data at file offset ${hex(pos)} after segment ${segments.length} (bytes ${head.subarray(0, 8).toString('hex')}): ignored (the kernel would fail here)`);
      break;
    }

    const memberStart = pos;
    const outStart = logical;
    const where = (off: number) => `offset ${hex(off)} of segment ${n} (${c})`;
    const parser = new CpioParser(events, where, false);
    let out = 0;
    let firstChecked = false;
    let parseError: unknown;
    const sink = (b: Buffer, owned?: boolean) => {
      if (parseError) return;
      try {
        if (!firstChecked && b.length > 0) {
          firstChecked = true;
          if (n === 1 && b.length >= 6 && !isCpioMagic(b)) {
            throw new LabError('NOT_AN_ARCHIVE', `${src.description} is ${c}-compressed but holds no cpio archive (it starts with ${b.subarray(0, 8).toString('hex')}).`, 'Only cpio archives (initrds) open as folders.');
          }
        }
        out += b.length;
        if (outStart + out > LIMITS.maxOutput) {
          throw badArchive(`segment ${n} (${c}) decompresses to more than ${LIMITS.maxOutput / 2 ** 30} GiB`, 'This looks like a decompression bomb; it is not unpacked. If the initrd is genuine, extract it with cpio instead.');
        }
        parser.push(b);
        hooks.data(b, owned);
      } catch (err) {
        parseError = err;
        throw err;
      }
    };
    let dec: MemberDecoder | undefined;
    const reader = new ChunkReader(src, memberStart);
    let fed = memberStart;
    try {
      dec = createDecoder(c, sink);
      while (!dec.done) {
        checkAbort();
        const chunk = await reader.read();
        if (chunk.length === 0) {
          await dec.finish();
          break;
        }
        fed += chunk.length;
        await dec.push(chunk);
        if (parseError) throw parseError;
        await hooks.drain();
        logical = outStart + out;
        report(Math.min(fed, src.size));
      }
      if (parseError) throw parseError;
    } catch (err) {
      throw wrapCodecError(parseError ?? err, c, n, memberStart);
    } finally {
      dec?.dispose?.();
    }
    logical = outStart + out;
    if (!parser.atBoundary) {
      throw badArchive(`segment ${n} (${c}) ends inside a cpio entry at ${where(parser.pos)}: the archive inside is truncated (the kernel says "junk at the end of compressed archive")`);
    }
    segments.push({ offset: memberStart, compression: c, format: parser.format ?? 'newc', entries: parser.entries, compressedSize: dec.consumed, uncompressedSize: out });
    if (out > 0) map.push({ logical: outStart, length: out, file: 'data', offset: dataOffset });
    dataOffset += out;
    pos = memberStart + dec.consumed;
    report(pos, true);
  }
  report(src.size, true);
  return { segments, map, size: logical };
}

function wrapCodecError(err: unknown, c: Compression, n: number, memberStart: number): unknown {
  if (isLabError(err)) return err;
  if (err instanceof CodecError) {
    const at = err.inputOffset !== undefined ? ` (file offset ${hex(memberStart + err.inputOffset)})` : '';
    const loadFailure = err.message.includes('could not be loaded');
    return new LabError(
      'BAD_ARCHIVE',
      `segment ${n} (${c}) at file offset ${hex(memberStart)}: ${err.message}${at}`,
      loadFailure ? 'Reinstall ISO Lab: a decompressor it ships is missing for this platform.' : 'The compressed data is truncated or corrupt; rebuild the initrd or check the download.',
    );
  }
  return err;
}
