import { useEffect, useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { MinikubeCommand } from '../../../../shared/vm';
import { api } from '../../api/lab-api';
import { shape } from '../../store/boot-store';
import { copyText, ErrorNote } from './common';

/**
 * The next step once the ISO boots: minikube with this ISO. The core writes the file URL
 * the way minikube wants it on the OS it runs on (file:///C:/… on Windows).
 */
export function MinikubeHandOff({ iso }: { iso: string }) {
  const [cmd, setCmd] = useState<MinikubeCommand>();
  const [error, setError] = useState<LabErrorShape>();
  const [copied, setCopied] = useState<'ok' | 'fail'>();

  useEffect(() => {
    let alive = true;
    setCmd(undefined);
    setError(undefined);
    api.request('vm.minikubeCommand', { iso }).then(
      (c) => alive && setCmd(c),
      (err) => alive && setError(shape(err)),
    );
    return () => {
      alive = false;
    };
  }, [iso]);

  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(undefined), 1500);
    return () => clearTimeout(t);
  }, [copied]);

  return (
    <section className="card boot-minikube" aria-labelledby="minikube-title" data-testid="minikube">
      <h2 id="minikube-title">Hand-off to minikube</h2>
      {error ? (
        <ErrorNote error={error} compact testId="minikube-error" />
      ) : !cmd ? (
        <p className="muted small">Working out the command…</p>
      ) : (
        <>
          <p className="small boot-minikube-lede">Start a minikube cluster on this ISO (stop the VM here first: both want the same resources).</p>
          <div className="boot-minikube-cmd">
            <code data-testid="minikube-command">{cmd.command}</code>
            <button type="button" className="btn btn-small" onClick={() => void copyText(cmd.command).then((ok) => setCopied(ok ? 'ok' : 'fail'))} data-testid="minikube-copy">
              {copied === 'ok' ? 'Copied' : copied === 'fail' ? 'Copy failed' : 'Copy'}
            </button>
          </div>
          <p className="small muted boot-minikube-where" data-testid="minikube-path">
            {cmd.minikubeOnPath ? (
              <>
                <span className="ok-text">minikube is installed</span> at <code>{cmd.minikubePath}</code>: paste the command into a terminal.
              </>
            ) : (
              <>minikube is not on this machine’s PATH; run the command where minikube is installed (the ISO must be readable there at the same path).</>
            )}
          </p>
        </>
      )}
    </section>
  );
}
