import { useEffect } from 'react';
import { useLab } from '../../store/lab-store';

export const PRESENTER_KEYS = 'Control+Shift+P';

/** Presenter mode on or off, shown at once and saved in the settings (ui.presenter). */
export function togglePresenter(): void {
  const lab = useLab.getState();
  const state = lab.settings;
  if (!state) return;
  const presenter = !state.settings.ui.presenter;
  useLab.setState({ settings: { ...state, settings: { ...state.settings, ui: { ...state.settings.ui, presenter } } } });
  void lab.saveSettings({ ui: { presenter } });
}

/**
 * Ctrl+Shift+P anywhere, the console included: caught before the page's own handlers so the
 * terminal does not send it to the VM.
 */
export function usePresenterShortcut(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || !e.shiftKey || e.altKey) return;
      if (e.code !== 'KeyP' && e.key.toLowerCase() !== 'p') return;
      e.preventDefault();
      e.stopPropagation();
      if (!e.repeat) togglePresenter();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
}
