/**
 * Squarified treemap layout (Bruls, Huizing and van Wijk, 2000): items, largest first, fill
 * rows along the shorter side of what is left, and a row takes one more item only while that
 * keeps its worst aspect ratio from getting worse. Rectangles get areas proportional to the
 * sizes and tile `bounds` exactly.
 */

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Placed<T> {
  item: T;
  rect: Rect;
}

/** The worst aspect ratio of a row of areas summing to `sum`, laid along a side of `side`. */
function worst(sum: number, min: number, max: number, side: number): number {
  const s2 = side * side;
  const sum2 = sum * sum;
  return Math.max((s2 * max) / sum2, sum2 / (s2 * min));
}

/** Items of size 0 or less (or not finite) are left out: they would have no area. */
export function squarify<T>(items: readonly T[], sizeOf: (item: T) => number, bounds: Rect): Placed<T>[] {
  const list = items
    .map((item) => ({ item, size: sizeOf(item) }))
    .filter((e) => e.size > 0 && Number.isFinite(e.size))
    .sort((a, b) => b.size - a.size);
  const out: Placed<T>[] = [];
  if (list.length === 0) return out;
  let { x, y, w, h } = bounds;
  w = Math.max(0, w);
  h = Math.max(0, h);
  if (w === 0 || h === 0) {
    for (const e of list) out.push({ item: e.item, rect: { x, y, w: 0, h: 0 } });
    return out;
  }
  let remaining = list.reduce((s, e) => s + e.size, 0);
  let i = 0;
  while (i < list.length) {
    // Areas in the space that is left, so rounding never piles up at the end.
    const scale = (w * h) / remaining;
    const side = Math.min(w, h);
    const first = list[i]!.size * scale;
    let sum = first;
    let min = first;
    let max = first;
    let ratio = worst(sum, min, max, side);
    let j = i + 1;
    for (; j < list.length; j++) {
      const a = list[j]!.size * scale;
      const next = worst(sum + a, Math.min(min, a), Math.max(max, a), side);
      if (next > ratio) break;
      sum += a;
      min = Math.min(min, a);
      max = Math.max(max, a);
      ratio = next;
    }
    const last = j === list.length;
    if (w >= h) {
      // A column at the left, as wide as its area needs (the last one takes all that is left).
      const thick = last ? w : Math.min(w, sum / h);
      let at = y;
      for (let k = i; k < j; k++) {
        const len = k === j - 1 ? y + h - at : (list[k]!.size * scale) / thick;
        out.push({ item: list[k]!.item, rect: { x, y: at, w: thick, h: len } });
        at += len;
      }
      x += thick;
      w -= thick;
    } else {
      const thick = last ? h : Math.min(h, sum / w);
      let at = x;
      for (let k = i; k < j; k++) {
        const len = k === j - 1 ? x + w - at : (list[k]!.size * scale) / thick;
        out.push({ item: list[k]!.item, rect: { x: at, y, w: len, h: thick } });
        at += len;
      }
      y += thick;
      h -= thick;
    }
    for (let k = i; k < j; k++) remaining -= list[k]!.size;
    i = j;
    if (w <= 0 || h <= 0) {
      // Only rounding can leave items here; they get no room rather than overlap.
      for (; i < list.length; i++) out.push({ item: list[i]!.item, rect: { x, y, w: 0, h: 0 } });
    }
  }
  return out;
}
