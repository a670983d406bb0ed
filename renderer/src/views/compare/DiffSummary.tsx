import type { DiffLevel, DiffResult } from '../../../../shared/diff';
import { grouped, human } from '../inspect/common';

export function levelLabel(level: string, r: DiffResult): string {
  if (level !== '/') return `Inside ${level}`;
  return r.a.kind === 'iso' ? 'ISO' : 'Archive';
}

function delta(n: number): string {
  return n === 0 ? '±0 B' : `${n > 0 ? '+' : '−'}${human(Math.abs(n))}`;
}

/** Proportions of added, removed and changed entries, in the colours of the list. */
function KindBar({ added, removed, changed }: { added: number; removed: number; changed: number }) {
  const total = added + removed + changed;
  if (!total) return <div className="cmp-bar cmp-bar-empty" aria-hidden="true" />;
  const w = (n: number) => `${(n / total) * 100}%`;
  return (
    <div className="cmp-bar" role="img" aria-label={`${added} added, ${removed} removed, ${changed} changed`}>
      {added > 0 && <span className="cmp-bar-added" style={{ width: w(added) }} />}
      {removed > 0 && <span className="cmp-bar-removed" style={{ width: w(removed) }} />}
      {changed > 0 && <span className="cmp-bar-changed" style={{ width: w(changed) }} />}
    </div>
  );
}

function LevelRow({ l, r }: { l: DiffLevel; r: DiffResult }) {
  return (
    <tr data-testid="summary-level" data-level={l.path}>
      <th scope="row">{levelLabel(l.path, r)}</th>
      <td className="cmp-added-text">{grouped(l.added)}</td>
      <td className="cmp-removed-text">{grouped(l.removed)}</td>
      <td className="cmp-changed-text" title={l.containers ? `${grouped(l.containers)} of them ${l.containers === 1 ? 'an archive' : 'archives'} with changes inside, listed as ${l.containers === 1 ? 'a level' : 'levels'} below` : undefined}>
        {grouped(l.changed)}
        {l.containers > 0 && <span className="muted small"> ({grouped(l.containers)} {l.containers === 1 ? 'archive' : 'archives'})</span>}
      </td>
      <td className="muted">{grouped(l.unchanged)}</td>
      <td title={`${grouped(l.a.bytes)} → ${grouped(l.b.bytes)} bytes of files`}>
        {human(l.a.bytes)} → {human(l.b.bytes)} <span className="muted small">({delta(l.b.bytes - l.a.bytes)})</span>
      </td>
      <td className="muted small">
        {l.a.format === l.b.format ? l.a.format : `${l.a.format} → ${l.b.format}`}
      </td>
    </tr>
  );
}

/** Counts and bytes on top: the whole comparison, then one row a level. */
export function DiffSummary({ result: r }: { result: DiffResult }) {
  const s = r.summary;
  const bytes = (k: 'bytesAdded' | 'bytesRemoved') => r.levels.reduce((n, l) => n + l[k], 0);
  return (
    <section className="card cmp-summary" aria-labelledby="cmp-summary-title" data-testid="diff-summary" data-identical={s.identical}>
      <div className="cmp-summary-head">
        <h2 id="cmp-summary-title">
          <span title={r.a.file}>{r.a.name}</span> <span className="muted">→</span> <span title={r.b.file}>{r.b.name}</span>
        </h2>
        <span className="muted small">
          {human(r.a.size)} → {human(r.b.size)} · {grouped(s.filesHashed)} files hashed ({human(s.bytesHashed)})
        </span>
      </div>
      {s.identical ? (
        <p className="cmp-same" data-testid="summary-identical">
          <span className="ins-tag ins-tag-ok">same contents</span> No file was added, removed or changed{r.options.mtime ? '' : ' (mtimes aside)'}.
        </p>
      ) : (
        <>
          <div className="cmp-stats">
            <div className="cmp-stat cmp-stat-added" data-testid="summary-added">
              <strong>{grouped(s.added)}</strong> added <span className="muted small">{human(bytes('bytesAdded'))}</span>
            </div>
            <div className="cmp-stat cmp-stat-removed" data-testid="summary-removed">
              <strong>{grouped(s.removed)}</strong> removed <span className="muted small">{human(bytes('bytesRemoved'))}</span>
            </div>
            <div className="cmp-stat cmp-stat-changed" data-testid="summary-changed">
              <strong>{grouped(s.changed)}</strong> changed
              {s.containers > 0 && (
                <span className="muted small" data-testid="summary-containers" title="An archive whose contents changed holds those changes: it is not counted as one more changed file">
                  {' '}
                  inside {grouped(s.containers)} {s.containers === 1 ? 'archive' : 'archives'}
                </span>
              )}
            </div>
          </div>
          <KindBar added={s.added} removed={s.removed} changed={s.changed} />
        </>
      )}
      <div className="table-wrap">
        <table className="ins-table cmp-levels">
          <thead>
            <tr>
              <th scope="col">Level</th>
              <th scope="col">Added</th>
              <th scope="col">Removed</th>
              <th scope="col">Changed</th>
              <th scope="col">Same</th>
              <th scope="col">Files, before → after</th>
              <th scope="col">Format</th>
            </tr>
          </thead>
          <tbody>
            {r.levels.map((l) => (
              <LevelRow key={l.path} l={l} r={r} />
            ))}
          </tbody>
        </table>
      </div>
      {s.mtimeOnly > 0 && !r.options.mtime && (
        <p className="muted small" data-testid="summary-mtime">
          {grouped(s.mtimeOnly)} {s.mtimeOnly === 1 ? 'entry differs' : 'entries differ'} only in modification time; not counted. Tick “Count mtime differences” to list them.
        </p>
      )}
      {r.warnings.map((w) => (
        <p key={w} className="muted small cmp-note">
          {w}
        </p>
      ))}
      {r.truncated && <p className="muted small">Only the first {grouped(r.changes.length)} changes are listed; the counts are complete.</p>}
    </section>
  );
}
