import { useEffect, useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { VmActivity, VmBootInfo, VmView } from '../../../../shared/vm';
import { api } from '../../api/lab-api';
import { isActive, shape, useBoot } from '../../store/boot-store';
import '../../styles/boot-explain.css';
import { ErrorNote, seconds } from './common';

/**
 * Boots that explain themselves: before the boot, what the ISO's boot config makes the
 * serial console show (and *Boot with the serial console* where it shows nothing); while
 * it boots, how long ago the console last said something and how busy QEMU is, so a slow
 * boot is told from a hung one.
 */

/** No output for this long is worth a word. */
const QUIET_MS = 20_000;

// One read per ISO and session: the boot config does not change under a VM.
const infos = new Map<string, Promise<VmBootInfo>>();
function bootInfo(iso: string): Promise<VmBootInfo> {
  let p = infos.get(iso);
  if (!p) {
    p = api.request('vm.bootInfo', { iso });
    p.catch(() => infos.delete(iso));
    infos.set(iso, p);
  }
  return p;
}

function ActivityLine({ vm }: { vm: VmView }) {
  const [a, setA] = useState<VmActivity>();
  const active = isActive(vm.state);
  useEffect(() => {
    setA(undefined);
    if (!active) return;
    return api.subscribe('vm.activity', { name: vm.name }, { onData: (batch) => setA(batch[batch.length - 1]) });
  }, [vm.name, active, vm.startedAt]);
  if (!active) return null;
  const quiet = a?.lastOutputMsAgo !== undefined && a.lastOutputMsAgo > QUIET_MS;
  const busy = a?.cpuPercent !== undefined && a.cpuPercent >= 30;
  const verdict = !a || a.cpuPercent === undefined ? undefined : quiet ? (busy ? 'busy: the guest works, it only prints nothing (slow, not hung)' : 'idle: the guest waits, or prints where this console cannot see') : undefined;
  return (
    <div className="boot-activity small" data-testid="boot-activity" aria-live="off">
      <span data-testid="boot-last-output">{a?.lastOutputMsAgo === undefined ? 'no output yet' : `last output ${seconds(a.lastOutputMsAgo)} ago`}</span>
      <span data-testid="boot-cpu">
        {a?.cpuPercent !== undefined ? `guest CPU ${a.cpuPercent} %` : a?.cpuSeconds !== undefined ? 'guest CPU …' : vm.driver === 'virtualbox' ? 'guest CPU: not measured for VirtualBox' : 'guest CPU …'}
        {a?.cpuSeconds !== undefined && <span className="muted"> ({a.cpuSeconds.toFixed(1)} s so far)</span>}
      </span>
      {verdict && (
        <span className={`boot-activity-verdict${busy ? ' boot-activity-busy' : ''}`} data-testid="boot-verdict">
          {verdict}
        </span>
      )}
    </div>
  );
}

export function BootExplain({ vm }: { vm: VmView }) {
  const [info, setInfo] = useState<VmBootInfo>();
  const [error, setError] = useState<LabErrorShape>();
  const action = useBoot((s) => s.actions[vm.name]);
  const iso = vm.spec.iso;
  useEffect(() => {
    let live = true;
    setInfo(undefined);
    setError(undefined);
    bootInfo(iso).then(
      (i) => live && setInfo(i),
      (err) => live && setError(shape(err)),
    );
    return () => {
      live = false;
    };
  }, [iso]);

  const entry = info?.entry;
  const canStart = (vm.state === 'stopped' || vm.state === 'error') && !action;
  const offer = info?.serialBoot.offered && vm.driver === 'qemu';

  return (
    <section className="boot-explain" aria-label="What the console will show" data-testid="boot-explain">
      {error && <ErrorNote error={error} compact testId="boot-info-error" />}
      {info && !entry && info.unknown && <p className="small muted" data-testid="boot-info-unknown">{info.unknown}</p>}
      {entry && (
        <div className="boot-explain-entry">
          <div className="boot-explain-head small">
            <span className="boot-explain-title">The console will show</span>
            <span className="muted" title={`${entry.config}, label ${entry.label}`}>
              boot entry <strong>{entry.label}</strong>:
            </span>
            <code className="boot-explain-cmdline" data-testid="boot-cmdline">{entry.cmdline || '(no kernel arguments)'}</code>
          </div>
          {entry.notes.length > 0 && (
            <ul className="boot-notes small" data-testid="boot-notes">
              {entry.notes.map((n) => (
                <li key={n} className={/^No serial console/.test(n) ? 'boot-note-warn' : undefined} data-testid="boot-note">
                  {n}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {vm.serialBoot && isActive(vm.state) && (
        <p className="small boot-serial-active" data-testid="serial-boot-active">
          Booted with the serial console: QEMU started <code>{vm.serialBoot.kernel}</code> directly with <code>{vm.serialBoot.cmdline}</code>
        </p>
      )}
      {offer && (
        <div className="boot-serial-offer small" data-testid="serial-offer">
          <button
            type="button"
            className="btn btn-small btn-primary"
            disabled={!canStart}
            onClick={() => void useBoot.getState().start(vm.name, { serialConsole: true })}
            data-testid="boot-serial-console"
            title={`QEMU boots ${entry?.kernel ?? 'the kernel'} from the ISO directly with: ${info?.serialBoot.cmdline ?? ''}`}
          >
            Boot with the serial console
          </button>
          <span className="muted">
            {canStart ? (
              <>
                the same kernel and initrd, with <code>{info?.serialBoot.cmdline}</code> (no bootloader; the ISO stays in the CD drive)
              </>
            ) : (
              'stop the VM first'
            )}
          </span>
        </div>
      )}
      <ActivityLine vm={vm} />
    </section>
  );
}
