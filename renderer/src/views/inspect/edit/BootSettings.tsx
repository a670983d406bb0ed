import { useEffect, useState } from 'react';
import type { LabErrorShape } from '../../../../../shared/errors';
import type { BootConfigEntry } from '../../../../../shared/remaster';
import { useEdit } from '../../../store/edit-store';
import { useInspect } from '../../../store/inspect-store';
import { ErrorNote } from '../common';
import { ARG_HELPERS, hasArg, withArg } from './cmdline';

function EntryForm({ entry }: { entry: BootConfigEntry }) {
  const [line, setLine] = useState(entry.cmdline);
  const [error, setError] = useState<LabErrorShape>();
  const [busy, setBusy] = useState(false);
  const { revealPath } = useInspect.getState();
  // A change applied (here or by an undo) is what the field shows next.
  useEffect(() => setLine(entry.cmdline), [entry.cmdline]);
  const dirty = line.trim() !== entry.cmdline.trim();
  const apply = () => {
    setBusy(true);
    setError(undefined);
    void useEdit
      .getState()
      .apply({ op: 'cmdline', entry: entry.id, cmdline: line.trim() })
      .then((ok) => {
        setBusy(false);
        if (!ok) setError(useEdit.getState().error);
        useEdit.getState().clearError();
      });
  };
  const changed = entry.cmdline !== entry.original;
  return (
    <li className="card boot-entry" data-testid="boot-entry" data-entry={entry.id}>
      <div className="boot-entry-head">
        <strong data-testid="boot-entry-label">{entry.label || '(no label)'}</strong>
        <span className="ins-tag">{entry.loader}</span>
        {changed && <span className="ins-tag edit-tag edit-tag-changed">changed</span>}
      </div>
      <dl className="facts boot-entry-facts small">
        <dt>Config</dt>
        <dd>
          <button type="button" className="link-btn" onClick={() => void revealPath(entry.config)}>
            {entry.config}
          </button>
        </dd>
        {entry.kernel && (
          <>
            <dt>Kernel</dt>
            <dd>
              <code>{entry.kernel}</code>
            </dd>
          </>
        )}
        {entry.initrd && (
          <>
            <dt>Initrd</dt>
            <dd>
              <code>{entry.initrd}</code>
            </dd>
          </>
        )}
        {changed && (
          <>
            <dt>In the input</dt>
            <dd>
              <code data-testid="boot-entry-original">{entry.original || '(empty)'}</code>
            </dd>
          </>
        )}
      </dl>
      <form
        className="boot-cmdline"
        onSubmit={(e) => {
          e.preventDefault();
          if (dirty) apply();
        }}
      >
        <label className="field">
          <span>Kernel command line</span>
          <input type="text" className="edit-input mono" value={line} spellCheck={false} onChange={(e) => setLine(e.target.value)} data-testid="boot-cmdline" />
        </label>
        <div className="boot-helpers">
          {ARG_HELPERS.map((h) => (
            <button
              key={h.arg}
              type="button"
              className="btn btn-small"
              disabled={hasArg(line, h.arg)}
              title={h.why}
              onClick={() => setLine((l) => withArg(l, h.arg))}
              data-testid={`boot-add-${h.arg.split('=')[0]}`}
            >
              + {h.arg}
            </button>
          ))}
          <span className="boot-apply">
            {dirty && (
              <button type="button" className="btn btn-small" onClick={() => setLine(entry.cmdline)}>
                Reset
              </button>
            )}
            <button type="submit" className="btn btn-small btn-primary" disabled={!dirty || busy} data-testid="boot-apply">
              {busy ? 'Applying…' : 'Apply'}
            </button>
          </span>
        </div>
      </form>
      {entry.notes.length > 0 && (
        <ul className="boot-notes small" data-testid="boot-notes">
          {entry.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {error && <ErrorNote error={error} compact testId="boot-error" />}
    </li>
  );
}

/** The bootloader entries of the ISO as the edit has them, each with its kernel command line. */
export function BootSettings() {
  const boot = useEdit((s) => s.boot);
  const bootError = useEdit((s) => s.bootError);
  const { setPanel, loadBoot } = useEdit.getState();
  return (
    <section className="details-pane edit-panel" data-testid="boot-settings" aria-labelledby="boot-settings-title">
      <div className="details-scroll">
        <header className="details-head">
          <h2 id="boot-settings-title">Boot settings</h2>
          <div className="view-actions">
            <button type="button" className="btn btn-small" onClick={() => setPanel('details')} aria-label="Back to the details">
              ✕
            </button>
          </div>
        </header>
        <p className="muted small">
          The kernel command line of each entry of the ISO’s bootloader configs (isolinux/syslinux <code>append</code>, GRUB <code>linux</code>). Apply keeps it as a change;
          the config file is rewritten when you save.
        </p>
        {bootError && <ErrorNote error={bootError} onRetry={() => void loadBoot()} testId="boot-entries-error" />}
        {!boot && !bootError && <p className="muted" aria-busy="true">Reading the bootloader configs…</p>}
        {boot && boot.length === 0 && <p className="muted">No isolinux, syslinux or GRUB entries were found in this ISO.</p>}
        {boot && boot.length > 0 && (
          <ul className="boot-entries">
            {boot.map((b) => (
              <EntryForm key={b.id} entry={b} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
