import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { useInspect } from '../../store/inspect-store';
import { useLab } from '../../store/lab-store';
import type { ShellSession } from '../../store/shell-session';
import { shellPathFor, useShells, type ShellTab } from '../../store/shell-store';
import '../../styles/shell.css';
import { formatBytes } from '../../../../shared/format';
import { ErrorNote } from './common';

/**
 * "Open a shell in this rootfs": the initrd's tree as a Docker image, its /bin/sh in a
 * container, in a terminal tab under the Inspect panes. A tab closes only with its ✕ (Esc
 * belongs to the shell); closing it removes the container.
 */

/** The action beside the breadcrumb, while the location is an archive or inside one. */
export function OpenShellButton() {
  const image = useInspect((s) => s.image);
  const entry = useInspect((s) => s.selectedEntry);
  if (!image) return null;
  const path = shellPathFor(entry, image.info);
  if (!path) return null;
  return (
    <button
      type="button"
      className="btn btn-small shell-open"
      data-testid="open-shell"
      title="Import this initrd's tree into Docker and run its /bin/sh in a container: no sudo, no network; the container is removed when its tab closes"
      onClick={() => void useShells.getState().open(image.file, path, image.info.name)}
    >
      Open a shell in this rootfs
    </button>
  );
}

function Elapsed({ since }: { since: number }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  const s = Math.floor((Date.now() - since) / 1000);
  return s >= 2 ? <span className="muted"> {s} s</span> : null;
}

function Terminal({ session }: { session: ShellSession }) {
  const host = useRef<HTMLDivElement>(null);
  const presenter = useLab((s) => s.settings?.settings.ui.presenter ?? false);
  useEffect(() => {
    session.attach(host.current!);
    return () => session.detach();
  }, [session]);
  useEffect(() => session.setFontSize(presenter ? 19 : 13), [session, presenter]);
  return <div ref={host} className="shell-term-host" onMouseDown={() => session.focus()} />;
}

const PHASE_TEXT = {
  hashing: 'Reading the initrd to recognise it (once per file)…',
  importing: 'Importing the rootfs into Docker (once per initrd content)…',
  creating: 'Starting the container…',
} as const;

function Opening({ tab }: { tab: ShellTab }) {
  const p = tab.progress;
  const percent = p && p.total > 0 ? Math.min(99, Math.floor((p.bytes * 100) / p.total)) : undefined;
  return (
    <div className="shell-wait" aria-busy="true" data-testid="shell-importing">
      <p>
        {p ? PHASE_TEXT[p.phase] : 'Opening…'}
        {p && p.phase !== 'creating' && (
          <span data-testid="shell-progress">
            {' '}
            {formatBytes(p.bytes)}
            {p.total > 0 && ` of ${p.phase === 'importing' ? 'about ' : ''}${formatBytes(p.total)}`}
            {percent !== undefined && ` · ${percent}%`}
            {p.entries !== undefined && p.entries > 0 && ` · ${p.entries.toLocaleString('en')} entries`}
          </span>
        )}
        <Elapsed since={tab.startedAt} />
      </p>
      {percent !== undefined && <progress max={100} value={percent} aria-label="Shell opening progress" />}
      <button type="button" className="btn btn-small" data-testid="shell-cancel" onClick={() => useShells.getState().cancelOpening(tab.key)}>
        Cancel
      </button>
    </div>
  );
}

function TabBody({ tab }: { tab: ShellTab }) {
  const { retry } = useShells.getState();
  if (tab.state === 'opening') return <Opening tab={tab} />;
  return (
    <>
      {tab.error && <ErrorNote error={tab.error} onRetry={() => retry(tab.key)} compact testId="shell-error" />}
      {tab.inputError && tab.state === 'open' && <ErrorNote error={tab.inputError} compact testId="shell-input-error" />}
      {tab.session && (
        <div className="shell-term-wrap">
          <Terminal session={tab.session} />
          {tab.state === 'ended' && (
            <div className="shell-ended" data-testid="shell-ended">
              The shell exited and its container was removed. Close this tab, or open a new shell.
            </div>
          )}
        </div>
      )}
    </>
  );
}

export function ShellDock() {
  const tabs = useShells((s) => s.tabs);
  const active = useShells((s) => s.active);
  const { activate, close } = useShells.getState();
  const dock = useRef<HTMLElement>(null);
  const count = tabs.length;
  const last = useRef(count);
  useEffect(() => {
    if (count > last.current) dock.current?.scrollIntoView({ block: 'nearest' });
    last.current = count;
  }, [count]);
  if (count === 0) return null;
  const current = tabs.find((t) => t.key === active) ?? tabs[0]!;
  return (
    <section className="shell-dock" ref={dock} aria-label="Rootfs shells" data-testid="shell-dock">
      <div className="shell-tabs" role="tablist" aria-label="Shells">
        {tabs.map((t) => (
          <div key={t.key} className={`shell-tab${t === current ? ' active' : ''}`} data-state={t.state} data-testid="shell-tab">
            <button type="button" role="tab" aria-selected={t === current} className="shell-tab-label" title={`${t.path} of ${t.file}`} onClick={() => activate(t.key)}>
              <span className={`shell-dot shell-dot-${t.state}`} aria-hidden="true" />
              {t.title}
            </button>
            <button type="button" className="shell-tab-close" aria-label={`Close ${t.title} (removes its container)`} title="Close (removes the container)" data-testid="shell-close" onClick={() => void close(t.key)}>
              ✕
            </button>
          </div>
        ))}
      </div>
      <div className="shell-body" role="tabpanel">
        <TabBody key={current.key} tab={current} />
      </div>
    </section>
  );
}
