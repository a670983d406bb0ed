import type { BuildRecord } from '../../../../shared/build';
import type { VmView } from '../../../../shared/vm';
import { isActive, useBoot } from '../../store/boot-store';
import { useBuild, type RunState } from '../../store/build-store';
import { useInspect } from '../../store/inspect-store';
import { useLab } from '../../store/lab-store';
import { useTour } from '../../store/tour-store';
import { samePath, type TourFacts } from './progress';

/**
 * What the stores say, in the shape the tour's rules read. Each selector returns a plain
 * value, so the panel redraws when a fact changes, not with every log line or tree row.
 */

interface BuildSeen {
  id: string;
  phase: RunState['phase'];
  output?: string;
}

/** The newest build of the checkout: the one the Build screen shows, else the history's. */
function buildOf(run: RunState | undefined, history: BuildRecord[], checkout: string): BuildSeen | undefined {
  if (!checkout) return undefined;
  if (run?.record && samePath(run.record.checkout, checkout)) return { id: run.buildId, phase: run.phase, output: run.record.output?.path };
  const r = history.find((h) => samePath(h.checkout, checkout));
  return r && { id: r.id, phase: r.phase, output: r.output?.path };
}

/** The VM of the ISO (a running one first); without an ISO, the VM the Boot screen shows. */
export function vmOf(vms: VmView[], selected: string | undefined, iso: string): VmView | undefined {
  if (!iso) return vms.find((v) => v.name === selected);
  const mine = vms.filter((v) => samePath(v.spec.iso, iso));
  return mine.find((v) => v.name === selected && isActive(v.state)) ?? mine.find((v) => isActive(v.state)) ?? mine.find((v) => v.name === selected) ?? mine[0];
}

export function useTourFacts(loggedIn: boolean): TourFacts {
  const path = useTour((s) => s.path);
  const checkout = useTour((s) => s.checkout);
  const iso = useTour((s) => s.iso);

  const input = useBuild((s) => s.inputs.checkout);
  const buildId = useBuild((s) => buildOf(s.run, s.history, checkout)?.id);
  const phase = useBuild((s) => buildOf(s.run, s.history, checkout)?.phase);
  const output = useBuild((s) => buildOf(s.run, s.history, checkout)?.output);

  const file = useInspect((s) => s.image?.file);
  const initrd = useInspect((s) => s.image?.info.initrds[0]?.path);
  const initrdVisited = useInspect((s) => {
    if (!initrd) return false;
    const n = s.nodes.get(initrd);
    return !!(n?.indexed || n?.children) || !!s.selected?.startsWith(initrd + '/');
  });

  const vm = useBoot((s) => vmOf(s.vms, s.selected, iso)?.name);
  const state = useBoot((s) => vmOf(s.vms, s.selected, iso)?.state);
  const loginPrompt = useBoot((s) => !!vm && (s.timelines[vm] ?? []).some((m) => m.id === 'login'));
  const shownVm = useBoot((s) => s.vms.some((v) => v.name === s.selected));
  const view = useLab((s) => s.view);

  return {
    path,
    checkout,
    iso,
    build: { input, buildId, phase, output },
    inspect: { file, initrd, initrdVisited },
    boot: { vm, state, loginPrompt, loggedIn },
    minikubeShown: view === 'boot' && shownVm,
  };
}
