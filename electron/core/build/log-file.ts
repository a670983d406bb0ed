import fs from 'node:fs';

/**
 * Lines of a log file on disk, for scrolling back and for builds that are over: a log of a
 * million lines is indexed once (a byte offset every STEP lines), then any window of it is
 * read from the nearest checkpoint. A growing file is indexed further on the next call.
 */

const STEP = 1000;
const BLOCK = 1 << 20;
/** One answer stays a reasonable message even when the lines are huge. */
const MAX_ANSWER_BYTES = 8 << 20;

export class LogFileIndex {
  private scanned = 0;
  private completeLines = 0;
  /** checkpoints[k] = byte offset where line k*STEP starts. */
  private readonly checkpoints: number[] = [0];
  private lastLineStart = 0;
  private size = 0;

  constructor(readonly file: string) {}

  /** Indexes what was appended since the last call. */
  async refresh(): Promise<void> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (st.size < this.scanned) this.reset();
    this.size = st.size;
    if (st.size === this.scanned) return;
    const fh = await fs.promises.open(this.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(BLOCK);
      while (this.scanned < this.size) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(BLOCK, this.size - this.scanned), this.scanned);
        if (bytesRead <= 0) break;
        for (let i = buf.indexOf(10, 0); i !== -1 && i < bytesRead; i = buf.indexOf(10, i + 1)) {
          this.completeLines++;
          this.lastLineStart = this.scanned + i + 1;
          if (this.completeLines % STEP === 0) this.checkpoints.push(this.lastLineStart);
        }
        this.scanned += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }

  private reset(): void {
    this.scanned = 0;
    this.completeLines = 0;
    this.checkpoints.length = 1;
    this.lastLineStart = 0;
  }

  /** With `includePartial`, a last line without a newline counts (the log is finished). */
  total(includePartial: boolean): number {
    return this.completeLines + (includePartial && this.lastLineStart < this.scanned ? 1 : 0);
  }

  /** Byte offset just past the last complete line. */
  get completeEnd(): number {
    return this.lastLineStart;
  }

  async read(from: number, count: number, includePartial: boolean): Promise<string[]> {
    const total = this.total(includePartial);
    if (from >= total || count <= 0) return [];
    const want = Math.min(count, total - from);
    const k = Math.floor(from / STEP);
    let offset = this.checkpoints[k] ?? 0;
    let skip = from - k * STEP;
    const end = includePartial ? this.scanned : this.lastLineStart;
    const lines: string[] = [];
    let bytes = 0;
    const fh = await fs.promises.open(this.file, 'r');
    try {
      let carry = Buffer.alloc(0);
      const buf = Buffer.allocUnsafe(BLOCK);
      while (lines.length < want && offset < end) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(BLOCK, end - offset), offset);
        if (bytesRead <= 0) break;
        offset += bytesRead;
        const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        let start = 0;
        for (let i = data.indexOf(10, 0); i !== -1; i = data.indexOf(10, start)) {
          if (skip > 0) skip--;
          else {
            lines.push(data.toString('utf8', start, i));
            bytes += i - start;
            if (lines.length >= want || bytes > MAX_ANSWER_BYTES) break;
          }
          start = i + 1;
        }
        if (lines.length >= want || bytes > MAX_ANSWER_BYTES) break;
        carry = Buffer.from(data.subarray(start));
      }
      if (lines.length < want && offset >= end && includePartial && carry.length && skip === 0) lines.push(carry.toString('utf8'));
    } finally {
      await fh.close();
    }
    return lines;
  }
}

/** A few recently used indexes, so scrolling through an old log does not rescan it each time. */
export class LogFileIndexCache {
  private readonly map = new Map<string, LogFileIndex>();

  constructor(private readonly max = 8) {}

  async get(file: string): Promise<LogFileIndex> {
    let idx = this.map.get(file);
    if (idx) this.map.delete(file);
    else idx = new LogFileIndex(file);
    this.map.set(file, idx);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    await idx.refresh();
    return idx;
  }
}
