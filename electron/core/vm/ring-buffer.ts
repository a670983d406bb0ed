/**
 * The last `capacity` bytes of a stream. Console output arrives in small chunks; they are
 * kept as they come and the oldest dropped, so a push costs no copying of the whole buffer.
 */
export class RingBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(readonly capacity: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (chunk.length >= this.capacity) {
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.capacity))];
      this.size = this.capacity;
      this.dropped = true;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.capacity) {
      const first = this.chunks[0]!;
      const excess = this.size - this.capacity;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
      this.dropped = true;
    }
  }

  get length(): number {
    return this.size;
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
    this.dropped = false;
  }

  /**
   * The content. When older bytes were dropped it starts after the first line break, so a
   * terminal replaying it never begins inside a UTF-8 character or an escape sequence.
   */
  contents(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    if (!this.dropped) return all;
    const nl = all.indexOf(0x0a);
    return nl >= 0 && nl < all.length - 1 ? all.subarray(nl + 1) : all;
  }
}
