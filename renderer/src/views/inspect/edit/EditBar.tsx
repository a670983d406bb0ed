import { useEffect, useState } from 'react';
import { formatBytes } from '../../../../../shared/format';
import { useEdit, type UploadJob } from '../../../store/edit-store';
import { useEditSave } from '../../../store/edit-save-store';
import { UPLOAD_LIMIT_WORDS } from '../../../store/edit-upload';
import { ErrorNote } from '../common';
import { SaveDialog } from './SaveDialog';

export const EDIT_KEYS = 'Control+Shift+E';

/** The Inspect toolbar's Edit toggle, with the number of changes; Ctrl+Shift+E too. */
export function EditToggle({ disabled }: { disabled?: boolean }) {
  const on = useEdit((s) => s.on);
  const count = useEdit((s) => s.state?.changes.length ?? 0);
  const { toggle } = useEdit.getState();
  useEffect(() => {
    if (disabled) return;
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && !e.altKey && e.key.toLowerCase() === 'e' && !document.querySelector('[role="dialog"]')) {
        e.preventDefault();
        useEdit.getState().toggle();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [disabled]);
  return (
    <button
      type="button"
      className={`btn${on ? ' btn-edit-on' : ''}`}
      aria-pressed={on}
      aria-keyshortcuts={EDIT_KEYS}
      disabled={disabled}
      onClick={toggle}
      data-testid="edit-toggle"
      data-tour="edit-toggle"
      title="Edit mode: change files, the initrd and the boot settings, then save a new ISO without a rebuild (Ctrl+Shift+E)"
    >
      Edit
      {on && count > 0 && (
        <span className="count-badge" data-testid="edit-toggle-count" aria-label={`${count} changes`}>
          {count}
        </span>
      )}
    </button>
  );
}

function Upload({ u }: { u: UploadJob }) {
  const { dismissUpload } = useEdit.getState();
  const pct = u.size ? Math.round((u.sent / u.size) * 100) : 100;
  return (
    <li className={`upload upload-${u.phase}`} data-testid="upload" data-phase={u.phase} data-dest={u.dest}>
      <div className="upload-line small">
        <strong>{u.name}</strong> → <code>{u.dest}</code>{' '}
        <span className="muted">
          {u.phase === 'sending'
            ? `${pct}% · ${formatBytes(u.sent)} of ${formatBytes(u.size)}`
            : u.phase === 'applying'
              ? 'adding…'
              : u.phase === 'done'
                ? `added (${formatBytes(u.size)})`
                : 'not added'}
        </span>
        {(u.phase === 'done' || u.phase === 'failed') && (
          <button type="button" className="btn btn-small" aria-label={`Dismiss ${u.name}`} onClick={() => dismissUpload(u.id)}>
            ✕
          </button>
        )}
      </div>
      {u.phase === 'sending' && (
        <div className="save-progress-bar upload-bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={`Sending ${u.name}`}>
          <div style={{ width: `${pct}%` }} />
        </div>
      )}
      {u.error && <ErrorNote error={u.error} compact testId="upload-error" />}
    </li>
  );
}

/** Under the summary while Edit mode is on: what is edited, the panels, Save, and what needs saying. */
export function EditBar() {
  const state = useEdit((s) => s.state);
  const opening = useEdit((s) => s.opening);
  const error = useEdit((s) => s.error);
  const panel = useEdit((s) => s.panel);
  const uploads = useEdit((s) => s.uploads);
  const saving = useEditSave((s) => s.running);
  const { setPanel, clearError, enable } = useEdit.getState();
  const [saveOpen, setSaveOpen] = useState(false);
  const file = useEdit((s) => s.file);

  const count = state?.changes.length ?? 0;
  return (
    <section className="edit-bar-card card" data-testid="edit-bar" aria-label="Edit mode">
      <div className="edit-bar-row">
        <div className="edit-bar-what">
          <strong>Edit mode</strong>{' '}
          <span className="muted small">
            {opening
              ? 'Opening the edit (the first time, the ISO is hashed once)…'
              : state
                ? `Changes are kept by the lab until you save; the input ISO is never changed. Drop files on a folder (${UPLOAD_LIMIT_WORDS} at most from a browser).`
                : ''}
          </span>
        </div>
        <div className="view-actions">
          <button type="button" className="btn" aria-pressed={panel === 'changes'} disabled={!state} onClick={() => setPanel(panel === 'changes' ? 'details' : 'changes')} data-testid="edit-changes-button">
            Changes{' '}
            <span className={`count-badge${count ? '' : ' count-badge-zero'}`} data-testid="edit-count">
              {count}
            </span>
          </button>
          <button type="button" className="btn" aria-pressed={panel === 'boot'} disabled={!state} onClick={() => setPanel(panel === 'boot' ? 'details' : 'boot')} data-testid="edit-boot-button">
            Boot settings
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!state || !!state.stale || count === 0}
            onClick={() => setSaveOpen(true)}
            data-testid="edit-save-as"
            title={state?.stale ? 'The input changed since the edit began: saving is refused' : count === 0 ? 'Nothing to save yet' : 'Write a new ISO with these changes'}
          >
            {saving ? 'Saving…' : 'Save as new ISO…'}
          </button>
        </div>
      </div>
      {state?.stale && (
        <div className="banner banner-error edit-stale" role="alert" data-testid="edit-stale">
          <strong>The input ISO changed since this edit began: {state.stale}</strong>
          <div>Saving is refused, since the changes were made against the old file. Discard them in Changes to start again from the ISO as it is now.</div>
        </div>
      )}
      {error && (
        <div className="edit-bar-error">
          <ErrorNote error={error} onRetry={!state && file ? () => void enable(file) : undefined} testId="edit-error" />
          {state && (
            <button type="button" className="btn btn-small" onClick={clearError}>
              Dismiss
            </button>
          )}
        </div>
      )}
      {uploads.length > 0 && (
        <ul className="uploads" data-testid="uploads">
          {uploads.map((u) => (
            <Upload key={u.id} u={u} />
          ))}
        </ul>
      )}
      {saveOpen && state && <SaveDialog edit={state} onClose={() => setSaveOpen(false)} />}
    </section>
  );
}
