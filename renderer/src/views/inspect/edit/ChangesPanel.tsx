import { useState } from 'react';
import type { LabErrorShape } from '../../../../../shared/errors';
import type { ChangeView } from '../../../../../shared/remaster';
import { useEdit } from '../../../store/edit-store';
import { useInspect } from '../../../store/inspect-store';
import { ErrorNote } from '../common';
import { Modal } from '../Modal';
import { TextDiff } from './TextDiff';

function levelWords(level: string): string {
  return level === '' ? 'in the ISO' : `inside ${level.slice(1)}`;
}

/** A write of text (not an upload of bytes) is worth a diff; so is a write whose bytes look like text. */
function diffable(v: ChangeView): boolean {
  return v.change.op === 'write' && !!v.path && v.change.size <= 4 << 20;
}

function ChangeItem({ v, input, editId }: { v: ChangeView; input: string; editId: string }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<LabErrorShape>();
  const busy = useEdit((s) => s.busy);
  const { revealPath } = useInspect.getState();
  return (
    <li className="change-item" data-testid="edit-change" data-index={v.index} data-op={v.change.op} data-path={v.path ?? ''}>
      <div className="change-line">
        <span className="change-no muted">{v.index + 1}</span>
        <span className="change-what">
          <span className="change-summary" data-testid="edit-change-summary">
            {v.summary}
          </span>
          <span className="ins-tag change-level" data-testid="edit-change-level">
            {levelWords(v.level)}
          </span>
        </span>
        <span className="view-actions change-actions">
          {v.path && v.change.op !== 'rm' && (
            <button type="button" className="btn btn-small" onClick={() => void revealPath(v.change.op === 'rename' ? v.change.to : v.path!)}>
              Show
            </button>
          )}
          {diffable(v) && (
            <button type="button" className="btn btn-small" aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid="edit-change-diff">
              {open ? 'Hide diff' : 'Diff'}
            </button>
          )}
          <button
            type="button"
            className="btn btn-small"
            disabled={busy}
            data-testid="edit-change-undo"
            onClick={() => {
              setError(undefined);
              void useEdit
                .getState()
                .undo(v.index)
                .then((e) => {
                  // The refusal (a later change needs this one) is shown on the change itself.
                  if (e) setError(e);
                  useEdit.getState().clearError();
                });
            }}
          >
            Undo
          </button>
        </span>
      </div>
      {error && <ErrorNote error={error} compact testId="edit-undo-error" />}
      {open && v.path && <TextDiff input={input} editId={editId} path={v.path} replaces={!!v.replaces} />}
    </li>
  );
}

/** The changes of the edit, in order, each with Undo; Discard all drops them. */
export function ChangesPanel() {
  const state = useEdit((s) => s.state);
  const busy = useEdit((s) => s.busy);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<LabErrorShape>();
  const { setPanel } = useEdit.getState();
  if (!state) return null;
  const changes = state.changes;
  return (
    <section className="details-pane edit-panel" data-testid="changes-panel" aria-labelledby="changes-title">
      <div className="details-scroll">
        <header className="details-head">
          <h2 id="changes-title">
            Changes <span className="muted">({changes.length})</span>
          </h2>
          <div className="view-actions">
            <button type="button" className="btn btn-small" disabled={!changes.length || busy} onClick={() => setConfirm(true)} data-testid="edit-discard">
              Discard all…
            </button>
            <button type="button" className="btn btn-small" onClick={() => setPanel('details')} aria-label="Back to the details">
              ✕
            </button>
          </div>
        </header>
        <p className="muted small">
          Kept in the lab’s data folder and applied in this order when you save; the input ISO never changes.
          {state.levels.length > 0 && ' Archives with changes: '}
          {state.levels.map((l, i) => (
            <span key={l.path} data-testid="edit-level" data-level={l.path}>
              {i > 0 && ', '}
              <code>{l.path.slice(1)}</code> ({l.format}, {l.appendOk ? 'a new segment is appended' : `repacked: ${l.repackReason ?? 'a change needs it'}`})
            </span>
          ))}
        </p>
        {error && <ErrorNote error={error} testId="edit-discard-error" />}
        {changes.length === 0 ? (
          <p className="muted" data-testid="changes-empty">
            No changes yet. Edit a text file, drop files on a folder, or use the menu of an entry (right click) to change it.
          </p>
        ) : (
          <ol className="change-list" data-testid="edit-changes">
            {changes.map((v) => (
              <ChangeItem key={`${v.index}:${v.summary}`} v={v} input={state.input.file} editId={state.id} />
            ))}
          </ol>
        )}
      </div>
      {confirm && (
        <Modal title="Discard every change?" onClose={() => setConfirm(false)} testId="discard-dialog" initialFocus="button.btn-danger">
          <p>
            The {changes.length} {changes.length === 1 ? 'change' : 'changes'} to {state.input.file.slice(state.input.file.lastIndexOf('/') + 1)} and the files kept for them are dropped. This cannot be
            undone.
          </p>
          <div className="edit-form-actions">
            <button type="button" className="btn" onClick={() => setConfirm(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="btn btn-danger"
              data-testid="discard-confirm"
              onClick={() => {
                setConfirm(false);
                setError(undefined);
                void useEdit
                  .getState()
                  .discard()
                  .then((ok) => {
                    if (!ok) setError(useEdit.getState().error);
                    useEdit.getState().clearError();
                  });
              }}
            >
              Discard all
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
