import { useTour } from '../../store/tour-store';
import { STEPS, stepIndex } from './progress';
import { focusDock, NAV_ID } from './TourDock';

/** Where the tour stands, for the buttons that open it. */
function useTourPlace() {
  const hydrated = useTour((s) => s.hydrated);
  const path = useTour((s) => s.path);
  const step = useTour((s) => s.step);
  return { hydrated, started: path !== 'none', place: `step ${stepIndex(step) + 1} of ${STEPS.length}` };
}

function open(): void {
  useTour.getState().open();
  focusDock();
}

function restart(): void {
  useTour.getState().restart();
  focusDock();
}

/** On Lab status: the way in for newcomers, or back to where they left it. */
export function TourStartCard() {
  const { hydrated, started, place } = useTourPlace();
  if (!hydrated) return null;
  return (
    <section className="card tour-start" aria-labelledby="tour-start-title" data-testid="tour-start">
      <div>
        <h2 id="tour-start-title">Guided tour</h2>
        <p className="muted">
          Build → Inspect → Boot → Console → minikube, with the sample project or an ISO you already have: each step says what happens and why, and points at the control to use.
        </p>
      </div>
      <div className="view-actions">
        {started ? (
          <>
            <button type="button" className="btn btn-primary" onClick={open} data-testid="tour-resume">
              Resume the tour · {place}
            </button>
            <button type="button" className="btn" onClick={restart} data-testid="tour-restart">
              Start over
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-primary" onClick={restart} data-testid="tour-take">
            Take the tour
          </button>
        )}
      </div>
    </section>
  );
}

/** In the sidebar, under the screens. */
export function TourNavButton() {
  const { hydrated, started, place } = useTourPlace();
  if (!hydrated) return null;
  return (
    <button id={NAV_ID} type="button" className="nav-item tour-nav" onClick={started ? open : restart} data-testid="tour-nav" title={started ? `Resume the guided tour at ${place}` : 'Take the guided tour'}>
      {started ? `Tour · ${place}` : 'Take the tour'}
    </button>
  );
}
