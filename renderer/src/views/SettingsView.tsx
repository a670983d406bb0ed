import { useEffect, useState, type FormEvent } from 'react';
import type { Settings } from '../../../shared/settings';
import { useLab } from '../store/lab-store';

function NumberField(props: { id: string; label: string; value: number; min: number; max: number; unit?: string; onChange(v: number): void }) {
  return (
    <label className="field" htmlFor={props.id}>
      <span>{props.label}</span>
      <span className="field-input">
        <input id={props.id} type="number" min={props.min} max={props.max} value={props.value} onChange={(e) => props.onChange(Number(e.target.value))} />
        {props.unit && <span className="muted">{props.unit}</span>}
      </span>
    </label>
  );
}

export function SettingsView() {
  const { settings, settingsError, saveSettings } = useLab();
  const [draft, setDraft] = useState<Settings | undefined>(settings?.settings);
  const [dockerHost, setDockerHost] = useState(settings?.settings.docker.host ?? '');
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    setDraft(settings?.settings);
    setDockerHost(settings?.settings.docker.host ?? '');
  }, [settings]);

  if (!draft) return <div className="view"><p className="muted">Loading settings…</p></div>;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await saveSettings({
      docker: { host: dockerHost.trim() === '' ? null : dockerHost.trim() },
      vm: draft.vm,
      ui: draft.ui,
    });
    setSaved(ok);
    if (ok) setTimeout(() => setSaved(false), 2000);
  };

  return (
    <form className="view" onSubmit={submit} data-testid="settings">
      <header className="view-head">
        <div>
          <h1>Settings</h1>
          <p className="lede">
            Saved in <code>{settings?.configDir}</code>, shared with the <code>isolab</code> command line.
          </p>
        </div>
        <div className="view-actions">
          {saved && <span className="ok-text" role="status">Saved</span>}
          <button type="submit" className="btn btn-primary" aria-keyshortcuts="Control+S">Save</button>
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
            onChange={(e) => setDockerHost(e.target.value)}
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
            <select id="vm-driver" value={draft.vm.driver} onChange={(e) => setDraft({ ...draft, vm: { ...draft.vm, driver: e.target.value as Settings['vm']['driver'] } })}>
              <option value="qemu">QEMU</option>
              <option value="virtualbox">VirtualBox</option>
            </select>
          </label>
          <NumberField id="vm-cpus" label="CPUs" value={draft.vm.cpus} min={1} max={64} onChange={(cpus) => setDraft({ ...draft, vm: { ...draft.vm, cpus } })} />
          <NumberField id="vm-memory" label="Memory" unit="MB" value={draft.vm.memoryMb} min={128} max={262144} onChange={(memoryMb) => setDraft({ ...draft, vm: { ...draft.vm, memoryMb } })} />
          <NumberField id="vm-disk" label="Disk" unit="MB" value={draft.vm.diskMb} min={64} max={4194304} onChange={(diskMb) => setDraft({ ...draft, vm: { ...draft.vm, diskMb } })} />
        </div>
        <p className="muted small">The defaults are the seed walkthrough's VirtualBox VM: 2 CPUs, 2000 MB memory, 20000 MB disk.</p>
      </section>
      <section className="card">
        <h2>Appearance</h2>
        <div className="field-row">
          <label className="field" htmlFor="ui-theme">
            <span>Theme</span>
            <select id="ui-theme" value={draft.ui.theme} onChange={(e) => setDraft({ ...draft, ui: { ...draft.ui, theme: e.target.value as Settings['ui']['theme'] } })}>
              <option value="system">Follow the system</option>
              <option value="dark">Dark</option>
              <option value="light">Light</option>
            </select>
          </label>
          <label className="field checkbox" htmlFor="ui-presenter">
            <input id="ui-presenter" type="checkbox" checked={draft.ui.presenter} onChange={(e) => setDraft({ ...draft, ui: { ...draft.ui, presenter: e.target.checked } })} />
            <span>Presenter mode (larger type, higher contrast; Ctrl+Shift+P)</span>
          </label>
          <NumberField id="ui-refresh" label="Status refresh" unit="s" value={draft.ui.statusRefreshSeconds} min={1} max={3600} onChange={(statusRefreshSeconds) => setDraft({ ...draft, ui: { ...draft.ui, statusRefreshSeconds } })} />
        </div>
      </section>
    </form>
  );
}
