import { StringDecoder } from 'node:string_decoder';

export interface BatcherOptions {
  intervalMs?: number;
  maxBytes?: number;
}

/**
 * Coalesces a stream's events so a flood (a build log, a console) costs one message per
 * frame instead of one per chunk. Text is decoded through a StringDecoder so a multi-byte
 * character split across chunks is never cut in half; JSON events are kept as an array.
 * The 16 ms / 200 KB numbers are Hyper's DataBatcher's: about one frame, and small enough
 * that a single message never stalls the channel.
 */
export class EventBatcher {
  private readonly intervalMs: number;
  private readonly maxBytes: number;
  private readonly decoder = new StringDecoder('utf8');
  private text = '';
  private items: unknown[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly kind: 'json' | 'text',
    private readonly flushTo: (batch: unknown[]) => void,
    opts: BatcherOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 16;
    this.maxBytes = opts.maxBytes ?? 200 * 1024;
  }

  push(item: unknown): void {
    if (this.closed) return;
    if (this.kind === 'text') {
      const chunk = typeof item === 'string' ? item : this.decoder.write(item as Buffer);
      this.text += chunk;
      this.bytes += Buffer.byteLength(chunk);
    } else {
      this.items.push(item);
      this.bytes += JSON.stringify(item)?.length ?? 0;
    }
    if (this.bytes >= this.maxBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.kind === 'text') {
      if (this.text) this.flushTo([this.text]);
      this.text = '';
    } else if (this.items.length) {
      const batch = this.items;
      this.items = [];
      this.flushTo(batch);
    }
    this.bytes = 0;
  }

  /** Flushes what is left, including bytes of an incomplete character at the very end. */
  close(): void {
    if (this.closed) return;
    if (this.kind === 'text') this.text += this.decoder.end();
    this.flush();
    this.closed = true;
  }
}
