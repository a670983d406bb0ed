import { forwardRef, useEffect, useImperativeHandle, useReducer, useRef, useState, type FormEvent } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import { api } from '../../api/lab-api';
import { shape } from '../../store/inspect-store';
import { ErrorNote, fromBase64, scrollTopFor, useViewport, virtualWindow } from './common';

const CHUNK = 64 * 1024;
const BYTES_PER_ROW = 16;
const KEEP_CHUNKS = 48;

function byteHex(b: number): string {
  return b < 16 ? '0' + b.toString(16) : b.toString(16);
}

function asciiOf(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

export interface ViewerHandle {
  focus(): void;
}

/**
 * A hex dump of any size: 16 bytes a row with offsets and an ASCII column. Only the visible
 * rows are drawn, and the bytes are fetched in 64 KB windows as they scroll into view.
 */
export const HexViewer = forwardRef<ViewerHandle, { file: string; path: string; size: number }>(function HexViewer({ file, path, size }, handle) {
  const ref = useRef<HTMLDivElement>(null);
  const chunks = useRef(new Map<number, Uint8Array>());
  const pending = useRef(new Set<number>());
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [error, setError] = useState<LabErrorShape>();
  const [scrollTop, setScrollTop] = useState(0);
  const [goto, setGoto] = useState('');
  const [gotoError, setGotoError] = useState<string>();
  const [mark, setMark] = useState<number>();
  const [attempt, setAttempt] = useState(0);
  const { height, fontSize } = useViewport(ref);
  const rowH = Math.round(fontSize * 1.5);
  const rowCount = Math.max(1, Math.ceil(size / BYTES_PER_ROW));
  const win = virtualWindow(rowCount, rowH, scrollTop, height);
  const offsetDigits = Math.max(8, size.toString(16).length);

  useImperativeHandle(handle, () => ({ focus: () => ref.current?.focus() }), []);

  useEffect(() => {
    chunks.current = new Map();
    pending.current = new Set();
    setError(undefined);
    setMark(undefined);
    if (ref.current) ref.current.scrollTop = 0;
    setScrollTop(0);
    redraw();
  }, [file, path]);

  const firstChunk = Math.floor((win.first * BYTES_PER_ROW) / CHUNK);
  const lastChunk = Math.floor(Math.max(0, Math.min(size, (win.first + win.count) * BYTES_PER_ROW) - 1) / CHUNK);
  useEffect(() => {
    if (size === 0) return;
    let alive = true;
    for (let c = firstChunk; c <= lastChunk; c++) {
      if (chunks.current.has(c) || pending.current.has(c)) continue;
      pending.current.add(c);
      const offset = c * CHUNK;
      api
        .request('image.read', { file, path, offset, length: Math.min(CHUNK, size - offset) })
        .then((res) => {
          pending.current.delete(c);
          if (!alive) return;
          const map = chunks.current;
          map.set(c, fromBase64(res.base64));
          while (map.size > KEEP_CHUNKS) map.delete(map.keys().next().value!);
          redraw();
        })
        .catch((err) => {
          pending.current.delete(c);
          if (alive) setError(shape(err));
        });
    }
    return () => {
      alive = false;
    };
  }, [file, path, size, firstChunk, lastChunk, attempt]);

  const byteAt = (offset: number): number | undefined => chunks.current.get(Math.floor(offset / CHUNK))?.[offset % CHUNK];

  const jump = (e: FormEvent) => {
    e.preventDefault();
    const text = goto.trim().toLowerCase();
    const value = text.startsWith('0x') ? parseInt(text.slice(2), 16) : /^[0-9]+$/.test(text) ? parseInt(text, 10) : /^[0-9a-f]+h?$/.test(text) ? parseInt(text.replace(/h$/, ''), 16) : NaN;
    if (!Number.isFinite(value) || value < 0 || value >= Math.max(1, size)) {
      setGotoError(`Give an offset from 0 to ${size - 1} (decimal, or hex as 0x…).`);
      return;
    }
    setGotoError(undefined);
    setMark(value);
    const row = Math.floor(value / BYTES_PER_ROW);
    if (ref.current) ref.current.scrollTop = scrollTopFor(rowCount, rowH, height, row);
  };

  const rows = [];
  for (let r = win.first; r < win.first + win.count; r++) {
    const base = r * BYTES_PER_ROW;
    if (base >= size && size > 0) break;
    const hexCells: string[] = [];
    let ascii = '';
    for (let i = 0; i < BYTES_PER_ROW; i++) {
      const off = base + i;
      if (off >= size) {
        hexCells.push('  ');
        ascii += ' ';
        continue;
      }
      const b = byteAt(off);
      hexCells.push(b === undefined ? '··' : byteHex(b));
      ascii += b === undefined ? '·' : asciiOf(b);
    }
    const marked = mark !== undefined && mark >= base && mark < base + BYTES_PER_ROW;
    rows.push(
      <div key={r} className={`hex-row${marked ? ' marked' : ''}`} style={{ height: rowH }}>
        <span className="hex-off">{base.toString(16).padStart(offsetDigits, '0')}</span>
        <span className="hex-bytes">
          {hexCells.slice(0, 8).join(' ')}
          {'  '}
          {hexCells.slice(8).join(' ')}
        </span>
        <span className="hex-ascii">{ascii}</span>
      </div>,
    );
  }

  return (
    <div className="hex-viewer" data-testid="hex-viewer">
      <form className="viewer-bar small" onSubmit={jump}>
        <span className="muted">
          {size.toLocaleString('en-US')} bytes · 16 a row{win.scaled ? ' · scrollbar scaled to fit' : ''}
        </span>
        <label className="hex-goto">
          <span className="muted">Go to offset</span>
          <input type="text" value={goto} onChange={(e) => setGoto(e.target.value)} placeholder="0x1f1" aria-label="Go to offset" spellCheck={false} />
        </label>
        <button type="submit" className="btn btn-small">
          Go
        </button>
      </form>
      {gotoError && <div className="error-text small">{gotoError}</div>}
      {error && <ErrorNote error={error} onRetry={() => { setError(undefined); setAttempt((n) => n + 1); }} compact />}
      <div
        ref={ref}
        className="hex-scroll mono"
        tabIndex={0}
        role="region"
        aria-label={`Bytes of ${path}`}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        {size === 0 ? (
          <div className="muted viewer-empty">Empty file (0 bytes).</div>
        ) : (
          <div style={{ height: win.spacer, position: 'relative', minWidth: 'max-content', overflow: 'hidden' }}>
            <div style={{ transform: `translateY(${win.top}px)` }}>{rows}</div>
          </div>
        )}
      </div>
    </div>
  );
});
