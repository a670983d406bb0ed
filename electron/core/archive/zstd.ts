import { CodecError, type MemberDecoder, type Sink } from './codec';
import { StructWalker, type Framing } from './struct-walker';

/** zstd's default decoder limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT): bigger windows are refused. */
const WINDOW_LOG_MAX = 27;
const BLOCK_MAX = 128 * 1024;

/**
 * One zstd frame's framing (RFC 8878 §3.1.1), walked so the decoder is given exactly the
 * frame: the kernel takes one frame per member, and the WebAssembly decoder would carry on
 * into whatever follows.
 */
export function* zstdFraming(at: () => number): Framing {
  const head = yield 5;
  if (head.readUInt32LE(0) !== 0xfd2fb528) throw new CodecError('bad zstd frame magic', 0);
  const fhd = head[4]!;
  if (fhd & 8) throw new CodecError('zstd frame header has its reserved bit set', 4);
  const singleSegment = !!(fhd & 0x20);
  const fcsFlag = fhd >> 6;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (!singleSegment) {
    const wd = (yield 1)[0]!;
    const windowLog = 10 + (wd >> 3);
    if (windowLog > WINDOW_LOG_MAX) throw new CodecError(`zstd window of 2^${windowLog} bytes exceeds the 2^${WINDOW_LOG_MAX} limit`, at());
  }
  if (dictBytes) {
    const id = yield dictBytes;
    if (id.some((b) => b !== 0)) throw new CodecError('zstd frames that need a dictionary are not supported', at());
  }
  if (fcsBytes) yield -fcsBytes;
  for (;;) {
    const bh = yield 3;
    const v = bh[0]! | (bh[1]! << 8) | (bh[2]! << 16);
    const last = v & 1;
    const type = (v >> 1) & 3;
    const size = v >>> 3;
    if (type === 3) throw new CodecError('zstd block of the reserved type', at());
    if (size > BLOCK_MAX) throw new CodecError(`zstd block of ${size} bytes exceeds 128 KiB`, at());
    const body = type === 1 ? 1 : size;
    if (body) yield -body;
    if (last) break;
  }
  if (fhd & 4) yield -4;
}

interface ZstdExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  ZSTD_createDCtx(): number;
  ZSTD_freeDCtx(dctx: number): number;
  ZSTD_decompressStream(dctx: number, output: number, input: number): number;
}

let wasm: Promise<ZstdExports> | undefined;

/**
 * zstddec (libzstd's decoder compiled to WebAssembly; ESM, loaded on first use). Its own
 * streaming API is a generator that copies out every 128 KiB and cannot tell a decoding
 * error from a stall, so the instance is taken as it is initialised (`_init` is part of its
 * typed API) and ZSTD_decompressStream is called directly: 1 MiB outputs, real error codes.
 */
function loadZstd(): Promise<ZstdExports> {
  wasm ??= (import('zstddec/stream') as Promise<{ ZSTDDecoder: new () => { init(): Promise<void>; _init(r: WebAssembly.WebAssemblyInstantiatedSource): void } }>).then(
    async ({ ZSTDDecoder }) => {
      let instance: WebAssembly.Instance | undefined;
      class Capture extends ZSTDDecoder {
        override _init(r: WebAssembly.WebAssemblyInstantiatedSource): void {
          instance = r.instance;
          super._init(r);
        }
      }
      await new Capture().init();
      if (!instance) throw new Error('zstddec was initialised elsewhere');
      return instance.exports as unknown as ZstdExports;
    },
    (err: Error) => {
      wasm = undefined;
      throw new CodecError(`the zstd decoder (zstddec) could not be loaded: ${err.message}`);
    },
  );
  return wasm;
}

/** Names of the errors a corrupt or hostile frame gives (zstd_errors.h). */
const ZSTD_ERRORS: Record<number, string> = {
  10: 'unknown frame prefix',
  12: 'unsupported version',
  14: 'unsupported frame parameter',
  16: 'window too large',
  20: 'corruption detected',
  22: 'checksum mismatch',
  24: 'literals header wrong',
  30: 'dictionary corrupted',
  32: 'dictionary wrong',
  40: 'memory allocation failed',
  64: 'memory allocation failed',
  72: 'destination buffer too small',
  74: 'source size wrong',
};

const OUT_SIZE = 1 << 20;

export class ZstdDecoder implements MemberDecoder {
  private readonly walker: StructWalker;
  private z: ZstdExports | undefined;
  private dctx = 0;
  private inPtr = 0;
  private inCap = 0;
  private outPtr = 0;
  /** ZSTD_inBuffer and ZSTD_outBuffer: three 32-bit words each. */
  private io = 0;
  private last = -1;
  done = false;
  consumed = 0;

  constructor(private readonly sink: Sink) {
    this.walker = new StructWalker(zstdFraming(() => this.walker.pos));
  }

  async push(chunk: Buffer): Promise<void> {
    const z = (this.z ??= await loadZstd());
    if (!this.dctx) {
      this.dctx = z.ZSTD_createDCtx();
      this.outPtr = z.malloc(OUT_SIZE);
      this.io = z.malloc(24);
      if (!this.dctx || !this.outPtr || !this.io) throw new CodecError('zstd decoder out of memory');
    }
    const n = this.walker.feed(chunk);
    if (n > 0) this.decode(z, chunk.subarray(0, n));
    if (this.walker.done) {
      // The framing says the frame is complete: the decoder must agree.
      if (this.last !== 0) throw new CodecError('zstd frame ends before its data does', this.walker.pos);
      this.done = true;
      this.consumed = this.walker.pos;
      this.dispose();
    }
  }

  private decode(z: ZstdExports, part: Buffer): void {
    if (part.length > this.inCap) {
      if (this.inPtr) z.free(this.inPtr);
      this.inCap = Math.max(part.length, 1 << 20);
      this.inPtr = z.malloc(this.inCap);
      if (!this.inPtr) throw new CodecError('zstd decoder out of memory');
    }
    new Uint8Array(z.memory.buffer).set(part, this.inPtr);
    const inBuf = this.io;
    const outBuf = this.io + 12;
    let view = new DataView(z.memory.buffer);
    view.setUint32(inBuf, this.inPtr, true);
    view.setUint32(inBuf + 4, part.length, true);
    view.setUint32(inBuf + 8, 0, true);
    for (;;) {
      view.setUint32(outBuf, this.outPtr, true);
      view.setUint32(outBuf + 4, OUT_SIZE, true);
      view.setUint32(outBuf + 8, 0, true);
      const ret = z.ZSTD_decompressStream(this.dctx, outBuf, inBuf);
      // The window is allocated on first use: memory may have grown.
      view = new DataView(z.memory.buffer);
      if (ret < 0) {
        const code = -ret;
        throw new CodecError(`zstd data is corrupt: ${ZSTD_ERRORS[code] ?? `error ${code}`}`, this.walker.pos - part.length + view.getUint32(inBuf + 8, true));
      }
      this.last = ret;
      const produced = view.getUint32(outBuf + 8, true);
      // A view of WebAssembly memory, valid until the next call: the sink copies what it keeps.
      if (produced > 0) this.sink(Buffer.from(z.memory.buffer, this.outPtr, produced));
      const used = view.getUint32(inBuf + 8, true);
      if (used >= part.length && produced < OUT_SIZE) return;
    }
  }

  finish(): void {
    if (this.done) return;
    this.dispose();
    throw new CodecError('zstd frame is truncated', this.walker.pos);
  }

  dispose(): void {
    const z = this.z;
    if (!z || !this.dctx) return;
    z.ZSTD_freeDCtx(this.dctx);
    z.free(this.outPtr);
    z.free(this.io);
    if (this.inPtr) z.free(this.inPtr);
    this.dctx = this.outPtr = this.io = this.inPtr = this.inCap = 0;
  }
}
