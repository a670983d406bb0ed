import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { HostEntry } from '../../../../shared/image';
import type { RecentItem } from '../../../../shared/settings';
import { api } from '../../api/lab-api';
import { shape } from '../../store/inspect-store';
import { ErrorNote, human, Icon } from './common';
import { Modal } from './Modal';

interface Listing {
  path: string;
  parent?: string;
  home: string;
  entries: HostEntry[];
}

type Row = { kind: 'parent'; path: string } | { kind: 'entry'; entry: HostEntry };

const LAST_DIR_KEY = 'isolab.inspect.lastDir';

function rememberedDir(mode: 'file' | 'folder'): string | undefined {
  try {
    return localStorage.getItem(`${LAST_DIR_KEY}.${mode}`) ?? localStorage.getItem(`${LAST_DIR_KEY}.file`) ?? undefined;
  } catch {
    return undefined;
  }
}

function remember(mode: 'file' | 'folder', dir: string) {
  try {
    localStorage.setItem(`${LAST_DIR_KEY}.${mode}`, dir);
  } catch {
    // Private windows may refuse storage; the picker then starts at home.
  }
}

function dirOf(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/**
 * The in-app file picker, over `host.list`: it browses the machine running the lab core
 * (the only way a browser page can name a real file). File mode opens an image; folder mode
 * chooses where to extract.
 */
export function HostPicker(props: {
  mode: 'file' | 'folder';
  title: string;
  chooseLabel?: string;
  recent?: RecentItem[];
  onChoose: (path: string) => void;
  onClose: () => void;
  /** An error from acting on the choice (e.g. the file did not open), shown in the dialog. */
  error?: LabErrorShape;
  busy?: boolean;
}) {
  const { mode } = props;
  const [listing, setListing] = useState<Listing>();
  const [input, setInput] = useState('');
  const [error, setError] = useState<LabErrorShape>();
  const [missing, setMissing] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLDivElement>(null);
  const seq = useRef(0);
  /** The user typed in the path field since the last listing: the first listing must not overwrite it. */
  const typed = useRef(false);

  const go = useCallback(
    async (path?: string, opts: { select?: string; typed?: boolean; initial?: boolean } = {}) => {
      const n = ++seq.current;
      setLoading(true);
      setMissing(undefined);
      try {
        const res = await api.request('host.list', path ? { path } : {});
        if (n !== seq.current) return;
        setListing(res);
        if (!(opts.initial && typed.current)) {
          setInput(res.path.endsWith('/') ? res.path : res.path + '/');
          typed.current = false;
        }
        setError(undefined);
        const rows = res.entries;
        const want = opts.select ? rows.findIndex((r) => r.path === opts.select) : -1;
        const firstOpenable = mode === 'file' ? rows.findIndex((r) => r.openable) : -1;
        const base = res.parent ? 1 : 0;
        setActive(want >= 0 ? want + base : firstOpenable >= 0 ? firstOpenable + base : 0);
        remember(mode, res.path);
      } catch (err) {
        if (n !== seq.current) return;
        const e = shape(err);
        if (opts.typed && path && e.code === 'NOT_A_DIRECTORY' && mode === 'file') {
          // The typed path is a file: open it.
          props.onChoose(path);
        } else if (opts.typed && path && e.code === 'NOT_FOUND' && mode === 'folder') {
          setMissing(path);
          setError({ ...e, hint: 'Choose "Create it" to have it made, or pick an existing folder.' });
        } else {
          setError(e);
        }
      } finally {
        if (n === seq.current) setLoading(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [mode, props.onChoose],
  );

  useEffect(() => {
    void go(rememberedDir(mode), { initial: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const rows: Row[] = listing ? [...(listing.parent ? [{ kind: 'parent' as const, path: listing.parent }] : []), ...listing.entries.map((entry) => ({ kind: 'entry' as const, entry }))] : [];

  useEffect(() => {
    listRef.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [active, listing]);

  const enabled = (r: Row) => r.kind === 'parent' || r.entry.type === 'dir' || (mode === 'file' && r.entry.type === 'file');

  const activate = (r: Row | undefined) => {
    if (!r) return;
    if (r.kind === 'parent') void go(r.path, { select: listing?.path });
    else if (r.entry.type === 'dir') void go(r.entry.path);
    else if (mode === 'file' && r.entry.type === 'file') props.onChoose(r.entry.path);
  };

  const move = (to: number) => {
    if (!rows.length) return;
    setActive(Math.max(0, Math.min(rows.length - 1, to)));
  };

  const onListKey = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor((listRef.current?.clientHeight ?? 300) / 30) - 1);
    switch (e.key) {
      case 'ArrowDown':
        move(active + 1);
        break;
      case 'ArrowUp':
        move(active - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'PageDown':
        move(active + page);
        break;
      case 'PageUp':
        move(active - page);
        break;
      case 'Enter':
      case 'ArrowRight':
        if (e.key === 'ArrowRight' && rows[active]?.kind === 'entry' && (rows[active] as { entry: HostEntry }).entry.type !== 'dir') return;
        activate(rows[active]);
        break;
      case 'Backspace':
      case 'ArrowLeft':
        if (listing?.parent) void go(listing.parent, { select: listing.path });
        break;
      default: {
        // Type-ahead: jump to the next name starting with the letter.
        if (e.key.length !== 1 || e.ctrlKey || e.metaKey || e.altKey) return;
        const ch = e.key.toLowerCase();
        for (let i = 1; i <= rows.length; i++) {
          const idx = (active + i) % rows.length;
          const r = rows[idx]!;
          if (r.kind === 'entry' && r.entry.name.toLowerCase().startsWith(ch)) {
            setActive(idx);
            break;
          }
        }
      }
    }
    e.preventDefault();
  };

  const onInputKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const v = input.trim();
      if (v) void go(v.length > 1 ? v.replace(/\/+$/, '') : v, { typed: true });
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      listRef.current?.focus();
    }
  };

  const activeRow = rows[active];
  const chooseFile = mode === 'file' && activeRow?.kind === 'entry' && activeRow.entry.type === 'file' ? activeRow.entry.path : undefined;
  const recent = (props.recent ?? []).filter((r) => r.kind !== 'checkout').slice(0, 6);

  return (
    <Modal title={props.title} onClose={props.onClose} testId={mode === 'file' ? 'open-dialog' : 'folder-dialog'} initialFocus="input" wide>
      <div className="picker">
        <label className="picker-path">
          <span className="sr-only">{mode === 'file' ? 'File or folder path' : 'Folder path'}</span>
          <input
            type="text"
            value={input}
            spellCheck={false}
            autoComplete="off"
            aria-label={mode === 'file' ? 'Path' : 'Folder path'}
            data-testid="picker-path"
            onChange={(e) => {
              typed.current = true;
              setInput(e.target.value);
            }}
            onKeyDown={onInputKey}
          />
          <button type="button" className="btn" onClick={() => input.trim() && void go(input.trim().replace(/(.)\/+$/, '$1'), { typed: true })}>
            Go
          </button>
          {listing && (
            <button type="button" className="btn" onClick={() => void go(listing.home)} title={listing.home}>
              Home
            </button>
          )}
        </label>
        {error && <ErrorNote error={error} testId="picker-error" />}
        {props.error && <ErrorNote error={props.error} testId="open-error" />}
        <div
          ref={listRef}
          className="picker-list"
          role="listbox"
          tabIndex={0}
          aria-label={listing ? `Contents of ${listing.path}` : 'Folder contents'}
          aria-activedescendant={rows.length ? `picker-row-${active}` : undefined}
          aria-busy={loading}
          data-testid="picker-list"
          onKeyDown={onListKey}
        >
          {rows.map((r, i) => {
            const on = i === active;
            if (r.kind === 'parent') {
              return (
                <div key=".." id={`picker-row-${i}`} data-index={i} role="option" aria-selected={on} className={`picker-row${on ? ' active' : ''}`} onClick={() => setActive(i)} onDoubleClick={() => activate(r)}>
                  <Icon kind="dir-open" />
                  <span className="picker-name">..</span>
                  <span className="muted small">parent folder</span>
                </div>
              );
            }
            const en = r.entry;
            const ok = enabled(r);
            return (
              <div
                key={en.path}
                id={`picker-row-${i}`}
                data-index={i}
                role="option"
                aria-selected={on}
                aria-disabled={!ok || undefined}
                data-name={en.name}
                className={`picker-row${on ? ' active' : ''}${en.openable ? ' openable' : ''}${ok ? '' : ' disabled'}`}
                onClick={() => setActive(i)}
                onDoubleClick={() => activate(r)}
              >
                <Icon kind={en.type === 'dir' ? 'dir' : en.openable ? 'disc' : 'file'} />
                <span className="picker-name">{en.name}</span>
                {en.openable && <span className="ins-tag ins-tag-accent">opens</span>}
                <span className="picker-size muted small">{en.type === 'file' ? human(en.size) : ''}</span>
              </div>
            );
          })}
          {listing && !rows.length && <div className="muted picker-empty">This folder is empty.</div>}
          {!listing && !error && <div className="muted picker-empty">Loading…</div>}
        </div>
        <div className="picker-foot">
          <span className="muted small">
            {mode === 'file'
              ? 'ISO images and initrd archives are marked “opens”. Enter opens, Backspace goes up.'
              : 'Enter goes into a folder, Backspace goes up.'}
          </span>
          <div className="view-actions">
            {missing && (
              <button type="button" className="btn" data-testid="picker-create" onClick={() => props.onChoose(missing)}>
                Create it: {missing}
              </button>
            )}
            <button type="button" className="btn" onClick={props.onClose}>
              Cancel
            </button>
            {mode === 'file' ? (
              <button type="button" className="btn btn-primary" disabled={!chooseFile || props.busy} data-testid="picker-choose" onClick={() => chooseFile && props.onChoose(chooseFile)}>
                {props.busy ? 'Opening…' : props.chooseLabel ?? 'Open'}
              </button>
            ) : (
              <button type="button" className="btn btn-primary" disabled={!listing || loading} data-testid="picker-choose" onClick={() => listing && props.onChoose(listing.path)}>
                {props.chooseLabel ?? 'Choose this folder'}
              </button>
            )}
          </div>
        </div>
        {mode === 'file' && recent.length > 0 && (
          <div className="picker-recent">
            <div className="muted small">Recent</div>
            <ul>
              {recent.map((r) => (
                <li key={r.kind + r.path}>
                  <button type="button" className="link-btn" title={r.path} onClick={() => props.onChoose(r.path)}>
                    {r.path.slice(r.path.lastIndexOf('/') + 1)}
                  </button>{' '}
                  <span className="muted small">{dirOf(r.path)}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </Modal>
  );
}

/** The picker in file mode, wired to opening an image. */
export function OpenImageDialog(props: { recent: RecentItem[]; onOpen: (path: string) => Promise<LabErrorShape | undefined>; onClose: () => void }) {
  const [error, setError] = useState<LabErrorShape>();
  const [busy, setBusy] = useState(false);
  const choose = useCallback(
    async (path: string) => {
      setBusy(true);
      setError(undefined);
      const err = await props.onOpen(path);
      setBusy(false);
      if (err) setError(err);
      else props.onClose();
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [props.onOpen, props.onClose],
  );
  return <HostPicker mode="file" title="Open an ISO or initrd" recent={props.recent} onChoose={(p) => void choose(p)} onClose={props.onClose} error={error} busy={busy} />;
}
