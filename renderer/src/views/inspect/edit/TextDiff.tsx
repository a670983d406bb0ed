import { useEffect, useState } from 'react';
import type { LabErrorShape } from '../../../../../shared/errors';
import { api } from '../../../api/lab-api';
import { shape } from '../../../store/inspect-store';
import { ErrorNote, fromBase64, looksLikeText } from '../common';
import { lineDiff, type DiffLine } from './line-diff';

/** image.read hands out this much at most per call. */
const READ_BYTES = 1 << 20;

async function readInput(file: string, path: string): Promise<Uint8Array> {
  const stat = await api.request('image.stat', { file, path });
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let offset = 0; offset < Math.min(stat.size, 4 * READ_BYTES); offset += READ_BYTES) {
    const res = await api.request('image.read', { file, path, offset, length: Math.min(READ_BYTES, stat.size - offset) });
    const bytes = fromBase64(res.base64);
    parts.push(bytes);
    total += bytes.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Before (the input ISO, image.read) and after (the edit now, edit.read) of one text file.
 * `replaces` false: the file is new, so everything is added.
 */
export function TextDiff({ input, editId, path, replaces }: { input: string; editId: string; path: string; replaces: boolean }) {
  const [lines, setLines] = useState<DiffLine[]>();
  const [note, setNote] = useState<string>();
  const [error, setError] = useState<LabErrorShape>();
  useEffect(() => {
    let alive = true;
    const decode = (b: Uint8Array) => new TextDecoder('utf-8').decode(b);
    Promise.all([replaces ? readInput(input, path) : Promise.resolve(new Uint8Array()), api.request('edit.read', { id: editId, path })])
      .then(([before, now]) => {
        if (!alive) return;
        const after = fromBase64(now.base64);
        if (!looksLikeText(before, true) || !looksLikeText(after, true)) return setNote('A binary file: no text diff.');
        if (now.truncated) setNote('Only the first 4 MiB are compared.');
        setLines(lineDiff(decode(before), decode(after)));
      })
      .catch((err) => alive && setError(shape(err)));
    return () => {
      alive = false;
    };
  }, [input, editId, path, replaces]);
  if (error) return <ErrorNote error={error} compact testId="diff-error" />;
  if (!lines) return <p className="muted small" aria-busy={!note}>{note ?? 'Comparing…'}</p>;
  const width = String(Math.max(...lines.map((l) => Math.max(l.a ?? 0, l.b ?? 0)), 1)).length + 1;
  return (
    <div className="text-diff mono small" data-testid="text-diff" role="table" aria-label={`Changes to ${path}`}>
      {note && <div className="muted">{note}</div>}
      {lines.map((l, i) => (
        <div key={i} className={`diff-line diff-${l.kind}`} role="row" data-kind={l.kind}>
          <span className="diff-no" style={{ width: `${width}ch` }} aria-hidden="true">
            {l.a ?? ''}
          </span>
          <span className="diff-no" style={{ width: `${width}ch` }} aria-hidden="true">
            {l.b ?? ''}
          </span>
          <span className="diff-sign" aria-hidden="true">
            {l.kind === 'add' ? '+' : l.kind === 'del' ? '−' : l.kind === 'fold' ? '⋯' : ' '}
          </span>
          <span className="diff-text">{l.kind === 'fold' ? <em>{l.text}</em> : l.text || ' '}</span>
        </div>
      ))}
    </div>
  );
}
