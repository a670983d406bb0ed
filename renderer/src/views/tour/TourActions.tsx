import { useEffect, useState, type ReactNode } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { SampleInfo } from '../../../../shared/sample';
import { api } from '../../api/lab-api';
import { useBuild } from '../../store/build-store';
import { shape, useInspect } from '../../store/inspect-store';
import { useTour } from '../../store/tour-store';
import { bootBuiltIso, openInInspect } from '../build/BuildProgress';
import { NewSampleButton } from '../build/NewSampleButton';
import { HostPicker } from '../inspect/OpenImageDialog';
import { baseName, type PanelAction, type TourFacts } from './progress';
import { showTarget } from './targets';

// What the panel offers itself when the app has no control for it yet.

/** The checkout into the Build screen, and the Start button shown. */
export function putCheckoutInBuild(checkout: string, facts: TourFacts): void {
  useBuild.getState().setInputs({ checkout, recipe: 'auto' });
  void showTarget('build-start', facts);
}

/** A sample just created: the tour follows it from its build on. */
function adoptSample(checkout: string, facts: TourFacts): void {
  const tour = useTour.getState();
  if (tour.path !== 'sample') tour.choose('sample');
  tour.setCheckout(checkout);
  tour.setIso('');
  tour.goTo('build');
  putCheckoutInBuild(checkout, facts);
}

/** Picks an ISO on the machine running the lab; the tour follows it from then on. */
export function IsoChoose({ label, primary, onChosen }: { label: string; primary?: boolean; onChosen: (iso: string) => void }) {
  const [picking, setPicking] = useState(false);
  const recent = useInspect((s) => s.recent);
  return (
    <>
      <button
        type="button"
        className={`btn${primary ? ' btn-primary' : ''}`}
        onClick={() => {
          void useInspect.getState().loadRecent();
          setPicking(true);
        }}
        data-testid="tour-choose-iso"
      >
        {label}
      </button>
      {picking && (
        <HostPicker
          mode="file"
          title="Choose your ISO"
          chooseLabel="Use this ISO"
          recent={recent}
          onChoose={(p) => {
            setPicking(false);
            onChosen(p);
          }}
          onClose={() => setPicking(false)}
        />
      )}
    </>
  );
}

function ActionButton({ testId, onClick, children }: { testId: string; onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" className="btn btn-primary" data-testid={testId} onClick={onClick}>
      {children}
    </button>
  );
}

export function TourAction({ action, facts }: { action: PanelAction; facts: TourFacts }) {
  const iso = facts.iso;
  switch (action) {
    case 'create-sample':
      return (
        <NewSampleButton
          label={facts.path === 'own' ? 'Build the sample instead…' : 'Create the sample project…'}
          primary
          testId="tour-create-sample"
          onCreated={(checkout) => adoptSample(checkout, facts)}
        />
      );
    case 'use-checkout':
      return (
        <ActionButton testId="tour-use-checkout" onClick={() => putCheckoutInBuild(facts.checkout, facts)}>
          Use {baseName(facts.checkout)} in Build
        </ActionButton>
      );
    case 'choose-iso':
      return <IsoChoose label="Choose an ISO…" primary onChosen={(p) => useTour.getState().setIso(p)} />;
    case 'open-iso':
      return (
        <ActionButton testId="tour-open-iso" onClick={() => openInInspect(iso)}>
          Open {baseName(iso)} in Inspect
        </ActionButton>
      );
    case 'boot-iso':
      return (
        <ActionButton testId="tour-boot-iso" onClick={() => bootBuiltIso(iso)}>
          Boot {baseName(iso)}
        </ActionButton>
      );
  }
}

let sampleInfo: Promise<SampleInfo> | undefined;

/** The sample's own words and the files worth changing, from the lab core. */
export function SampleAbout() {
  const [info, setInfo] = useState<SampleInfo>();
  const [error, setError] = useState<LabErrorShape>();
  useEffect(() => {
    let alive = true;
    sampleInfo ??= api.request('sample.info');
    sampleInfo.then(
      (i) => alive && setInfo(i),
      (err) => {
        sampleInfo = undefined;
        if (alive) setError(shape(err));
      },
    );
    return () => {
      alive = false;
    };
  }, []);
  if (error) return <p className="tour-note small" data-testid="tour-sample-about">The sample’s details are not available: {error.message}</p>;
  if (!info) return null;
  return (
    <details className="tour-sample" data-testid="tour-sample-about">
      <summary>
        About {info.name}
      </summary>
      <p className="small">{info.description}</p>
      {info.editable.length > 0 && (
        <p className="small">
          Files to change and build again:{' '}
          {info.editable.map((f, i) => (
            <span key={f}>
              {i > 0 && ', '}
              <code>{f}</code>
            </span>
          ))}
        </p>
      )}
    </details>
  );
}
