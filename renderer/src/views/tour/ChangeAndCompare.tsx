import { useCompare } from '../../store/compare-store';
import { useLab } from '../../store/lab-store';
import { putCheckoutInBuild } from './TourActions';
import type { TourFacts } from './progress';

/**
 * After the tour, on the sample path: the loop people came for. The sample's build keeps the
 * ISO before it as out/hello.previous.iso, so "what did my change do" is one comparison.
 */
export function ChangeAndCompare({ facts }: { facts: TourFacts }) {
  const out = `${facts.checkout.replace(/\/+$/, '')}/out`;
  const compare = () => {
    useLab.getState().setView('compare');
    // compare() takes the pair into the A and B fields as it starts.
    useCompare.getState().compare(`${out}/hello.previous.iso`, `${out}/hello.iso`);
  };
  return (
    <section className="tour-sample" data-testid="tour-change">
      <h3>Then: change it and compare</h3>
      <p className="small">
        Edit <code>overlay/etc/VERSION</code> (or any file under <code>overlay/</code>) in <code>{facts.checkout}</code>, build again, and compare the new ISO with the one
        before: the initrd changed, and inside it exactly your file.
      </p>
      <div className="tour-actions">
        <button type="button" className="btn" onClick={() => putCheckoutInBuild(facts.checkout, facts)} data-testid="tour-rebuild">
          Build again
        </button>
        <button type="button" className="btn" onClick={compare} data-testid="tour-compare">
          Compare with the build before
        </button>
      </div>
    </section>
  );
}
