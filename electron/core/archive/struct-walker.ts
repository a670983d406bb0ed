import { CodecError } from './codec';

/**
 * Follows a compressed format's framing (not its payload) as the bytes stream past, to find
 * where a member ends without decoding it. The format is described as a generator that
 * yields n > 0 to receive the next n bytes, or -n to skip n bytes, and returns at the end.
 */
export type Framing = Generator<number, void, Buffer>;

export class StructWalker {
  private want: number;
  private collected: Buffer[] = [];
  private collectedLen = 0;
  /** Bytes walked so far. */
  pos = 0;
  done = false;

  constructor(private readonly gen: Framing) {
    const first = gen.next();
    this.want = first.done ? 0 : first.value;
    if (first.done) this.done = true;
  }

  /** Walks `chunk`; returns how much of it belongs to the structure (less only at its end). */
  feed(chunk: Buffer): number {
    let i = 0;
    while (!this.done && i < chunk.length) {
      if (this.want < 0) {
        const k = Math.min(-this.want, chunk.length - i);
        i += k;
        this.pos += k;
        this.want += k;
        if (this.want < 0) break;
        this.advance(Buffer.alloc(0));
        continue;
      }
      const k = Math.min(this.want - this.collectedLen, chunk.length - i);
      this.collected.push(chunk.subarray(i, i + k));
      this.collectedLen += k;
      i += k;
      this.pos += k;
      if (this.collectedLen < this.want) break;
      const got = this.collected.length === 1 ? this.collected[0]! : Buffer.concat(this.collected);
      this.collected = [];
      this.collectedLen = 0;
      this.advance(got);
    }
    return i;
  }

  private advance(value: Buffer): void {
    const r = this.gen.next(value);
    if (r.done) {
      this.done = true;
      return;
    }
    if (r.value === 0) throw new CodecError('internal: empty framing request', this.pos);
    this.want = r.value;
  }
}

/** Reads a multibyte integer (xz's varint) from a framing generator. */
export function* readVarint(what: string, at: () => number): Generator<number, number, Buffer> {
  let v = 0;
  for (let i = 0; i < 9; i++) {
    const b = (yield 1)[0]!;
    v += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) {
      if (b === 0 && i > 0) throw new CodecError(`bad ${what}: non-minimal integer`, at());
      return v;
    }
  }
  throw new CodecError(`bad ${what}: integer too long`, at());
}
