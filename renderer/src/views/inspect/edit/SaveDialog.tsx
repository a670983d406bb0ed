import { useEffect, useState } from 'react';
import type { LabErrorShape } from '../../../../../shared/errors';
import { formatBytes } from '../../../../../shared/format';
import type { EditState, WriteMode } from '../../../../../shared/remaster';
import { api } from '../../../api/lab-api';
import { defaultOut } from '../../../store/edit-paths';
import { useEditSave } from '../../../store/edit-save-store';
import { shape } from '../../../store/inspect-store';
import { ErrorNote } from '../common';
import { Modal } from '../Modal';
import { HostPicker } from '../OpenImageDialog';

const MODES: { mode: WriteMode; label: string; says: string }[] = [
  { mode: 'auto', label: 'Auto', says: 'Append where that is enough, repack where a change needs it (deletes, renames).' },
  { mode: 'append', label: 'Append', says: 'Add a new cpio segment after the initrd: fast, and the kernel unpacks it over the old one. Cannot delete or rename.' },
  { mode: 'repack', label: 'Repack', says: 'Write each changed archive again from scratch: smaller, takes longer.' },
];

const PHASE_WORDS: Record<string, string> = { checking: 'Checking the input', initrd: 'Writing the archive', compressing: 'Compressing', iso: 'Writing the ISO' };

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** Whether `out` exists, from a listing of its folder (the core refuses to replace it unless told to). */
async function exists(out: string): Promise<boolean> {
  try {
    const res = await api.request('host.list', { path: dirOf(out) });
    return res.entries.some((e) => e.path === out || e.name === out.slice(out.lastIndexOf('/') + 1));
  } catch {
    // An unlistable folder: the core's own answer on saving says what is wrong.
    return false;
  }
}

/** "Save as new ISO…": where, how, and the write itself with its progress and Cancel. */
export function SaveDialog({ edit, onClose }: { edit: EditState; onClose: () => void }) {
  const running = useEditSave((s) => s.running);
  const progress = useEditSave((s) => s.progress);
  const saveError = useEditSave((s) => s.error);
  const result = useEditSave((s) => s.result);
  const request = useEditSave((s) => s.request);
  const { save, cancel } = useEditSave.getState();
  const [out, setOut] = useState(() => defaultOut(edit.input.file));
  const [mode, setMode] = useState<WriteMode>('auto');
  const [picking, setPicking] = useState(false);
  const [confirmReplace, setConfirmReplace] = useState(false);
  const [error, setError] = useState<LabErrorShape>();
  const [started, setStarted] = useState(false);

  // The write finished: the result card takes over on the Inspect screen.
  useEffect(() => {
    if (started && result && request?.out === out) onClose();
  }, [started, result, request, out, onClose]);

  const appendBlocked = edit.levels.filter((l) => !l.appendOk);
  const start = (overwrite: boolean) => {
    setConfirmReplace(false);
    setStarted(true);
    save({ id: edit.id, out, mode, overwrite, input: edit.input.file });
  };
  const submit = async () => {
    setError(undefined);
    const target = out.trim();
    if (!target.startsWith('/')) return setError({ code: 'USAGE', message: 'Give the new ISO’s full path, starting with /.' });
    if (target === edit.input.file) return setError({ code: 'USAGE', message: 'That is the input ISO.', hint: 'The new ISO goes next to it, under another name: the input is never changed.' });
    if (await exists(target)) setConfirmReplace(true);
    else start(false);
  };

  if (picking) {
    // In place of the dialog, not over it: one modal at a time keeps the focus trap simple.
    return (
      <HostPicker
        mode="folder"
        title="Save the new ISO in…"
        chooseLabel="Save here"
        onClose={() => setPicking(false)}
        onChoose={(dir) => {
          setPicking(false);
          setOut(`${dir.replace(/\/+$/, '')}/${out.slice(out.lastIndexOf('/') + 1)}`);
        }}
      />
    );
  }
  return (
    <Modal title="Save as new ISO" onClose={running ? cancel : onClose} testId="save-dialog" locked={running} initialFocus="[data-testid=save-out]" wide>
      {confirmReplace ? (
        // Asked in place of the form: one dialog at a time keeps Tab and Esc simple.
        <div className="edit-form" data-testid="save-replace-dialog">
          <p>
            <code>{out}</code> exists. Replace it with the new ISO?
          </p>
          <div className="edit-form-actions">
            <button type="button" className="btn" onClick={() => setConfirmReplace(false)}>
              Cancel
            </button>
            <button type="button" className="btn btn-danger" onClick={() => start(true)} data-testid="save-replace">
              Replace
            </button>
          </div>
        </div>
      ) : (
      <form
        className="edit-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit().catch((err) => setError(shape(err)));
        }}
      >
        <label className="field">
          <span>New ISO</span>
          <span className="field-input">
            <input type="text" className="edit-input mono" value={out} spellCheck={false} onChange={(e) => setOut(e.target.value)} disabled={running} data-testid="save-out" />
            <button type="button" className="btn" onClick={() => setPicking(true)} disabled={running}>
              Folder…
            </button>
          </span>
        </label>
        <fieldset className="save-modes" disabled={running}>
          <legend>How archives with changes are written</legend>
          {MODES.map((m) => (
            <label key={m.mode} className="save-mode">
              <input type="radio" name="save-mode" value={m.mode} checked={mode === m.mode} onChange={() => setMode(m.mode)} data-testid={`save-mode-${m.mode}`} />
              <span>
                <strong>{m.label}</strong> <span className="muted small">{m.says}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {mode === 'append' && appendBlocked.length > 0 && (
          <p className="ins-note small" data-testid="save-append-warning">
            {appendBlocked.map((l) => `${l.path.slice(1)}: ${l.repackReason ?? 'needs a repack'}`).join('; ')}. Append cannot do that: the core will refuse; choose Auto or Repack.
          </p>
        )}
        {edit.stale && <ErrorNote error={{ code: 'STALE', message: edit.stale, hint: 'The input changed since the edit began: saving is refused.' }} testId="save-stale" />}
        {error && <ErrorNote error={error} testId="save-error" />}
        {saveError && started && !running && <ErrorNote error={saveError} testId="save-error" />}
        {running && (
          <div className="save-progress" data-testid="save-progress" aria-live="polite">
            <div className="save-progress-bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress?.percent ?? 0)}>
              <div style={{ width: `${Math.max(0, Math.min(100, progress?.percent ?? 0))}%` }} />
            </div>
            <div className="small">
              {progress ? (
                <>
                  <strong>{Math.round(progress.percent)}%</strong> · {PHASE_WORDS[progress.phase] ?? progress.phase}
                  {progress.level ? ` ${progress.level.slice(1)}` : ''} · {formatBytes(progress.bytes)}
                  {progress.total > 0 ? ` of ${formatBytes(progress.total)}` : ''}
                </>
              ) : (
                'Starting…'
              )}
            </div>
          </div>
        )}
        <div className="edit-form-actions">
          {running ? (
            <button type="button" className="btn" onClick={cancel} data-testid="save-cancel">
              Cancel
            </button>
          ) : (
            <>
              <button type="button" className="btn" onClick={onClose}>
                Close
              </button>
              <button type="submit" className="btn btn-primary" disabled={!!edit.stale || edit.changes.length === 0} data-testid="save-start">
                Save
              </button>
            </>
          )}
        </div>
      </form>
      )}
    </Modal>
  );
}
