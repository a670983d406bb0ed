import { useState } from 'react';
import { useHighlight } from './highlight';
import type { TourFacts } from './progress';
import { showTarget, TARGETS } from './targets';

/**
 * After the tour, on the sample path, and optional: the other way to change an ISO. A rebuild
 * runs the whole Docker build again; Edit mode changes the built ISO itself (a file of the
 * initrd, the kernel command line) and writes a new one in seconds.
 */
export function RemasterTip({ facts }: { facts: TourFacts }) {
  const [shown, setShown] = useState(false);
  // The ring goes on the toggle only when asked: the step's own target keeps its ring until then.
  useHighlight(shown ? TARGETS['edit-toggle'].selectors(facts) : []);
  return (
    <section className="tour-sample" data-testid="tour-remaster">
      <h3>Optional: change it without a rebuild</h3>
      <p className="small">
        A rebuild runs the whole Docker build again. For a quick change, turn on <strong>Edit</strong> in Inspect (Ctrl+Shift+E): edit <code>boot/initrd/etc/VERSION</code> in
        place, drop a file onto a folder of the initrd, or change the kernel command line in Boot settings, then <em>Save as new ISO…</em>. ISO Lab
        appends the changed files to the initrd as a second cpio segment (the kernel unpacks it over the first) and writes a new ISO with the same boot setup, in seconds;
        the ISO you built stays as it is, and <em>Compare with the original</em> shows exactly what changed.
      </p>
      <div className="tour-actions">
        <button
          type="button"
          className="btn"
          data-testid="tour-show-edit"
          onClick={() => {
            setShown(true);
            void showTarget('edit-toggle', facts);
          }}
        >
          Show me the Edit toggle
        </button>
      </div>
    </section>
  );
}
