import { useState } from 'react';
import { useCompare, type Side } from '../../store/compare-store';
import { Icon } from '../inspect/common';
import { HostPicker } from '../inspect/OpenImageDialog';

const LABELS: Record<Side, { title: string; role: string }> = {
  a: { title: 'A', role: 'before' },
  b: { title: 'B', role: 'after' },
};

function SideField({ side, onPick }: { side: Side; onPick: () => void }) {
  const value = useCompare((s) => s[side]);
  const running = useCompare((s) => s.running);
  const { setPath, compare } = useCompare.getState();
  return (
    <label className="cmp-side">
      <span className="cmp-side-label">
        <strong>{LABELS[side].title}</strong> <span className="muted small">{LABELS[side].role}</span>
      </span>
      <input
        type="text"
        value={value}
        spellCheck={false}
        autoComplete="off"
        placeholder="/path/to/image.iso or an initrd"
        aria-label={`Image ${LABELS[side].title} (${LABELS[side].role})`}
        data-testid={`compare-${side}`}
        onChange={(e) => setPath(side, e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && !running && compare()}
      />
      <button type="button" className="btn" onClick={onPick} data-testid={`compare-pick-${side}`} disabled={running}>
        Choose…
      </button>
    </label>
  );
}

/** Side A and side B: typed, picked from the machine, or taken from the recent list; then Compare. */
export function ImagePair() {
  const running = useCompare((s) => s.running);
  const mtime = useCompare((s) => s.mtime);
  const recent = useCompare((s) => s.recent);
  const a = useCompare((s) => s.a);
  const b = useCompare((s) => s.b);
  const { setPath, swap, setMtime, compare } = useCompare.getState();
  const [picking, setPicking] = useState<Side>();

  return (
    <section className="card cmp-pair" aria-label="Images to compare">
      <SideField side="a" onPick={() => setPicking('a')} />
      <SideField side="b" onPick={() => setPicking('b')} />
      <div className="cmp-pair-actions">
        <button type="button" className="btn btn-primary" data-testid="compare-run" disabled={running || !a.trim() || !b.trim()} onClick={() => compare()}>
          Compare
        </button>
        <button type="button" className="btn" onClick={swap} disabled={running} title="Swap A and B">
          Swap
        </button>
        <label className="cmp-check">
          <input type="checkbox" checked={mtime} onChange={(e) => setMtime(e.target.checked)} disabled={running} /> Count mtime differences as changes
        </label>
      </div>
      {recent.length > 0 && (
        <div className="cmp-recent">
          <span className="muted small">Recent</span>
          <ul>
            {recent.slice(0, 6).map((r) => (
              <li key={r.kind + r.path}>
                <Icon kind={r.kind === 'iso' ? 'disc' : 'archive'} />
                <span className="cmp-recent-name" title={r.path}>
                  {r.path.slice(r.path.lastIndexOf('/') + 1)}
                </span>
                <button type="button" className="link-btn small" onClick={() => setPath('a', r.path)} disabled={running}>
                  as A
                </button>
                <button type="button" className="link-btn small" onClick={() => setPath('b', r.path)} disabled={running}>
                  as B
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {picking && (
        <HostPicker
          mode="file"
          title={`Choose image ${LABELS[picking].title} (${LABELS[picking].role})`}
          chooseLabel="Choose"
          recent={recent}
          onChoose={(p) => {
            setPath(picking, p);
            setPicking(undefined);
          }}
          onClose={() => setPicking(undefined)}
        />
      )}
    </section>
  );
}
