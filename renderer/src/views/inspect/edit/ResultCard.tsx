import { formatBytes } from '../../../../../shared/format';
import type { RemasterResult } from '../../../../../shared/remaster';
import { CopyButton } from '../../../components/CopyButton';
import { useCompare } from '../../../store/compare-store';
import { useEditSave } from '../../../store/edit-save-store';
import { useLab } from '../../../store/lab-store';
import { bootBuiltIso, openInInspect } from '../../build/BuildProgress';

/** What "Save as new ISO" wrote: the file, its hash, how each archive was written, and where to go next. */
export function RemasterResultCard({ result, input }: { result: RemasterResult; input: string }) {
  const { dismiss } = useEditSave.getState();
  const compare = () => {
    useLab.getState().setView('compare');
    useCompare.getState().compare(input, result.out);
  };
  return (
    <section className="card remaster-result" data-testid="remaster-result" aria-labelledby="remaster-result-title">
      <header className="remaster-result-head">
        <h2 id="remaster-result-title">
          <span className="badge badge-ok" aria-hidden="true">
            ✓
          </span>
          New ISO written
        </h2>
        <button type="button" className="btn btn-small" aria-label="Dismiss" onClick={dismiss}>
          ✕
        </button>
      </header>
      <dl className="facts">
        <dt>File</dt>
        <dd className="path-line">
          <code data-testid="remaster-out">{result.out}</code> <CopyButton text={result.out} label="Copy path" />
        </dd>
        <dt>Size</dt>
        <dd data-testid="remaster-size">
          {formatBytes(result.size)} <span className="muted">({result.size.toLocaleString('en-US')} bytes)</span>
        </dd>
        <dt>sha256</dt>
        <dd className="path-line">
          <code data-testid="remaster-sha256" className="remaster-hash">
            {result.sha256}
          </code>{' '}
          <CopyButton text={result.sha256} />
        </dd>
        <dt>Changes</dt>
        <dd>
          {result.changes} applied in {result.seconds < 10 ? result.seconds.toFixed(1) : Math.round(result.seconds)} s
        </dd>
        {result.levels.map((l) => (
          <div key={l.path} className="facts-row" data-testid="remaster-level" data-level={l.path} data-method={l.method}>
            <dt>{l.path.slice(1)}</dt>
            <dd>
              <span className={`ins-tag ${l.method === 'append' ? 'ins-tag-ok' : 'ins-tag-accent'}`}>{l.method}</span> {l.formatBefore} → {l.formatAfter} · {formatBytes(l.sizeBefore)} →{' '}
              {formatBytes(l.sizeAfter)} · {l.entries.toLocaleString('en-US')} {l.entries === 1 ? 'entry' : 'entries'} written
            </dd>
          </div>
        ))}
        {result.boot.length > 0 && (
          <>
            <dt>Boots</dt>
            <dd className="tag-list" data-testid="remaster-boot">
              {result.boot.map((b) => (
                <span key={b} className="ins-tag ins-tag-accent">
                  {b}
                </span>
              ))}
            </dd>
          </>
        )}
      </dl>
      {result.notes.length > 0 && (
        <ul className="remaster-notes small" data-testid="remaster-notes">
          {result.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <div className="view-actions remaster-actions">
        <button type="button" className="btn btn-primary" onClick={() => bootBuiltIso(result.out)} data-testid="remaster-boot-it">
          Boot it
        </button>
        <button type="button" className="btn" onClick={compare} data-testid="remaster-compare">
          Compare with the original
        </button>
        <button type="button" className="btn" onClick={() => openInInspect(result.out)} data-testid="remaster-open">
          Open in Inspect
        </button>
      </div>
    </section>
  );
}
