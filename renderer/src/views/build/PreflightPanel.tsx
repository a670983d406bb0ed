import { useState } from 'react';
import type { MissingBase, PreflightResult } from '../../../../shared/build';
import { formatBytes } from '../../../../shared/format';
import { toRequest, useBuild } from '../../store/build-store';
import { ErrorNote } from '../inspect/common';
import { LocalImageDialog } from './LocalImageDialog';

const SELINUX_WORDS: Record<PreflightResult['selinux'], string> = {
  enforcing: 'enforcing: the checkout is mounted with :Z',
  permissive: 'permissive',
  disabled: 'disabled',
  absent: 'not on this machine',
};

function DiskNeed({ free, need, known }: { free: number; need: number; known: boolean }) {
  const short = need > 0 && free < need;
  const pct = need > 0 ? Math.min(100, (free / need) * 100) : 100;
  return (
    <div className={`build-disk${short ? ' short' : ''}`} data-testid="preflight-disk">
      <div className="build-disk-bar" role="meter" aria-valuemin={0} aria-valuemax={need || free} aria-valuenow={free} aria-label="Free disk space at the checkout, against what the build needs">
        <div className="build-disk-free" style={{ width: `${pct}%` }} />
      </div>
      <div className="small">
        <strong>{formatBytes(free)}</strong> free{need > 0 ? <> · the build needs about <strong>{formatBytes(need)}</strong></> : known ? <span className="muted"> · this recipe does not say what it needs</span> : null}
      </div>
    </div>
  );
}

/** The button under a missing base image whose FROM takes it from a build arg. */
export function UseLocalImage({ base, label = 'Use a local image…' }: { base: MissingBase & { buildArg: string }; label?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="btn btn-small build-use-local" onClick={() => setOpen(true)} data-testid="use-local-image-open" title={`Set ${base.buildArg} to an image the engine has`}>
        {label}
      </button>
      {open && <LocalImageDialog base={base} onClose={() => setOpen(false)} />}
    </>
  );
}

/** What the pre-flight found: blockers (each with its fix) first, then warnings, then the facts. */
export function PreflightPanel({ onStart }: { onStart: () => void }) {
  const preflight = useBuild((s) => s.preflight);
  const error = useBuild((s) => s.preflightError);
  const checking = useBuild((s) => s.checking);
  const starting = useBuild((s) => s.starting);
  const startError = useBuild((s) => s.startError);
  const checkout = useBuild((s) => s.inputs.checkout.trim().replace(/(.)\/+$/, '$1'));
  const hasCheckout = checkout !== '';
  const run = useBuild((s) => s.run);
  const busy = !!run?.live && run.record?.checkout === checkout;
  const invalid = useBuild((s) => Object.keys(toRequest(s.inputs).fieldErrors).length > 0);
  const canStart = !!preflight?.ok && !checking && !starting && !busy && !invalid;

  let status: string;
  if (!hasCheckout) status = 'Choose a checkout to check it.';
  else if (invalid) status = 'Fix the fields marked in red to check again.';
  else if (checking && !preflight) status = 'Checking…';
  else if (error) status = 'The check itself failed.';
  else if (!preflight) status = '';
  else if (preflight.errors.length) status = `${preflight.errors.length} ${preflight.errors.length === 1 ? 'problem blocks' : 'problems block'} the build`;
  else if (preflight.warnings.length) status = `Ready, with ${preflight.warnings.length} ${preflight.warnings.length === 1 ? 'warning' : 'warnings'}`;
  else status = 'Ready to build';

  return (
    <section className="build-preflight" aria-labelledby="preflight-title" data-testid="preflight" aria-busy={checking} data-ok={preflight ? String(preflight.ok) : undefined}>
      <h3 id="preflight-title">
        Pre-flight <span className={`muted small${preflight && !preflight.ok ? ' error-text' : ''}`} data-testid="preflight-status">{status}</span>
        {checking && preflight && <span className="muted small">checking…</span>}
      </h3>
      {error && <ErrorNote error={error} compact testId="preflight-failed" />}
      {preflight?.errors.map((e) => (
        <div key={e.code + e.message} className="ins-error build-check" role="alert" data-testid="preflight-error" data-code={e.code}>
          <div className="ins-error-text">
            <strong>{e.message}</strong>
            {e.hint && <div className="ins-error-hint">Fix: {e.hint}</div>}
          </div>
        </div>
      ))}
      {preflight?.warnings.map((w) => (
        <div key={w.code + w.message} className="build-warning" data-testid="preflight-warning" data-code={w.code} data-image={w.base?.image} data-build-arg={w.base?.buildArg}>
          <span className="badge badge-warn" aria-hidden="true">!</span>
          <div>
            <strong>{w.message}</strong>
            {w.hint && <div className="small">{w.hint}</div>}
            {w.base?.buildArg && <UseLocalImage base={w.base as MissingBase & { buildArg: string }} />}
          </div>
        </div>
      ))}
      {preflight && (
        <dl className="facts build-facts">
          <dt>Docker</dt>
          <dd>
            <code>{preflight.endpoint}</code> {preflight.remote && <span className="ins-tag ins-tag-archive">remote engine</span>}
          </dd>
          <dt>Disk</dt>
          <dd>
            <DiskNeed free={preflight.freeBytes} need={preflight.needBytes} known={!!preflight.recipe} />
          </dd>
          <dt>SELinux</dt>
          <dd>{SELINUX_WORDS[preflight.selinux]}</dd>
          {preflight.builderImage && (
            <>
              <dt>Builder image</dt>
              <dd data-testid="preflight-image">
                <code>{preflight.builderImage.tag}</code>{' '}
                {preflight.builderImage.reuse ? (
                  <span className="ins-tag ins-tag-ok" title={`context hash ${preflight.builderImage.contextHash}`}>
                    reused: same Dockerfile and context
                  </span>
                ) : (
                  <span className="ins-tag" title={`context hash ${preflight.builderImage.contextHash}`}>
                    will be built
                  </span>
                )}
              </dd>
            </>
          )}
        </dl>
      )}
      {startError && <ErrorNote error={startError} testId="start-error" />}
      <div className="build-start">
        {busy && <span className="muted small">A build of this checkout is running.</span>}
        <button type="button" className="btn btn-primary" disabled={!canStart} onClick={onStart} data-testid="start-build" data-tour="build-start" aria-keyshortcuts="Control+Enter">
          {starting ? 'Starting…' : 'Start build'}
        </button>
      </div>
    </section>
  );
}
