// Parsed directories, least recently used out first, bounded by count and by entries so a
// walk over a huge image does not keep the whole tree in memory.
import type { DirListing } from './listing';

export class DirectoryCache {
  private readonly map = new Map<number, { p: Promise<DirListing>; weight: number }>();
  private weight = 0;

  constructor(
    private readonly maxDirs = 1024,
    private readonly maxEntries = 300_000,
  ) {}

  has(offset: number): boolean {
    return this.map.has(offset);
  }

  /** The listing of the directory whose data is at `offset`, loading it at most once at a time. */
  get(offset: number, load: () => Promise<DirListing>): Promise<DirListing> {
    const hit = this.map.get(offset);
    if (hit) {
      this.map.delete(offset);
      this.map.set(offset, hit);
      return hit.p;
    }
    const slot = { p: load(), weight: 1 };
    this.map.set(offset, slot);
    slot.p.then(
      (l) => {
        if (this.map.get(offset) !== slot) return;
        slot.weight = 1 + l.entries.length;
        this.weight += slot.weight - 1;
        this.evict();
      },
      // A failure is not kept: the error is the caller's, and a retry reads again.
      () => {
        if (this.map.get(offset) === slot) this.remove(offset);
      },
    );
    this.weight += 1;
    this.evict();
    return slot.p;
  }

  private remove(offset: number): void {
    const slot = this.map.get(offset);
    if (!slot) return;
    this.map.delete(offset);
    this.weight -= slot.weight;
  }

  private evict(): void {
    while (this.map.size > 1 && (this.map.size > this.maxDirs || this.weight > this.maxEntries)) {
      const oldest = this.map.keys().next().value as number;
      this.remove(oldest);
    }
  }
}
