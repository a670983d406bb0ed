import { memo, useEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent, type MouseEvent } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { EntryView } from '../../../../shared/image';
import type { SizeMapResult, SizeNode } from '../../../../shared/size-map';
import { api } from '../../api/lab-api';
import { ancestors, baseName, parentPath, shape, useInspect } from '../../store/inspect-store';
import '../../styles/size-map.css';
import { ErrorNote, grouped, human, useViewport } from './common';
import { IndexProgressBar } from './IndexProgress';
import { fitText, layoutMap, neighbour, zoomable, type Cell } from './size-map-layout';

/** Levels asked of the core and drawn nested; zooming shows the rest. */
const DEPTH = 3;
type Colouring = 'kind' | 'top';

// Results by image and folder, so zooming back out is instant; the image does not change
// while it is open.
const cache = new Map<string, SizeMapResult>();
function remember(key: string, result: SizeMapResult): void {
  cache.delete(key);
  cache.set(key, result);
  if (cache.size > 24) cache.delete(cache.keys().next().value!);
}

/** The folder a selection stands in: itself for a folder or an archive, else where it lies. */
function mapRootOf(sel: EntryView | undefined): string {
  if (!sel) return '/';
  return sel.type === 'dir' || sel.archive ? sel.path : parentPath(sel.path);
}

/** 99.97 % reads ">99.9%", not "100%": a part is never all of it unless it is. */
function percent(part: number, whole: number): string {
  const p = (part / whole) * 100;
  if (p === 0 || p === 100) return `${p}%`;
  if (p < 0.1) return '<0.1%';
  if (p > 99.9) return '>99.9%';
  return `${p < 10 || p >= 99.5 ? p.toFixed(1) : p.toFixed(0)}%`;
}

const keyOf = (n: SizeNode) => (n.kind === 'rest' ? `rest:${n.path}` : n.path);

const KIND_WORDS: Record<SizeNode['kind'], string> = {
  dir: 'Folder',
  file: 'File',
  archive: 'Archive',
  symlink: 'Symbolic link',
  other: 'Device or special file',
  rest: 'Small items, merged',
};

interface Drawing {
  cells: Cell[];
  fontSize: number;
  font: string;
  header: number;
}

/** One cell and, nested in it, what it holds (so hovering a folder's child is hovering the folder). */
const CellView = memo(function CellView({ d, i }: { d: Drawing; i: number }) {
  const c = d.cells[i]!;
  const n = c.node;
  const line = d.fontSize * 1.25;
  let title = '';
  let sub = '';
  if (c.frame) {
    title = fitText(`${n.name}  ${human(n.size)}`, c.w - 8, d.font, d.fontSize);
    if (!title) title = fitText(n.name, c.w - 8, d.font, d.fontSize);
  } else if (c.h >= line + 4) {
    title = fitText(n.name, c.w - 8, d.font, d.fontSize);
    if (title && c.h >= 2 * line + 6) sub = fitText(human(n.size), c.w - 8, d.font, d.fontSize);
  }
  const style = c.depth === 1 ? ({ '--hue': String((c.top * 137.5 + 210) % 360) } as CSSProperties) : undefined;
  return (
    <g className={`sm-cell k-${n.kind} d${Math.min(c.depth, 3)}${c.frame ? ' frame' : ''}`} data-idx={i} data-path={n.kind === 'rest' ? undefined : n.path} data-kind={n.kind} style={style}>
      <rect x={c.x} y={c.y} width={c.w} height={c.h} />
      {title && (
        <text x={c.x + 4} y={c.frame ? c.y + d.header * 0.74 : c.y + line * 0.95}>
          {title}
        </text>
      )}
      {sub && (
        <text className="sm-sub" x={c.x + 4} y={c.y + line * 1.95}>
          {sub}
        </text>
      )}
      {c.children.map((j) => (
        <CellView key={keyOf(d.cells[j]!.node)} d={d} i={j} />
      ))}
    </g>
  );
});

function Tip({ cell, cells, root, x, y, width, height }: { cell: Cell; cells: Cell[]; root: SizeNode; x: number; y: number; width: number; height: number }) {
  const n = cell.node;
  const parent = cell.parent >= 0 ? cells[cell.parent]!.node : root;
  const style: CSSProperties = {
    left: x < width * 0.6 ? x + 14 : undefined,
    right: x < width * 0.6 ? undefined : width - x + 14,
    top: y < height * 0.6 ? y + 14 : undefined,
    bottom: y < height * 0.6 ? undefined : height - y + 14,
  };
  const what =
    n.kind === 'archive'
      ? `Archive (${n.archive ?? '?'}): opens as a folder`
      : n.kind === 'rest'
        ? `${grouped(n.count ?? 0)} items too small to draw`
        : n.kind === 'dir'
          ? `Folder, ${grouped(n.files)} ${n.files === 1 ? 'file' : 'files'} below`
          : KIND_WORDS[n.kind];
  return (
    <div className="sm-tip" role="tooltip" data-testid="size-map-tip" style={style}>
      <div className="sm-tip-path">
        <code>{n.kind === 'rest' ? `${n.name} in ${n.path}` : n.path}</code>
      </div>
      <div>
        <strong data-testid="size-map-tip-size">{human(n.size)}</strong> <span className="muted">({grouped(n.size)} bytes)</span>
      </div>
      <div className="muted">
        {parent.size > 0 ? `${percent(n.size, parent.size)} of ${parent.name}` : `in ${parent.name}`} · {what}
      </div>
    </div>
  );
}

/**
 * The right pane as a treemap of the folder the selection stands in (the image root when
 * nothing is selected): each rectangle's area is what a file or folder takes. Zooming moves
 * the selection, so the tree and the breadcrumb follow, and Esc shows that folder's details.
 */
export function SizeMap({ onClose }: { onClose: () => void }) {
  const image = useInspect((s) => s.image)!;
  const sel = useInspect((s) => s.selectedEntry);
  const root = mapRootOf(sel);
  const node = useInspect((s) => s.nodes.get(root));
  useInspect((s) => s.rev);
  const { expand, cancelIndex, retry, revealPath, select } = useInspect.getState();

  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLDivElement>(null);
  const box = useViewport(canvas);
  const [colouring, setColouring] = useState<Colouring>('kind');
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<{ key: string; result?: SizeMapResult; error?: LabErrorShape }>();
  const [tip, setTip] = useState<{ index: number; x: number; y: number }>();
  const [cursorKey, setCursorKey] = useState<string>();
  const [focused, setFocused] = useState(false);
  const last = useRef<SizeMapResult | undefined>(undefined);

  // An archive is opened (indexed, with progress in the tree and here) before it can be summed.
  const entry = node?.entry ?? (sel?.path === root ? sel : undefined);
  const needsOpen = !!entry?.archive && !!node && !node.children && !node.indexed;
  const started = useRef(new Set<string>());
  useEffect(() => {
    if (!needsOpen || !node || node.index || node.error || started.current.has(root)) return;
    started.current.add(root);
    void expand(root);
  }, [needsOpen, node, root, expand]);

  const key = `${image.file}\0${root}`;
  useEffect(() => {
    if (needsOpen) return;
    const known = cache.get(key);
    if (known) {
      setState({ key, result: known });
      return;
    }
    let alive = true;
    setState({ key });
    api.request('image.sizeMap', { file: image.file, path: root, depth: DEPTH }).then(
      (result) => {
        remember(key, result);
        if (alive) setState({ key, result });
      },
      (err) => alive && setState({ key, error: shape(err) }),
    );
    return () => {
      alive = false;
    };
  }, [key, needsOpen, image.file, root, attempt]);

  const current = state?.key === key ? state : undefined;
  if (current?.result) last.current = current.result;
  const result = current?.result ?? last.current;
  const busy = !current?.result && !current?.error;

  const drawing = useMemo<Drawing | undefined>(() => {
    if (!result || box.width < 8 || box.height < 8) return undefined;
    const fontSize = Math.round(box.fontSize * 0.86);
    const family = canvas.current ? getComputedStyle(canvas.current).fontFamily : 'sans-serif';
    const header = Math.round(fontSize * 1.45);
    return {
      cells: layoutMap(result.root, box.width, box.height, { header, pad: 3, maxDepth: DEPTH }),
      fontSize,
      font: `${fontSize}px ${family}`,
      header,
    };
  }, [result, box]);
  const cells = drawing?.cells ?? [];
  const tops = useMemo(() => cells.map((c, i) => (c.depth === 1 ? i : -1)).filter((i) => i >= 0), [cells]);

  // The keyboard cursor: a top-level cell, kept by path across zooms and resizes.
  let cursor = tops.find((i) => keyOf(cells[i]!.node) === cursorKey);
  if (cursor === undefined && sel) {
    cursor = tops.find((i) => {
      const n = cells[i]!.node;
      return n.kind !== 'rest' && (sel.path === n.path || sel.path.startsWith(n.path + '/'));
    });
  }
  cursor ??= tops[0];
  useEffect(() => setTip(undefined), [drawing]);
  // Keyboard users come here from the toggle: the map takes the focus when it opens.
  useEffect(() => wrap.current?.focus(), []);

  const zoom = (path: string) => {
    if (path === '/') select(undefined);
    else void revealPath(path);
  };
  const zoomOut = () => {
    if (root === '/') return;
    setCursorKey(root);
    zoom(parentPath(root));
  };
  /** Zooms into the top-level cell, or puts the cursor on it when it is not a folder. */
  const activate = (i: number, fromKeyboard: boolean) => {
    const top = cells[cells[i]!.top]!;
    setCursorKey(keyOf(top.node));
    if (zoomable(top.node)) zoom(top.node.path);
    else if (fromKeyboard && top.node.kind !== 'rest') {
      void revealPath(top.node.path).then((ok) => ok && onClose());
    }
  };

  const cellAt = (target: EventTarget): number | undefined => {
    const g = (target as Element).closest?.('[data-idx]');
    return g ? Number(g.getAttribute('data-idx')) : undefined;
  };
  const onMove = (e: MouseEvent) => {
    const i = cellAt(e.target);
    const r = canvas.current?.getBoundingClientRect();
    if (i === undefined || !r) return setTip(undefined);
    setTip({ index: i, x: e.clientX - r.left, y: e.clientY - r.top });
  };
  const onClick = (e: MouseEvent) => {
    const i = cellAt(e.target);
    if (i !== undefined) activate(i, false);
  };
  const onKey = (e: KeyboardEvent) => {
    switch (e.key) {
      case 'ArrowLeft':
      case 'ArrowRight':
      case 'ArrowUp':
      case 'ArrowDown': {
        const next = cursor === undefined ? tops[0] : neighbour(cells, cursor, e.key);
        if (next !== undefined) setCursorKey(keyOf(cells[next]!.node));
        setTip(undefined);
        break;
      }
      case 'Home':
      case 'End':
        if (tops.length) setCursorKey(keyOf(cells[e.key === 'Home' ? tops[0]! : tops[tops.length - 1]!]!.node));
        break;
      case 'Enter':
        if (cursor !== undefined) activate(cursor, true);
        break;
      case 'Backspace':
        zoomOut();
        break;
      case 'Escape':
        onClose();
        // The focus would be lost with the map: it goes back to the switch that opened it.
        requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="size-map-toggle"]')?.focus());
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const svg = useMemo(
    () =>
      drawing && (
        <>
          <defs>
            <pattern id="sm-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
              <rect width="6" height="6" className="sm-hatch-bg" />
              <line x1="0" y1="0" x2="0" y2="6" className="sm-hatch-line" />
            </pattern>
          </defs>
          {drawing.cells.map((c, i) => (c.depth === 1 ? <CellView key={keyOf(c.node)} d={drawing} i={i} /> : null))}
        </>
      ),
    [drawing],
  );

  const rootName = root === '/' ? image.info.name : baseName(root);
  const crumbs = [...(root === '/' ? [] : ancestors(root)), root];
  const cursorCell = cursor !== undefined ? cells[cursor] : undefined;
  const hovered = tip ? cells[tip.index] : undefined;
  const described = hovered ?? cursorCell;
  const shownTip = hovered ? tip : focused && cursorCell ? { index: cursor!, x: cursorCell.x + Math.min(cursorCell.w / 2, 40), y: cursorCell.y + Math.min(cursorCell.h / 2, 30) } : undefined;
  const rootSize = result?.root.size ?? 0;

  let body;
  if (needsOpen && node?.index) {
    body = <IndexProgressBar progress={node.index} name={root.slice(1)} onCancel={() => cancelIndex(root)} />;
  } else if (needsOpen && node?.error) {
    body = <ErrorNote error={node.error} onRetry={() => retry(root)} />;
  } else if (needsOpen) {
    body = (
      <p className="muted">
        {rootName} is an archive: its size map needs it opened.{' '}
        <button type="button" className="link-btn" onClick={() => void expand(root)}>
          Open it
        </button>
      </p>
    );
  } else if (current?.error) {
    body = <ErrorNote error={current.error} onRetry={() => setAttempt((n) => n + 1)} testId="size-map-error" />;
  } else if (!result) {
    body = (
      <p className="muted" aria-busy="true">
        Adding up the sizes in {rootName}…
      </p>
    );
  } else if (rootSize === 0) {
    body = (
      <p className="muted" data-testid="size-map-empty">
        Nothing in {rootName} takes any room: {grouped(result.root.files)} {result.root.files === 1 ? 'entry' : 'entries'}, 0 bytes.
      </p>
    );
  }

  return (
    <section className="details-pane size-map" data-testid="size-map" data-root={root} aria-label={`Size map of ${rootName}`}>
      <header className="sm-bar">
        <button type="button" className="btn btn-small" onClick={zoomOut} disabled={root === '/'} title="Zoom out to the folder above (Backspace)" data-testid="size-map-up" aria-keyshortcuts="Backspace">
          ↑ Up
        </button>
        <nav className="sm-crumbs" aria-label="Size map location">
          {crumbs.map((p, i) => {
            const label = p === '/' ? image.info.name : baseName(p);
            const archive = !!useInspect.getState().nodes.get(p)?.entry.archive;
            return (
              <span key={p}>
                {i > 0 && <span className="crumb-sep"> › </span>}
                {p === root ? (
                  <strong className={archive ? 'crumb-archive' : undefined} aria-current="location">
                    {label}
                  </strong>
                ) : (
                  <button type="button" className={`link-btn${archive ? ' crumb-archive' : ''}`} onClick={() => zoom(p)}>
                    {label}
                  </button>
                )}
              </span>
            );
          })}
        </nav>
        <span className="sm-modes" role="group" aria-label="Colour by">
          <button type="button" className="btn btn-small" aria-pressed={colouring === 'kind'} onClick={() => setColouring('kind')}>
            By kind
          </button>
          <button type="button" className="btn btn-small" aria-pressed={colouring === 'top'} onClick={() => setColouring('top')}>
            By folder
          </button>
        </span>
        <button type="button" className="btn btn-small" onClick={onClose} title="Back to the details (Esc)" aria-keyshortcuts="Escape" data-testid="size-map-close">
          Details
        </button>
      </header>
      <div
        ref={wrap}
        className={`sm-stage${busy ? ' busy' : ''}`}
        tabIndex={0}
        role="group"
        aria-roledescription="size map"
        aria-label={`Size map of ${rootName}`}
        aria-describedby="size-map-status"
        aria-busy={busy}
        data-testid="size-map-stage"
        onKeyDown={onKey}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
      >
        {body ? (
          <div className="sm-message">{body}</div>
        ) : null}
        <div ref={canvas} className="sm-canvas" hidden={!!body} onMouseLeave={() => setTip(undefined)}>
          {drawing && !body && (
            <svg className={`sm-svg sm-by-${colouring}`} width={box.width} height={box.height} style={{ fontSize: drawing.fontSize }} onMouseMove={onMove} onClick={onClick} aria-hidden="true">
              {svg}
              {cursorCell && focused && <rect className="sm-cursor" x={cursorCell.x + 1} y={cursorCell.y + 1} width={Math.max(0, cursorCell.w - 2)} height={Math.max(0, cursorCell.h - 2)} />}
              {hovered && <rect className="sm-hover" x={hovered.x + 0.5} y={hovered.y + 0.5} width={Math.max(0, hovered.w - 1)} height={Math.max(0, hovered.h - 1)} />}
            </svg>
          )}
          {shownTip && result && !body && cells[shownTip.index] && <Tip cell={cells[shownTip.index]!} cells={cells} root={result.root} x={shownTip.x} y={shownTip.y} width={box.width} height={box.height} />}
        </div>
      </div>
      <footer className="sm-foot small">
        <span id="size-map-status" className="sm-status" aria-live="polite" data-testid="size-map-status">
          {described && result
            ? `${described.node.kind === 'rest' ? described.node.name : described.node.path}: ${human(described.node.size)}${
                rootSize > 0 ? `, ${percent(described.node.size, rootSize)} of ${rootName}` : ''
              }`
            : ''}
        </span>
        {result && (
          <span className="muted sm-total" data-testid="size-map-total">
            {rootName}: {human(rootSize)} in {grouped(result.root.files)} {result.root.files === 1 ? 'file' : 'files'}
          </span>
        )}
        <span className="sm-foot-break" />
        {colouring === 'kind' && (
          <span className="sm-legend" aria-hidden="true">
            {(['dir', 'file', 'archive', 'symlink', 'rest'] as const).map((k) => (
              <span key={k} className={`sm-swatch k-${k}`}>
                {k === 'dir' ? 'Folder' : k === 'rest' ? 'Merged' : KIND_WORDS[k]}
              </span>
            ))}
          </span>
        )}
        <span className="muted sm-keys">Click or Enter zooms in · Backspace out · Esc details</span>
      </footer>
    </section>
  );
}
