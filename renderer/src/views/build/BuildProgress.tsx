import { useState } from 'react';
import type { BuildPhase, BuildRecord } from '../../../../shared/build';
import { formatBytes } from '../../../../shared/format';
import { isFinalPhase, useBuild, type RunState } from '../../store/build-store';
import { useBoot } from '../../store/boot-store';
import { useInspect } from '../../store/inspect-store';
import { useLab } from '../../store/lab-store';
import { ErrorNote } from '../inspect/common';
import { Modal } from '../inspect/Modal';
import { baseName, clock, Copy, duration, PathText, PHASE_WORDS, useTicker } from './common';
import { builderImageState, IMAGE_STATE_WORDS, imageReady } from './image-state';
import { UseLocalImage } from './PreflightPanel';

type StepState = 'done' | 'current' | 'pending' | 'failed' | 'cancelled';

/** Where a build that ended early stopped: the image phase unless the image was ready. */
function stoppedAt(r: BuildRecord | undefined): 'image' | 'build' {
  return imageReady(r) ? 'build' : 'image';
}

function steps(phase: BuildPhase, record: BuildRecord | undefined): { id: string; label: string; state: StepState }[] {
  const order = ['preflight', 'image', 'build'] as const;
  const final = isFinalPhase(phase);
  const stop = phase === 'failed' || phase === 'cancelled' ? stoppedAt(record) : undefined;
  const out: { id: string; label: string; state: StepState }[] = order.map((id, i) => {
    let state: StepState;
    if (phase === 'done') state = 'done';
    else if (stop) state = i < order.indexOf(stop) ? 'done' : i === order.indexOf(stop) ? (phase as 'failed' | 'cancelled') : 'pending';
    else state = i < order.indexOf(phase as (typeof order)[number]) ? 'done' : i === order.indexOf(phase as (typeof order)[number]) ? 'current' : 'pending';
    return { id, label: PHASE_WORDS[id], state };
  });
  out.push({ id: 'end', label: final ? PHASE_WORDS[phase] : 'Done', state: phase === 'done' ? 'done' : final ? (phase as 'failed' | 'cancelled') : 'pending' });
  return out;
}

const MARK: Record<StepState, string> = { done: '✓', current: '', pending: '', failed: '✕', cancelled: '■' };

export function PhaseSteps({ phase, record }: { phase: BuildPhase; record?: BuildRecord }) {
  const list = steps(phase, record);
  return (
    <ol className="phase-steps" aria-label="Build phases" data-testid="build-phase" data-phase={phase}>
      {list.map((s, i) => (
        <li key={s.id} className={`phase-step phase-${s.state}`} aria-current={s.state === 'current' ? 'step' : undefined}>
          <span className="phase-dot" aria-hidden="true">
            {MARK[s.state] || i + 1}
          </span>
          <span className="phase-label">{s.label}</span>
          <span className="sr-only"> ({s.state})</span>
        </li>
      ))}
    </ol>
  );
}

/** Packages the last good build of this checkout went through: "3 of about 40". */
function useExpectedPackages(record: BuildRecord | undefined): number | undefined {
  const history = useBuild((s) => s.history);
  if (!record) return undefined;
  const prev = history.find((h) => h.id !== record.id && h.phase === 'done' && h.checkout === record.checkout && h.recipe === record.recipe && h.arch === record.arch && h.packageTimes?.length);
  return prev?.packageTimes?.length;
}

/** The builder image's line while building, and what became of it once the build is over. */
function imageStepText(phase: BuildPhase, record: BuildRecord | undefined, step: { current: number; total: number } | undefined): string {
  if (record?.imageReused) return 'reused';
  const at = step ? `step ${step.current}/${step.total}` : '';
  if (record && isFinalPhase(phase)) {
    const state = builderImageState({ ...record, phase });
    if (state === 'failed' || state === 'cancelled') return at ? `${state} at ${at}` : IMAGE_STATE_WORDS[state];
    return state === 'built' ? (step ? `built (${step.total} steps)` : 'built') : IMAGE_STATE_WORDS[state];
  }
  return at || (phase === 'image' ? 'starting…' : '—');
}

export function BuildProgress({ run }: { run: RunState }) {
  const { phase, progress, record } = run;
  const live = run.live && !isFinalPhase(phase);
  useTicker(live);
  const cancelling = useBuild((s) => s.cancelling);
  const cancelError = useBuild((s) => s.cancelError);
  const { cancel } = useBuild.getState();
  const [confirm, setConfirm] = useState(false);
  const expected = useExpectedPackages(record);

  const since = live ? performance.now() - run.progressAt : 0;
  const elapsed = live ? (progress?.elapsedMs ?? 0) + since : (record?.durationMs ?? progress?.elapsedMs ?? 0);
  const eta = live && progress?.etaMs !== undefined ? Math.max(0, progress.etaMs - since) : undefined;
  const step = progress?.imageStep;
  const done = progress?.packagesDone ?? 0;
  // A build that stopped says which package it stopped in.
  const pkg = progress?.package ?? (isFinalPhase(phase) && phase !== 'done' && progress?.step && record?.packageTimes?.length ? record.packageTimes.at(-1)!.name : undefined);
  // Buildroot's packages mean nothing to a custom build that prints no `>>>` lines.
  const showPackages = (record?.recipe !== 'custom' || !!progress?.package || !!progress?.step || done > 0) && !(live && (phase === 'image' || phase === 'preflight'));

  let bar: { value?: number; label: string } | undefined;
  if (phase === 'image' && step) bar = { value: step.current / step.total, label: `Builder image step ${step.current} of ${step.total}` };
  else if (phase === 'image') bar = { label: 'Preparing the builder image' };
  else if (phase === 'build' && eta !== undefined) bar = { value: elapsed / (elapsed + eta), label: 'Build, estimated from the previous build' };
  else if (phase === 'build' && expected) bar = { value: Math.min(1, done / expected), label: `Packages, against the ${expected} of the previous build` };
  else if (phase === 'build' || phase === 'preflight') bar = { label: 'Building' };

  return (
    <section className="card build-run" aria-labelledby="run-title" data-testid="build-progress">
      <div className="build-run-head">
        <h2 id="run-title">
          Build <code className="build-id">{run.buildId}</code>
          {record && (
            <span className="muted small" title={record.checkout}>
              {record.recipe} · {record.arch} · {baseName(record.checkout)}
            </span>
          )}
        </h2>
        <div className="view-actions">
          {run.connecting && <span className="muted small">Connecting…</span>}
          {live && (
            <button type="button" className="btn btn-danger" onClick={() => setConfirm(true)} disabled={cancelling} data-testid="cancel-build">
              {cancelling ? 'Cancelling…' : 'Cancel build'}
            </button>
          )}
        </div>
      </div>
      <PhaseSteps phase={phase} record={record} />
      {run.watchError &&
        (isFinalPhase(phase) ? (
          <ErrorNote error={run.watchError} compact testId="watch-error" />
        ) : (
          <ErrorNote error={{ ...run.watchError, hint: `${run.watchError.hint ? `${run.watchError.hint}. ` : ''}The build goes on in the ISO Lab core; following it again…` }} compact testId="watch-error" />
        ))}
      {cancelError && <ErrorNote error={cancelError} compact testId="cancel-error" />}

      <dl className="build-stats">
        {(phase === 'image' || step) && (
          <div>
            <dt>Builder image</dt>
            <dd data-testid="image-step" data-state={record && isFinalPhase(phase) ? builderImageState(record) : undefined}>
              {imageStepText(phase, record, step)}
            </dd>
          </div>
        )}
        {showPackages && (
          <div className="build-stat-package">
            <dt>{live ? 'Package' : 'Last step'}</dt>
            <dd data-testid="current-package">
              {pkg ? (
                <>
                  <strong>{pkg}</strong> {progress?.version && <span className="muted">{progress.version}</span>} {progress?.step && <span>· {progress.step}</span>}
                </>
              ) : progress?.step ? (
                progress.step
              ) : (
                <span className="muted">{phase === 'build' ? 'no buildroot step yet' : '—'}</span>
              )}
            </dd>
          </div>
        )}
        {showPackages && (
          <div>
            <dt>Packages done</dt>
            <dd data-testid="packages-done" data-count={done}>
              {done}
              {expected ? <span className="muted"> of about {expected}</span> : null}
            </dd>
          </div>
        )}
        <div>
          <dt>{live ? 'Elapsed' : 'Took'}</dt>
          <dd data-testid="elapsed">{clock(elapsed)}</dd>
        </div>
        {live && (
          <div>
            <dt>Time left</dt>
            <dd data-testid="eta" title="estimated from the previous build of this checkout">
              {eta !== undefined ? `about ${clock(eta)}` : <span className="muted">no earlier build to go by</span>}
            </dd>
          </div>
        )}
      </dl>
      {live && bar && (
        <div className="build-bar">
          <progress value={bar.value} max={1} aria-label={bar.label} />
          <span className="muted small">{bar.label}</span>
        </div>
      )}

      {confirm && (
        <Modal title="Cancel the build?" onClose={() => setConfirm(false)} testId="cancel-dialog" initialFocus="[data-autofocus]">
          <p>
            {phase === 'image' ? 'The builder image build is aborted.' : 'The build container is stopped and removed.'} The logs written so far are kept, and the build is listed in the history as
            cancelled.
          </p>
          <div className="view-actions modal-actions">
            <button type="button" className="btn" onClick={() => setConfirm(false)} data-autofocus>
              Keep building
            </button>
            <button
              type="button"
              className="btn btn-danger"
              data-testid="confirm-cancel"
              onClick={() => {
                setConfirm(false);
                void cancel();
              }}
            >
              Cancel build
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}

const RESULT_TITLE: Record<string, string> = { done: 'The ISO is built', failed: 'The build failed', cancelled: 'The build was cancelled' };

export function openInInspect(path: string): void {
  useLab.getState().setView('inspect');
  void useInspect.getState().openImage(path);
}

/** Build → boot in one click, the way the seed goes on from `make` to VirtualBox. */
export function bootBuiltIso(path: string): void {
  useLab.getState().setView('boot');
  void useBoot.getState().bootIso(path);
}

/** A base image that could not be pulled: which build arg chooses it, and where to set it. */
function MissingBaseNote({ record }: { record: BuildRecord }) {
  const base = record.missingBase!;
  const { openOverrides } = useBuild.getState();
  const arg = base.buildArg;
  return (
    <div className="build-missing-base" data-testid="missing-base" data-image={base.image} data-build-arg={arg}>
      {arg ? (
        <p>
          <code>{base.fromLine}</code> takes the base image from the build argument <strong data-testid="missing-base-arg">{arg}</strong>: set {arg} to an image the engine has, in
          the Overrides’ Build args, then Retry.
        </p>
      ) : (
        <p>
          <code>{base.fromLine}</code> names <code>{base.image}</code> outright, with no build argument to change it: load the image on the engine, tag a local image as{' '}
          <code>{base.image}</code> (docker tag IMAGE {base.image}), or change the Dockerfile, then Retry.
        </p>
      )}
      <div className="view-actions">
        {arg && (
          <button type="button" className="btn" onClick={openOverrides} data-testid="open-overrides">
            Set {arg} in Overrides
          </button>
        )}
        {arg && <UseLocalImage base={{ ...base, buildArg: arg }} />}
      </div>
    </div>
  );
}

/** The same build again, with what the setup holds now (e.g. the build arg just set). */
function RetryButton({ record }: { record: BuildRecord }) {
  const starting = useBuild((s) => s.starting);
  const busy = useBuild((s) => !!s.run?.live && !isFinalPhase(s.run.phase));
  const startError = useBuild((s) => s.startError);
  const overrides = useBuild((s) => s.inputs.custom.buildArgs.trim());
  return (
    <>
      <button
        type="button"
        className="btn btn-primary"
        disabled={starting || busy}
        onClick={() => void useBuild.getState().retry(record)}
        data-testid="retry-build"
        title={overrides ? `Start the build again, with the build args ${overrides.replace(/\n/g, ', ')}` : 'Start the build again'}
      >
        {starting ? 'Starting…' : 'Retry'}
      </button>
      {startError && <ErrorNote error={startError} compact testId="retry-error" />}
    </>
  );
}

/** What a finished build left: exit code, time, the ISO with its size and sha256. */
export function ResultCard({ record }: { record: BuildRecord }) {
  const phase = record.phase;
  return (
    <section className={`card build-result build-result-${phase}`} aria-labelledby="result-title" data-testid="build-result" data-phase={phase}>
      <h2 id="result-title">
        <span className={`badge ${phase === 'done' ? 'badge-ok' : phase === 'failed' ? 'badge-error' : 'badge-warn'}`} aria-hidden="true">
          {phase === 'done' ? '✓' : phase === 'failed' ? '✕' : '■'}
        </span>
        {RESULT_TITLE[phase] ?? PHASE_WORDS[phase]}
      </h2>
      {record.error && phase !== 'done' && (
        <div className={phase === 'failed' ? 'ins-error' : 'ins-note'} role={phase === 'failed' ? 'alert' : undefined} data-testid="result-error" data-code={record.error.code}>
          <div className="ins-error-text">
            <strong>{record.error.message}</strong>
            {record.error.hint && <div className="ins-error-hint">{record.error.hint}</div>}
          </div>
        </div>
      )}
      {phase === 'failed' && record.missingBase && <MissingBaseNote record={record} />}
      {phase !== 'done' && (
        <div className="view-actions build-result-actions">
          <RetryButton record={record} />
        </div>
      )}
      <dl className="facts build-result-facts">
        <dt>Exit code</dt>
        <dd data-testid="result-exit-code">{record.exitCode ?? <span className="muted">none (the build container did not finish)</span>}</dd>
        <dt>Duration</dt>
        <dd data-testid="result-duration">
          {record.durationMs !== undefined ? duration(record.durationMs) : '—'}
          {record.phaseTimes && (
            <span className="muted small">
              {' '}
              ({record.phaseTimes.image !== undefined ? `image ${duration(record.phaseTimes.image)}` : ''}
              {record.phaseTimes.image !== undefined && record.phaseTimes.build !== undefined ? ', ' : ''}
              {record.phaseTimes.build !== undefined ? `build ${duration(record.phaseTimes.build)}` : ''})
            </span>
          )}
        </dd>
        <dt>Builder image</dt>
        <dd data-testid="result-image" data-state={builderImageState(record)}>
          <code>{record.image}</code>{' '}
          <span className={`small ${builderImageState(record) === 'failed' ? 'error-text' : 'muted'}`}>{IMAGE_STATE_WORDS[builderImageState(record)]}</span>
        </dd>
        {record.output && (
          <>
            <dt>Output</dt>
            <dd className="build-output">
              <code data-testid="result-output">
                <PathText path={record.output.path} />
              </code> <span className="muted small">{formatBytes(record.output.size)}</span>
            </dd>
            <dt>sha256</dt>
            <dd className="build-sha">
              <code data-testid="result-sha256">{record.output.sha256}</code> <Copy text={record.output.sha256} />
            </dd>
          </>
        )}
      </dl>
      {record.output && (
        <div className="view-actions build-result-actions">
          <button type="button" className="btn btn-primary" onClick={() => openInInspect(record.output!.path)} data-testid="open-in-inspect" data-tour="open-in-inspect">
            Open in Inspect
          </button>
          <button type="button" className="btn" onClick={() => bootBuiltIso(record.output!.path)} data-testid="boot-built-iso">
            Boot this ISO
          </button>
          <Copy text={record.output.path} label="Copy path" />
        </div>
      )}
    </section>
  );
}
