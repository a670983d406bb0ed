import { useState } from 'react';
import type { Problem } from '../../../../shared/build';
import { useBuild } from '../../store/build-store';
import { stripAnsi } from './ansi';

const RULE_WORDS: Record<string, string> = {
  make: 'make',
  error: 'ERROR',
  hash: 'sha256',
  'disk-full': 'disk full',
  permission: 'permission',
  'command-not-found': 'not found',
  docker: 'docker',
  pull: 'pull',
};

const SHOWN = 8;

/** The error lines the core recognised; each one shows its line in the log. */
export function ProblemsList({ final }: { final: boolean }) {
  const problems = useBuild((s) => s.run?.problems ?? []);
  const truncated = useBuild((s) => s.run?.record?.problemsTruncated);
  const jump = useBuild((s) => s.jump);
  const { jumpTo } = useBuild.getState();
  const [all, setAll] = useState(false);

  if (!problems.length) {
    return (
      <section className="build-problems build-problems-none" aria-label="Problems" data-testid="problems">
        <span className="muted small">{final ? 'No error lines recognised in the logs.' : 'No error lines so far.'}</span>
      </section>
    );
  }
  // In the order they were printed: the image log came first.
  const sorted = [...problems].sort((a, b) => (a.log === b.log ? a.line - b.line : a.log === 'image' ? -1 : 1));
  const shown = all ? sorted : sorted.slice(0, SHOWN);
  const open = (p: Problem) => jumpTo(p.log, p.line);
  return (
    <section className="build-problems" aria-labelledby="problems-title" data-testid="problems">
      <h2 id="problems-title">
        Problems <span className="badge badge-error">{problems.length > 99 ? '99+' : problems.length}</span>
        <span className="muted small">error lines found in the logs; choose one to see it in place</span>
      </h2>
      <ul className="problem-list">
        {shown.map((p) => {
          const active = jump?.log === p.log && jump.line === p.line;
          return (
            <li key={`${p.log}:${p.line}`}>
              <button type="button" className={`problem-item${active ? ' active' : ''}`} onClick={() => open(p)} data-testid="problem-item" data-line={p.line} data-log={p.log} data-rule={p.rule}>
                <span className={`problem-rule problem-rule-${p.rule}`}>{RULE_WORDS[p.rule] ?? p.rule}</span>
                <span className="problem-where muted small">
                  {p.log} log · line {(p.line + 1).toLocaleString('en-US')}
                </span>
                <span className="problem-text mono">{stripAnsi(p.text)}</span>
              </button>
            </li>
          );
        })}
      </ul>
      {(sorted.length > SHOWN || truncated) && (
        <div className="problem-more small">
          {sorted.length > SHOWN && (
            <button type="button" className="link-btn" onClick={() => setAll(!all)}>
              {all ? 'Show fewer' : `Show all ${sorted.length}`}
            </button>
          )}
          {truncated && <span className="muted"> The core lists the first {problems.length}; search the log for more.</span>}
        </div>
      )}
    </section>
  );
}
