import { useEffect, useRef, useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { VmView } from '../../../../shared/vm';
import { api } from '../../api/lab-api';
import { shape, useBoot } from '../../store/boot-store';
import { ErrorNote } from './common';

/**
 * "Log in as root", for demos: the core waits for getty's `login:` (pressing Enter for a
 * fresh one when it scrolled away), types `root`, and waits for the shell prompt. The
 * console shows it all as if typed by hand.
 */
export function LoginButton({ vm }: { vm: VmView }) {
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
      const res = await api.request('vm.login', { name: vm.name, timeoutSeconds: 180 });
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
        title={hasLoginPrompt ? 'Types root at the login prompt' : 'Waits for the login prompt, then types root'}
      >
        {phase === 'waiting' ? (hasLoginPrompt ? 'Logging in…' : 'Waiting for login:…') : phase === 'done' ? 'Logged in ✓' : 'Log in as root'}
      </button>
      {error && (
        <div className="boot-login-error">
          <ErrorNote error={error} compact testId="login-error" />
        </div>
      )}
    </>
  );
}
