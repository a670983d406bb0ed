import { useLab, type View } from './store/lab-store';

/** The screens in the sidebar's order, with their Ctrl/Cmd shortcut keys. */
export const NAV: { view: View; label: string; key: string }[] = [
  { view: 'status', label: 'Lab status', key: '1' },
  // The first step of the three the status screen shows: build, inspect, boot.
  { view: 'build', label: 'Build', key: 'b' },
  { view: 'inspect', label: 'Inspect', key: '2' },
  { view: 'boot', label: 'Boot', key: '3' },
  { view: 'compare', label: 'Compare', key: '4' },
  { view: 'settings', label: 'Settings', key: ',' },
];

/**
 * The app-wide keys, installed when the bundle runs rather than when React has drawn the app:
 * a shortcut pressed right after the page loaded (a person quick on the keys, a test) is then
 * never lost.
 */
export function installShortcuts(target: Window = window): void {
  target.addEventListener('keydown', (e) => {
    if (e.key === 'F5') {
      e.preventDefault();
      void useLab.getState().refresh();
      return;
    }
    if (!(e.ctrlKey || e.metaKey)) return;
    const item = NAV.find((n) => n.key === e.key.toLowerCase());
    if (item) {
      e.preventDefault();
      useLab.getState().setView(item.view);
    }
  });
}
