import { useEffect } from 'react';
import type { DiffProgress } from '../../../../shared/diff';
import { startPair, useCompare } from '../../store/compare-store';
import '../../styles/compare.css';
import '../../styles/inspect.css';
import { ErrorNote, grouped, human } from '../inspect/common';
import { ChangeList } from './ChangeList';
import { DiffSummary } from './DiffSummary';
import { ImagePair } from './ImagePair';

/** `?compare=/a.iso,/b.iso` runs once, at start. */
let startPairUsed = false;

function ProgressCard({ p }: { p?: DiffProgress }) {
  const { cancel } = useCompare.getState();
  let label = 'Starting…';
  let value: number | undefined;
  if (p?.phase === 'listing') label = `Listing ${p.level === '/' ? 'the images' : p.level}`;
  if (p?.phase === 'indexing') {
    label = `Opening ${p.level}`;
    if (p.indexTotal) value = (p.indexBytes ?? 0) / p.indexTotal;
  }
  if (p?.phase === 'hashing') {
    label = `Hashing ${p.level === '/' ? 'the images' : `inside ${p.level}`}`;
    if (p.bytesToHash) value = p.bytesHashed / p.bytesToHash;
  }
  return (
    <section className="card cmp-progress" data-testid="compare-progress" aria-live="polite">
      <div className="cmp-progress-row">
        <strong>{label}</strong>
        <progress max={1} value={value} aria-label={label} />
        <button type="button" className="btn btn-small" data-testid="compare-cancel" onClick={cancel}>
          Cancel
        </button>
      </div>
      {p && (
        <div className="muted small cmp-progress-nums">
          {grouped(p.filesHashed)} files, {human(p.bytesHashed)} hashed{p.current ? ` · ${p.current}` : ''}
        </div>
      )}
    </section>
  );
}

/** Compare two ISOs: what changed in the image and inside its archives. */
export function CompareView() {
  const running = useCompare((s) => s.running);
  const progress = useCompare((s) => s.progress);
  const result = useCompare((s) => s.result);
  const error = useCompare((s) => s.error);

  useEffect(() => {
    const { loadRecent, compare } = useCompare.getState();
    void loadRecent();
    if (!startPairUsed) {
      startPairUsed = true;
      const pair = startPair(location.search);
      if (pair) compare(...pair);
    }
  }, []);

  return (
    <div className="view cmp-view" data-testid="compare">
      <header className="view-head">
        <div>
          <h1>Compare</h1>
          <p className="lede">What a change did to an image: files added, removed and changed in the ISO and inside its initrd.</p>
        </div>
      </header>
      <ImagePair />
      {running && <ProgressCard p={progress} />}
      {error && !running && <ErrorNote error={error} testId="compare-error" />}
      {result && !running && (
        <>
          <DiffSummary result={result} />
          <ChangeList result={result} />
        </>
      )}
    </div>
  );
}
