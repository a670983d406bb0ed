import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactElement } from 'react';
import type { EntryView } from '../../../../shared/image';
import { editedEntry, type EditMark } from '../../store/edit-overlay';
import { dropFolder, useEdit } from '../../store/edit-store';
import { isExpandable, parentPath, useInspect, visibleRows, type Row, type TreeNode } from '../../store/inspect-store';
import { ErrorNote, human, Icon, iconFor, scrollTopFor, useViewport, virtualWindow } from './common';
import { askEdit } from './edit/EditDialogs';
import { openEntryMenu } from './edit/EntryMenu';
import { IndexProgressBar } from './IndexProgress';

const MARK_WORDS: Record<EditMark, string> = { added: 'new', changed: 'changed', renamed: 'renamed' };

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

const ids = new Map<string, number>();
function rowId(path: string): string {
  let n = ids.get(path);
  if (n === undefined) {
    n = ids.size + 1;
    ids.set(path, n);
  }
  return `treeitem-${n}`;
}

function isPrintable(e: KeyboardEvent): boolean {
  return e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey;
}

const TreeRow = memo(function TreeRow(props: {
  row: Extract<Row, { kind: 'entry' }>;
  entry: EntryView;
  expanded: boolean;
  selected: boolean;
  height: number;
  indent: number;
  onSelect: (path: string) => void;
  onToggle: (path: string) => void;
  onOpen: (path: string) => void;
  /** Edit mode: what the edit did to it, and the handlers of its menu and of drops. */
  mark?: EditMark;
  dropHere?: boolean;
  edit?: { onMenu: (path: string, x: number, y: number) => void; onDragOver: (path: string) => void; onDrop: (path: string, files: File[]) => void };
}) {
  const { row, entry: e, expanded, edit } = props;
  const expandable = isExpandable(e);
  return (
    <div
      role="treeitem"
      id={rowId(row.path)}
      aria-level={row.depth}
      aria-expanded={expandable ? expanded : undefined}
      aria-selected={props.selected}
      aria-setsize={row.setSize}
      aria-posinset={row.posInSet}
      data-path={row.path}
      data-mark={props.mark}
      className={`tree-row${props.selected ? ' selected' : ''}${e.archive ? ' is-archive' : ''}${props.mark ? ` edit-${props.mark}` : ''}${props.dropHere ? ' drop-here' : ''}`}
      style={{ height: props.height, paddingLeft: 6 + (row.depth - 1) * props.indent }}
      onMouseDown={(ev) => ev.detail > 1 && ev.preventDefault()}
      onClick={() => props.onSelect(row.path)}
      onDoubleClick={() => (expandable ? props.onToggle(row.path) : props.onOpen(row.path))}
      onContextMenu={
        edit
          ? (ev) => {
              ev.preventDefault();
              props.onSelect(row.path);
              edit.onMenu(row.path, ev.clientX, ev.clientY);
            }
          : undefined
      }
      // A file dropped here goes into this folder (or the folder of this file); the window's own
      // drop (open an image) must not see it.
      onDragOver={
        edit
          ? (ev) => {
              if (!hasFiles(ev.nativeEvent)) return;
              ev.preventDefault();
              ev.stopPropagation();
              ev.dataTransfer.dropEffect = 'copy';
              edit.onDragOver(row.path);
            }
          : undefined
      }
      onDrop={
        edit
          ? (ev) => {
              if (!hasFiles(ev.nativeEvent)) return;
              ev.preventDefault();
              ev.stopPropagation();
              edit.onDrop(row.path, Array.from(ev.dataTransfer.files));
            }
          : undefined
      }
    >
      <span
        className={`tree-twisty${expandable ? '' : ' none'}`}
        aria-hidden="true"
        onClick={(ev) => {
          if (!expandable) return;
          ev.stopPropagation();
          props.onSelect(row.path);
          props.onToggle(row.path);
        }}
      >
        {expandable ? (expanded ? '▾' : '▸') : ''}
      </span>
      <Icon kind={iconFor(e, expanded)} />
      <span className="tree-name">{e.name}</span>
      {e.type === 'symlink' && <span className="tree-target">→ {e.target ?? '?'}</span>}
      {e.archive && <span className="ins-tag ins-tag-archive">{e.archive}</span>}
      {e.linkOf && <span className="ins-tag" title={`Hard link: same data as ${e.linkOf}`}>link</span>}
      {props.mark && <span className={`ins-tag edit-tag edit-tag-${props.mark}`}>{MARK_WORDS[props.mark]}</span>}
      <span className="tree-size">{e.type === 'file' ? human(e.size) : e.rdev ? `${e.rdev.major},${e.rdev.minor}` : ''}</span>
    </div>
  );
});

function StatusRow({ row, node, height, indent }: { row: Extract<Row, { kind: 'status' }>; node: TreeNode; height: number; indent: number }) {
  const { cancelIndex, retry } = useInspect.getState();
  const name = row.path === '/' ? node.entry.name : row.path.slice(1);
  const style = { height, paddingLeft: 6 + (row.depth - 1) * indent + 18 };
  if (node.index) {
    if (row.line === 1) return null; // The progress block spans both lines.
    return (
      <div className="tree-status tree-status-progress" style={{ ...style, height: height * 2 }} data-status-for={row.path}>
        <IndexProgressBar progress={node.index} name={name} onCancel={() => cancelIndex(row.path)} compact />
      </div>
    );
  }
  if (node.error) {
    if (row.line === 1) return null;
    return (
      <div className="tree-status tree-status-error" style={{ ...style, height: height * 2 }} data-status-for={row.path}>
        <ErrorNote error={node.error} onRetry={() => retry(row.path)} compact testId="tree-error" />
      </div>
    );
  }
  return (
    <div className="tree-status muted" style={style} aria-busy="true">
      Loading…
    </div>
  );
}

function ResultRow({ e, active, height, onClick, onOpen }: { e: EntryView; active: boolean; height: number; onClick: () => void; onOpen: () => void }) {
  const parent = parentPath(e.path);
  return (
    <div
      role="option"
      id={`find-${rowId(e.path)}`}
      aria-selected={active}
      data-path={e.path}
      className={`tree-row find-row${active ? ' selected' : ''}`}
      style={{ height }}
      onClick={onClick}
      onDoubleClick={onOpen}
    >
      <Icon kind={iconFor(e)} />
      <span className="tree-name">{e.name}</span>
      {e.type === 'symlink' && <span className="tree-target">→ {e.target ?? '?'}</span>}
      <span className="find-path muted" title={e.path}>
        {parent === '/' ? '/' : parent + '/'}
      </span>
    </div>
  );
}

/**
 * The left pane: the image as a lazy, virtualized tree (only the visible rows are in the
 * page; folders are listed when first expanded, archives indexed with progress), or, while a
 * filter is typed, a flat list of what `image.find` found.
 */
export function TreePane() {
  const image = useInspect((s) => s.image)!;
  const nodes = useInspect((s) => s.nodes);
  const expanded = useInspect((s) => s.expanded);
  const rev = useInspect((s) => s.rev);
  const selected = useInspect((s) => s.selected);
  const reveal = useInspect((s) => s.reveal);
  const revealError = useInspect((s) => s.revealError);
  const sort = useInspect((s) => s.sort);
  const find = useInspect((s) => s.find);
  const { select, toggle, expand, collapse, setSort, setQuery, revealPath, followLink, requestViewerFocus } = useInspect.getState();
  const editing = useEdit((s) => s.on && !!s.state);
  const overlay = useEdit((s) => (s.on ? s.overlay : undefined));
  const dropAt = useEdit((s) => s.dropTarget);
  const setDropAt = useEdit.getState().setDropTarget;
  // A click on an entry shows its details, also when it was selected already under Changes or Boot settings.
  const pick = useCallback((path: string) => {
    select(path);
    if (useEdit.getState().panel !== 'details') useEdit.getState().setPanel('details');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const ref = useRef<HTMLDivElement>(null);
  const filterRef = useRef<HTMLInputElement>(null);
  const { height, fontSize } = useViewport(ref);
  const rowH = Math.round(fontSize * 1.85);
  const indent = Math.round(fontSize * 1.15);
  const [scrollTop, setScrollTop] = useState(0);
  const [resultIndex, setResultIndex] = useState(-1);
  const searching = find.query !== '';

  // eslint-disable-next-line react-hooks/exhaustive-deps
  const rows = useMemo(() => visibleRows(nodes, expanded, overlay, sort), [nodes, expanded, rev, overlay, sort]);
  /** The entry as the tree shows it: as the edit has it in Edit mode. */
  const entryOf = (path: string) => {
    const n = nodes.get(path);
    return overlay ? editedEntry(overlay, path, (p) => nodes.get(p)?.entry) : n?.entry;
  };
  const editHandlers = useMemo(
    () =>
      editing
        ? {
            onMenu: (path: string, x: number, y: number) => {
              const e = entryOf(path);
              if (e) openEntryMenu(e, x, y, ref.current);
            },
            onDragOver: (path: string) => setDropAt(dropFolder(nodes.get(path), path)),
            onDrop: (path: string, files: File[]) => {
              setDropAt(undefined);
              if (files.length) useEdit.getState().drop(dropFolder(nodes.get(path), path), files);
            },
          }
        : undefined,
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [editing, nodes, overlay],
  );
  const selIndex = useMemo(() => (selected ? rows.findIndex((r) => r.kind === 'entry' && r.path === selected) : -1), [rows, selected]);
  const count = searching ? find.results.length : rows.length;
  const win = virtualWindow(count, rowH, scrollTop, height);
  const pageRows = Math.max(1, Math.floor(height / rowH) - 1);

  useEffect(() => setResultIndex(-1), [find.query]);
  // Results start at their top; leaving them puts the tree back where it was (a reveal,
  // below, may then move it). Layout effects run in order, so this one goes first.
  const treeScroll = useRef(0);
  const wasSearching = useRef(searching);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || wasSearching.current === searching) return;
    wasSearching.current = searching;
    if (searching) treeScroll.current = scrollTop;
    el.scrollTop = searching ? 0 : treeScroll.current;
    setScrollTop(el.scrollTop);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [searching]);
  useLayoutEffect(() => {
    if (ref.current) ref.current.scrollTop = 0;
    setScrollTop(0);
  }, [image.file]);

  const scrollToIndex = (index: number, center = false) => {
    const el = ref.current;
    if (!el || index < 0) return;
    const y = scrollTopFor(count, rowH, height, index);
    if (center) el.scrollTop = Math.max(0, y - height / 2 + rowH);
    else if (y < el.scrollTop) el.scrollTop = y;
    else if (y + rowH > el.scrollTop + height) el.scrollTop = y + rowH - height;
  };

  // Keep the selection in view when it moves (keys, reveal); a reveal centres it.
  const lastReveal = useRef(0);
  useLayoutEffect(() => {
    if (searching) return;
    const center = !!reveal && reveal.n !== lastReveal.current && reveal.path === selected;
    if (reveal) lastReveal.current = reveal.n;
    scrollToIndex(selIndex, center);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selIndex, reveal?.n, searching]);
  useLayoutEffect(() => {
    if (searching) scrollToIndex(resultIndex);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [resultIndex]);

  const entryAt = (i: number): Extract<Row, { kind: 'entry' }> | undefined => {
    const r = rows[i];
    return r && r.kind === 'entry' ? r : undefined;
  };
  /** The nearest entry row from `i`, looking in direction `dir` first. */
  const entryNear = (i: number, dir: 1 | -1): number => {
    const clamp = Math.max(0, Math.min(rows.length - 1, i));
    for (let j = clamp; j >= 0 && j < rows.length; j += dir) if (rows[j]!.kind === 'entry') return j;
    for (let j = clamp; j >= 0 && j < rows.length; j -= dir) if (rows[j]!.kind === 'entry') return j;
    return -1;
  };
  const selectRow = (i: number) => {
    const r = entryAt(i);
    if (r) select(r.path);
  };
  const open = (path: string) => {
    const n = nodes.get(path);
    if (!n) return;
    if (isExpandable(n.entry)) toggle(path);
    else if (n.entry.type === 'symlink') void followLink(path);
    else requestViewerFocus();
  };

  const typeKeys = (e: KeyboardEvent): boolean => {
    if (e.key === 'Escape' && searching) {
      setQuery('');
      return true;
    }
    if (e.key === 'Backspace' && searching) {
      setQuery(find.query.slice(0, -1));
      return true;
    }
    if (isPrintable(e) && (e.key !== ' ' || searching)) {
      setQuery(find.query + e.key);
      return true;
    }
    return false;
  };

  const onTreeKey = (e: KeyboardEvent) => {
    if (typeKeys(e)) {
      e.preventDefault();
      return;
    }
    const cur = selIndex;
    const r = entryAt(cur);
    const n = r ? nodes.get(r.path) : undefined;
    switch (e.key) {
      case 'ArrowDown':
        selectRow(cur < 0 ? entryNear(0, 1) : entryNear(cur + 1, 1));
        break;
      case 'ArrowUp':
        selectRow(cur < 0 ? entryNear(0, 1) : entryNear(cur - 1, -1));
        break;
      case 'Home':
        selectRow(entryNear(0, 1));
        break;
      case 'End':
        selectRow(entryNear(rows.length - 1, -1));
        break;
      case 'PageDown':
        selectRow(entryNear((cur < 0 ? 0 : cur) + pageRows, 1));
        break;
      case 'PageUp':
        selectRow(entryNear((cur < 0 ? 0 : cur) - pageRows, -1));
        break;
      case 'ArrowRight':
        if (!r || !n) selectRow(entryNear(0, 1));
        else if (isExpandable(n.entry) && !expanded.has(r.path)) void expand(r.path);
        else if (isExpandable(n.entry)) {
          const next = entryAt(entryNear(cur + 1, 1));
          if (next && next.depth > r.depth) select(next.path);
        }
        break;
      case 'ArrowLeft':
        if (!r || !n) break;
        if (isExpandable(n.entry) && expanded.has(r.path)) collapse(r.path);
        else if (r.depth > 1) select(parentPath(r.path));
        break;
      case 'Enter':
        if (r) open(r.path);
        break;
      case 'Delete':
      case 'F2':
      case 'ContextMenu':
        if (!editing || !r) return;
        {
          const entry = entryOf(r.path);
          if (!entry) return;
          if (e.key === 'ContextMenu') {
            const box = document.getElementById(rowId(r.path))?.getBoundingClientRect();
            openEntryMenu(entry, (box?.left ?? 0) + 40, box?.bottom ?? 0, ref.current);
          } else if (entry.path !== '/') askEdit(e.key === 'Delete' ? 'delete' : 'rename', entry);
        }
        break;
      case 'F10':
        if (!editing || !r || !e.shiftKey) return;
        {
          const entry = entryOf(r.path);
          const box = document.getElementById(rowId(r.path))?.getBoundingClientRect();
          if (entry) openEntryMenu(entry, (box?.left ?? 0) + 40, box?.bottom ?? 0, ref.current);
        }
        break;
      case '*':
        // Expand every folder next to the selection, as in most tree views.
        if (r) for (const sib of nodes.get(parentPath(r.path))?.children ?? []) if (nodes.get(sib)?.entry.type === 'dir') void expand(sib);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const pickResult = (i: number) => {
    const found = find.results[i];
    if (!found) return;
    setResultIndex(i);
    select(found.path, found);
  };
  const openResult = (i: number) => {
    const found = find.results[i];
    if (found) void revealPath(found.path, { entry: found });
  };
  const onResultsKey = (e: KeyboardEvent) => {
    if (typeKeys(e)) {
      e.preventDefault();
      return;
    }
    const last = find.results.length - 1;
    switch (e.key) {
      case 'ArrowDown':
        pickResult(Math.min(last, resultIndex + 1));
        break;
      case 'ArrowUp':
        pickResult(Math.max(0, resultIndex - 1));
        break;
      case 'Home':
        pickResult(0);
        break;
      case 'End':
        pickResult(last);
        break;
      case 'PageDown':
        pickResult(Math.min(last, resultIndex + pageRows));
        break;
      case 'PageUp':
        pickResult(Math.max(0, resultIndex - pageRows));
        break;
      case 'Enter':
        openResult(resultIndex < 0 ? 0 : resultIndex);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const roots = find.roots.map((r) => (r === '/' ? image.info.name : r.slice(1)));
  const items: ReactElement[] = [];
  for (let i = win.first; i < win.first + win.count; i++) {
    if (searching) {
      const found = find.results[i];
      if (found) items.push(<ResultRow key={found.path} e={found} active={i === resultIndex} height={rowH} onClick={() => pickResult(i)} onOpen={() => openResult(i)} />);
      continue;
    }
    const r = rows[i];
    if (!r) continue;
    const n = nodes.get(r.path);
    if (!n) continue;
    const shown = r.kind === 'entry' && overlay ? entryOf(r.path) : n.entry;
    if (!shown) continue;
    if (r.kind === 'status') {
      const el = <StatusRow key={`status:${r.path}:${r.line}`} row={r} node={n} height={rowH} indent={indent} />;
      // The first line of a two-line status may be scrolled off: draw the block from its top.
      if (r.line === 1 && i === win.first && (n.index || n.error)) {
        items.push(
          <div key={`pad:${r.path}`} style={{ height: rowH, position: 'relative' }}>
            <div style={{ position: 'absolute', top: -rowH, left: 0, right: 0 }}>
              <StatusRow row={{ ...r, line: 0 }} node={n} height={rowH} indent={indent} />
            </div>
          </div>,
        );
      } else items.push(el);
      continue;
    }
    items.push(
      <TreeRow
        key={r.path}
        row={r}
        entry={shown}
        expanded={expanded.has(r.path)}
        selected={r.path === selected}
        height={rowH}
        indent={indent}
        onSelect={pick}
        onToggle={toggle}
        onOpen={open}
        mark={overlay?.marks.get(r.path)}
        dropHere={dropAt === r.path}
        edit={editHandlers}
      />,
    );
  }
  // Two-line status blocks are drawn by their first line with double height and the second
  // line renders nothing, so every row keeps its place.
  const activeId = searching
    ? resultIndex >= 0 && find.results[resultIndex]
      ? `find-${rowId(find.results[resultIndex]!.path)}`
      : undefined
    : selIndex >= win.first && selIndex < win.first + win.count && selected
      ? rowId(selected)
      : undefined;

  return (
    <div className="tree-pane" data-testid="tree-pane">
      <div className="tree-toolbar">
        <input
          ref={filterRef}
          type="search"
          className="tree-filter"
          placeholder="Type to filter…"
          aria-label="Find by name"
          data-testid="tree-filter"
          value={find.query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              setQuery('');
              ref.current?.focus();
            } else if (e.key === 'ArrowDown' || e.key === 'Enter') {
              e.preventDefault();
              ref.current?.focus();
              if (searching && find.results.length) pickResult(0);
            }
          }}
        />
        <button
          type="button"
          className="btn btn-small"
          data-testid="tree-sort"
          aria-label={`Sorted by ${sort}; switch to ${sort === 'name' ? 'size' : 'name'}`}
          title="Sort folders' contents by name or by size"
          onClick={() => setSort(sort === 'name' ? 'size' : 'name')}
        >
          {sort === 'name' ? 'A–Z' : 'Size ↓'}
        </button>
      </div>
      {revealError && <ErrorNote error={revealError} compact testId="reveal-error" />}
      {searching && (
        <div className="find-head small" aria-live="polite" data-testid="find-status">
          {find.loading ? (
            <span className="muted">Searching {roots.join(', ')}…</span>
          ) : find.error ? null : (
            <span className="muted">
              {find.results.length} {find.results.length === 1 ? 'match' : 'matches'} for “{find.query}” in {roots.join(', ')}
              {find.truncated ? ' (first ones only: type more to narrow)' : ''} · Enter shows it in the tree, Esc clears
            </span>
          )}
        </div>
      )}
      {searching && find.error && <ErrorNote error={find.error} compact testId="find-error" />}
      <div
        ref={ref}
        className="tree-scroll"
        role={searching ? 'listbox' : 'tree'}
        aria-label={searching ? `Matches for ${find.query}` : `Contents of ${image.info.name}`}
        aria-activedescendant={activeId}
        tabIndex={0}
        data-testid={searching ? 'find-results' : 'tree'}
        onKeyDown={searching ? onResultsKey : onTreeKey}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onFocus={() => {
          if (!searching && !selected) selectRow(entryNear(0, 1));
        }}
      >
        <div className="tree-spacer" style={{ height: win.spacer }}>
          <div className="tree-window" style={{ transform: `translateY(${win.top}px)` }}>
            {items}
          </div>
        </div>
      </div>
      {!searching && rows.length > 0 && (
        <div className="tree-foot muted small" aria-hidden="true">
          {rows.length.toLocaleString('en-US')} rows shown ·{' '}
          {editing ? 'right-click or the Menu key changes an entry, Delete, F2 renames; drop files on a folder' : '←/→ fold, Enter opens, type to find'}
        </div>
      )}
    </div>
  );
}

