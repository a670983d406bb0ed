import type { IndexProgress as Progress } from '../../../../shared/image';
import { grouped, human } from './common';

/** An archive being opened: how much of it was read, how many entries so far, and Cancel. */
export function IndexProgressBar({ progress, name, onCancel, compact }: { progress: Progress; name: string; onCancel: () => void; compact?: boolean }) {
  const pct = progress.totalIn > 0 ? Math.min(100, (progress.bytesIn / progress.totalIn) * 100) : 0;
  return (
    <div className={`ins-progress${compact ? ' ins-progress-compact' : ''}`} data-testid="index-progress" role="group" aria-label={`Opening ${name}`}>
      <span className="ins-progress-label">
        Opening <strong>{name}</strong>
      </span>
      <progress max={100} value={pct} aria-label={`${name}: ${pct.toFixed(0)}% read`} />
      <span className="muted small ins-progress-nums">
        {human(progress.bytesIn)} of {human(progress.totalIn)} · {grouped(progress.entries)} entries
      </span>
      <button
        type="button"
        className="btn btn-small"
        data-testid="index-cancel"
        onClick={(e) => {
          e.stopPropagation();
          onCancel();
        }}
      >
        Cancel
      </button>
    </div>
  );
}
