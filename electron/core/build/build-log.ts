import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LogScanner, type BuildrootStep } from './log-scan';

/**
 * One of a build's two logs while it runs: bytes go to the file as they arrive (the full
 * log lives on disk), decoded text goes to the watchers and the scanner, and only the last
 * couple of MB stay in memory for a watcher that joins late.
 */

export interface BuildLogHooks {
  text(text: string): void;
  problem(line: number, text: string, rule: string): void;
  buildroot(line: number, step: BuildrootStep): void;
  imageStep(line: number, current: number, total: number): void;
}

const RECENT_BYTES = 2 << 20;

export class BuildLog {
  private readonly out: fs.WriteStream;
  private readonly decoder = new StringDecoder('utf8');
  private readonly scanner: LogScanner;
  private recent: string[] = [];
  private recentChars = 0;
  private trimmed = false;
  private closed: Promise<void> | undefined;
  private writeError: Error | undefined;

  constructor(
    readonly file: string,
    private readonly hooks: BuildLogHooks,
  ) {
    this.out = fs.createWriteStream(file, { flags: 'a', mode: 0o644, highWaterMark: 1 << 20 });
    this.out.on('error', (err) => {
      this.writeError = err;
    });
    this.scanner = new LogScanner({
      problem: (line, text, rule) => hooks.problem(line, text, rule),
      buildroot: (line, step) => hooks.buildroot(line, step),
      imageStep: (line, current, total) => hooks.imageStep(line, current, total),
    });
  }

  /** false when the file is behind: the caller should wait for `onceDrain`. */
  write(data: Buffer): boolean {
    const ok = this.writeError ? true : this.out.write(data);
    const text = this.decoder.write(data);
    if (text) this.take(text);
    return ok;
  }

  writeText(text: string): void {
    this.write(Buffer.from(text, 'utf8'));
  }

  onceDrain(cb: () => void): void {
    if (this.writeError || !this.out.writableNeedDrain) cb();
    else this.out.once('drain', cb);
  }

  private take(text: string): void {
    this.hooks.text(text);
    this.scanner.push(text);
    this.recent.push(text);
    this.recentChars += text.length;
    while (this.recentChars > RECENT_BYTES && this.recent.length > 1) {
      this.recentChars -= this.recent.shift()!.length;
      this.trimmed = true;
    }
  }

  /** Complete lines so far. */
  get lines(): number {
    return this.scanner.lines;
  }

  /**
   * The last `n` complete lines, the index of the first, and the unfinished last line
   * (which live text will complete).
   */
  tail(n: number): { lines: string[]; start: number; partial: string } {
    const all = this.recent.join('');
    this.recent = all ? [all] : [];
    const lastNl = all.lastIndexOf('\n');
    const partial = all.slice(lastNl + 1);
    if (lastNl < 0) return { lines: [], start: this.lines, partial };
    let lines = all.slice(0, lastNl).split('\n');
    // The oldest kept text may begin in the middle of a line.
    if (this.trimmed) lines = lines.slice(1);
    if (lines.length > n) lines = lines.slice(lines.length - n);
    return { lines, start: this.lines - lines.length, partial };
  }

  get error(): Error | undefined {
    return this.writeError;
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const rest = this.decoder.end();
      if (rest) this.take(rest);
      this.scanner.end();
      this.out.end(() => resolve());
      this.out.once('error', () => resolve());
    });
    return this.closed;
  }
}
