import { create } from 'zustand';
import type { LabErrorShape } from '../../../shared/errors';
import { TOUR_DEFAULTS, type TourSettings, type TourStep } from '../../../shared/settings';
import { api } from '../api/lab-api';
import { firstStep, nextStep, previousStep } from '../views/tour/progress';
import { useLab } from './lab-store';

/**
 * The guided tour's state. It lives in the settings file (section `tour`), so leaving the
 * tour, reloading the window or restarting the lab resumes at the same step. It is loaded
 * once from the settings the app reads at start; after that this store is the truth and each
 * change is written through `settings.update`.
 */

interface TourState extends TourSettings {
  /** The saved state has been read (until then the tour shows nothing). */
  hydrated: boolean;
  saveError?: LabErrorShape;

  /** Opens the panel where it was (or at the first choice). */
  open(): void;
  /** From the beginning: the choice between the sample and an own ISO. */
  restart(): void;
  choose(path: 'sample' | 'own', iso?: string): void;
  goTo(step: TourStep): void;
  next(): void;
  back(): void;
  setCollapsed(collapsed: boolean): void;
  /** Closes the panel; the progress stays for the next time. */
  leave(): void;
  /** The end: closed, and the next tour starts from the beginning. */
  finish(): void;
  markDone(step: TourStep): void;
  setCheckout(checkout: string): void;
  setIso(iso: string): void;
}

const KEYS = Object.keys(TOUR_DEFAULTS) as (keyof TourSettings)[];

function persisted(s: TourSettings): TourSettings {
  return Object.fromEntries(KEYS.map((k) => [k, s[k]])) as unknown as TourSettings;
}

export const useTour = create<TourState>((set, get) => ({
  ...TOUR_DEFAULTS,
  hydrated: false,

  open: () => set({ active: true, collapsed: false }),
  restart: () => set({ ...TOUR_DEFAULTS, active: true }),
  choose: (path, iso) => set({ path, step: firstStep(path), collapsed: false, ...(iso !== undefined ? { iso } : {}) }),
  goTo: (step) => set({ step }),
  next() {
    const step = nextStep(get().step);
    if (step) set({ step });
  },
  back() {
    const step = previousStep(get().step);
    if (step) set({ step });
  },
  setCollapsed: (collapsed) => set({ collapsed }),
  leave: () => set({ active: false }),
  finish: () => set({ ...TOUR_DEFAULTS }),
  markDone(step) {
    const done = get().done;
    if (!done.includes(step)) set({ done: [...done, step] });
  },
  setCheckout: (checkout) => set({ checkout }),
  setIso: (iso) => set({ iso }),
}));

// Writes are sent one at a time, in order, and only when something saved changed.
let lastSaved = '';
let writing: Promise<void> = Promise.resolve();

function save(state: TourSettings): void {
  const tour = persisted(state);
  const text = JSON.stringify(tour);
  if (text === lastSaved) return;
  lastSaved = text;
  writing = writing.then(async () => {
    try {
      await api.request('settings.update', { tour });
      if (useTour.getState().saveError) useTour.setState({ saveError: undefined });
    } catch (err) {
      const e = err as Partial<LabErrorShape>;
      // Not saved: the next change tries again with the whole state.
      lastSaved = '';
      useTour.setState({ saveError: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err), hint: e.hint } });
    }
  });
}

useTour.subscribe((s) => {
  if (s.hydrated) save(s);
});

/** Reads the saved tour once, from the settings the app loads at start. */
function hydrate(tour: TourSettings | undefined): void {
  if (useTour.getState().hydrated) return;
  const value = { ...TOUR_DEFAULTS, ...(tour ?? {}) };
  lastSaved = tour ? JSON.stringify(persisted(value)) : '';
  useTour.setState({ ...value, hydrated: true });
}

const lab = useLab.getState();
if (lab.settings) hydrate(lab.settings.settings.tour);
useLab.subscribe((s) => {
  if (s.settings) hydrate(s.settings.settings.tour);
  // Settings that cannot be read still leave a tour to take; it is saved once they can be.
  else if (s.settingsError) hydrate(undefined);
});
