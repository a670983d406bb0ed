import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { LogName } from '../../../../shared/build';
import { MAX_LINES, useBuild, type LogWindow } from '../../store/build-store';
import { ErrorNote, scrollTopFor, useViewport, virtualWindow } from '../inspect/common';
import { parseAnsi, segmentClass, stripAnsi, type Segment } from './ansi';
import { Copy, PathText } from './common';

/**
 * The build's two logs, drawn a screenful at a time. The store keeps a window of the file's
 * lines; rows outside it are fetched from the file when they scroll into view. The view
 * follows the end until the reader scrolls up, and again once they are back at the bottom.
 */

const LOG_WORDS: Record<LogName, string> = { image: 'Image log', build: 'Build log' };
/** Characters of one line drawn (the file keeps them all; search sees them all). */
const DRAW_CHARS = 4000;
/** Search keeps going this far; the count then says "+". */
const MAX_MATCHES = 50_000;
const SEARCH_INTERVAL_MS = 300;

// Parsing a line's colours is cheap, but the visible rows are redrawn every frame while a
// build streams: remember the last few thousand.
const parsed = new Map<string, Segment[]>();
function segmentsOf(line: string): Segment[] {
  let segs = parsed.get(line);
  if (!segs) {
    segs = parseAnsi(line.length > DRAW_CHARS * 2 ? line.slice(0, DRAW_CHARS * 2) : line);
    if (parsed.size > 4000) parsed.clear();
    parsed.set(line, segs);
  }
  return segs;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The segments of a line, cut at the search hits, which are wrapped in <mark>. */
function renderLine(line: string, re: RegExp | undefined): ReactNode[] {
  let segs = segmentsOf(line);
  let cut = 0;
  const total = segs.reduce((n, s) => n + s.text.length, 0);
  if (total > DRAW_CHARS) {
    cut = total - DRAW_CHARS;
    const kept: Segment[] = [];
    let n = 0;
    for (const s of segs) {
      if (n >= DRAW_CHARS) break;
      kept.push(n + s.text.length > DRAW_CHARS ? { ...s, text: s.text.slice(0, DRAW_CHARS - n) } : s);
      n += s.text.length;
    }
    segs = kept;
  }
  const hits: [number, number][] = [];
  if (re) {
    const plain = segs.map((s) => s.text).join('');
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(plain)) !== null && hits.length < 200) {
      if (m[0].length === 0) break;
      hits.push([m.index, m.index + m[0].length]);
    }
  }
  const out: ReactNode[] = [];
  let pos = 0;
  let h = 0;
  segs.forEach((seg, si) => {
    const cls = segmentClass(seg) || undefined;
    const end = pos + seg.text.length;
    if (!hits.length || h >= hits.length || hits[h]![0] >= end) {
      out.push(cls ? <span key={si} className={cls}>{seg.text}</span> : seg.text);
      pos = end;
      return;
    }
    const parts: ReactNode[] = [];
    let at = pos;
    while (at < end) {
      const hit = hits[h];
      if (!hit || hit[0] >= end) {
        parts.push(seg.text.slice(at - pos));
        break;
      }
      if (hit[0] > at) parts.push(seg.text.slice(at - pos, hit[0] - pos));
      const to = Math.min(hit[1], end);
      parts.push(<mark key={`${si}-${at}`} className="log-hit">{seg.text.slice(Math.max(hit[0], at) - pos, to - pos)}</mark>);
      at = to;
      if (hit[1] <= end) h++;
    }
    out.push(
      <span key={si} className={cls}>
        {parts}
      </span>,
    );
    pos = end;
  });
  if (cut > 0) out.push(<span key="cut" className="log-cut">{` … ${cut.toLocaleString('en-US')} more characters (in the log file)`}</span>);
  return out;
}

const Row = memo(function Row(props: { index: number; text: string | undefined; height: number; gutter: number; re?: RegExp; problem: boolean; hit: boolean; target: boolean; current: boolean }) {
  const cls = `log-row${props.problem ? ' log-row-problem' : ''}${props.hit ? ' log-row-hit' : ''}${props.current ? ' log-row-current' : ''}${props.target ? ' log-row-target' : ''}`;
  return (
    <div className={cls} style={{ height: props.height }} data-line={props.index} data-testid="log-row">
      <span className="log-no" style={{ width: `${props.gutter + 1}ch` }} aria-hidden="true">
        {props.index + 1}
      </span>
      {props.text === undefined ? <span className="log-text log-missing">…</span> : <span className="log-text">{props.text === '' ? ' ' : renderLine(props.text, props.re)}</span>}
    </div>
  );
});

function useSearch(w: LogWindow, query: string, rev: number, tab: LogName) {
  const [matches, setMatches] = useState<{ lines: number[]; capped: boolean; tab: LogName; query: string }>({ lines: [], capped: false, tab, query: '' });
  const last = useRef(0);
  useEffect(() => {
    if (!query) {
      setMatches((m) => (m.lines.length || m.query ? { lines: [], capped: false, tab, query: '' } : m));
      return;
    }
    const compute = () => {
      last.current = performance.now();
      const re = new RegExp(escapeRegExp(query), 'i');
      const lines: number[] = [];
      let capped = false;
      for (let i = 0; i < w.lines.length; i++) {
        const l = w.lines[i]!;
        if (re.test(l.includes('\x1b') || l.includes('\r') ? stripAnsi(l) : l)) {
          if (lines.length >= MAX_MATCHES) {
            capped = true;
            break;
          }
          lines.push(w.start + i);
        }
      }
      if (!capped && w.showPartial && re.test(stripAnsi(w.partial))) lines.push(w.streamTotal);
      setMatches({ lines, capped, tab, query });
    };
    const since = performance.now() - last.current;
    if (since >= SEARCH_INTERVAL_MS || matches.query !== query || matches.tab !== tab) {
      compute();
      return;
    }
    const t = setTimeout(compute, SEARCH_INTERVAL_MS - since);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, rev, tab, w]);
  return matches.query === query && matches.tab === tab ? matches : { lines: [], capped: false, tab, query };
}

export function LogView({ readOnly }: { readOnly: boolean }) {
  const tab = useBuild((s) => s.tab);
  const rev = useBuild((s) => s.rev);
  const logs = useBuild((s) => s.logs);
  const record = useBuild((s) => s.run?.record);
  const problems = useBuild((s) => s.run?.problems);
  const jump = useBuild((s) => s.jump);
  const { setTab, ensureRange, retryLog } = useBuild.getState();
  const w = logs[tab];

  const scrollRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const { height, fontSize } = useViewport(scrollRef);
  const rowH = Math.max(12, Math.round(fontSize * 1.5));
  const [scrollTop, setScrollTop] = useState(0);
  const [, force] = useState(0);
  const expected = useRef(-1);
  const saved = useRef<Record<LogName, number>>({ image: 0, build: 0 });
  const [mark, setMark] = useState<{ tab: LogName; line: number }>();
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState<number>();

  const following = w.following;
  const setFollow = useCallback(
    (on: boolean) => {
      if (w.following === on) return;
      w.following = on;
      if (on) w.reattach();
      force((n) => n + 1);
    },
    [w],
  );

  const rowCount = w.rowCount;
  const probe = virtualWindow(rowCount, rowH, 0, height);
  const maxTop = Math.max(0, probe.spacer - height);
  const top = following ? maxTop : Math.min(scrollTop, maxTop);
  const win = virtualWindow(rowCount, rowH, top, height);
  const gutter = String(Math.max(rowCount, 1)).length;

  // Following: keep the end in view as lines arrive.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || !following) return;
    if (Math.abs(el.scrollTop - maxTop) >= 1) {
      expected.current = maxTop;
      el.scrollTop = maxTop;
    }
  });

  // Another tab: back to where the reader was in it.
  const prevTab = useRef(tab);
  useLayoutEffect(() => {
    if (prevTab.current === tab) return;
    prevTab.current = tab;
    const el = scrollRef.current;
    if (!el) return;
    const st = w.following ? maxTop : saved.current[tab];
    expected.current = st;
    el.scrollTop = st;
    setScrollTop(st);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tab]);

  const scrollToLine = useCallback(
    (line: number) => {
      const el = scrollRef.current;
      if (!el) return;
      setFollow(false);
      const visible = Math.max(1, Math.floor(height / rowH));
      const st = scrollTopFor(rowCount, rowH, height, Math.max(0, line - Math.floor(visible / 3)));
      expected.current = st;
      el.scrollTop = st;
      setScrollTop(el.scrollTop);
    },
    [height, rowH, rowCount, setFollow],
  );

  // A problem was clicked: show its line (fetched from the file when it is not kept here).
  useLayoutEffect(() => {
    if (!jump || jump.log !== tab) return;
    setMark({ tab, line: jump.line });
    scrollToLine(jump.line);
    // The log may be below the fold of the page: bring the row itself into view.
    const line = jump.line;
    const id = requestAnimationFrame(() => scrollRef.current?.querySelector(`[data-line="${line}"]`)?.scrollIntoView({ block: 'nearest' }));
    return () => cancelAnimationFrame(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [jump?.n]);

  // Rows in view that the window does not hold are asked for; the store says what the reader sees.
  useEffect(() => {
    const first = win.first;
    const last = Math.min(rowCount - 1, win.first + win.count - 1);
    w.anchor = first;
    if (last < first) return;
    if (first < w.start || Math.min(last, w.total - 1) >= w.end) ensureRange(tab, first, last);
  });

  const matches = useSearch(w, query, rev, tab);
  const re = useMemo(() => (query ? new RegExp(escapeRegExp(query), 'gi') : undefined), [query]);
  const hitSet = useMemo(() => new Set(matches.lines), [matches]);
  const problemLines = useMemo(() => new Set((problems ?? []).filter((p) => p.log === tab).map((p) => p.line)), [problems, tab]);

  const go = (dir: 1 | -1) => {
    const list = matches.lines;
    if (!list.length) return;
    const from = current ?? (dir === 1 ? win.first - 1 : win.first + win.count);
    let idx: number;
    if (dir === 1) {
      idx = list.findIndex((l) => l > from);
      if (idx < 0) idx = 0;
    } else {
      idx = -1;
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i]! < from) {
          idx = i;
          break;
        }
      }
      if (idx < 0) idx = list.length - 1;
    }
    const line = list[idx]!;
    setCurrent(line);
    scrollToLine(line);
  };
  const currentIdx = current === undefined ? -1 : matches.lines.indexOf(current);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const st = el.scrollTop;
    setScrollTop(st);
    saved.current[tab] = st;
    if (expected.current >= 0 && Math.abs(st - expected.current) < 1) return;
    expected.current = -1;
    const atBottom = st >= el.scrollHeight - el.clientHeight - 2;
    setFollow(atBottom);
  };

  const visibleText = () => {
    const sel = window.getSelection();
    if (sel && !sel.isCollapsed && scrollRef.current?.contains(sel.anchorNode)) return sel.toString();
    const out: string[] = [];
    for (let i = win.first; i < win.first + win.count && i < rowCount; i++) {
      const l = w.line(i);
      if (l !== undefined && (i + 1) * rowH > top && i * rowH < top + height) out.push(stripAnsi(l));
    }
    return out.join('\n');
  };

  const onScrollerKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
      e.preventDefault();
      searchRef.current?.focus();
      searchRef.current?.select();
    } else if (e.key === 'End' && !e.ctrlKey) {
      setFollow(true);
    } else if (e.key === 'ArrowUp' || e.key === 'PageUp' || e.key === 'Home') {
      setFollow(false);
    } else if (e.key === 'F3') {
      e.preventDefault();
      go(e.shiftKey ? -1 : 1);
    }
  };

  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter' || e.key === 'F3') {
      e.preventDefault();
      go(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setQuery('');
      setCurrent(undefined);
      scrollRef.current?.focus();
    }
  };

  const onTabKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const next: LogName = tab === 'image' ? 'build' : 'image';
      setTab(next);
      document.getElementById(`log-tab-${next}`)?.focus();
    }
  };

  const rows: ReactNode[] = [];
  for (let i = win.first; i < win.first + win.count && i < rowCount; i++) {
    rows.push(
      <Row
        key={i}
        index={i}
        text={w.line(i)}
        height={rowH}
        gutter={gutter}
        re={hitSet.has(i) ? re : undefined}
        problem={problemLines.has(i)}
        hit={hitSet.has(i)}
        current={current === i}
        target={mark?.tab === tab && mark.line === i}
      />,
    );
  }

  const file = record?.logs[tab];
  const kept = w.lines.length;
  const live = !readOnly;

  return (
    <section className="card log-card" aria-label="Logs" data-testid="log-view" data-tab={tab} data-following={following}>
      <div className="log-toolbar">
        <div className="viewer-tabs log-tabs" role="tablist" aria-label="Logs">
          {(['image', 'build'] as const).map((t) => (
            <button
              key={t}
              id={`log-tab-${t}`}
              type="button"
              role="tab"
              aria-selected={tab === t}
              aria-controls="log-scroll"
              tabIndex={tab === t ? 0 : -1}
              className={`viewer-tab${tab === t ? ' active' : ''}`}
              onClick={() => setTab(t)}
              onKeyDown={onTabKey}
              data-testid={`log-tab-${t}`}
            >
              {LOG_WORDS[t]} <span className="muted small">{logs[t].rowCount.toLocaleString('en-US')}</span>
            </button>
          ))}
        </div>
        <div className="log-search" role="search">
          <input
            ref={searchRef}
            type="search"
            placeholder="Search the log"
            aria-label={`Search the ${LOG_WORDS[tab].toLowerCase()}`}
            value={query}
            spellCheck={false}
            onChange={(e) => {
              setQuery(e.target.value);
              setCurrent(undefined);
            }}
            onKeyDown={onSearchKey}
            data-testid="log-search"
          />
          <button type="button" className="btn btn-small" onClick={() => go(-1)} disabled={!matches.lines.length} aria-label="Previous match" title="Previous match (Shift+Enter)">
            ↑
          </button>
          <button type="button" className="btn btn-small" onClick={() => go(1)} disabled={!matches.lines.length} aria-label="Next match" title="Next match (Enter)">
            ↓
          </button>
          <span className="muted small log-count" aria-live="polite" data-testid="log-search-count">
            {query ? (matches.lines.length ? `${currentIdx >= 0 ? `${(currentIdx + 1).toLocaleString('en-US')} of ` : ''}${matches.lines.length.toLocaleString('en-US')}${matches.capped ? '+' : ''} ${matches.lines.length === 1 ? 'line' : 'lines'}` : 'no match') : ''}
          </span>
        </div>
        <Copy text={visibleText} label="Copy" title="Copy the selected text, or the lines in view" testId="log-copy" />
      </div>
      {w.error && <ErrorNote error={w.error} compact onRetry={() => retryLog(tab)} testId="log-error" />}
      <div className="log-body">
        <div
          ref={scrollRef}
          id="log-scroll"
          className="log-scroll mono"
          tabIndex={0}
          role="region"
          aria-label={`${LOG_WORDS[tab]}${live ? ', live' : ''}`}
          onScroll={onScroll}
          onWheel={(e) => e.deltaY < 0 && setFollow(false)}
          onKeyDown={onScrollerKey}
          data-testid="log-scroll"
        >
          {rowCount === 0 ? (
            <div className="muted log-empty">{live ? 'No output yet.' : `Nothing was written to the ${LOG_WORDS[tab].toLowerCase()}.`}</div>
          ) : (
            <div style={{ height: win.spacer, position: 'relative', minWidth: 'max-content' }}>
              <div className="log-rows" style={{ transform: `translateY(${win.top}px)` }}>
                {rows}
              </div>
            </div>
          )}
        </div>
        {!following && rowCount > 0 && (
          <button type="button" className="btn btn-small log-jump" onClick={() => setFollow(true)} data-testid="jump-to-end">
            {live ? 'Jump to end · follow' : 'Jump to end'} ↓
          </button>
        )}
      </div>
      <div className="log-foot small">
        <span className="log-file" data-testid="log-file">
          <span className="muted">Log file</span> <code data-testid="log-file-path">{file ? <PathText path={file} /> : '…'}</code>
          {file && <Copy text={file} label="Copy path" />}
        </span>
        <span className="muted" data-testid="log-window">
          {rowCount > kept + (w.showPartial ? 1 : 0)
            ? `${rowCount.toLocaleString('en-US')} lines; ${kept.toLocaleString('en-US')} kept here (${(w.start + 1).toLocaleString('en-US')}–${w.end.toLocaleString('en-US')}), the rest is read from the file as you scroll`
            : `${rowCount.toLocaleString('en-US')} ${rowCount === 1 ? 'line' : 'lines'}`}
          {kept >= MAX_LINES && ' · search covers the kept lines'}
          {live && (following ? ' · following' : ' · paused')}
        </span>
      </div>
    </section>
  );
}

