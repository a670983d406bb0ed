import { useEffect } from 'react';
import type { VmView } from '../../../../shared/vm';
import { useBoot } from '../../store/boot-store';
import '../../styles/boot.css';
import { BootExplain } from './BootExplain';
import { BootTimeline } from './BootTimeline';
import { accelWords, baseName, ErrorNote, mb, StateBadge } from './common';
import { ConsoleTerminal } from './ConsoleTerminal';
import { MinikubeHandOff } from './MinikubeHandOff';
import { NewVmForm } from './NewVmForm';
import { ScreenView } from './ScreenView';
import { VmList } from './VmList';

/** VMs other processes make (`isolab boot` in a terminal) show up within this time. */
const LIST_EVERY_MS = 5000;
const EMPTY: never[] = [];

function LaunchBanner() {
  const launch = useBoot((s) => s.launch);
  const { dismissLaunch } = useBoot.getState();
  if (!launch || (launch.phase === 'done' && !launch.error)) return null;
  const iso = baseName(launch.iso);
  if (launch.error) {
    return (
      <div className="boot-launch-error" data-testid="launch-error">
        <ErrorNote error={{ ...launch.error, message: `Could not ${launch.phase === 'creating' ? 'create a VM for' : 'start the VM of'} ${iso}: ${launch.error.message}` }} />
        <button type="button" className="btn btn-small" onClick={dismissLaunch}>
          Dismiss
        </button>
      </div>
    );
  }
  return (
    <div className="boot-launch muted" aria-live="polite" data-testid="launch">
      <span className="boot-spinner" aria-hidden="true" />
      {launch.phase === 'creating' ? `Creating a VM for ${iso}…` : `Starting ${launch.name}…`}
    </div>
  );
}

function VmHeader({ vm }: { vm: VmView }) {
  const action = useBoot((s) => s.actions[vm.name]);
  return (
    <div className="boot-vm-title">
      <div className="boot-vm-title-main">
        <h2 data-testid="console-vm-name">{vm.name}</h2>
        <StateBadge vm={vm} action={action} />
      </div>
      <div className="boot-vm-title-facts small muted">
        <span title={vm.spec.iso}>{baseName(vm.spec.iso)}</span>
        <span>{accelWords(vm)}</span>
        <span>
          {vm.spec.cpus} CPU{vm.spec.cpus === 1 ? '' : 's'} · {mb(vm.spec.memoryMb)} memory · {mb(vm.spec.diskMb)} disk
        </span>
        {vm.pid !== undefined && <span>pid {vm.pid}</span>}
      </div>
      {vm.note && (
        <div className={`boot-vm-note small${vm.accel === 'tcg' ? ' boot-slow' : ''}`} data-testid="vm-note">
          {vm.note}
        </div>
      )}
    </div>
  );
}

export function BootView() {
  const vms = useBoot((s) => s.vms);
  const selected = useBoot((s) => s.selected);
  const formOpen = useBoot((s) => s.formOpen);
  const timeline = useBoot((s) => (s.selected ? s.timelines[s.selected] : undefined)) ?? EMPTY;
  const loaded = useBoot((s) => s.loaded);
  const { loadList, setFormOpen } = useBoot.getState();
  const vm = vms.find((v) => v.name === selected);

  useEffect(() => {
    void loadList();
    const t = setInterval(() => void loadList(), LIST_EVERY_MS);
    return () => clearInterval(t);
  }, [loadList]);

  // With no VM at all, the form is what there is to do.
  const showForm = formOpen || (loaded && vms.length === 0 && !useBoot.getState().launch);

  return (
    <div className="view boot-view" data-testid="boot">
      <header className="view-head">
        <div>
          <h1>Boot</h1>
          <p className="lede">Boot an ISO in a VM and log in on its serial console.</p>
        </div>
        <div className="view-actions">
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => {
              setFormOpen(true);
              requestAnimationFrame(() => document.getElementById('new-vm-iso')?.focus());
            }}
            data-testid="new-vm-button"
          >
            New VM…
          </button>
        </div>
      </header>
      <LaunchBanner />
      <div className="boot-layout">
        <div className="boot-side">
          {showForm && <NewVmForm onDone={() => setFormOpen(false)} />}
          <VmList />
        </div>
        <div className="boot-main">
          {vm ? (
            <>
              <section className="card boot-stage" aria-label={`VM ${vm.name}`}>
                <VmHeader vm={vm} />
                <BootExplain vm={vm} />
                <BootTimeline vm={vm} marks={timeline} />
                <div className="boot-panes">
                  <ConsoleTerminal key={vm.name} vm={vm} />
                  <ScreenView key={`screen-${vm.name}`} vm={vm} />
                </div>
              </section>
              <MinikubeHandOff iso={vm.spec.iso} />
            </>
          ) : (
            <section className="card boot-stage boot-stage-empty">
              <p className="muted">{vms.length ? 'Choose a VM to see its console.' : 'The console of a VM shows here once you start one.'}</p>
            </section>
          )}
        </div>
      </div>
    </div>
  );
}
