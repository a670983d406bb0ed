import { useState } from 'react';
import type { VmView } from '../../../../shared/vm';
import { isActive, useBoot } from '../../store/boot-store';
import { accelWords, baseName, ErrorNote, mb, StateBadge } from './common';

function VmRow({ vm, selected }: { vm: VmView; selected: boolean }) {
  const action = useBoot((s) => s.actions[vm.name]);
  const error = useBoot((s) => s.errors[vm.name]);
  const { select, start, stop, remove, clearError } = useBoot.getState();
  const [confirming, setConfirming] = useState(false);
  /** Force off asks first: it is a power cut for the guest. */
  const [confirmingOff, setConfirmingOff] = useState(false);
  const busy = !!action;
  const active = isActive(vm.state);
  const slow = vm.accel === 'tcg';

  return (
    <li
      className={`boot-vm${selected ? ' selected' : ''}`}
      data-testid="vm-row"
      data-name={vm.name}
      data-state={vm.state}
      aria-current={selected ? 'true' : undefined}
    >
      <button type="button" className="boot-vm-main" onClick={() => select(vm.name)} title={`Show the console of ${vm.name}`}>
        <span className="boot-vm-head">
          <span className="boot-vm-name">{vm.name}</span>
          <StateBadge vm={vm} action={action} />
        </span>
        <span className="boot-vm-iso small" title={vm.spec.iso}>
          <span className="boot-vm-driver" title={vm.note}>
            {accelWords(vm)}
          </span>
          {baseName(vm.spec.iso)}
        </span>
        <span className="boot-vm-spec small muted">
          {vm.spec.cpus} CPU{vm.spec.cpus === 1 ? '' : 's'} · {mb(vm.spec.memoryMb)} · {mb(vm.spec.diskMb)} disk
        </span>
      </button>
      {slow && (
        <div className="boot-vm-slow small" title={vm.note} data-testid="vm-accel-note">
          slow: no hardware acceleration
        </div>
      )}
      {vm.state === 'stopped' && vm.stopReason && !action && <div className="boot-vm-reason small muted" data-testid="vm-stop-reason">{vm.stopReason}</div>}
      {vm.state === 'error' && vm.error && <ErrorNote error={vm.error} compact testId="vm-error" />}
      {error && (
        <div className="boot-vm-action-error">
          <ErrorNote error={error} compact testId="vm-action-error" />
          <button type="button" className="link-btn small" onClick={() => clearError(vm.name)}>
            Dismiss
          </button>
        </div>
      )}
      {confirmingOff && active ? (
        <div className="boot-vm-confirm" role="group" aria-label={`Force off ${vm.name}?`} data-testid="vm-confirm-force-off">
          <span className="small">
            Power off <strong>{vm.name}</strong> at once? Like pulling the plug: what the guest has not written to its disk is lost.
          </span>
          <span className="boot-vm-actions">
            <button
              type="button"
              className="btn btn-small boot-btn-danger"
              data-testid="vm-force-off-confirm"
              onClick={() => {
                setConfirmingOff(false);
                void stop(vm.name, true);
              }}
            >
              Power off
            </button>
            <button type="button" className="btn btn-small" onClick={() => setConfirmingOff(false)} autoFocus data-testid="vm-force-off-cancel">
              Cancel
            </button>
          </span>
        </div>
      ) : confirming ? (
        <div className="boot-vm-confirm" role="group" aria-label={`Delete ${vm.name}?`} data-testid="vm-confirm-delete">
          <span className="small">
            Delete <strong>{vm.name}</strong> and its disk{active ? '? It is powered off first.' : '?'}
          </span>
          <span className="boot-vm-actions">
            <button
              type="button"
              className="btn btn-small boot-btn-danger"
              data-testid="vm-delete-confirm"
              onClick={() => {
                setConfirming(false);
                void remove(vm.name);
              }}
            >
              Delete
            </button>
            <button type="button" className="btn btn-small" onClick={() => setConfirming(false)} autoFocus>
              Cancel
            </button>
          </span>
        </div>
      ) : (
        <div className="boot-vm-actions">
          {!active ? (
            <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => void start(vm.name)} data-testid="vm-start">
              Start
            </button>
          ) : (
            <button
              type="button"
              className="btn btn-small"
              disabled={busy || vm.state === 'stopping' || vm.state === 'starting'}
              onClick={() => void stop(vm.name)}
              data-testid="vm-stop"
              title="ACPI power button; powered off if the guest does not shut down within 20 s"
            >
              Stop
            </button>
          )}
          {active && (
            <button
              type="button"
              className="btn btn-small"
              disabled={action === 'killing' || action === 'deleting'}
              onClick={() => setConfirmingOff(true)}
              data-testid="vm-force-off"
              title="Pull the plug: powers off at once (asks first)"
            >
              Force off…
            </button>
          )}
          <button type="button" className="btn btn-small boot-btn-quiet" disabled={action === 'deleting'} onClick={() => setConfirming(true)} data-testid="vm-delete">
            Delete…
          </button>
        </div>
      )}
    </li>
  );
}

export function VmList() {
  const vms = useBoot((s) => s.vms);
  const selected = useBoot((s) => s.selected);
  const loaded = useBoot((s) => s.loaded);
  const listError = useBoot((s) => s.listError);
  return (
    <section className="card boot-vms" aria-labelledby="vms-title">
      <h2 id="vms-title">
        VMs {vms.length > 0 && <span className="muted small">{vms.length}</span>}
      </h2>
      {listError && <ErrorNote error={listError} compact onRetry={() => void useBoot.getState().loadList()} testId="vm-list-error" />}
      {!loaded ? (
        <p className="muted small">Looking for VMs…</p>
      ) : vms.length === 0 ? (
        <p className="muted small" data-testid="vm-list-empty">
          No VMs yet. Make one with <em>New VM</em>, or open an ISO in Inspect and choose <em>Boot this ISO</em>.
        </p>
      ) : (
        <ul className="boot-vm-list" data-testid="vm-list">
          {vms.map((vm) => (
            <VmRow key={vm.name} vm={vm} selected={vm.name === selected} />
          ))}
        </ul>
      )}
    </section>
  );
}
