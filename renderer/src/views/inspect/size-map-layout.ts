import type { SizeNode } from '../../../../shared/size-map';
import { squarify, type Rect } from './squarify';

/** One rectangle of the size map, nested the way the folders are. */
export interface Cell extends Rect {
  node: SizeNode;
  /** 1 for a child of the map's root. */
  depth: number;
  /** Index of the enclosing cell; -1 at the top level. */
  parent: number;
  /** Index of the top-level cell this one lies in (itself at the top level). */
  top: number;
  children: number[];
  /** Drawn as a frame with a title bar, its children inside. */
  frame: boolean;
}

export interface LayoutOptions {
  /** Height of a folder's title bar. */
  header: number;
  /** Space between a frame and what it holds. */
  pad: number;
  /** Levels drawn at most (the rest is what zooming is for). */
  maxDepth: number;
}

/** Cells in drawing order, parents before children; nothing smaller than a pixel. */
export function layoutMap(root: SizeNode, width: number, height: number, opts: LayoutOptions): Cell[] {
  const cells: Cell[] = [];
  const place = (nodes: SizeNode[], bounds: Rect, depth: number, parent: number) => {
    for (const { item, rect } of squarify(nodes, (n) => n.size, bounds)) {
      if (rect.w < 1 || rect.h < 1) continue;
      const index = cells.length;
      const cell: Cell = { ...rect, node: item, depth, parent, top: parent < 0 ? index : cells[parent]!.top, children: [], frame: false };
      cells.push(cell);
      if (parent >= 0) cells[parent]!.children.push(index);
      const inner = { x: rect.x + opts.pad, y: rect.y + opts.header, w: rect.w - 2 * opts.pad, h: rect.h - opts.header - opts.pad };
      if (item.children?.length && depth < opts.maxDepth && inner.w >= 12 && inner.h >= 12) {
        cell.frame = true;
        place(item.children, inner, depth + 1, index);
      }
    }
  };
  place(root.children ?? [], { x: 0, y: 0, w: width, h: height }, 1, -1);
  return cells;
}

/** Whether clicking (or Enter on) a node zooms into it. */
export function zoomable(node: SizeNode): boolean {
  return node.kind === 'archive' || (node.kind === 'dir' && (!!node.children?.length || !!node.more));
}

/** The top-level cell nearest to `from` in the direction of an arrow key, if any. */
export function neighbour(cells: Cell[], from: number, key: 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown'): number | undefined {
  const a = cells[from];
  if (!a) return undefined;
  const cx = a.x + a.w / 2;
  const cy = a.y + a.h / 2;
  let best: number | undefined;
  let bestScore = Infinity;
  cells.forEach((b, i) => {
    if (i === from || b.depth !== 1) return;
    const dx = b.x + b.w / 2 - cx;
    const dy = b.y + b.h / 2 - cy;
    // Along the arrow it must move forward; across it, drifting costs more than distance.
    const [along, across] = key === 'ArrowRight' ? [dx, dy] : key === 'ArrowLeft' ? [-dx, dy] : key === 'ArrowDown' ? [dy, dx] : [-dy, dx];
    // Cells that overlap in the other axis are reached first (a neighbour in the row).
    const sideways = key === 'ArrowLeft' || key === 'ArrowRight' ? b.y < a.y + a.h && b.y + b.h > a.y : b.x < a.x + a.w && b.x + b.w > a.x;
    if (along <= 0.5) return;
    const score = along + Math.abs(across) * (sideways ? 0.5 : 3);
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}

let measure: CanvasRenderingContext2D | null | undefined;

/** `text` cut with an ellipsis to fit `width` at `font`; '' when not even three letters fit. */
export function fitText(text: string, width: number, font: string, fontSize: number): string {
  measure ??= typeof document !== 'undefined' ? document.createElement('canvas').getContext('2d') : null;
  const widthOf = (s: string) => {
    if (!measure) return s.length * fontSize * 0.6;
    measure.font = font;
    return measure.measureText(s).width;
  };
  if (width <= 0) return '';
  if (widthOf(text) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (widthOf(text.slice(0, mid) + '…') <= width) lo = mid;
    else hi = mid - 1;
  }
  return lo >= 3 ? text.slice(0, lo) + '…' : '';
}
