import type { Transform } from 'node:stream';
import { crc32 } from './crc32';
import { CodecError, type MemberDecoder, type Sink } from './codec';
import { readVarint, StructWalker, type Framing } from './struct-walker';

/** Dictionaries above this are refused: liblzma would allocate them up front. */
export const XZ_DICT_MAX = 256 * 1024 * 1024;
const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];

/**
 * The framing of one .xz stream, walked to find its exact end: liblzma (through
 * node-liblzma) is always built with LZMA_CONCATENATED there, so it would try to read
 * whatever follows as another stream. LZMA2 chunk headers carry their sizes, so blocks
 * without a stored compressed size can still be walked without decoding.
 */
export function* xzFraming(at: () => number): Framing {
  const head = yield 12;
  if (head.readUInt32BE(0) !== 0xfd377a58 || head.readUInt16BE(4) !== 0x5a00) throw new CodecError('bad xz stream magic', 0);
  if (crc32(head.subarray(6, 8)) !== head.readUInt32LE(8)) throw new CodecError('xz stream header CRC mismatch', 8);
  if (head[6] !== 0 || head[7]! > 15) throw new CodecError('unsupported xz stream flags', 6);
  const checkSize = CHECK_SIZES[head[7]!]!;
  let blocks = 0;
  for (;;) {
    const first = (yield 1)[0]!;
    if (first === 0) break;
    const headerSize = (first + 1) * 4;
    const rest = yield headerSize - 1;
    const header = Buffer.concat([Buffer.from([first]), rest]);
    if (crc32(header.subarray(0, headerSize - 4)) !== header.readUInt32LE(headerSize - 4)) {
      throw new CodecError('xz block header CRC mismatch', at());
    }
    const flags = header[1]!;
    let p = 2;
    const varint = () => {
      let v = 0;
      for (let i = 0; i < 9 && p < headerSize - 4; i++) {
        const b = header[p++]!;
        v += (b & 0x7f) * 2 ** (7 * i);
        if (!(b & 0x80)) return v;
      }
      throw new CodecError('bad xz block header', at());
    };
    const compressedSize = flags & 0x40 ? varint() : undefined;
    if (flags & 0x80) varint();
    const nFilters = (flags & 3) + 1;
    let lastFilter = 0;
    for (let i = 0; i < nFilters; i++) {
      lastFilter = varint();
      const propSize = varint();
      if (lastFilter === 0x21) {
        const bits = header[p]! & 0x3f;
        if (bits > 40) throw new CodecError('bad xz LZMA2 dictionary size', at());
        const dict = bits === 40 ? 0xffffffff : (2 | (bits & 1)) * 2 ** (bits / 2 + 11);
        if (dict > XZ_DICT_MAX) throw new CodecError(`xz dictionary of ${dict} bytes exceeds the ${XZ_DICT_MAX}-byte limit`, at());
      }
      p += propSize;
    }
    if (lastFilter !== 0x21) throw new CodecError('xz block does not end with the LZMA2 filter', at());
    let dataSize: number;
    if (compressedSize !== undefined) {
      yield -compressedSize;
      dataSize = compressedSize;
    } else {
      dataSize = 0;
      for (;;) {
        const c = (yield 1)[0]!;
        dataSize++;
        if (c === 0) break;
        if (c === 1 || c === 2) {
          const s = (yield 2).readUInt16BE(0) + 1;
          yield -s;
          dataSize += 2 + s;
        } else if (c >= 0x80) {
          const h = yield c >= 0xc0 ? 5 : 4;
          const packed = h.readUInt16BE(2) + 1;
          yield -packed;
          dataSize += h.length + packed;
        } else throw new CodecError(`bad LZMA2 chunk control byte 0x${c.toString(16)}`, at());
      }
    }
    const pad = (4 - ((headerSize + dataSize) % 4)) % 4;
    if (pad + checkSize > 0) yield -(pad + checkSize);
    blocks++;
  }
  // Index: the indicator byte just read, varint records, padding to 4, CRC32.
  const indexStart = at() - 1;
  const records = yield* readVarint('xz index', at);
  if (records !== blocks) throw new CodecError(`xz index lists ${records} blocks, the stream has ${blocks}`, at());
  for (let i = 0; i < records * 2; i++) yield* readVarint('xz index', at);
  const pad = (4 - ((at() - indexStart) % 4)) % 4;
  yield -(pad + 4);
  const footer = yield 12;
  if (footer[10] !== 0x59 || footer[11] !== 0x5a) throw new CodecError('bad xz stream footer magic', at());
  if (footer[8] !== head[6] || footer[9] !== head[7]) throw new CodecError('xz stream footer flags differ from the header', at());
}

interface Unxz extends Transform {
  readonly bytesRead?: number;
}
type LiblzmaModule = { Unxz: new (opts?: object, stream?: object) => Unxz };
let liblzma: Promise<LiblzmaModule> | undefined;

/** node-liblzma is ESM and native: loaded on first use, so other formats never need it. */
function loadLiblzma(): Promise<LiblzmaModule> {
  liblzma ??= (import('node-liblzma') as Promise<unknown>).then(
    (m) => ((m as { default?: LiblzmaModule }).default?.Unxz ? (m as { default: LiblzmaModule }).default : (m as LiblzmaModule)),
    (err: Error) => {
      liblzma = undefined;
      throw new CodecError(`the xz decoder (node-liblzma) could not be loaded: ${err.message}`);
    },
  );
  return liblzma;
}

export class XzDecoder implements MemberDecoder {
  private readonly walker: StructWalker;
  private unxz: Unxz | undefined;
  private failed: Error | undefined;
  private ended: Promise<void> | undefined;
  done = false;
  consumed = 0;

  constructor(private readonly sink: Sink) {
    this.walker = new StructWalker(xzFraming(() => this.walker.pos));
  }

  private async decoder(): Promise<Unxz> {
    if (this.unxz) return this.unxz;
    const { Unxz } = await loadLiblzma();
    const u = new Unxz({ chunkSize: 1 << 20 }, { highWaterMark: 1 << 20 });
    u.on('data', (d: Buffer) => {
      try {
        this.sink(d);
      } catch (err) {
        this.failed ??= err as Error;
        u.destroy();
      }
    });
    this.ended = new Promise<void>((resolve) => {
      u.on('end', resolve);
      u.on('close', resolve);
      u.on('error', (err: Error) => {
        this.failed ??= err;
        resolve();
      });
    });
    this.unxz = u;
    return u;
  }

  private check(): void {
    const f = this.failed;
    if (!f) return;
    if (f instanceof CodecError || (f as { code?: string }).code === 'BAD_ARCHIVE' || (f as { code?: string }).code === 'CANCELLED') throw f;
    throw new CodecError(`xz data is corrupt: ${f.message}`, this.walker.pos);
  }

  async push(chunk: Buffer): Promise<void> {
    const u = await this.decoder();
    const n = this.walker.feed(chunk);
    const part = chunk.subarray(0, n);
    // A failed stream never calls the write back: wait for either.
    if (part.length) await Promise.race([new Promise<void>((resolve) => u.write(part, () => resolve())), this.ended]);
    this.check();
    if (this.walker.done) {
      u.end();
      await this.ended;
      this.check();
      this.done = true;
      this.consumed = this.walker.pos;
    }
  }

  async finish(): Promise<void> {
    if (this.done) return;
    this.unxz?.destroy();
    throw new CodecError('xz stream is truncated', this.walker.pos);
  }
}
