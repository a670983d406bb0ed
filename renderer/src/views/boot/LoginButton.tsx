import { useEffect, useRef, useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { VmView } from '../../../../shared/vm';
import { api } from '../../api/lab-api';
import { shape, useBoot } from '../../store/boot-store';
import { ErrorNote } from './common';

/** How long *Log in as root* waits for the login prompt (and then for the shell). */
export const LOGIN_TIMEOUT_SECONDS = 180;

/**
 * "Log in as root", for demos: the core waits for getty's `login:` (pressing Enter for a
 * fresh one when it scrolled away), types `root`, waits for the shell prompt and tells the
 * guest the console's size (`stty cols C rows R`). The console shows it all as if typed by
 * hand. The wait has a timeout and a Cancel, and ends by itself when the VM stops.
 */
export function LoginButton({ vm, size }: { vm: VmView; size?: { cols: number; rows: number } }) {
  const [phase, setPhase] = useState<'idle' | 'waiting' | 'done'>('idle');
  const [error, setError] = useState<LabErrorShape>();
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const hasLoginPrompt = useBoot((s) => (s.timelines[vm.name] ?? []).some((m) => m.id === 'login'));

  // Another VM, or this one restarted: whatever was pending belongs to the old console.
  useEffect(() => {
    seq.current++;
    setPhase('idle');
    setError(undefined);
  }, [vm.name, vm.startedAt]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const click = async () => {
    const n = ++seq.current;
    setPhase('waiting');
    setError(undefined);
    useBoot.getState().requestConsoleFocus();
    try {
      const res = await api.request('vm.login', { name: vm.name, timeoutSeconds: LOGIN_TIMEOUT_SECONDS, ...(size ? { cols: size.cols, rows: size.rows } : {}) });
      if (n !== seq.current) return;
      setPhase(res.loggedIn ? 'done' : 'idle');
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setPhase('idle'), 2500);
    } catch (err) {
      if (n !== seq.current) return;
      setPhase('idle');
      setError(shape(err));
    }
    useBoot.getState().requestConsoleFocus();
  };

  const cancel = () => {
    // The pending vm.login fails with VM_LOGIN_CANCELLED, which ends the wait above.
    void api.request('vm.loginCancel', { name: vm.name }).catch((err: unknown) => setError(shape(err)));
  };

  const running = vm.state === 'running';
  return (
    <>
      <button
        type="button"
        className={`btn btn-small${running ? ' btn-primary' : ''}`}
        onClick={() => void click()}
        disabled={!running || phase === 'waiting'}
        data-testid="login-root"
        data-tour="login-root"
        title={hasLoginPrompt ? 'Types root at the login prompt' : `Waits for the login prompt (up to ${LOGIN_TIMEOUT_SECONDS / 60} min), then types root`}
      >
        {phase === 'waiting' ? (hasLoginPrompt ? 'Logging in…' : 'Waiting for login:…') : phase === 'done' ? 'Logged in ✓' : 'Log in as root'}
      </button>
      {phase === 'waiting' && (
        <button type="button" className="btn btn-small" onClick={cancel} data-testid="login-cancel" title={`Stop waiting (it gives up by itself after ${LOGIN_TIMEOUT_SECONDS / 60} min, or when the VM stops)`}>
          Cancel
        </button>
      )}
      {error && (
        <div className="boot-login-error">
          {error.code === 'VM_LOGIN_CANCELLED' ? (
            <span className="small muted" data-testid="login-cancelled">
              Stopped waiting for the login prompt.
            </span>
          ) : (
            <ErrorNote error={error} compact testId="login-error" />
          )}
        </div>
      )}
    </>
  );
}
