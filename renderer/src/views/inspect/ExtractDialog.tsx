import { useEffect, useRef, useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { ExtractProgress } from '../../../../shared/image';
import { api } from '../../api/lab-api';
import { ErrorNote, grouped, human } from './common';
import { Modal } from './Modal';

type Phase = 'running' | 'done' | 'cancelled' | 'failed';

/**
 * Runs `image.extract` for one file or folder into `dest`, with progress and Cancel
 * (unsubscribing stops the core), then reports what was written and what was skipped.
 */
export function ExtractDialog({ file, path, dest, onClose }: { file: string; path: string; dest: string; onClose: () => void }) {
  const [progress, setProgress] = useState<ExtractProgress>();
  const [phase, setPhase] = useState<Phase>('running');
  const [error, setError] = useState<LabErrorShape>();
  const stop = useRef<(() => void) | undefined>(undefined);

  useEffect(() => {
    let last: ExtractProgress | undefined;
    let ended = false;
    stop.current = api.subscribe('image.extract', { file, path, dest }, {
      onData(batch) {
        last = batch[batch.length - 1] ?? last;
        if (last) setProgress(last);
      },
      onEnd(err) {
        ended = true;
        stop.current = undefined;
        if (err) {
          setError(err);
          setPhase('failed');
        } else {
          setPhase('done');
          if (last) setProgress({ ...last, phase: 'done' });
        }
      },
    });
    return () => {
      if (!ended) stop.current?.();
    };
  }, [file, path, dest]);

  const cancel = () => {
    stop.current?.();
    stop.current = undefined;
    setPhase('cancelled');
  };
  const close = () => {
    if (phase === 'running') cancel();
    onClose();
  };

  const name = path === '/' ? 'the whole image' : path.slice(1);
  const p = progress;
  const pct = p?.totalBytes ? (p.bytes / p.totalBytes) * 100 : p?.totalFiles ? (p.files / p.totalFiles) * 100 : 0;
  const skipped = p?.skipped ?? [];

  return (
    <Modal title={`Extract ${name}`} onClose={close} testId="extract-dialog" wide>
      <p className="muted small">
        Into <code>{p?.dest ?? dest}</code>
      </p>
      {phase === 'running' && (
        <div className="extract-progress" data-testid="extract-progress">
          <progress max={100} value={pct} aria-label={`Extracting: ${pct.toFixed(0)}%`} />
          <div className="small">
            {p ? (
              <>
                {grouped(p.files)}
                {p.totalFiles !== undefined ? ` of ${grouped(p.totalFiles)}` : ''} entries · {human(p.bytes)}
                {p.totalBytes !== undefined ? ` of ${human(p.totalBytes)}` : ''}
              </>
            ) : (
              'Starting…'
            )}
          </div>
          {p?.current && (
            <div className="muted small extract-current" title={p.current}>
              {p.current}
            </div>
          )}
          <div className="view-actions">
            <button type="button" className="btn" data-testid="extract-cancel" onClick={cancel}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {phase === 'failed' && error && <ErrorNote error={error} testId="extract-error" />}
      {phase === 'cancelled' && (
        <div className="ins-note" role="status" data-testid="extract-cancelled">
          Cancelled{p ? ` after ${grouped(p.files)} entries (${human(p.bytes)})` : ''}. What was written so far stays in <code>{p?.dest ?? dest}</code>.
        </div>
      )}
      {phase === 'done' && (
        <div className="extract-report" role="status" data-testid="extract-report">
          <strong className="ok-text">Done.</strong> Wrote {grouped(p?.files ?? 0)} entries ({human(p?.bytes ?? 0)}) into <code>{p?.dest ?? dest}</code>.
          {skipped.length === 0 ? <div className="muted small">Nothing was skipped.</div> : null}
        </div>
      )}
      {(phase !== 'running' || skipped.length > 0) && skipped.length > 0 && (
        <div className="extract-skipped" data-testid="extract-skipped">
          <div className="small">
            <strong>{skipped.length} skipped</strong> <span className="muted">(not written, and why)</span>
          </div>
          <ul className="small">
            {skipped.slice(0, 200).map((s) => (
              <li key={s.path}>
                <code>{s.path}</code> <span className="muted">{s.reason}</span>
              </li>
            ))}
            {skipped.length > 200 && <li className="muted">…and {skipped.length - 200} more</li>}
          </ul>
        </div>
      )}
      {phase !== 'running' && (
        <div className="view-actions modal-actions">
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Close
          </button>
        </div>
      )}
    </Modal>
  );
}
