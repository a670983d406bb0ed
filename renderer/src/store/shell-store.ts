import { create } from 'zustand';
import type { LabErrorShape } from '../../../shared/errors';
import type { EntryView, ImageInfo } from '../../../shared/image';
import type { ShellOpened, ShellProgress } from '../../../shared/shell';
import { api } from '../api/lab-api';
import { ShellSession } from './shell-session';
import { shape } from './inspect-store';

/**
 * The rootfs shells open in this window, as tabs. They belong to the window, not to the
 * Inspect view: switching screens keeps them running; closing a tab removes its container.
 */

export interface ShellTab {
  key: number;
  file: string;
  /** What was asked for (the archive or a path inside it). */
  path: string;
  title: string;
  state: 'opening' | 'open' | 'ended' | 'error';
  startedAt: number;
  session?: ShellSession;
  error?: LabErrorShape;
  inputError?: LabErrorShape;
  /** While opening: hashing, importing (bytes of about `total`), creating the container. */
  progress?: ShellProgress;
  /** Stops opening (unsubscribes shell.prepare, which cancels in the core). */
  cancel?: () => void;
}

interface ShellState {
  tabs: ShellTab[];
  active?: number;
  open(file: string, path: string, imageName: string): Promise<void>;
  retry(key: number): void;
  /** Stops a tab that is still opening; the tab stays, with a Retry. */
  cancelOpening(key: number): void;
  close(key: number): Promise<void>;
  activate(key: number): void;
}

let nextKey = 1;

/** The path to open a shell for, when the entry is an archive or lies inside one (a bare initrd: always). */
export function shellPathFor(entry: EntryView | undefined, info: ImageInfo): string | undefined {
  if (!entry) return info.kind === 'archive' ? '/' : undefined;
  if (entry.archive || entry.inside?.length || info.kind === 'archive') return entry.path;
  return undefined;
}

function titleFor(path: string, imageName: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length ? `sh · ${parts.slice(0, 2).join('/')}` : `sh · ${imageName}`;
}

export const useShells = create<ShellState>((set, get) => {
  const patch = (key: number, p: Partial<ShellTab>) => set((s) => ({ tabs: s.tabs.map((t) => (t.key === key ? { ...t, ...p } : t)) }));
  const start = async (key: number) => {
    const tab = get().tabs.find((t) => t.key === key);
    if (!tab) return;
    void tab.session?.dispose();
    patch(key, { state: 'opening', error: undefined, inputError: undefined, session: undefined, progress: undefined, startedAt: Date.now() });
    let opened: ShellOpened | undefined;
    const error = await new Promise<LabErrorShape | undefined>((resolve) => {
      const unsubscribe = api.subscribe('shell.prepare', { file: tab.file, path: tab.path }, {
        onData: (batch) => {
          for (const ev of batch) {
            if (ev.type === 'progress') patch(key, { progress: ev });
            else opened = ev.opened;
          }
        },
        onEnd: (err) => resolve(err),
      });
      patch(key, {
        cancel: () => {
          unsubscribe();
          resolve({ code: 'CANCELLED', message: 'Opening the shell was cancelled.', hint: 'Open it again when you are ready; what was imported so far is not kept.' });
        },
      });
    });
    patch(key, { cancel: undefined });
    if (!get().tabs.some((t) => t.key === key)) {
      // Closed while it was being opened.
      if (opened) await api.request('shell.close', { shellId: opened.shellId }).catch(() => undefined);
      return;
    }
    if (error || !opened) {
      patch(key, { state: 'error', error: error ?? { code: 'INTERNAL', message: 'The shell did not open.' } });
      return;
    }
    const session = new ShellSession(opened, {
      onEnd: (err) => patch(key, err ? { state: 'error', error: err } : { state: 'ended' }),
      onInputError: (inputError) => patch(key, { inputError }),
    });
    patch(key, { state: 'open', session });
  };
  return {
    tabs: [],
    async open(file, path, imageName) {
      const key = nextKey++;
      set((s) => ({ tabs: [...s.tabs, { key, file, path, title: titleFor(path, imageName), state: 'opening', startedAt: Date.now() }], active: key }));
      await start(key);
    },
    retry(key) {
      void start(key);
    },
    cancelOpening(key) {
      get().tabs.find((t) => t.key === key)?.cancel?.();
    },
    async close(key) {
      const tab = get().tabs.find((t) => t.key === key);
      tab?.cancel?.();
      set((s) => {
        const tabs = s.tabs.filter((t) => t.key !== key);
        const i = s.tabs.findIndex((t) => t.key === key);
        const active = s.active === key ? (tabs[Math.min(i, tabs.length - 1)]?.key ?? undefined) : s.active;
        return { tabs, active };
      });
      await tab?.session?.dispose();
    },
    activate(key) {
      set({ active: key });
    },
  };
});
