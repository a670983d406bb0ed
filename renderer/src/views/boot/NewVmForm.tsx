import { useEffect, useState, type FormEvent } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { RecentItem } from '../../../../shared/settings';
import { VM_NAME_RE, type VmCreateArgs, type VmDriverName } from '../../../../shared/vm';
import { api } from '../../api/lab-api';
import { shape, useBoot } from '../../store/boot-store';
import { useInspect } from '../../store/inspect-store';
import { useLab } from '../../store/lab-store';
import { HostPicker } from '../inspect/OpenImageDialog';
import { baseName, ErrorNote } from './common';

const FALLBACK = { driver: 'qemu' as VmDriverName, cpus: 2, memoryMb: 2000, diskMb: 20000 };

/** Which field an error of vm.create is about, so it is shown there. */
function fieldOf(code: string): 'iso' | 'name' | 'cpus' | 'memoryMb' | 'diskMb' | 'driver' | undefined {
  if (code.startsWith('VM_ISO')) return 'iso';
  if (code === 'VM_BAD_NAME' || code === 'VM_NAME_IN_USE') return 'name';
  if (code === 'VM_BAD_CPUS') return 'cpus';
  if (code.startsWith('VM_MEMORY')) return 'memoryMb';
  if (code.startsWith('VM_DISK')) return 'diskMb';
  if (code.startsWith('VIRTUALBOX') || code.startsWith('QEMU') || code.startsWith('VBOX')) return 'driver';
  return undefined;
}

/**
 * A new VM: the ISO (typed, picked on the lab's machine, or one of the recent ones), a name,
 * the hypervisor and its size, with the settings' defaults (the seed's 2 CPUs, 2000 MB
 * memory, 20000 MB disk). The core checks the spec and refuses with a hint; that is shown
 * next to the field it is about.
 */
export function NewVmForm({ onDone }: { onDone: () => void }) {
  const defaults = useLab((s) => s.settings?.settings.vm) ?? FALLBACK;
  const report = useLab((s) => s.report);
  const openIso = useInspect((s) => (s.image?.info.kind === 'iso' ? s.image.file : undefined));
  const [recent, setRecent] = useState<RecentItem[]>([]);
  const [iso, setIso] = useState(openIso ?? '');
  const [name, setName] = useState('');
  const [driver, setDriver] = useState<VmDriverName>(defaults.driver);
  const [cpus, setCpus] = useState(String(defaults.cpus));
  const [memoryMb, setMemoryMb] = useState(String(defaults.memoryMb));
  const [diskMb, setDiskMb] = useState(String(defaults.diskMb));
  const [startNow, setStartNow] = useState(true);
  const [picker, setPicker] = useState(false);
  const [busy, setBusy] = useState<'creating' | 'starting'>();
  const [error, setError] = useState<LabErrorShape>();

  useEffect(() => {
    api.request('recent.list').then(
      (r) => setRecent(r.filter((i) => i.kind === 'iso')),
      () => undefined,
    );
    // Whether VirtualBox is there: the doctor knows (the status screen may have asked already).
    if (!useLab.getState().report) void useLab.getState().refresh();
  }, []);

  // The settings may arrive after the form opened: their defaults win over the fallback until edited.
  const settingsDefaults = useLab((s) => s.settings?.settings.vm);
  useEffect(() => {
    if (!settingsDefaults) return;
    setCpus((v) => (v === String(FALLBACK.cpus) ? String(settingsDefaults.cpus) : v));
    setMemoryMb((v) => (v === String(FALLBACK.memoryMb) ? String(settingsDefaults.memoryMb) : v));
    setDiskMb((v) => (v === String(FALLBACK.diskMb) ? String(settingsDefaults.diskMb) : v));
  }, [settingsDefaults]);

  const vbox = report?.virtualbox;
  const vboxMissing = !!report && (!vbox?.path || !!vbox.error);
  const vboxHint = vbox?.error ? `${vbox.error.message}${vbox.error.hint ? `: ${vbox.error.hint}` : ''}` : 'VBoxManage was not found';
  useEffect(() => {
    if (vboxMissing && driver === 'virtualbox') setDriver('qemu');
  }, [vboxMissing, driver]);

  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  const nameProblem = name && !VM_NAME_RE.test(name) ? 'letters, digits, dots, dashes or underscores, starting with a letter or digit' : undefined;
  const isoProblem = iso && !(iso.startsWith('/') || /^[A-Za-z]:[\\/]/.test(iso)) ? 'the full path of the ISO on the machine running ISO Lab' : undefined;
  const errField = error ? fieldOf(error.code) : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!iso || isoProblem || nameProblem || busy) return;
    const args: VmCreateArgs = { iso: iso.trim(), driver };
    if (name) args.name = name;
    const c = num(cpus);
    const m = num(memoryMb);
    const d = num(diskMb);
    if (c !== undefined) args.cpus = c;
    if (m !== undefined) args.memoryMb = m;
    if (d !== undefined) args.diskMb = d;
    for (const [k, v] of Object.entries({ cpus: c, memoryMb: m, diskMb: d })) {
      if (v !== undefined && !Number.isInteger(v)) {
        setError({ code: k === 'cpus' ? 'VM_BAD_CPUS' : k === 'memoryMb' ? 'VM_MEMORY_TOO_SMALL' : 'VM_DISK_TOO_SMALL', message: `${k === 'cpus' ? 'CPUs' : k === 'memoryMb' ? 'Memory' : 'Disk'} must be a whole number`, hint: 'type digits only' });
        return;
      }
    }
    setBusy('creating');
    setError(undefined);
    try {
      const vm = await useBoot.getState().create(args);
      useBoot.getState().select(vm.name);
      if (startNow) {
        setBusy('starting');
        onDone();
        await useBoot.getState().start(vm.name);
        return;
      }
      onDone();
    } catch (err) {
      setError(shape(err));
      setBusy(undefined);
    }
  };

  const fieldError = (f: ReturnType<typeof fieldOf>) => (error && errField === f ? <ErrorNote error={error} compact testId={`new-vm-error-${f}`} /> : null);

  return (
    <section className="card boot-new" aria-labelledby="new-vm-title" data-testid="new-vm">
      <h2 id="new-vm-title">New VM</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label className="boot-label" htmlFor="new-vm-iso">ISO</label>
          <div className="boot-iso-row">
            <input
              id="new-vm-iso"
              type="text"
              className="mono"
              value={iso}
              title={iso || undefined}
              onChange={(e) => setIso(e.target.value)}
              placeholder="/path/to/minikube.iso"
              spellCheck={false}
              aria-invalid={!!isoProblem || errField === 'iso'}
              data-testid="new-vm-iso"
            />
            <button type="button" className="btn btn-small" onClick={() => setPicker(true)}>
              Browse…
            </button>
          </div>
          {isoProblem && <span className="boot-field-problem">{isoProblem}</span>}
          {(recent.length > 0 || openIso) && (
            <div className="boot-recent small">
              <span className="muted">Recent:</span>
              {[...new Set([openIso, ...recent.map((r) => r.path)].filter((p): p is string => !!p))].slice(0, 5).map((p) => (
                <button key={p} type="button" className="link-btn" title={p} onClick={() => setIso(p)}>
                  {baseName(p)}
                </button>
              ))}
            </div>
          )}
          {fieldError('iso')}
        </div>
        <div className="field">
          <label className="boot-label" htmlFor="new-vm-name">Name</label>
          <input
            id="new-vm-name"
            type="text"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder={iso ? `${baseName(iso).replace(/\.iso$/i, '').replace(/[^A-Za-z0-9._-]/g, '-')} (automatic)` : 'automatic, from the ISO'}
            spellCheck={false}
            aria-invalid={!!nameProblem || errField === 'name'}
            data-testid="new-vm-name"
          />
          {nameProblem && <span className="boot-field-problem">{nameProblem}</span>}
          {fieldError('name')}
        </div>
        <fieldset className="boot-driver">
          <legend className="boot-label">Hypervisor</legend>
          <label className="boot-radio">
            <input type="radio" name="driver" value="qemu" checked={driver === 'qemu'} onChange={() => setDriver('qemu')} /> QEMU
          </label>
          <label className={`boot-radio${vboxMissing ? ' disabled' : ''}`} title={vboxMissing ? vboxHint : undefined}>
            <input type="radio" name="driver" value="virtualbox" checked={driver === 'virtualbox'} disabled={vboxMissing || !report} onChange={() => setDriver('virtualbox')} /> VirtualBox
          </label>
          {!report && <span className="muted small">checking for VirtualBox…</span>}
          {vboxMissing && (
            <span className="small muted boot-driver-hint" data-testid="vbox-missing">
              {vboxHint}
            </span>
          )}
          {fieldError('driver')}
        </fieldset>
        <div className="boot-size-row">
          <div className="field">
            <label className="boot-label" htmlFor="new-vm-cpus">CPUs</label>
            <input id="new-vm-cpus" type="number" min={1} max={64} value={cpus} onChange={(e) => setCpus(e.target.value)} aria-invalid={errField === 'cpus'} />
          </div>
          <div className="field">
            <label className="boot-label" htmlFor="new-vm-mem">
              Memory <span className="boot-unit">MB</span>
            </label>
            <input id="new-vm-mem" type="number" min={128} step={100} value={memoryMb} onChange={(e) => setMemoryMb(e.target.value)} aria-invalid={errField === 'memoryMb'} />
          </div>
          <div className="field">
            <label className="boot-label" htmlFor="new-vm-disk">
              Disk <span className="boot-unit">MB</span>
            </label>
            <input id="new-vm-disk" type="number" min={64} step={1000} value={diskMb} onChange={(e) => setDiskMb(e.target.value)} aria-invalid={errField === 'diskMb'} />
          </div>
        </div>
        {fieldError('cpus')}
        {fieldError('memoryMb')}
        {fieldError('diskMb')}
        {error && !errField && <ErrorNote error={error} compact testId="new-vm-error" />}
        <div className="boot-new-actions">
          <label className="boot-check small">
            <input type="checkbox" checked={startNow} onChange={(e) => setStartNow(e.target.checked)} /> start it now
          </label>
          <button type="button" className="btn" onClick={onDone}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!iso || !!isoProblem || !!nameProblem || !!busy} data-testid="new-vm-create">
            {busy === 'creating' ? 'Creating…' : busy === 'starting' ? 'Starting…' : startNow ? 'Create and start' : 'Create'}
          </button>
        </div>
      </form>
      {picker && (
        <HostPicker
          mode="file"
          title="Choose the ISO to boot"
          chooseLabel="Choose"
          recent={recent}
          onClose={() => setPicker(false)}
          onChoose={(p) => {
            setIso(p);
            setPicker(false);
          }}
        />
      )}
    </section>
  );
}
