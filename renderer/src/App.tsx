import { useEffect, useState } from 'react';
import { onConnectionChange } from './api/lab-api';
import { NAV } from './navigation';
import { useLab } from './store/lab-store';
import { BootView } from './views/boot/BootView';
import { BuildView } from './views/build/BuildView';
import { CompareView } from './views/compare/CompareView';
import { LabStatus } from './views/LabStatus';
import { InspectView } from './views/inspect/InspectView';
import { SettingsView } from './views/SettingsView';
import { TourNavButton } from './views/tour/TourEntry';
import { TourPanel } from './views/tour/TourPanel';

export function App() {
  const { view, setView, info, settings, loadInfo, loadSettings } = useLab();
  const [connected, setConnected] = useState(true);

  useEffect(() => {
    void loadInfo();
    void loadSettings();
    return onConnectionChange((up) => {
      setConnected(up);
      if (up) void loadSettings();
    });
  }, [loadInfo, loadSettings]);

  const ui = settings?.settings.ui;
  useEffect(() => {
    const root = document.documentElement;
    root.dataset.theme = ui?.theme ?? 'system';
    root.dataset.presenter = ui?.presenter ? 'on' : 'off';
  }, [ui?.theme, ui?.presenter]);

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <img src="./icon.svg" alt="" width={28} height={28} />
          <div>
            <div className="brand-name">ISO Lab</div>
            {info && <div className="brand-version">v{info.version}</div>}
          </div>
        </div>
        <ul>
          {NAV.map((n) => (
            <li key={n.view}>
              <button
                type="button"
                className={`nav-item${view === n.view ? ' active' : ''}`}
                aria-current={view === n.view ? 'page' : undefined}
                aria-keyshortcuts={`Control+${n.key.toUpperCase()}`}
                onClick={() => setView(n.view)}
              >
                {n.label}
              </button>
            </li>
          ))}
        </ul>
        <TourNavButton />
      </nav>
      <main className="content">
        {!connected && (
          <div className="banner banner-error" role="alert">
            <strong>Lost the connection to the ISO Lab core; reconnecting…</strong>
            <div>If you use <code>isolab serve</code>, check that it is still running.</div>
          </div>
        )}
        {settings?.warnings.map((w) => (
          <div key={w.code + w.message} className="banner banner-warn" role="alert" data-testid="settings-warning">
            <strong>{w.message}</strong>
            {w.hint && <div>{w.hint}</div>}
          </div>
        ))}
        {view === 'status' ? (
          <LabStatus />
        ) : view === 'build' ? (
          <BuildView />
        ) : view === 'inspect' ? (
          <InspectView />
        ) : view === 'boot' ? (
          <BootView />
        ) : view === 'compare' ? (
          <CompareView />
        ) : (
          <SettingsView />
        )}
      </main>
      <TourPanel />
    </div>
  );
}
