import type { VmState, VmView } from '../../../../shared/vm';
import type { VmAction } from '../../store/boot-store';

export { ErrorNote } from '../inspect/common';

export function baseName(p: string): string {
  const t = p.replace(/[\\/]+$/, '');
  return t.slice(Math.max(t.lastIndexOf('/'), t.lastIndexOf('\\')) + 1) || t;
}

/** Sizes stay in MB, as the seed and the form write them (2000 MB, 20000 MB). */
export function mb(n: number): string {
  return `${n} MB`;
}

export function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const STATE_WORDS: Record<VmState, string> = {
  absent: 'deleted',
  stopped: 'stopped',
  starting: 'starting…',
  running: 'running',
  stopping: 'stopping…',
  error: 'error',
};

const ACTION_WORDS: Record<VmAction, string> = {
  starting: 'starting…',
  stopping: 'stopping…',
  killing: 'powering off…',
  deleting: 'deleting…',
};

/** The state as a coloured dot and a word; an action in progress wins over the last state seen. */
export function StateBadge({ vm, action }: { vm: VmView; action?: VmAction }) {
  const busy = action && !(action === 'starting' && vm.state === 'running');
  const word = busy ? ACTION_WORDS[action] : STATE_WORDS[vm.state];
  const tone = busy ? 'busy' : vm.state;
  return (
    <span className={`boot-state boot-state-${tone}`} data-testid="vm-state" data-state={vm.state}>
      <span className="boot-state-dot" aria-hidden="true" />
      {word}
    </span>
  );
}

export function accelWords(vm: VmView): string {
  return vm.accel === 'kvm' ? 'QEMU · KVM' : vm.accel === 'tcg' ? 'QEMU · TCG' : 'VirtualBox';
}

export { copyText } from '../../clipboard';

/** Saves text as a file through a Blob link (a browser download; Electron asks where). */
export function downloadText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Only http(s) links leave the app; Electron routes window.open to its external-link check. */
export function openWebLink(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
  window.open(url.toString(), '_blank', 'noopener,noreferrer');
}
