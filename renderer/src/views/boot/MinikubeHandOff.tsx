import { useEffect, useRef, useState } from 'react';
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
  const run = useMinikubeRun(iso);

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
    <section className="card boot-minikube" aria-labelledby="minikube-title" data-testid="minikube" data-tour="minikube">
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
                <span className="ok-text">minikube is installed</span> at <code>{cmd.minikubePath}</code>: run it from here, or paste the command into a terminal.
              </>
            ) : (
              <>minikube is not on this machine’s PATH; run the command where minikube is installed (the ISO must be readable there at the same path).</>
            )}
          </p>
          {cmd.minikubeOnPath && (
            <div className="boot-minikube-run">
              {run.running ? (
                <button type="button" className="btn btn-small" onClick={run.stop} data-testid="minikube-stop">
                  Interrupt minikube
                </button>
              ) : (
                <button type="button" className="btn btn-small" onClick={run.start} data-testid="minikube-run">
                  Run minikube start
                </button>
              )}
              {run.output && (
                <pre className="boot-minikube-output" data-testid="minikube-output">
                  {run.output}
                </pre>
              )}
              {run.error && <ErrorNote error={run.error} compact testId="minikube-run-error" />}
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** Keeps the last 64 KB of minikube's output: enough to read what it did, bounded. */
function useMinikubeRun(iso: string) {
  const [output, setOutput] = useState('');
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<LabErrorShape>();
  const stopRef = useRef<(() => void) | undefined>(undefined);
  useEffect(() => () => stopRef.current?.(), []);
  return {
    output,
    running,
    error,
    start: () => {
      setOutput('');
      setError(undefined);
      setRunning(true);
      stopRef.current = api.subscribe('vm.minikubeRun', { iso }, {
        onData: (batch) => setOutput((o) => (o + batch.join('')).slice(-65536)),
        onEnd: (err) => {
          setRunning(false);
          setError(err);
        },
      });
    },
    stop: () => {
      stopRef.current?.();
      stopRef.current = undefined;
      setRunning(false);
    },
  };
}
