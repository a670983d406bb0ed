import { useEffect, useState } from 'react';
import { useTour } from '../../store/tour-store';
import '../../styles/tour.css';
import { ConsoleWatch } from './ConsoleWatch';
import { useTourFacts } from './facts';
import { usePresenterShortcut } from './presenter';
import { isComplete, STEPS, stepIndex } from './progress';
import { focusDock, TourDock } from './TourDock';

const PILL_ID = 'tour-pill';

/** Collapsed: one small button over the sidebar's empty foot, away from every screen's controls. */
function TourPill() {
  const step = useTour((s) => s.step);
  const path = useTour((s) => s.path);
  const { setCollapsed } = useTour.getState();
  useEffect(() => {
    // Esc in the panel brought the keyboard here; it should not be lost with the panel.
    if (document.activeElement === document.body) document.getElementById(PILL_ID)?.focus();
  }, []);
  return (
    <button
      id={PILL_ID}
      type="button"
      className="tour-pill"
      data-testid="tour-pill"
      onClick={() => {
        setCollapsed(false);
        focusDock();
      }}
      title="Open the guided tour"
    >
      {path === 'none' ? 'Tour · start' : `Tour · step ${stepIndex(step) + 1} of ${STEPS.length}`}
    </button>
  );
}

/** While the tour is on: the facts it watches, what it records, and the panel or its pill. */
function TourOn() {
  const [loggedIn, setLoggedIn] = useState(false);
  const facts = useTourFacts(loggedIn);
  const step = useTour((s) => s.step);
  const collapsed = useTour((s) => s.collapsed);
  const { markDone, setIso } = useTour.getState();

  const watchVm = step === 'console' && facts.boot.state === 'running' ? facts.boot.vm : undefined;
  useEffect(() => {
    if (!watchVm) setLoggedIn(false);
  }, [watchVm]);

  const complete = facts.path !== 'none' && isComplete(step, facts);
  useEffect(() => {
    if (complete) markDone(step);
  }, [complete, step, markDone]);

  // The sample's ISO is what its build made; an ISO opened along the way is adopted when there is none.
  const { path, iso } = facts;
  const output = facts.build.phase === 'done' ? facts.build.output : undefined;
  const opened = facts.inspect.initrdVisited ? facts.inspect.file : undefined;
  useEffect(() => {
    if (iso) return;
    if (path === 'sample' && output) setIso(output);
    else if (opened) setIso(opened);
  }, [path, iso, output, opened, setIso]);

  return (
    <>
      {watchVm && <ConsoleWatch key={watchVm} vm={watchVm} onLoggedIn={setLoggedIn} />}
      {collapsed ? <TourPill /> : <TourDock facts={facts} />}
    </>
  );
}

/** The guided tour: Build → Inspect → Boot → Console → Use with minikube. */
export function TourPanel() {
  usePresenterShortcut();
  const hydrated = useTour((s) => s.hydrated);
  const active = useTour((s) => s.active);
  if (!hydrated || !active) return null;
  return <TourOn />;
}
