import { useEffect, useState } from 'react';
import type { DiffChange, DiffResult } from '../../../../shared/diff';
import type { LabErrorShape } from '../../../../shared/errors';
import { api } from '../../api/lab-api';
import { ErrorNote, fromBase64, grouped } from '../inspect/common';
import { contentDiff, MAX_DIFF_LINES, TEXT_LIMIT, type ContentDiff, type HexRow } from './content-diff';

/** A changed regular file whose bytes differ (not an archive, compared as a level of its own). */
export function hasContentDiff(c: DiffChange): boolean {
  return (
    c.kind === 'changed' &&
    c.a?.type === 'file' &&
    c.b?.type === 'file' &&
    !c.a.archive &&
    !c.b.archive &&
    c.fields.some((f) => f.field === 'sha256' || f.field === 'size')
  );
}

async function head(file: string, path: string, size: number): Promise<Uint8Array> {
  const r = await api.request('image.read', { file, path, offset: 0, length: Math.min(size, TEXT_LIMIT) });
  return fromBase64(r.base64);
}

function Hex({ rows, offset, side }: { rows: HexRow[]; offset: number; side: 'a' | 'b' }) {
  return (
    <pre className={`cmp-hex cmp-hex-${side}`} data-testid={`hex-${side}`}>
      {rows.map((r) => (
        <div key={r.offset}>
          <span className="muted">{r.offset.toString(16).padStart(8, '0')}</span>{' '}
          {r.hex.map((h, i) => (
            <span key={i} className={r.offset + i === offset ? 'cmp-hex-first' : undefined}>
              {h}{' '}
            </span>
          ))}{' '}
          <span className="muted">{r.ascii}</span>
        </div>
      ))}
    </pre>
  );
}

function Body({ d }: { d: ContentDiff }) {
  if (d.kind === 'same') return <p className="muted small">Same bytes ({d.why}).</p>;
  if (d.kind === 'binary') {
    return (
      <div data-testid="binary-diff" data-offset={d.offset}>
        <p className="small">
          {d.why === 'binary' ? 'Binary file' : `Over ${grouped(TEXT_LIMIT / 1024)} KiB, too big for a text diff`}: the bytes first differ at offset <strong>{grouped(d.offset)}</strong> (0x
          {d.offset.toString(16)}).
        </p>
        <div className="muted small">before</div>
        <Hex rows={d.a} offset={d.offset} side="a" />
        <div className="muted small">after</div>
        <Hex rows={d.b} offset={d.offset} side="b" />
      </div>
    );
  }
  let budget = MAX_DIFF_LINES;
  const total = d.hunks.reduce((n, h) => n + h.lines.length, 0);
  return (
    <div className="cmp-text-diff" data-testid="text-diff" data-added={d.added} data-removed={d.removed}>
      <div className="muted small">
        <span className="cmp-added-text">+{d.added}</span> <span className="cmp-removed-text">−{d.removed}</span> lines
      </div>
      <table className="cmp-unified" aria-label="Text diff, before and after">
        {d.hunks.map((h, hi) => {
          const lines = h.lines.slice(0, Math.max(0, budget));
          budget -= lines.length;
          if (!lines.length) return null;
          return (
            <tbody key={hi}>
              <tr className="cmp-hunk">
                <td colSpan={4}>{h.header}</td>
              </tr>
              {lines.map((l, i) => (
                <tr key={i} className={`cmp-line cmp-line-${l.kind === '+' ? 'add' : l.kind === '-' ? 'del' : 'ctx'}`} data-testid="diff-line" data-kind={l.kind}>
                  <td className="cmp-ln">{l.a ?? ''}</td>
                  <td className="cmp-ln">{l.b ?? ''}</td>
                  <td className="cmp-sign">{l.kind === ' ' ? '' : l.kind === '-' ? '−' : '+'}</td>
                  <td className="cmp-code">{l.text}</td>
                </tr>
              ))}
            </tbody>
          );
        })}
      </table>
      {total > MAX_DIFF_LINES && <p className="muted small">… and {grouped(total - MAX_DIFF_LINES)} more lines of the diff.</p>}
    </div>
  );
}

/** Loads both sides' first bytes with image.read and shows what changed inside the file. */
export function ContentDiffView({ c, r, open: initiallyOpen }: { c: DiffChange; r: DiffResult; open: boolean }) {
  const [open, setOpen] = useState(initiallyOpen);
  const [diff, setDiff] = useState<ContentDiff | undefined>();
  const [error, setError] = useState<LabErrorShape | undefined>();
  useEffect(() => {
    if (!open || diff || error) return;
    let live = true;
    Promise.all([head(r.a.file, c.a!.path, c.a!.size), head(r.b.file, c.b!.path, c.b!.size)])
      .then(([a, b]) => live && setDiff(contentDiff(a, b, { a: c.a!.size, b: c.b!.size })))
      .catch((err: LabErrorShape) => live && setError({ code: err.code ?? 'INTERNAL', message: err.message ?? String(err), hint: err.hint }));
    return () => {
      live = false;
    };
  }, [open, diff, error, c, r]);
  return (
    <details className="cmp-content" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="content-diff">
      <summary className="small">Contents</summary>
      {error && <ErrorNote error={error} compact />}
      {!diff && !error && open && <p className="muted small">Reading both files…</p>}
      {diff && <Body d={diff} />}
    </details>
  );
}
