import { memo, useEffect } from 'react';
import { isFinalPhase, useBuild } from '../../store/build-store';
import '../../styles/inspect.css';
import '../../styles/build.css';
import { BuildProgress, ResultCard } from './BuildProgress';
import { baseName } from './common';
import { HistoryList as HistoryListInner } from './HistoryList';
import { LogView } from './LogView';
import { PackageChart } from './PackageChart';
import { PreflightPanel } from './PreflightPanel';
import { ProblemsList } from './ProblemsList';
import { CommandLines, RecipePanel, useResolvedRecipe } from './RecipePanel';

const SetupCard = memo(function SetupCard() {
  const open = useBuild((s) => s.setupOpen);
  const checkout = useBuild((s) => s.inputs.checkout);
  const preflight = useBuild((s) => s.preflight);
  const { setSetupOpen, start } = useBuild.getState();
  const recipe = useResolvedRecipe();

  if (!open) {
    return (
      <section className="card build-setup build-setup-closed" aria-label="New build" data-testid="setup">
        <span className="build-setup-summary">
          <strong>New build</strong>{' '}
          {checkout ? (
            <span className="muted" title={checkout}>
              {baseName(checkout)}
              {recipe ? ` · ${recipe.name} · ${recipe.arch}` : ''}
              {preflight && !preflight.ok ? ' · blocked' : ''}
            </span>
          ) : (
            <span className="muted">choose a checkout, a recipe, then start</span>
          )}
        </span>
        <button type="button" className="btn btn-small" onClick={() => setSetupOpen(true)} aria-expanded="false" data-testid="setup-toggle">
          Show setup
        </button>
      </section>
    );
  }
  return (
    <section className="card build-setup" aria-labelledby="setup-title" data-testid="setup">
      <div className="build-setup-head">
        <h2 id="setup-title">New build</h2>
        <button type="button" className="btn btn-small" onClick={() => setSetupOpen(false)} aria-expanded="true" data-testid="setup-toggle">
          Hide
        </button>
      </div>
      <div className="build-setup-body">
        <RecipePanel />
        <PreflightPanel onStart={() => void start()} />
      </div>
      <CommandLines recipe={recipe} />
    </section>
  );
});

// Neither depends on the build shown: they need not redraw with its progress.
const HistoryList = memo(HistoryListInner);

export function BuildView() {
  const run = useBuild((s) => s.run);
  const { attach, closeRun } = useBuild.getState();
  const final = run ? isFinalPhase(run.phase) : false;
  const record = run?.record;

  useEffect(() => {
    void attach();
  }, [attach]);

  // Ctrl+Enter starts the build when the pre-flight allows it.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.key !== 'Enter' || document.querySelector('[role="dialog"]')) return;
      const s = useBuild.getState();
      if (!s.setupOpen || !s.preflight?.ok || s.checking || s.starting) return;
      e.preventDefault();
      void s.start();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="view build-view" data-testid="build">
      <header className="view-head">
        <div>
          <h1>Build</h1>
          <p className="lede">Build a minikube ISO from a checkout, in Docker: live logs and progress, and the ISO with its sha256 at the end.</p>
        </div>
        <div className="view-actions">
          {run && final && (
            <button type="button" className="btn" onClick={closeRun} data-testid="close-run">
              Close build
            </button>
          )}
        </div>
      </header>

      <SetupCard />

      {run && (
        <>
          <div id="build-run-anchor" />
          <BuildProgress run={run} />
          {final && record && (
            <div className="build-after">
              <ResultCard record={record} />
              {record.packageTimes && record.packageTimes.length > 0 && <PackageChart times={record.packageTimes} />}
            </div>
          )}
          <ProblemsList final={final} />
          <LogView readOnly={!run.live} />
        </>
      )}

      <HistoryList />
    </div>
  );
}
