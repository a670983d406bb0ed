import { create } from 'zustand';
import type { LabErrorShape } from '../../../shared/errors';
import type { TimelineMark, VmCreateArgs, VmEvent, VmView } from '../../../shared/vm';
import { api } from '../api/lab-api';

/**
 * State of the Boot screen: the VMs of the lab core with their live state (one `vm.watch`
 * per VM), the boot timelines, and what the user asked for and is waiting on. The console
 * itself is not here: ConsoleTerminal subscribes to `vm.console` while it is shown, and the
 * core replays its ring buffer on each subscribe.
 */

/** What the UI is doing to a VM right now (the core's state says what the VM does). */
export type VmAction = 'starting' | 'stopping' | 'killing' | 'deleting';

/** "Boot this ISO" from the Inspect screen, while it creates and starts the VM. */
export interface Launch {
  iso: string;
  name?: string;
  phase: 'creating' | 'starting' | 'done';
  error?: LabErrorShape;
}

interface BootState {
  vms: VmView[];
  loaded: boolean;
  listError?: LabErrorShape;
  selected?: string;
  timelines: Record<string, TimelineMark[]>;
  actions: Record<string, VmAction | undefined>;
  /** The last failed action on a VM, shown next to it until the next action. */
  errors: Record<string, LabErrorShape | undefined>;
  launch?: Launch;
  /** The new-VM form is open. */
  formOpen: boolean;
  /** Bumped to ask the console to take the keyboard focus. */
  focusConsole: number;

  loadList(): Promise<void>;
  select(name: string | undefined): void;
  setFormOpen(open: boolean): void;
  requestConsoleFocus(): void;
  clearError(name: string): void;
  dismissLaunch(): void;
  /** Creates a VM; returns it, or throws the core's error (the form shows it). */
  create(args: VmCreateArgs): Promise<VmView>;
  /** `serialConsole`: *Boot with the serial console* (QEMU boots the ISO's kernel directly with console=ttyS0). */
  start(name: string, opts?: { serialConsole?: boolean }): Promise<boolean>;
  stop(name: string, force?: boolean): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  /** From Inspect: the VM of this ISO (made with the defaults when there is none), started and shown. */
  bootIso(iso: string): Promise<void>;
}

export function shape(err: unknown): LabErrorShape {
  const e = err as Partial<LabErrorShape> | undefined;
  return { code: e?.code ?? 'INTERNAL', message: e?.message ?? String(err), hint: e?.hint };
}

export const isActive = (s: VmView['state']) => s === 'starting' || s === 'running' || s === 'stopping';

// Live watches, by VM name; not state, since they are not rendered.
const watches = new Map<string, { stop: () => void }>();
const retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
/** VMs whose watch has delivered its snapshot: their view here is live. */
const live = new Set<string>();

export const useBoot = create<BootState>((set, get) => {
  function upsert(vm: VmView): void {
    set((s) => {
      if (vm.state === 'absent') return dropped(s, vm.name);
      const i = s.vms.findIndex((v) => v.name === vm.name);
      const vms = i < 0 ? [...s.vms, vm].sort((a, b) => a.name.localeCompare(b.name)) : s.vms.map((v, j) => (j === i ? vm : v));
      return { vms };
    });
  }

  function dropped(s: BootState, name: string): Partial<BootState> {
    const vms = s.vms.filter((v) => v.name !== name);
    const { [name]: _t, ...timelines } = s.timelines;
    const { [name]: _a, ...actions } = s.actions;
    const { [name]: _e, ...errors } = s.errors;
    return { vms, timelines, actions, errors, selected: s.selected === name ? pickDefault(vms) : s.selected };
  }

  function onEvent(name: string, e: VmEvent): void {
    if (e.kind === 'snapshot') {
      live.add(name);
      upsert(e.vm);
      if (e.vm.state !== 'absent') set((s) => ({ timelines: { ...s.timelines, [name]: e.timeline } }));
    } else if (e.kind === 'state') {
      upsert(e.vm);
      if (e.vm.state === 'absent') unwatch(name);
    } else {
      set((s) => {
        const old = s.timelines[name] ?? [];
        // A mark can come twice around a re-subscribe; keep one per (id, time).
        if (old.some((m) => m.id === e.mark.id && m.at === e.mark.at)) return {};
        return { timelines: { ...s.timelines, [name]: [...old, e.mark] } };
      });
    }
  }

  function watch(name: string): void {
    if (watches.has(name)) return;
    const w = { stop: () => {} };
    watches.set(name, w);
    w.stop = api.subscribe('vm.watch', { name }, {
      onData: (batch) => batch.forEach((e) => onEvent(name, e)),
      onEnd: (error) => {
        if (watches.get(name) !== w) return;
        watches.delete(name);
        live.delete(name);
        if (!error) {
          // The VM was deleted (the last `state` said so, or it went away meanwhile).
          set((s) => dropped(s, name));
          return;
        }
        if (error.code === 'VM_NOT_FOUND') {
          set((s) => dropped(s, name));
          return;
        }
        // The connection dropped: watch again once it is back, if the VM is still listed.
        clearTimeout(retryTimers.get(name));
        retryTimers.set(
          name,
          setTimeout(() => {
            retryTimers.delete(name);
            if (get().vms.some((v) => v.name === name)) watch(name);
          }, 2000),
        );
      },
    });
  }

  function unwatch(name: string): void {
    const w = watches.get(name);
    watches.delete(name);
    live.delete(name);
    w?.stop();
    clearTimeout(retryTimers.get(name));
    retryTimers.delete(name);
  }

  function setAction(name: string, action: VmAction | undefined, error?: LabErrorShape): void {
    set((s) => ({ actions: { ...s.actions, [name]: action }, errors: { ...s.errors, [name]: error } }));
  }

  async function run(name: string, action: VmAction, fn: () => Promise<unknown>): Promise<boolean> {
    setAction(name, action);
    try {
      const out = await fn();
      if (out && typeof out === 'object' && 'name' in out && 'state' in out) upsert(out as VmView);
      setAction(name, undefined);
      return true;
    } catch (err) {
      // The VM may have gone meanwhile (deleted elsewhere): then there is nothing to show it on.
      if (get().vms.some((v) => v.name === name)) setAction(name, undefined, shape(err));
      return false;
    }
  }

  return {
    vms: [],
    loaded: false,
    timelines: {},
    actions: {},
    errors: {},
    formOpen: false,
    focusConsole: 0,

    async loadList() {
      try {
        const list = await api.request('vm.list');
        const names = new Set(list.map((v) => v.name));
        set((s) => {
          // A VM watched since its snapshot is live already; the list fills in the others.
          const vms = list.map((v) => (live.has(v.name) ? (s.vms.find((o) => o.name === v.name) ?? v) : v));
          let st: BootState = { ...s, vms };
          for (const v of s.vms) if (!names.has(v.name)) st = { ...st, ...dropped(st, v.name) };
          const selected = st.selected && names.has(st.selected) ? st.selected : pickDefault(vms);
          return { vms, loaded: true, listError: undefined, timelines: st.timelines, actions: st.actions, errors: st.errors, selected };
        });
        for (const v of list) watch(v.name);
        for (const name of [...watches.keys()]) if (!names.has(name)) unwatch(name);
      } catch (err) {
        set({ listError: shape(err), loaded: true });
      }
    },

    select(name) {
      set({ selected: name });
      if (name) get().requestConsoleFocus();
    },
    setFormOpen: (formOpen) => set({ formOpen }),
    requestConsoleFocus: () => set((s) => ({ focusConsole: s.focusConsole + 1 })),
    clearError: (name) => set((s) => ({ errors: { ...s.errors, [name]: undefined } })),
    dismissLaunch: () => set({ launch: undefined }),

    async create(args) {
      const vm = await api.request('vm.create', args);
      upsert(vm);
      set((s) => ({ timelines: { ...s.timelines, [vm.name]: s.timelines[vm.name] ?? [] } }));
      watch(vm.name);
      return vm;
    },

    async start(name, opts) {
      set({ selected: name });
      get().requestConsoleFocus();
      return run(name, 'starting', () => api.request('vm.start', opts?.serialConsole ? { name, serialConsole: true } : { name }));
    },

    stop: (name, force) => run(name, force ? 'killing' : 'stopping', () => api.request('vm.stop', force ? { name, force: true } : { name })),

    async remove(name) {
      const ok = await run(name, 'deleting', () => api.request('vm.delete', { name }));
      if (ok) {
        unwatch(name);
        set((s) => dropped(s, name));
      }
      return ok;
    },

    async bootIso(iso) {
      set({ launch: { iso, phase: 'creating' }, formOpen: false });
      // One VM per ISO unless the user makes more: reuse the one there is.
      if (!get().loaded) await get().loadList();
      let vm: VmView | undefined = get().vms.find((v) => v.spec.iso === iso);
      if (!vm) {
        try {
          vm = await get().create({ iso });
        } catch (err) {
          set({ launch: { iso, phase: 'creating', error: shape(err) } });
          return;
        }
      }
      const name = vm.name;
      set({ selected: name, launch: { iso, name, phase: 'starting' } });
      get().requestConsoleFocus();
      if (vm.state === 'running' || vm.state === 'starting') {
        set({ launch: { iso, name, phase: 'done' } });
        return;
      }
      const ok = await get().start(name);
      const error = get().errors[name];
      set({ launch: ok ? { iso, name, phase: 'done' } : { iso, name, phase: 'starting', ...(error ? { error } : {}) } });
    },
  };
});

/** The VM to show when none is chosen: a running one, else the first. */
function pickDefault(vms: VmView[]): string | undefined {
  return (vms.find((v) => isActive(v.state)) ?? vms[0])?.name;
}
