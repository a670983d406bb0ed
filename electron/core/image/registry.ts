import path from 'node:path';
import { ImageSession } from './image-session';

/**
 * Open images shared by every request of a process, so a UI that lists, reads and extracts
 * from one ISO opens it (and indexes its initrd) once. The least recently used are closed.
 */
export class ImageRegistry {
  private readonly open = new Map<string, Promise<ImageSession>>();

  constructor(
    private readonly cacheDir: string,
    private readonly max = 6,
  ) {}

  get(file: string): Promise<ImageSession> {
    const key = path.resolve(file);
    let p = this.open.get(key);
    if (p) {
      this.open.delete(key);
      this.open.set(key, p);
      return p;
    }
    p = ImageSession.open(key, path.join(this.cacheDir));
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
