import { forwardRef, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import { api } from '../../api/lab-api';
import { shape } from '../../store/inspect-store';
import { ErrorNote, fromBase64, human, useViewport, virtualWindow } from './common';
import type { ViewerHandle } from './HexViewer';
import { wrapRows, type TextRow } from './text-wrap';

export const TEXT_LIMIT = 1 << 20;
/** Remembered across files and restarts, like an editor's word wrap. */
const WRAP_KEY = 'isolab.textViewer.wrap';
/** Gutter padding, border and margin plus the text's right padding (inspect.css .text-no/.text-src), in px. */
const ROW_CHROME_PX = 6 + 10 + 1 + 10 + 16;

/**
 * A text file with line numbers; only the visible lines are drawn. Files over 1 MB show
 * their first megabyte, and say so.
 */
export const TextViewer = forwardRef<ViewerHandle, { file: string; path: string; size: number }>(function TextViewer({ file, path, size }, handle) {
  const ref = useRef<HTMLDivElement>(null);
  const [text, setText] = useState<string>();
  const [error, setError] = useState<LabErrorShape>();
  const [attempt, setAttempt] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const probe = useRef<HTMLSpanElement>(null);
  const { width, height, fontSize } = useViewport(ref);
  const rowH = Math.round(fontSize * 1.5);
  const [wrap, setWrap] = useState(() => localStorage.getItem(WRAP_KEY) !== 'off');
  const [charW, setCharW] = useState(0);
  useEffect(() => {
    if (probe.current) setCharW(probe.current.getBoundingClientRect().width / 10);
  }, [fontSize, width, text]);
  const toggleWrap = () => {
    setWrap((on) => {
      localStorage.setItem(WRAP_KEY, on ? 'off' : 'on');
      return !on;
    });
  };

  useImperativeHandle(handle, () => ({ focus: () => ref.current?.focus() }), []);

  useEffect(() => {
    let alive = true;
    setText(undefined);
    setError(undefined);
    if (ref.current) ref.current.scrollTop = 0;
    setScrollTop(0);
    api
      .request('image.read', { file, path, offset: 0, length: Math.min(size, TEXT_LIMIT) })
      .then((res) => {
        if (alive) setText(new TextDecoder('utf-8').decode(fromBase64(res.base64)));
      })
      .catch((err) => alive && setError(shape(err)));
    return () => {
      alive = false;
    };
  }, [file, path, size, attempt]);

  const lines = useMemo(() => {
    if (text === undefined) return [];
    const all = text.split(/\r?\n/);
    if (all.length > 1 && all[all.length - 1] === '') all.pop();
    return all;
  }, [text]);
  const gutter = String(lines.length).length;
  const cols = charW > 0 ? Math.floor((width - ROW_CHROME_PX) / charW) - (gutter + 1) : 0;
  const shown: TextRow[] = useMemo(
    () => (wrap && cols > 0 ? wrapRows(lines, Math.max(20, cols)) : lines.map((text, line) => ({ line, text, first: true }))),
    [lines, wrap, cols],
  );
  const win = virtualWindow(shown.length, rowH, scrollTop, height);

  const rows = [];
  for (let i = win.first; i < win.first + win.count && i < shown.length; i++) {
    const r = shown[i]!;
    rows.push(
      <div key={i} className={r.first ? 'text-line' : 'text-line text-cont'} style={{ height: rowH }}>
        <span className="text-no" style={{ width: `${gutter + 1}ch` }} aria-hidden="true">
          {r.first ? r.line + 1 : ''}
        </span>
        <span className="text-src">{r.text || ' '}</span>
      </div>,
    );
  }

  return (
    <div className="text-viewer" data-testid="text-viewer">
      <div className="viewer-bar small">
        <span className="muted">
          {text === undefined ? 'Reading…' : `${lines.length.toLocaleString('en-US')} ${lines.length === 1 ? 'line' : 'lines'} · ${human(size)}`}
        </span>
        <label className="text-wrap-toggle">
          <input type="checkbox" checked={wrap} onChange={toggleWrap} data-testid="text-wrap" /> Wrap lines
        </label>
      </div>
      {size > TEXT_LIMIT && (
        <div className="ins-note small" data-testid="text-truncated">
          This file is {human(size)}; showing its first {human(TEXT_LIMIT)}. Use the Hex view or Extract… to see the rest.
        </div>
      )}
      {error && <ErrorNote error={error} onRetry={() => setAttempt((n) => n + 1)} compact />}
      <div ref={ref} className="text-scroll mono" tabIndex={0} role="region" aria-label={`Text of ${path}`} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <span ref={probe} className="text-probe" aria-hidden="true">
          0000000000
        </span>
        {text !== undefined && size === 0 ? (
          <div className="muted viewer-empty">Empty file (0 bytes).</div>
        ) : (
          <div style={{ height: win.spacer, position: 'relative', minWidth: wrap ? undefined : 'max-content', overflow: 'hidden' }}>
            <div style={{ transform: `translateY(${win.top}px)` }}>{rows}</div>
          </div>
        )}
      </div>
    </div>
  );
});
