import type { BuildPhase } from '../../../../shared/build';
import type { TourSettings, TourStep } from '../../../../shared/settings';
import type { VmState } from '../../../../shared/vm';
import { isShellPromptLine } from '../../../../shared/console-prompt';
import { screenText } from '../../../../shared/console-text';

/**
 * The tour's rules, kept free of React and of the stores so they can be tested alone: what
 * the app shows (TourFacts) decides whether a step is complete and what to do next.
 */

export const STEPS: readonly TourStep[] = ['build', 'inspect', 'boot', 'console', 'minikube'];

export type TourPath = TourSettings['path'];

export interface TourFacts {
  path: TourPath;
  /** The sample's checkout (sample path), '' before it is created. */
  checkout: string;
  /** The ISO the tour follows, '' until known. */
  iso: string;
  build: {
    /** The checkout in the Build screen's field. */
    input: string;
    /** The newest build of the tour's checkout (the one shown, else the history's). */
    buildId?: string;
    phase?: BuildPhase;
    output?: string;
  };
  inspect: {
    /** The image open in Inspect. */
    file?: string;
    /** Its first initrd, when it has one. */
    initrd?: string;
    /** The initrd was opened (indexed) or something inside it selected. */
    initrdVisited: boolean;
  };
  boot: {
    /** The VM of the tour's ISO (or the one shown when the ISO is not known). */
    vm?: string;
    state?: VmState;
    loginPrompt: boolean;
    loggedIn: boolean;
  };
  /** The hand-off card is on screen (the Boot screen with a VM shown). */
  minikubeShown: boolean;
}

/** Controls in the app the tour points at; see targets.ts for where they are. */
export type TargetId =
  | 'build-start'
  | 'build-progress'
  | 'build-result'
  | 'open-in-inspect'
  | 'initrd'
  | 'boot-iso'
  | 'console'
  | 'login-root'
  | 'minikube'
  | 'edit-toggle';

/** What the panel itself offers when there is nothing in the app to point at yet. */
export type PanelAction = 'create-sample' | 'use-checkout' | 'choose-iso' | 'open-iso' | 'boot-iso';

export interface NextMove {
  /** One sentence: what to do now. */
  hint: string;
  target?: TargetId;
  action?: PanelAction;
}

export type StepStatus = 'done' | 'skipped' | 'todo';

export const baseName = (p: string): string => p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || p;

/** The same folder, however it was typed: no trailing slashes. */
export const samePath = (a: string | undefined, b: string | undefined): boolean =>
  !!a && !!b && a.replace(/(.)[\\/]+$/, '$1') === b.replace(/(.)[\\/]+$/, '$1');

export function firstStep(path: TourPath): TourStep {
  return path === 'own' ? 'inspect' : 'build';
}

export function stepIndex(step: TourStep): number {
  return STEPS.indexOf(step);
}

export function nextStep(step: TourStep): TourStep | undefined {
  return STEPS[stepIndex(step) + 1];
}

export function previousStep(step: TourStep): TourStep | undefined {
  const i = stepIndex(step);
  return i > 0 ? STEPS[i - 1] : undefined;
}

/** Whether what the app shows now completes the step. */
export function isComplete(step: TourStep, f: TourFacts): boolean {
  switch (step) {
    case 'build':
      return f.path === 'sample' && f.build.phase === 'done' && !!f.build.output;
    case 'inspect':
      return !!f.inspect.file && f.inspect.initrdVisited;
    case 'boot':
      return !!f.boot.vm && f.boot.state === 'running';
    case 'console':
      return !!f.boot.vm && f.boot.state === 'running' && f.boot.loggedIn;
    case 'minikube':
      return f.minikubeShown;
  }
}

/** Done once seen done (`done` keeps it), skipped for Build on the own-ISO path. */
export function stepStatus(step: TourStep, f: TourFacts, done: readonly TourStep[]): StepStatus {
  if (done.includes(step)) return 'done';
  if (step === 'build' && f.path === 'own') return 'skipped';
  return isComplete(step, f) ? 'done' : 'todo';
}

function buildMove(f: TourFacts): NextMove {
  if (f.path === 'own') {
    return { hint: 'You brought your own ISO, so there is nothing to build. To see a build anyway, create the sample project.', action: 'create-sample' };
  }
  if (!f.checkout) return { hint: 'Create the sample project in a folder of your choice: a small checkout with a Makefile and a builder Dockerfile.', action: 'create-sample' };
  if (!samePath(f.build.input, f.checkout)) return { hint: 'Put the sample’s checkout in the Build screen.', action: 'use-checkout' };
  switch (f.build.phase) {
    case undefined:
    case 'cancelled':
      return { hint: 'Press Start build: Docker builds the builder image first, then runs make inside it.', target: 'build-start' };
    case 'preflight':
    case 'image':
    case 'build':
      return { hint: 'The build runs: the image log first, then the build log. The first time takes a few minutes.', target: 'build-progress' };
    case 'failed':
      return { hint: 'The build failed: the result and the problems list say why. Fix it, then press Start build again.', target: 'build-result' };
    case 'done':
      return f.build.output
        ? { hint: 'The ISO is built. Open it in Inspect to see what is inside.', target: 'open-in-inspect' }
        : { hint: 'The build ended without an ISO: the build log says what make did.', target: 'build-result' };
  }
}

function inspectMove(f: TourFacts): NextMove {
  const open = !!f.inspect.file;
  if (!open || (f.iso && !samePath(f.inspect.file, f.iso) && !f.inspect.initrdVisited)) {
    if (f.iso) return { hint: `Open ${baseName(f.iso)} in Inspect: it is read in place, with no mount and no sudo.`, action: 'open-iso' };
    if (f.path === 'sample' && !f.build.output) return { hint: 'Build the sample first (step 1), or choose an ISO you already have.', action: 'choose-iso' };
    return { hint: 'Choose the ISO to look inside.', action: 'choose-iso' };
  }
  if (!f.inspect.initrd) return { hint: 'This image has no initrd ISO Lab recognises; look at boot/ and isolinux/, then boot it.', target: 'boot-iso' };
  if (!f.inspect.initrdVisited) return { hint: `Expand ${f.inspect.initrd.slice(1)} in the tree (select it, then → or a double-click): it opens as the root filesystem it unpacks to.`, target: 'initrd' };
  return { hint: 'That is the whole system: a kernel, an initrd and a bootloader. Next, boot it.', target: 'boot-iso' };
}

function bootMove(f: TourFacts): NextMove {
  const state = f.boot.vm ? f.boot.state : undefined;
  if (state === 'running') return { hint: 'It runs: watch the kernel’s messages on the console until the login prompt.', target: 'console' };
  if (state === 'starting') return { hint: 'The VM is starting: its console shows the boot from the first line.', target: 'console' };
  if (f.inspect.file && samePath(f.inspect.file, f.iso)) return { hint: 'Press Boot this ISO: a VM with 2 CPUs and 2000 MB, as in the walkthrough.', target: 'boot-iso' };
  if (f.iso) return { hint: `Boot ${baseName(f.iso)} in a VM with 2 CPUs and 2000 MB, as in the walkthrough.`, action: 'boot-iso' };
  return { hint: 'Choose the ISO to boot.', action: 'choose-iso' };
}

function consoleMove(f: TourFacts): NextMove {
  if (!f.boot.vm || f.boot.state !== 'running') {
    return f.iso ? { hint: 'Boot the ISO first (step 3).', action: 'boot-iso' } : { hint: 'Choose the ISO to boot.', action: 'choose-iso' };
  }
  if (f.boot.loggedIn) return { hint: 'You are root on the ISO’s own Linux. Try cat /etc/VERSION, ls / or uname -a in the console.', target: 'console' };
  if (f.boot.loginPrompt) return { hint: 'The login prompt is there: type root and Enter in the console, or press Log in as root.', target: 'login-root' };
  return { hint: 'Wait for login: on the console, or press Log in as root and it waits for you.', target: 'login-root' };
}

/** What to do next in a step, given what the app shows. */
export function nextMove(step: TourStep, f: TourFacts): NextMove {
  switch (step) {
    case 'build':
      return buildMove(f);
    case 'inspect':
      return inspectMove(f);
    case 'boot':
      return bootMove(f);
    case 'console':
      return consoleMove(f);
    case 'minikube':
      return f.boot.vm
        ? { hint: 'Copy the command (or run it where minikube is installed); stop the VM here first.', target: 'minikube' }
        : { hint: 'The hand-off shows under a VM’s console on the Boot screen.', target: 'minikube' };
  }
}

/**
 * Whether the end of a console shows a shell prompt (`# ` or `$ `) rather than `login:`,
 * `Password:` or a running command: the sign that someone logged in.
 */
export function looksLoggedIn(tail: string): boolean {
  const text = screenText(tail);
  const lines = text.split('\n');
  let last = '';
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.trim() !== '') {
      last = lines[i]!;
      break;
    }
  }
  if (/\blogin:\s*$/i.test(last) || /password:\s*$/i.test(last)) return false;
  return isShellPromptLine(last);
}
