/**
 * Input a decoder has been fed but not used yet. Decoders whose units (a block, a header)
 * can straddle the source's read chunks take whole units from here.
 */
export class InputQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private avail = 0;
  /** Bytes taken so far: the decoder's offset in its member. */
  consumed = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.avail += chunk.length;
  }

  get available(): number {
    return this.avail;
  }

  /** The next `n` bytes as one buffer (a view when they lie in one chunk), or undefined. */
  peek(n: number): Buffer | undefined {
    if (n > this.avail) return undefined;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first && first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    let pos = this.head;
    for (const c of this.chunks) {
      const k = Math.min(c.length - pos, n - got);
      c.copy(out, got, pos, pos + k);
      got += k;
      pos = 0;
      if (got === n) break;
    }
    return out;
  }

  /** Copies the next `n` bytes into `target` at `at`, without taking them. */
  peekInto(n: number, target: Buffer, at: number): boolean {
    if (n > this.avail) return false;
    let got = 0;
    let pos = this.head;
    for (const c of this.chunks) {
      if (got === n) break;
      const k = Math.min(c.length - pos, n - got);
      c.copy(target, at + got, pos, pos + k);
      got += k;
      pos = 0;
    }
    return true;
  }

  skip(n: number): void {
    this.avail -= n;
    this.consumed += n;
    while (n > 0) {
      const first = this.chunks[0]!;
      const left = first.length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
  }

  take(n: number): Buffer | undefined {
    const b = this.peek(n);
    if (b) this.skip(n);
    return b;
  }
}
