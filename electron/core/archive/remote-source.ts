import { Readable } from 'node:stream';
import { ExtentSource, FileSource, type ByteSource } from '../image/byte-source';

/*
 * A worker cannot be handed a ByteSource (it may be a file, a range of an ISO, a buffer),
 * so the worker reads through messages and the owning thread answers from the real source.
 */

export interface ReadRequest {
  type: 'read';
  job: number;
  id: number;
  offset: number;
  length: number;
}
export interface ReadReply {
  type: 'data';
  id: number;
  data?: Uint8Array;
  error?: string;
}

/** Sends a read request; `reply` is called with the answer. */
export type Requester = (offset: number, length: number, reply: (m: ReadReply) => void) => void;

export class RemoteSource implements ByteSource {
  constructor(
    private readonly request: Requester,
    readonly size: number,
    readonly cacheKey: string,
    readonly description: string,
  ) {}

  read(offset: number, length: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.request(offset, length, (m) => {
        if (m.error !== undefined) reject(new Error(m.error));
        else resolve(Buffer.from(m.data!.buffer, m.data!.byteOffset, m.data!.byteLength));
      });
    });
  }

  stream(start = 0, end = this.size): Readable {
    const self = this;
    return Readable.from(
      (async function* () {
        for (let pos = start; pos < end; ) {
          const b = await self.read(pos, Math.min(1 << 20, end - pos));
          if (b.length === 0) return;
          pos += b.length;
          yield b;
        }
      })(),
    );
  }
}

/** The owning side: answers one job's read requests from `src`. */
export function answerRead(post: (m: ReadReply, transfer: ArrayBuffer[]) => void, src: ByteSource, m: ReadRequest): void {
  src.read(m.offset, m.length).then(
    (b) => {
      // Transferred, not cloned. File reads come back in buffers of their own; anything else
      // (a BufferSource hands out views of its memory) is copied first.
      const own = (src instanceof FileSource || src instanceof ExtentSource) && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
      const data = own ? new Uint8Array(b.buffer, 0, b.byteLength) : new Uint8Array(b);
      post({ type: 'data', id: m.id, data }, [data.buffer as ArrayBuffer]);
    },
    (err: Error) => post({ type: 'data', id: m.id, error: err.message }, []),
  );
}
