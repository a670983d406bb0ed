import { useEffect, type KeyboardEvent } from 'react';
import type { TourStep } from '../../../../shared/settings';
import { useLab } from '../../store/lab-store';
import { useTour } from '../../store/tour-store';
import { useHighlight } from './highlight';
import { PRESENTER_KEYS, togglePresenter } from './presenter';
import { nextMove, STEPS, stepIndex, stepStatus, type TourFacts } from './progress';
import { INTRO, STEP_TEXT } from './steps';
import { ChangeAndCompare } from './ChangeAndCompare';
import { RemasterTip } from './RemasterTip';
import { IsoChoose, SampleAbout, TourAction } from './TourActions';
import { showTarget, TARGETS } from './targets';

export const DOCK_ID = 'tour-dock';
export const NAV_ID = 'tour-nav';

/** Moves the keyboard into the panel (after it is drawn). */
export function focusDock(): void {
  requestAnimationFrame(() => document.getElementById(DOCK_ID)?.focus());
}

function Intro() {
  const { choose } = useTour.getState();
  return (
    <section className="tour-step" aria-labelledby="tour-intro-title" data-testid="tour-intro">
      <h2 id="tour-intro-title">{INTRO.title}</h2>
      <p className="tour-body">{INTRO.body}</p>
      <div className="tour-choices">
        <button type="button" className="tour-choice" onClick={() => choose('sample')} data-testid="tour-path-sample">
          <strong>{INTRO.sample.label}</strong>
          <span>{INTRO.sample.detail}</span>
        </button>
        <div className="tour-choice-own">
          <IsoChoose label={INTRO.own.label} onChosen={(iso) => choose('own', iso)} />
          <span className="tour-choice-detail">{INTRO.own.detail}</span>
        </div>
      </div>
    </section>
  );
}

function Stepper({ facts }: { facts: TourFacts }) {
  const step = useTour((s) => s.step);
  const done = useTour((s) => s.done);
  const { goTo } = useTour.getState();
  return (
    <ol className="tour-stepper" aria-label="Tour steps">
      {STEPS.map((s, i) => {
        const status = stepStatus(s, facts, done);
        const current = s === step;
        return (
          <li key={s}>
            <button
              type="button"
              className={`tour-stepper-item tour-${status}${current ? ' current' : ''}`}
              aria-current={current ? 'step' : undefined}
              data-step={s}
              data-status={status}
              onClick={() => goTo(s)}
              title={`${STEP_TEXT[s].title}${status === 'done' ? ' (done)' : status === 'skipped' ? ' (skipped)' : ''}`}
            >
              <span className="tour-stepper-mark" aria-hidden="true">
                {status === 'done' ? '✓' : status === 'skipped' ? '–' : i + 1}
              </span>
              <span className="tour-stepper-label">{STEP_TEXT[s].short}</span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}

function StepView({ step, facts }: { step: TourStep; facts: TourFacts }) {
  const done = useTour((s) => s.done);
  const text = STEP_TEXT[step];
  const status = stepStatus(step, facts, done);
  const move = nextMove(step, facts);
  const target = move.target ? TARGETS[move.target] : undefined;
  useHighlight(target ? target.selectors(facts) : []);

  return (
    <section className="tour-step" aria-labelledby="tour-step-title" data-testid="tour-step" data-step={step} data-status={status}>
      <h2 id="tour-step-title">{text.title}</h2>
      <p className="tour-body" data-testid="tour-body">
        {text.body}
      </p>
      {step === 'build' && facts.path === 'sample' && <SampleAbout />}
      {step === 'minikube' && facts.path === 'sample' && facts.checkout && <ChangeAndCompare facts={facts} />}
      {step === 'minikube' && facts.path === 'sample' && facts.iso && <RemasterTip facts={facts} />}
      <div className={`tour-next${status === 'done' ? ' is-done' : ''}`} aria-live="polite">
        {status === 'done' && (
          <p className="tour-done" data-testid="tour-done">
            <span aria-hidden="true">✓</span> Done{step !== 'minikube' ? ': on to the next step when you are ready.' : '.'}
          </p>
        )}
        {status === 'skipped' && <p className="tour-done">Skipped on this path.</p>}
        <p className="tour-hint" data-testid="tour-hint">
          {move.hint}
        </p>
        {(move.action || move.target) && (
          <div className="tour-actions">
            {move.action && <TourAction action={move.action} facts={facts} />}
            {move.target && target && (
              <button type="button" className="btn" onClick={() => void showTarget(move.target!, facts)} data-testid="tour-show-me" data-target={move.target}>
                Show me {target.label}
              </button>
            )}
          </div>
        )}
      </div>
      {text.terms && (
        <dl className="tour-terms" data-testid="tour-terms">
          {text.terms.map((t) => (
            <div key={t.term}>
              <dt>{t.term}</dt>
              <dd>{t.says}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

/** The docked panel: never over the app (it takes its own column), never modal. */
export function TourDock({ facts }: { facts: TourFacts }) {
  const path = useTour((s) => s.path);
  const step = useTour((s) => s.step);
  const saveError = useTour((s) => s.saveError);
  const presenter = useLab((s) => s.settings?.settings.ui.presenter ?? false);
  const { next, back, setCollapsed, leave } = useTour.getState();
  const index = stepIndex(step);
  const last = index === STEPS.length - 1;

  // Alt+→ / Alt+← from anywhere (not in a dialog): the console and the tree would take them otherwise.
  useEffect(() => {
    if (path === 'none') return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      if (document.querySelector('[role="dialog"]')) return;
      e.preventDefault();
      e.stopPropagation();
      if (e.key === 'ArrowRight') next();
      else back();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [path, next, back]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    e.preventDefault();
    setCollapsed(true);
  };

  // The panel goes; the keyboard goes to what brings it back.
  const close = (end?: boolean) => {
    if (end) useTour.getState().finish();
    else leave();
    requestAnimationFrame(() => document.getElementById(NAV_ID)?.focus());
  };

  return (
    <aside id={DOCK_ID} className="tour-dock" aria-label="Guided tour" data-testid="tour-dock" tabIndex={-1} onKeyDown={onKeyDown}>
      <header className="tour-head">
        <div className="tour-head-title">
          <strong>Guided tour</strong>
          {path !== 'none' && (
            <span className="tour-count" data-testid="tour-count">
              step {index + 1} of {STEPS.length}
            </span>
          )}
        </div>
        <div className="tour-head-actions">
          <button
            type="button"
            className="btn btn-small"
            aria-pressed={presenter}
            aria-keyshortcuts={PRESENTER_KEYS}
            onClick={togglePresenter}
            data-testid="tour-presenter"
            title="Presenter mode: larger type, higher contrast, a strong focus ring (Ctrl+Shift+P)"
          >
            Presenter{presenter ? ' ✓' : ''}
          </button>
          <button type="button" className="btn btn-small" onClick={() => setCollapsed(true)} aria-keyshortcuts="Escape" title="Collapse to a small pill (Esc); the tour stays where it is" data-testid="tour-collapse">
            Collapse
          </button>
          <button type="button" className="btn btn-small" onClick={() => close()} title="Close the tour; Take the tour resumes it here" data-testid="tour-leave">
            Leave
          </button>
        </div>
      </header>
      {saveError && <p className="tour-note small">The tour’s place could not be saved: {saveError.message}</p>}
      {path === 'none' ? (
        <Intro />
      ) : (
        <>
          <Stepper facts={facts} />
          <StepView step={step} facts={facts} />
          <footer className="tour-foot">
            <button type="button" className="btn" onClick={back} disabled={index === 0} aria-keyshortcuts="Alt+ArrowLeft" data-testid="tour-back">
              ← Back
            </button>
            <span className="tour-keys">Alt+← / Alt+→<br />Esc collapses</span>
            {last ? (
              <button type="button" className="btn btn-primary" onClick={() => close(true)} data-testid="tour-finish">
                Finish
              </button>
            ) : (
              <button type="button" className="btn btn-primary" onClick={next} aria-keyshortcuts="Alt+ArrowRight" data-testid="tour-next">
                Next: {STEP_TEXT[STEPS[index + 1]!].short} →
              </button>
            )}
          </footer>
        </>
      )}
    </aside>
  );
}
