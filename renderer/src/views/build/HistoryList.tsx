import { useState } from 'react';
import type { BuildRecord } from '../../../../shared/build';
import { formatBytes } from '../../../../shared/format';
import { useBuild } from '../../store/build-store';
import { ErrorNote } from '../inspect/common';
import { baseName, duration, PhaseTag } from './common';

const SHOWN = 15;

function when(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay ? d.toLocaleTimeString() : `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
}

/** Every build on disk, newest first; choosing one shows its logs, problems and chart. */
export function HistoryList() {
  const history = useBuild((s) => s.history);
  const error = useBuild((s) => s.historyError);
  const loading = useBuild((s) => s.historyLoading);
  const current = useBuild((s) => s.run?.buildId);
  const { view, loadHistory } = useBuild.getState();
  const [all, setAll] = useState(false);
  const rows = all ? history : history.slice(0, SHOWN);

  const open = (r: BuildRecord) => {
    view(r.id);
    requestAnimationFrame(() => document.getElementById('build-run-anchor')?.scrollIntoView({ block: 'start', behavior: 'smooth' }));
  };

  return (
    <section className="card build-history" aria-labelledby="history-title" data-testid="history">
      <div className="build-history-head">
        <h2 id="history-title">
          History <span className="muted small">{history.length ? `${history.length} ${history.length === 1 ? 'build' : 'builds'}, newest first` : ''}</span>
        </h2>
        <button type="button" className="btn btn-small" onClick={() => void loadHistory()} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      {error && <ErrorNote error={error} compact onRetry={() => void loadHistory()} testId="history-error" />}
      {!history.length && !error ? (
        <p className="muted">{loading ? 'Loading…' : 'Builds you start here, or with isolab build, are listed here with their logs.'}</p>
      ) : (
        <div className="table-wrap">
          <table className="ins-table history-table" data-testid="history-list">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Result</th>
                <th scope="col">Recipe</th>
                <th scope="col">Checkout</th>
                <th scope="col">Duration</th>
                <th scope="col">Exit</th>
                <th scope="col">Output</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} className={r.id === current ? 'current' : undefined} data-testid="history-item" data-id={r.id} data-phase={r.phase} onClick={() => open(r)}>
                  <td>
                    <button type="button" className="link-btn" onClick={(e) => (e.stopPropagation(), open(r))} aria-current={r.id === current ? 'true' : undefined} title={`Show build ${r.id}`}>
                      {when(r.startedAt)}
                    </button>
                  </td>
                  <td>
                    <PhaseTag phase={r.phase} />
                  </td>
                  <td>
                    {r.recipe} <span className="muted small">{r.arch}</span>
                  </td>
                  <td title={r.checkout} className="history-checkout">
                    {baseName(r.checkout)}
                  </td>
                  <td>{r.durationMs !== undefined ? duration(r.durationMs) : '—'}</td>
                  <td>{r.exitCode ?? '—'}</td>
                  <td className="history-output">
                    {r.output ? (
                      <span title={`${r.output.path}\nsha256 ${r.output.sha256}`}>
                        {baseName(r.output.path)} <span className="muted small">{formatBytes(r.output.size)} · {r.output.sha256.slice(0, 12)}…</span>
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {history.length > SHOWN && (
            <button type="button" className="link-btn small" onClick={() => setAll(!all)}>
              {all ? 'Show fewer' : `Show all ${history.length}`}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
