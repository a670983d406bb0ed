import fs from 'node:fs';
import path from 'node:path';
import { FileSource } from './byte-source';
import { ImageSession } from './image-session';

/**
 * Open images shared by every request of a process, so a UI that lists, reads and extracts
 * from one ISO opens it (and indexes its initrd) once. The least recently used are closed.
 * A file rebuilt in place (out/hello.iso after another build) is opened afresh: each use checks
 * that the file is still the one that was opened.
 */
export class ImageRegistry {
  private readonly open = new Map<string, Promise<ImageSession>>();

  constructor(
    private readonly cacheDir: string,
    private readonly max = 6,
  ) {}

  async get(file: string): Promise<ImageSession> {
    const key = path.resolve(file);
    const held = this.open.get(key);
    if (held) {
      const session = await held.catch(() => undefined);
      const st = await fs.promises.stat(key).catch(() => undefined);
      if (session && st && session.stamp === FileSource.stampOf(st)) {
        this.open.delete(key);
        this.open.set(key, held);
        return session;
      }
      // Replaced, rewritten or gone: what was indexed no longer describes the file.
      if (this.open.get(key) === held) await this.forget(key);
    }
    return this.openNew(key);
  }

  private openNew(key: string): Promise<ImageSession> {
    const existing = this.open.get(key);
    if (existing) return existing;
    const p = ImageSession.open(key, path.join(this.cacheDir));
    this.open.set(key, p);
    p.catch(() => this.open.delete(key));
    while (this.open.size > this.max) {
      const [oldest, old] = this.open.entries().next().value as [string, Promise<ImageSession>];
      this.open.delete(oldest);
      void old.then((s) => s.close()).catch(() => undefined);
    }
    return p;
  }

  /** Forget an image (the file changed on disk, or the user closed it). */
  async forget(file: string): Promise<void> {
    const key = path.resolve(file);
    const p = this.open.get(key);
    this.open.delete(key);
    await p?.then((s) => s.close()).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((s) => s.close()).catch(() => undefined)));
  }
}
