import { useState, type FormEvent, type ReactNode } from 'react';
import { create } from 'zustand';
import type { LabErrorShape } from '../../../../../shared/errors';
import type { ChangeInput } from '../../../../../shared/remaster';
import type { EntryView } from '../../../../../shared/image';
import { joinPath } from '../../../store/edit-paths';
import { useEdit } from '../../../store/edit-store';
import { parentOf } from '../../../store/edit-overlay';
import { useInspect } from '../../../store/inspect-store';
import { ErrorNote } from '../common';
import { Modal } from '../Modal';
import { HostPicker } from '../OpenImageDialog';

/**
 * What Edit mode asks before it changes an entry: a name, a mode, an owner, a file from this
 * machine, or a yes to a delete. The context menu, the Details pane and the keys (Delete, F2)
 * all open these, through `askEdit`.
 */

export type EditAction = 'rename' | 'mkdir' | 'delete' | 'chmod' | 'chown' | 'replace' | 'add-file' | 'add-folder';

interface Ask {
  action: EditAction;
  entry: EntryView;
}

export const useEditAsk = create<{ ask?: Ask }>(() => ({}));

export function askEdit(action: EditAction, entry: EntryView): void {
  useEditAsk.setState({ ask: { action, entry } });
}

const close = () => useEditAsk.setState({ ask: undefined });

/** The folder an entry stands for: itself when it holds entries (a folder, an archive), else its parent. */
export function folderOf(e: EntryView): string {
  return e.type === 'dir' || e.archive ? e.path : parentOf(e.path);
}

function nameOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Applies a change; keeps the dialog open with the core's refusal when it says no. */
async function applyOrShow(change: ChangeInput, setError: (e?: LabErrorShape) => void): Promise<void> {
  setError(undefined);
  const ok = await useEdit.getState().apply(change);
  if (ok) {
    close();
    // What was made or renamed is shown and selected, as a file manager does.
    const made = change.op === 'rename' ? change.to : change.op === 'mkdir' || change.op === 'put' ? change.path : undefined;
    if (made) void useInspect.getState().revealPath(made);
  } else setError(useEdit.getState().error);
  useEdit.getState().clearError();
}

function Form(props: { title: string; testId: string; submit: string; danger?: boolean; error?: LabErrorShape; busy: boolean; onSubmit: () => void; children: ReactNode }) {
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    props.onSubmit();
  };
  return (
    <Modal title={props.title} onClose={close} testId={props.testId} initialFocus="input, button.btn-primary, button.btn-danger">
      <form onSubmit={onSubmit} className="edit-form">
        {props.children}
        {props.error && <ErrorNote error={props.error} testId="edit-dialog-error" />}
        <div className="edit-form-actions">
          <button type="button" className="btn" onClick={close}>
            Cancel
          </button>
          <button type="submit" className={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`} disabled={props.busy} data-testid="edit-dialog-ok">
            {props.submit}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function TextAsk({ ask, title, label, initial, submit, help, toChange }: { ask: Ask; title: string; label: string; initial: string; submit: string; help?: ReactNode; toChange: (value: string) => ChangeInput | LabErrorShape }) {
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<LabErrorShape>();
  const [busy, setBusy] = useState(false);
  const testId = `edit-${ask.action}-dialog`;
  return (
    <Form
      title={title}
      testId={testId}
      submit={submit}
      error={error}
      busy={busy}
      onSubmit={() => {
        const change = toChange(value.trim());
        if ('code' in change) return setError(change);
        setBusy(true);
        void applyOrShow(change, setError).finally(() => setBusy(false));
      }}
    >
      <label className="field">
        <span>{label}</span>
        <input type="text" value={value} spellCheck={false} autoComplete="off" onChange={(e) => setValue(e.target.value)} data-testid="edit-dialog-input" className="edit-input mono" />
      </label>
      {help && <p className="muted small">{help}</p>}
    </Form>
  );
}

function validName(name: string): LabErrorShape | undefined {
  if (!name) return { code: 'USAGE', message: 'Give it a name.' };
  if (name.includes('/') || name === '.' || name === '..') return { code: 'USAGE', message: `“${name}” is not a name: no slashes, not . or ..` };
  return undefined;
}

function OwnerAsk({ ask }: { ask: Ask }) {
  const [uid, setUid] = useState(String(ask.entry.uid));
  const [gid, setGid] = useState(String(ask.entry.gid));
  const [error, setError] = useState<LabErrorShape>();
  const [busy, setBusy] = useState(false);
  const num = (s: string) => (/^\d{1,10}$/.test(s.trim()) ? Number(s.trim()) : NaN);
  return (
    <Form
      title={`Owner of ${ask.entry.name}`}
      testId="edit-chown-dialog"
      submit="Change owner"
      error={error}
      busy={busy}
      onSubmit={() => {
        const u = num(uid);
        const g = num(gid);
        if (!Number.isInteger(u) || !Number.isInteger(g) || u > 0xffffffff || g > 0xffffffff) return setError({ code: 'USAGE', message: 'The owner and group are numbers (0 is root).' });
        setBusy(true);
        void applyOrShow({ op: 'chown', path: ask.entry.path, uid: u, gid: g }, setError).finally(() => setBusy(false));
      }}
    >
      <div className="field-row">
        <label className="field">
          <span>User id</span>
          <input type="text" inputMode="numeric" value={uid} onChange={(e) => setUid(e.target.value)} data-testid="edit-uid" className="edit-input mono" />
        </label>
        <label className="field">
          <span>Group id</span>
          <input type="text" inputMode="numeric" value={gid} onChange={(e) => setGid(e.target.value)} data-testid="edit-gid" className="edit-input mono" />
        </label>
      </div>
      <p className="muted small">Numbers, as the image stores them: a root filesystem’s /etc/passwd and /etc/group give them names.</p>
    </Form>
  );
}

function DeleteAsk({ ask }: { ask: Ask }) {
  const [error, setError] = useState<LabErrorShape>();
  const [busy, setBusy] = useState(false);
  const e = ask.entry;
  return (
    <Form
      title={`Delete ${e.name}?`}
      testId="edit-delete-dialog"
      submit="Delete"
      danger
      error={error}
      busy={busy}
      onSubmit={() => {
        setBusy(true);
        void applyOrShow({ op: 'rm', path: e.path }, setError).finally(() => setBusy(false));
      }}
    >
      <p>
        <code>{e.path}</code> {e.type === 'dir' || e.archive ? 'and everything in it go' : 'goes'} from the new ISO. The input stays as it is; Undo in Changes brings it back.
      </p>
    </Form>
  );
}

function PickAsk({ ask }: { ask: Ask }) {
  const [error, setError] = useState<LabErrorShape>();
  const e = ask.entry;
  const folder = folderOf(e);
  const replace = ask.action === 'replace';
  return (
    <HostPicker
      mode={ask.action === 'add-folder' ? 'folder' : 'file'}
      title={replace ? `Replace ${e.name} with…` : ask.action === 'add-folder' ? `Add a folder to ${folder}` : `Add a file to ${folder}`}
      chooseLabel={replace ? 'Replace with this file' : ask.action === 'add-folder' ? 'Add this folder' : 'Add this file'}
      error={error}
      onClose={close}
      onChoose={(host) => {
        // The core reads the file when the ISO is written: nothing is copied now, whatever its size.
        void applyOrShow({ op: 'put', path: replace ? e.path : joinPath(folder, nameOf(host.replace(/\/+$/, ''))), host }, setError);
      }}
    />
  );
}

/** The dialog asked for, if any; rendered once by the Inspect screen. */
export function EditDialogs() {
  const ask = useEditAsk((s) => s.ask);
  if (!ask) return null;
  const e = ask.entry;
  const key = `${ask.action}:${e.path}`;
  switch (ask.action) {
    case 'rename':
      return (
        <TextAsk
          key={key}
          ask={ask}
          title={`Rename ${e.name}`}
          label="New name"
          initial={e.name}
          submit="Rename"
          help="In the same folder; to move it elsewhere, delete it and add it there."
          toChange={(name) => validName(name) ?? { op: 'rename', path: e.path, to: joinPath(parentOf(e.path), name) }}
        />
      );
    case 'mkdir':
      return (
        <TextAsk
          key={key}
          ask={ask}
          title={`New folder in ${folderOf(e)}`}
          label="Name"
          initial=""
          submit="Create folder"
          toChange={(name) => validName(name) ?? { op: 'mkdir', path: joinPath(folderOf(e), name) }}
        />
      );
    case 'chmod':
      return (
        <TextAsk
          key={key}
          ask={ask}
          title={`Permissions of ${e.name}`}
          label="Mode (octal)"
          initial={(e.mode & 0o7777).toString(8).padStart(4, '0')}
          submit="Change permissions"
          help={
            <>
              Now <code>{e.modeString}</code>. 644 is rw-r--r--, 755 rwxr-xr-x; a fourth digit in front sets setuid (4), setgid (2) and sticky (1).
            </>
          }
          toChange={(mode) => (/^0?[0-7]{3,4}$/.test(mode) ? { op: 'chmod', path: e.path, mode } : { code: 'USAGE', message: `“${mode}” is not an octal mode such as 644 or 0755.` })}
        />
      );
    case 'chown':
      return <OwnerAsk key={key} ask={ask} />;
    case 'delete':
      return <DeleteAsk key={key} ask={ask} />;
    case 'replace':
    case 'add-file':
    case 'add-folder':
      return <PickAsk key={key} ask={ask} />;
  }
}
