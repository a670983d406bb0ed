import { useBoot } from '../../store/boot-store';
import { useBuild } from '../../store/build-store';
import { ancestors, useInspect } from '../../store/inspect-store';
import { useLab, type View } from '../../store/lab-store';
import type { TargetId, TourFacts } from './progress';

/**
 * Where each control the tour points at lives: its screen, how to find it in the page
 * (`data-tour` attributes on the controls, or what the screens already mark), and what to
 * do first so that it is there (a setup card opened, the right VM or build shown).
 */

interface TargetDef {
  view: View;
  /** In the stepper's words: "Show me <label>". */
  label: string;
  /**
   * How to find it, best first: the control itself, then what stands in for it while it is
   * not in the page (a folded tree's nearest shown parent).
   */
  selectors(f: TourFacts): string[];
  prepare?(f: TourFacts): void | Promise<unknown>;
  /** Where the keyboard goes, when not the element itself. */
  focus?(el: HTMLElement): void;
}

const attr = (v: string) => (typeof CSS !== 'undefined' && CSS.escape ? CSS.escape(v) : v.replace(/["\\]/g, '\\$&'));

/** The tour's build, shown in the Build screen (not another one from the history). */
function showTourBuild(f: TourFacts): void {
  const id = f.build.buildId;
  if (id && useBuild.getState().run?.buildId !== id) useBuild.getState().view(id);
}

function showTourVm(f: TourFacts): void {
  if (f.boot.vm && useBoot.getState().selected !== f.boot.vm) useBoot.getState().select(f.boot.vm);
}

export const TARGETS: Record<TargetId, TargetDef> = {
  'build-start': {
    view: 'build',
    label: 'Start build',
    selectors: () => ['[data-tour="build-start"]'],
    prepare: () => useBuild.getState().setSetupOpen(true),
  },
  'build-progress': { view: 'build', label: 'the build', selectors: () => ['[data-testid="build-progress"]'], prepare: showTourBuild },
  'build-result': { view: 'build', label: 'the result', selectors: () => ['[data-testid="build-result"]'], prepare: showTourBuild },
  'open-in-inspect': { view: 'build', label: 'Open in Inspect', selectors: () => ['[data-tour="open-in-inspect"]'], prepare: showTourBuild },
  initrd: {
    view: 'inspect',
    label: 'boot/initrd',
    selectors: (f) => (f.inspect.initrd ? [f.inspect.initrd, ...ancestors(f.inspect.initrd).reverse()].map((p) => `[role="treeitem"][data-path="${attr(p)}"]`) : []),
    // The tree is virtualized: the row exists only once it is scrolled to.
    prepare: (f) => (f.inspect.initrd ? useInspect.getState().revealPath(f.inspect.initrd) : undefined),
    focus: (el) => el.closest<HTMLElement>('[role="tree"]')?.focus({ preventScroll: true }),
  },
  'boot-iso': { view: 'inspect', label: 'Boot this ISO', selectors: () => ['[data-tour="boot-iso"]'] },
  console: {
    view: 'boot',
    label: 'the console',
    selectors: () => ['[data-testid="console"]'],
    prepare: showTourVm,
    focus: () => useBoot.getState().requestConsoleFocus(),
  },
  'login-root': { view: 'boot', label: 'Log in as root', selectors: () => ['[data-tour="login-root"]'], prepare: showTourVm },
  minikube: { view: 'boot', label: 'the minikube hand-off', selectors: () => ['[data-tour="minikube"]'], prepare: showTourVm },
  // The toggle is there once an ISO is open: the tour's own, unless another one is.
  'edit-toggle': {
    view: 'inspect',
    label: 'the Edit toggle',
    selectors: () => ['[data-tour="edit-toggle"]'],
    prepare: (f) => (f.iso && !useInspect.getState().image ? useInspect.getState().openImage(f.iso) : undefined),
  },
};

const FOCUSABLE = 'button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function waitFor(selector: string, ms: number): Promise<HTMLElement | null> {
  return new Promise((resolve) => {
    const until = performance.now() + ms;
    const look = () => {
      const el = document.querySelector<HTMLElement>(selector);
      if (el || performance.now() > until) resolve(el);
      else setTimeout(look, 50);
    };
    look();
  });
}

/** "Show me": the control's screen, the control scrolled into view and focused. */
export async function showTarget(id: TargetId, f: TourFacts): Promise<boolean> {
  const def = TARGETS[id];
  useLab.getState().setView(def.view);
  await def.prepare?.(f);
  const selector = def.selectors(f)[0];
  if (!selector) return false;
  const el = await waitFor(selector, 4000);
  if (!el) return false;
  el.scrollIntoView({ block: 'center', inline: 'nearest' });
  if (def.focus) def.focus(el);
  else if (el.matches(FOCUSABLE)) el.focus({ preventScroll: true });
  else {
    // A card: its first control, else the card itself (focusable for this purpose only).
    const inner = el.querySelector<HTMLElement>(FOCUSABLE);
    if (inner) inner.focus({ preventScroll: true });
    else {
      if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
      el.focus({ preventScroll: true });
    }
  }
  return true;
}
