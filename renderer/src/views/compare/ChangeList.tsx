import { useState } from 'react';
import type { DiffChange, DiffEntry, DiffKind, DiffResult, FieldChange } from '../../../../shared/diff';
import { useCompare } from '../../store/compare-store';
import { useInspect } from '../../store/inspect-store';
import { useLab } from '../../store/lab-store';
import { grouped, human, Icon, TYPE_WORDS, type IconKind } from '../inspect/common';
import { ContentDiffView, hasContentDiff } from './ContentDiffView';
import { levelLabel } from './DiffSummary';

/** Up to this many changed files show their contents at once; more are opened one by one. */
const OPEN_CONTENTS = 10;

/** Rows a level shows before "Show more": a rebuilt rootfs can differ in thousands of files. */
const PAGE = 300;

const SIGIL: Record<DiffKind, string> = { added: '+', removed: '−', changed: '~' };
const KINDS: DiffKind[] = ['added', 'removed', 'changed'];

function iconOf(e: DiffEntry): IconKind {
  if (e.archive) return 'archive';
  return e.type === 'dir' ? 'dir' : e.type === 'symlink' ? 'symlink' : e.type === 'char' || e.type === 'block' ? 'device' : e.type === 'fifo' || e.type === 'socket' ? 'fifo' : 'file';
}

function value(f: FieldChange, v: FieldChange['before']): string {
  if (v === null) return f.field === 'archive' ? 'not an archive' : 'none';
  switch (f.field) {
    case 'size':
      return typeof v === 'number' ? human(v) : String(v);
    case 'sha256':
      return `${String(v).slice(0, 12)}…`;
    case 'type':
      return TYPE_WORDS[v as DiffEntry['type']] ?? String(v);
    case 'mtime':
      return String(v).replace('T', ' ').replace('Z', ' UTC');
    default:
      return String(v);
  }
}

/** Before and after as text; sizes that round to the same figure are given in bytes. */
function pair(f: FieldChange): [string, string] {
  const [before, after] = [value(f, f.before), value(f, f.after)];
  if (before === after && typeof f.before === 'number' && typeof f.after === 'number') return [`${grouped(f.before)} B`, `${grouped(f.after)} B`];
  return [before, after];
}

function Fields({ fields }: { fields: FieldChange[] }) {
  return (
    <dl className="cmp-fields">
      {fields.map((f) => {
        const [before, after] = pair(f);
        return (
          <div key={f.field} className="cmp-field" data-field={f.field}>
            <dt>{f.field}</dt>
            <dd>
              <span className="cmp-before" title={f.before === null ? undefined : String(f.before)}>
                {before}
              </span>
              <span className="muted" aria-label="becomes">
                {' → '}
              </span>
              <span className="cmp-after" title={f.after === null ? undefined : String(f.after)}>
                {after}
              </span>
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/** What an added or removed entry is, in one line. */
function entryLine(e: DiffEntry): string {
  const parts = [e.archive ? `${e.archive} archive (contents not listed)` : TYPE_WORDS[e.type]];
  if (e.type === 'file') parts.push(human(e.size));
  if (e.target !== undefined) parts.push(`→ ${e.target}`);
  if (e.rdev) parts.push(`${e.rdev.major},${e.rdev.minor}`);
  parts.push(`mode ${(e.mode & 0o7777).toString(8).padStart(4, '0')}`, `owner ${e.uid}:${e.gid}`);
  if (e.sha256) parts.push(`sha256 ${e.sha256.slice(0, 12)}…`);
  return parts.join(' · ');
}

async function openInInspect(file: string, path: string) {
  useLab.getState().setView('inspect');
  const inspect = useInspect.getState();
  if (inspect.image?.file !== file && !(await inspect.openImage(file))) return;
  await useInspect.getState().revealPath(path);
}

function ChangeRow({ c, r, openContents }: { c: DiffChange; r: DiffResult; openContents: boolean }) {
  // A removed entry only exists in A; everything else is shown where it is now.
  const [file, side] = c.kind === 'removed' ? [r.a.file, c.a!] : [r.b.file, c.b!];
  const inside = c.level !== '/' && c.path.startsWith(c.level) ? c.path.slice(c.level.length) : undefined;
  return (
    <li className={`cmp-change cmp-change-${c.kind}`} data-testid="change" data-path={c.path} data-kind={c.kind}>
      <div className="cmp-change-head">
        <span className="cmp-sigil" aria-hidden="true">
          {SIGIL[c.kind]}
        </span>
        <Icon kind={iconOf(side)} />
        <code className="cmp-path" title={c.path}>
          {inside !== undefined ? (
            <>
              <span className="muted">{c.level}</span>
              {inside}
            </>
          ) : (
            c.path
          )}
        </code>
        <span className={`ins-tag cmp-tag-${c.kind}`}>{c.kind}</span>
        {c.container && (
          <span className="muted small" data-testid="change-container" title="Its contents are compared below: the changes inside are counted, not this archive">
            archive: changes inside, below
          </span>
        )}
        <button type="button" className="link-btn small cmp-open" onClick={() => void openInInspect(file, side.path)} title={`Open ${side.path} of ${file} in Inspect`}>
          Open in Inspect
        </button>
      </div>
      {c.kind === 'changed' ? <Fields fields={c.fields} /> : <div className="muted small cmp-entry">{entryLine(side)}</div>}
      {hasContentDiff(c) && <ContentDiffView c={c} r={r} open={openContents} />}
    </li>
  );
}

function LevelGroup({ level, changes, r, openContents }: { level: string; changes: DiffChange[]; r: DiffResult; openContents: boolean }) {
  const [shown, setShown] = useState(PAGE);
  return (
    <section className="cmp-group" data-testid="change-group" data-level={level} aria-label={levelLabel(level, r)}>
      <h3>
        {levelLabel(level, r)} <span className="muted small">{grouped(changes.length)}</span>
      </h3>
      <ul className="cmp-changes">
        {changes.slice(0, shown).map((c) => (
          <ChangeRow key={`${c.kind}${c.path}`} c={c} r={r} openContents={openContents} />
        ))}
      </ul>
      {changes.length > shown && (
        <button type="button" className="link-btn small" onClick={() => setShown(shown + PAGE * 4)}>
          Show {grouped(Math.min(PAGE * 4, changes.length - shown))} more of {grouped(changes.length - shown)}
        </button>
      )}
    </section>
  );
}

/** The changes, grouped by level (the ISO, then inside each archive), filtered by kind and text. */
export function ChangeList({ result: r }: { result: DiffResult }) {
  const kinds = useCompare((s) => s.kinds);
  const query = useCompare((s) => s.query);
  const { toggleKind, setQuery } = useCompare.getState();
  if (!r.changes.length) return null;
  const q = query.trim().toLowerCase();
  const visible = r.changes.filter((c) => kinds[c.kind] && (!q || c.path.toLowerCase().includes(q)));
  const count = (k: DiffKind) => r.changes.filter((c) => c.kind === k).length;
  const openContents = r.changes.filter(hasContentDiff).length <= OPEN_CONTENTS;
  return (
    <section className="card cmp-list" aria-labelledby="cmp-list-title">
      <div className="cmp-list-head">
        <h2 id="cmp-list-title">Changes</h2>
        <div className="cmp-filters" role="group" aria-label="Show">
          {KINDS.map((k) => (
            <button key={k} type="button" className={`cmp-chip cmp-chip-${k}${kinds[k] ? ' on' : ''}`} aria-pressed={kinds[k]} data-testid={`filter-${k}`} onClick={() => toggleKind(k)}>
              {SIGIL[k]} {k} <span className="small">{grouped(count(k))}</span>
            </button>
          ))}
          <input type="search" className="cmp-query" placeholder="Filter paths" aria-label="Filter paths" value={query} data-testid="filter-text" onChange={(e) => setQuery(e.target.value)} />
        </div>
      </div>
      {r.levels.map((l) => {
        const here = visible.filter((c) => c.level === l.path);
        return here.length ? <LevelGroup key={l.path} level={l.path} changes={here} r={r} openContents={openContents} /> : null;
      })}
      {!visible.length && <p className="muted">No change matches the filter.</p>}
    </section>
  );
}
