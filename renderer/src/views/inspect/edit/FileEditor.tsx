import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { useEffect, useRef, useState } from 'react';
import type { LabErrorShape } from '../../../../../shared/errors';
import { formatBytes } from '../../../../../shared/format';
import { api } from '../../../api/lab-api';
import { useEdit } from '../../../store/edit-store';
import { shape } from '../../../store/inspect-store';
import { ErrorNote, fromBase64, looksLikeText } from '../common';
import { editorExtensions } from './codemirror';

/** Text typed and not saved yet, by path: selecting another file and coming back keeps it. */
const drafts = new Map<string, string>();

type Loaded = { kind: 'text'; text: string; changed: boolean } | { kind: 'binary'; size: number; changed: boolean } | { kind: 'too-big'; size: number };

/**
 * A file of the edit in a real editor. The text is the edit's current bytes (edit.read), so a
 * file changed before shows its new text; "Save change" (Ctrl+S) keeps it as one change.
 */
export function FileEditor({ path }: { path: string }) {
  const id = useEdit((s) => s.state?.id);
  // The change count: after an undo or discard the file is read again.
  const version = useEdit((s) => s.state?.updatedAt);
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<LabErrorShape>();
  const [saveError, setSaveError] = useState<LabErrorShape>();
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(null);
  const baseline = useRef('');
  const savingRef = useRef(false);
  const saveRef = useRef<() => boolean>(() => false);

  useEffect(() => {
    if (!id) return;
    let alive = true;
    setError(undefined);
    api
      .request('edit.read', { id, path })
      .then((res) => {
        if (!alive) return;
        if (res.truncated) return setLoaded({ kind: 'too-big', size: res.size });
        const bytes = fromBase64(res.base64);
        if (!looksLikeText(bytes, true)) return setLoaded({ kind: 'binary', size: res.size, changed: res.changed });
        const text = new TextDecoder('utf-8').decode(bytes);
        if (savingRef.current) return;
        baseline.current = text;
        // Read again after a save: the editor holds that text already, and keeps its cursor and undo.
        const same = view.current?.state.doc.toString() === text;
        setLoaded((old) => (same && old?.kind === 'text' ? { ...old, changed: res.changed } : { kind: 'text', text, changed: res.changed }));
        if (same) setDirty(false);
      })
      .catch((err) => alive && setError(shape(err)));
    return () => {
      alive = false;
    };
  }, [id, path, version, attempt]);

  // The editor is made once per file and text; typing never re-renders it from React.
  const text = loaded?.kind === 'text' ? loaded.text : undefined;
  useEffect(() => {
    if (text === undefined || !host.current) return;
    const start = drafts.get(path) ?? text;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: start,
        extensions: editorExtensions(
          {
            onSave: () => saveRef.current(),
            onChange: (t) => {
              if (t === baseline.current) drafts.delete(path);
              else drafts.set(path, t);
              setDirty(t !== baseline.current);
            },
          },
          `Text of ${path}`,
        ),
      }),
    });
    view.current = v;
    setDirty(start !== baseline.current);
    return () => {
      v.destroy();
      view.current = null;
    };
  }, [path, text]);

  const save = (): boolean => {
    const v = view.current;
    if (!v || savingRef.current) return true;
    const now = v.state.doc.toString();
    if (now === baseline.current) return true;
    savingRef.current = true;
    setSaving(true);
    setSaveError(undefined);
    void useEdit
      .getState()
      .apply({ op: 'write', path, text: now })
      .then((ok) => {
        savingRef.current = false;
        setSaving(false);
        if (!ok) {
          setSaveError(useEdit.getState().error);
          return;
        }
        baseline.current = now;
        drafts.delete(path);
        setDirty(v.state.doc.toString() !== now);
      });
    return true;
  };
  saveRef.current = save;

  // Ctrl+S also when the focus is on the Save button or elsewhere in the pane.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's' && loaded?.kind === 'text') {
        e.preventDefault();
        save();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (error) return <ErrorNote error={error} onRetry={() => setAttempt((n) => n + 1)} testId="editor-error" />;
  if (!loaded) return <p className="muted viewer-wait" aria-busy="true">Reading {path.slice(path.lastIndexOf('/') + 1)}…</p>;
  if (loaded.kind !== 'text') {
    return (
      <div className="ins-note small edit-binary" data-testid="editor-binary">
        {loaded.kind === 'too-big'
          ? `This file is ${formatBytes(loaded.size)}: too big to edit as text here. Replace it with a file from this machine instead.`
          : `A binary file (${formatBytes(loaded.size)}${loaded.changed ? ', changed in this edit' : ''}): replace it with a file from this machine, or drop one on its folder.`}
      </div>
    );
  }
  return (
    <div className="file-editor" data-testid="file-editor" data-dirty={dirty ? 'true' : 'false'}>
      <div className="viewer-bar small editor-bar">
        <span className="muted">
          {dirty ? <strong className="warn-text">Not saved</strong> : loaded.changed ? 'Changed in this edit' : 'As in the ISO'} · Ctrl+F finds, Ctrl+Z undoes
        </span>
        <button type="button" className="btn btn-small btn-primary" disabled={!dirty || saving} onClick={save} data-testid="editor-save" aria-keyshortcuts="Control+S">
          {saving ? 'Saving…' : 'Save change'}
        </button>
      </div>
      {saveError && <ErrorNote error={saveError} compact testId="editor-save-error" />}
      <div className="editor-host" ref={host} />
    </div>
  );
}
