import { describe, expect, it } from 'vitest';
import type { SizeNode } from '../../shared/size-map';
import { layoutMap, neighbour, zoomable } from '../../renderer/src/views/inspect/size-map-layout';
import { squarify, type Placed, type Rect } from '../../renderer/src/views/inspect/squarify';

const area = (r: Rect) => r.w * r.h;
const aspect = (r: Rect) => Math.max(r.w / r.h, r.h / r.w);

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Areas proportional to the sizes, every rectangle inside the bounds, none overlapping, no gap. */
function expectTiling(placed: Placed<number>[], bounds: Rect) {
  const total = placed.reduce((s, p) => s + p.item, 0);
  const eps = 1e-6 * area(bounds);
  for (const { item, rect } of placed) {
    expect(Math.abs(area(rect) - (item / total) * area(bounds))).toBeLessThan(eps + 1e-9);
    expect(rect.x).toBeGreaterThanOrEqual(bounds.x - 1e-9);
    expect(rect.y).toBeGreaterThanOrEqual(bounds.y - 1e-9);
    expect(rect.x + rect.w).toBeLessThanOrEqual(bounds.x + bounds.w + 1e-9);
    expect(rect.y + rect.h).toBeLessThanOrEqual(bounds.y + bounds.h + 1e-9);
  }
  let worstOverlap = 0;
  for (let i = 0; i < placed.length; i++) {
    for (let j = i + 1; j < placed.length; j++) worstOverlap = Math.max(worstOverlap, overlap(placed[i]!.rect, placed[j]!.rect));
  }
  expect(worstOverlap).toBeLessThan(eps + 1e-9);
  expect(Math.abs(placed.reduce((s, p) => s + area(p.rect), 0) - area(bounds))).toBeLessThan(eps + 1e-9);
}

/** A reproducible pseudo-random sequence (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('squarify', () => {
  it("lays out the paper's example (6 6 4 3 2 2 1 in 6×4) with every ratio under 3", () => {
    const bounds = { x: 0, y: 0, w: 6, h: 4 };
    const placed = squarify([6, 6, 4, 3, 2, 2, 1], (n) => n, bounds);
    expect(placed.map((p) => p.item)).toEqual([6, 6, 4, 3, 2, 2, 1]);
    expectTiling(placed, bounds);
    // The first row is the two 6s, stacked in a column 3 wide at the left.
    expect(placed[0]!.rect).toEqual({ x: 0, y: 0, w: 3, h: 2 });
    expect(placed[1]!.rect.x).toBe(0);
    expect(placed[1]!.rect.y).toBeCloseTo(2);
    for (const p of placed) expect(aspect(p.rect)).toBeLessThan(3);
  });

  it('tiles random sizes in odd bounds, keeping aspect ratios reasonable', () => {
    const rnd = random(42);
    for (let round = 0; round < 40; round++) {
      const n = 1 + Math.floor(rnd() * 80);
      // Sizes spread over three orders of magnitude, as files are.
      const sizes = Array.from({ length: n }, () => Math.ceil(10 ** (rnd() * 3)));
      const bounds = { x: rnd() * 50, y: rnd() * 50, w: 100 + rnd() * 900, h: 80 + rnd() * 600 };
      const placed = squarify(sizes, (s) => s, bounds);
      expect(placed).toHaveLength(n);
      expectTiling(placed, bounds);
      // Squarified layouts keep most rectangles near-square: the area-weighted mean ratio is low.
      const weighted = placed.reduce((s, p) => s + aspect(p.rect) * area(p.rect), 0) / area(bounds);
      expect(weighted).toBeLessThan(1.8);
    }
  });

  it('gives equal sizes in a square near-square cells', () => {
    const bounds = { x: 0, y: 0, w: 400, h: 400 };
    const placed = squarify(Array(16).fill(1), (s: number) => s, bounds);
    expectTiling(placed, bounds);
    for (const p of placed) expect(aspect(p.rect)).toBeLessThan(1.6);
  });

  it('leaves out empty and invalid sizes, and sorts largest first without changing the input', () => {
    const items = [{ s: 1 }, { s: 0 }, { s: 5 }, { s: -3 }, { s: Number.NaN }, { s: 2 }];
    const copy = [...items];
    const placed = squarify(items, (i) => i.s, { x: 0, y: 0, w: 10, h: 8 });
    expect(placed.map((p) => p.item.s)).toEqual([5, 2, 1]);
    expect(items).toEqual(copy);
    expect(squarify([], (n: number) => n, { x: 0, y: 0, w: 10, h: 10 })).toEqual([]);
  });

  it('puts one item on the whole bounds, and handles a bounds with no area', () => {
    expect(squarify([7], (n) => n, { x: 3, y: 4, w: 50, h: 20 })).toEqual([{ item: 7, rect: { x: 3, y: 4, w: 50, h: 20 } }]);
    const flat = squarify([1, 2], (n) => n, { x: 0, y: 0, w: 100, h: 0 });
    expect(flat.every((p) => p.rect.w * p.rect.h === 0)).toBe(true);
  });

  it('keeps a very small item inside the bounds next to a huge one', () => {
    const bounds = { x: 0, y: 0, w: 300, h: 200 };
    const placed = squarify([1e9, 1, 1], (n) => n, bounds);
    expectTiling(placed, bounds);
  });
});

describe('the nested size map layout', () => {
  const leaf = (name: string, size: number): SizeNode => ({ name, path: `/d/${name}`, size, files: 1, kind: 'file' });
  const root: SizeNode = {
    name: 'd',
    path: '/d',
    size: 1000,
    files: 4,
    kind: 'dir',
    children: [
      { name: 'big', path: '/d/big', size: 600, files: 3, kind: 'dir', children: [leaf('a', 300), leaf('b', 200), leaf('c', 100)] },
      leaf('x', 300),
      { name: '(2 smaller items)', path: '/d', size: 100, files: 2, kind: 'rest', count: 2 },
    ],
  };

  it('puts children inside their folder, under its title bar, and knows each top-level cell', () => {
    const cells = layoutMap(root, 400, 300, { header: 20, pad: 3, maxDepth: 3 });
    const big = cells.findIndex((c) => c.node.name === 'big');
    expect(cells[big]!.frame).toBe(true);
    expect(cells[big]!.children).toHaveLength(3);
    for (const i of cells[big]!.children) {
      const c = cells[i]!;
      expect(c.top).toBe(big);
      expect(c.depth).toBe(2);
      expect(c.x).toBeGreaterThanOrEqual(cells[big]!.x + 3 - 1e-9);
      expect(c.y).toBeGreaterThanOrEqual(cells[big]!.y + 20 - 1e-9);
      expect(c.x + c.w).toBeLessThanOrEqual(cells[big]!.x + cells[big]!.w - 3 + 1e-9);
      expect(c.y + c.h).toBeLessThanOrEqual(cells[big]!.y + cells[big]!.h - 3 + 1e-9);
    }
    const tops = cells.filter((c) => c.depth === 1);
    expect(tops.map((c) => c.node.name)).toEqual(['big', 'x', '(2 smaller items)']);
    expect(Math.abs(tops.reduce((s, c) => s + c.w * c.h, 0) - 400 * 300)).toBeLessThan(1e-6);
  });

  it('draws no deeper than asked, nor inside a folder too small for its title bar', () => {
    expect(layoutMap(root, 400, 300, { header: 20, pad: 3, maxDepth: 1 }).every((c) => c.depth === 1 && !c.frame)).toBe(true);
    expect(layoutMap(root, 60, 30, { header: 20, pad: 3, maxDepth: 3 }).every((c) => c.depth === 1)).toBe(true);
  });

  it('moves the keyboard cursor to the neighbour in the arrow’s direction', () => {
    const cells = layoutMap(root, 400, 300, { header: 20, pad: 3, maxDepth: 3 });
    const at = (name: string) => cells.findIndex((c) => c.node.name === name);
    // big fills the left, x and the rest are stacked on the right.
    expect(neighbour(cells, at('big'), 'ArrowRight')).toBe(at('x'));
    expect(neighbour(cells, at('x'), 'ArrowLeft')).toBe(at('big'));
    expect(neighbour(cells, at('x'), 'ArrowDown')).toBe(at('(2 smaller items)'));
    expect(neighbour(cells, at('(2 smaller items)'), 'ArrowUp')).toBe(at('x'));
    expect(neighbour(cells, at('big'), 'ArrowLeft')).toBeUndefined();
  });

  it('zooms into folders that hold something and into archives, not into files', () => {
    expect(zoomable(root.children![0]!)).toBe(true);
    expect(zoomable({ ...leaf('i', 5), kind: 'archive', archive: 'cpio+gzip' })).toBe(true);
    expect(zoomable({ name: 'cut', path: '/d/cut', size: 5, files: 9, kind: 'dir', more: true })).toBe(true);
    expect(zoomable({ name: 'empty', path: '/d/empty', size: 0, files: 0, kind: 'dir', children: [] })).toBe(false);
    expect(zoomable(leaf('f', 5))).toBe(false);
  });
});
