import { useEffect, useRef, useState } from 'react';
import type { LabErrorShape } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';
import { TOUR_DEFAULTS, type SettingsPatch, type StorageItem, type StorageKind } from '../../../shared/settings';
import { api } from '../api/lab-api';
import { useLab } from '../store/lab-store';
import { useTour } from '../store/tour-store';
import { ErrorNote } from './inspect/common';
import { Modal } from './inspect/Modal';

/**
 * Settings apply as they are changed, with nothing to save: a choice at once (the theme
 * redraws the app before the next frame), typed text and numbers once the typing pauses, or
 * when the field is left. A number out of range is marked and not applied; the last good
 * value stays in force. Storage lists what ISO Lab keeps on this machine, with Clear for each.
 */

const TYPING_MS = 500;

/** Two patches as one: later fields win, sections merge. */
function merge(a: SettingsPatch, b: SettingsPatch): SettingsPatch {
  const out: SettingsPatch = { ...a, ...b };
  for (const k of ['docker', 'vm', 'ui', 'tour'] as const) if (a[k] && b[k]) (out as Record<string, unknown>)[k] = { ...a[k], ...b[k] };
  return out;
}

function shape(err: unknown): LabErrorShape {
  const e = err as Partial<LabErrorShape>;
  return { code: e?.code ?? 'INTERNAL', message: e?.message ?? String(err), hint: e?.hint };
}

type SaveState = 'idle' | 'saving' | 'saved' | 'failed';

/** One save at a time, in order; `flush` sends a pending typed change at once. */
function useLiveSave() {
  const { saveSettings } = useLab.getState();
  const [state, setState] = useState<SaveState>('idle');
  const pending = useRef<{ patch: SettingsPatch; timer: ReturnType<typeof setTimeout> } | undefined>(undefined);
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  const inFlight = useRef(0);
  const failed = useRef(false);
  const send = (patch: SettingsPatch) => {
    setState('saving');
    inFlight.current++;
    chain.current = chain.current.then(async () => {
      const ok = await saveSettings(patch);
      inFlight.current--;
      if (!ok) failed.current = true;
      // "Saved" only once nothing is typed and waiting, and nothing else is on its way.
      if (inFlight.current === 0 && !pending.current) {
        setState(failed.current ? 'failed' : 'saved');
        failed.current = false;
      }
    });
  };
  const flush = () => {
    const p = pending.current;
    if (!p) return;
    clearTimeout(p.timer);
    pending.current = undefined;
    send(p.patch);
  };
  // Leaving the screen sends what was typed: nothing is lost, so there is nothing to warn about.
  useEffect(() => flush, []); // eslint-disable-line react-hooks/exhaustive-deps
  return {
    state,
    now(patch: SettingsPatch) {
      flush();
      send(patch);
    },
    typed(patch: SettingsPatch) {
      const before = pending.current;
      if (before) clearTimeout(before.timer);
      pending.current = { patch: before ? merge(before.patch, patch) : patch, timer: setTimeout(flush, TYPING_MS) };
      setState('saving');
    },
    flush,
  };
}

function NumberField(props: { id: string; label: string; value: number; min: number; max: number; unit?: string; onChange(v: number): void; onBlur(): void }) {
  const [text, setText] = useState(String(props.value));
  useEffect(() => setText(String(props.value)), [props.value]);
  const n = Number(text);
  const bad = text.trim() === '' || !Number.isInteger(n) || n < props.min || n > props.max;
  return (
    <label className="field" htmlFor={props.id}>
      <span>{props.label}</span>
      <span className="field-input">
        <input
          id={props.id}
          type="number"
          min={props.min}
          max={props.max}
          value={text}
          aria-invalid={bad}
          onChange={(e) => {
            setText(e.target.value);
            const v = Number(e.target.value);
            if (e.target.value.trim() !== '' && Number.isInteger(v) && v >= props.min && v <= props.max) props.onChange(v);
          }}
          onBlur={props.onBlur}
        />
        {props.unit && <span className="muted">{props.unit}</span>}
      </span>
      {bad && (
        <span className="build-field-error small" role="alert" data-testid={`${props.id}-error`}>
          {props.min}–{props.max}, a whole number; {props.value} stays in force
        </span>
      )}
    </label>
  );
}

function StorageRow({ item, onCleared }: { item: StorageItem; onCleared(item: StorageItem, freed: number): void }) {
  const [confirm, setConfirm] = useState(false);
  const [clearing, setClearing] = useState(false);
  const [error, setError] = useState<LabErrorShape | undefined>();
  const clear = async () => {
    setConfirm(false);
    setClearing(true);
    setError(undefined);
    try {
      const r = await api.request('storage.clear', { kind: item.kind });
      onCleared(r.item, r.freed);
    } catch (err) {
      setError(shape(err));
    } finally {
      setClearing(false);
    }
  };
  const what: Record<StorageKind, string> = {
    indexCache: 'the unpacked archives and their indexes; an initrd is unpacked again the next time it is opened',
    rootfsImages: 'the Docker images the rootfs shells run in; the next shell imports its rootfs again',
    vmDisks: 'every VM that is not running, with its disk and console logs',
    buildLogs: 'the build history and every build’s logs; the ISOs the builds wrote stay in their checkouts',
    remasterEdits: 'the unsaved changes of every remaster edit',
  };
  return (
    <tr data-testid="storage-item" data-kind={item.kind} data-bytes={item.bytes} data-count={item.count}>
      <th scope="row">
        {item.label}
        <div className="muted small">
          <code>{item.location}</code>
        </div>
      </th>
      <td data-testid="storage-size">{item.error ? <span className="muted">unknown</span> : formatBytes(item.bytes)}</td>
      <td className="muted small">{item.count}</td>
      <td>
        <button type="button" className="btn btn-small" disabled={!!item.inUse || !!item.error || clearing || (item.count === 0 && item.bytes === 0)} onClick={() => setConfirm(true)} data-testid="storage-clear" title={item.inUse ?? item.error}>
          {clearing ? 'Clearing…' : 'Clear'}
        </button>
        {item.inUse && (
          <div className="small warn-text" data-testid="storage-in-use">
            In use: {item.inUse}
          </div>
        )}
        {item.error && <div className="small muted">{item.error}</div>}
        {error && <ErrorNote error={error} compact testId="storage-clear-error" />}
        {confirm && (
          <Modal title={`Clear ${item.label.toLowerCase()}?`} onClose={() => setConfirm(false)} testId="storage-confirm" initialFocus="[data-autofocus]">
            <p>
              This removes {formatBytes(item.bytes)}: {what[item.kind]}. It cannot be undone.
            </p>
            <div className="view-actions modal-actions">
              <button type="button" className="btn" onClick={() => setConfirm(false)} data-autofocus>
                Keep
              </button>
              <button type="button" className="btn btn-danger" onClick={() => void clear()} data-testid="storage-confirm-clear">
                Clear
              </button>
            </div>
          </Modal>
        )}
      </td>
    </tr>
  );
}

function StorageSection() {
  const [items, setItems] = useState<StorageItem[] | undefined>();
  const [error, setError] = useState<LabErrorShape | undefined>();
  const [note, setNote] = useState('');
  const load = () => {
    api
      .request('storage.usage')
      .then((r) => {
        setItems(r.items);
        setError(undefined);
      })
      .catch((err) => setError(shape(err)));
  };
  useEffect(load, []);
  return (
    <section className="card" aria-labelledby="storage-title" data-testid="storage">
      <div className="view-actions" style={{ justifyContent: 'space-between' }}>
        <h2 id="storage-title">Storage</h2>
        <button type="button" className="btn btn-small" onClick={load} data-testid="storage-refresh">
          Refresh
        </button>
      </div>
      {error && <ErrorNote error={error} compact onRetry={load} />}
      {!items && !error && <p className="muted">Measuring…</p>}
      {items && (
        <div className="table-wrap">
          <table className="ins-table">
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Size</th>
                <th scope="col">Items</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <StorageRow
                  key={i.kind}
                  item={i}
                  onCleared={(item, freed) => {
                    setItems((list) => list?.map((x) => (x.kind === item.kind ? item : x)));
                    setNote(`${item.label}: ${formatBytes(freed)} freed.`);
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {note && (
        <p className="muted small" role="status" data-testid="storage-note">
          {note}
        </p>
      )}
      <p className="muted small">Nothing a running VM, a build or an open shell uses is cleared: Clear waits until it is stopped.</p>
    </section>
  );
}

function TourSection() {
  const [done, setDone] = useState(false);
  return (
    <section className="card" aria-labelledby="tour-settings-title">
      <h2 id="tour-settings-title">Guided tour</h2>
      <p className="muted small">The tour remembers its step and what it has seen. Reset it to take it from the beginning.</p>
      <div className="view-actions">
        <button
          type="button"
          className="btn"
          data-testid="reset-tour"
          onClick={() => {
            useTour.setState({ ...TOUR_DEFAULTS });
            setDone(true);
          }}
        >
          Reset the tour
        </button>
        {done && (
          <span className="muted small" data-testid="tour-reset-done">
            The tour starts from the beginning the next time it is taken.
          </span>
        )}
      </div>
    </section>
  );
}

export function SettingsView() {
  const settings = useLab((s) => s.settings);
  const settingsError = useLab((s) => s.settingsError);
  const live = useLiveSave();
  const s = settings?.settings;
  const [dockerHost, setDockerHost] = useState(s?.docker.host ?? '');
  const hostSaved = s?.docker.host ?? '';
  const typingHost = useRef(false);
  useEffect(() => {
    if (!typingHost.current) setDockerHost(hostSaved);
  }, [hostSaved]);

  if (!s) return <div className="view"><p className="muted">Loading settings…</p></div>;

  return (
    <div className="view" data-testid="settings">
      <header className="view-head">
        <div>
          <h1>Settings</h1>
          <p className="lede">
            Changes apply at once and are kept in <code>{settings?.configDir}</code>, shared with the <code>isolab</code> command line.
          </p>
        </div>
        <div className="view-actions">
          <span className={live.state === 'failed' ? 'error-text' : live.state === 'saved' ? 'ok-text' : 'muted'} role="status" data-testid="settings-status" data-state={live.state}>
            {live.state === 'saving' ? 'Saving…' : live.state === 'saved' ? 'Saved' : live.state === 'failed' ? 'Not saved' : ''}
          </span>
        </div>
      </header>
      {settingsError && (
        <div className="banner banner-error" role="alert">
          <strong>{settingsError.message}</strong>
          {settingsError.hint && <div>{settingsError.hint}</div>}
        </div>
      )}
      <section className="card">
        <h2>Docker engine</h2>
        <label className="field" htmlFor="docker-host">
          <span>Endpoint</span>
          <input
            id="docker-host"
            type="text"
            placeholder="automatic: DOCKER_HOST, Docker context, /var/run/docker.sock, Podman"
            value={dockerHost}
            onChange={(e) => {
              typingHost.current = true;
              setDockerHost(e.target.value);
              live.typed({ docker: { host: e.target.value.trim() === '' ? null : e.target.value.trim() } });
            }}
            onBlur={() => {
              typingHost.current = false;
              live.flush();
            }}
            spellCheck={false}
          />
        </label>
        <p className="muted small">For example <code>unix:///run/user/1000/docker.sock</code>, <code>tcp://build-box:2376</code> or <code>ssh://me@build-box</code>. Leave empty to detect.</p>
      </section>
      <section className="card">
        <h2>New virtual machines</h2>
        <div className="field-row">
          <label className="field" htmlFor="vm-driver">
            <span>Driver</span>
            <select id="vm-driver" value={s.vm.driver} onChange={(e) => live.now({ vm: { driver: e.target.value as typeof s.vm.driver } })}>
              <option value="qemu">QEMU</option>
              <option value="virtualbox">VirtualBox</option>
            </select>
          </label>
          <NumberField id="vm-cpus" label="CPUs" value={s.vm.cpus} min={1} max={64} onChange={(cpus) => live.typed({ vm: { cpus } })} onBlur={live.flush} />
          <NumberField id="vm-memory" label="Memory" unit="MB" value={s.vm.memoryMb} min={128} max={262144} onChange={(memoryMb) => live.typed({ vm: { memoryMb } })} onBlur={live.flush} />
          <NumberField id="vm-disk" label="Disk" unit="MB" value={s.vm.diskMb} min={64} max={4194304} onChange={(diskMb) => live.typed({ vm: { diskMb } })} onBlur={live.flush} />
        </div>
        <p className="muted small">The defaults are the seed walkthrough's VirtualBox VM: 2 CPUs, 2000 MB memory, 20000 MB disk.</p>
      </section>
      <section className="card">
        <h2>Appearance</h2>
        <div className="field-row">
          <label className="field" htmlFor="ui-theme">
            <span>Theme</span>
            <select
              id="ui-theme"
              value={s.ui.theme}
              onChange={(e) => {
                const theme = e.target.value as typeof s.ui.theme;
                // Drawn at once, before the core has written it.
                document.documentElement.dataset.theme = theme;
                live.now({ ui: { theme } });
              }}
            >
              <option value="system">Follow the system</option>
              <option value="dark">Dark</option>
              <option value="light">Light</option>
            </select>
          </label>
          <label className="field checkbox" htmlFor="ui-presenter">
            <input id="ui-presenter" type="checkbox" checked={s.ui.presenter} onChange={(e) => live.now({ ui: { presenter: e.target.checked } })} />
            <span>Presenter mode (larger type, higher contrast; Ctrl+Shift+P)</span>
          </label>
          <NumberField id="ui-refresh" label="Status refresh" unit="s" value={s.ui.statusRefreshSeconds} min={1} max={3600} onChange={(statusRefreshSeconds) => live.typed({ ui: { statusRefreshSeconds } })} onBlur={live.flush} />
        </div>
      </section>
      <StorageSection />
      <TourSection />
    </div>
  );
}
