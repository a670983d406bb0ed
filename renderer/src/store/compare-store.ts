import { create } from 'zustand';
import type { DiffKind, DiffProgress, DiffResult } from '../../../shared/diff';
import type { LabErrorShape } from '../../../shared/errors';
import type { RecentItem } from '../../../shared/settings';
import { api } from '../api/lab-api';

export type Side = 'a' | 'b';

export const CANCELLED: LabErrorShape = { code: 'CANCELLED', message: 'The comparison was cancelled.', hint: 'Choose Compare to run it again.' };

interface CompareState {
  a: string;
  b: string;
  mtime: boolean;
  running: boolean;
  progress?: DiffProgress;
  result?: DiffResult;
  error?: LabErrorShape;
  recent: RecentItem[];
  /** Kinds shown in the list of changes. */
  kinds: Record<DiffKind, boolean>;
  query: string;

  setPath(side: Side, path: string): void;
  swap(): void;
  setMtime(on: boolean): void;
  /** Compares what `a` and `b` hold now, or the two given paths. */
  compare(a?: string, b?: string): void;
  cancel(): void;
  toggleKind(kind: DiffKind): void;
  setQuery(query: string): void;
  loadRecent(): Promise<void>;
}

// The live subscription is not state: nothing renders it.
let stop: (() => void) | undefined;
let run = 0;

export const useCompare = create<CompareState>((set, get) => ({
  a: '',
  b: '',
  mtime: false,
  running: false,
  recent: [],
  kinds: { added: true, removed: true, changed: true },
  query: '',

  setPath: (side, path) => set(side === 'a' ? { a: path } : { b: path }),
  swap: () => set((s) => ({ a: s.b, b: s.a })),
  setMtime: (mtime) => set({ mtime }),

  compare(a = get().a.trim(), b = get().b.trim()) {
    stop?.();
    const n = ++run;
    const missing = !a ? 'A' : !b ? 'B' : undefined;
    if (missing) {
      set({ a, b, error: { code: 'USAGE', message: `Choose image ${missing} first.`, hint: 'An ISO or an initrd on the machine running ISO Lab.' } });
      return;
    }
    set({ a, b, running: true, progress: undefined, result: undefined, error: undefined });
    let result: DiffResult | undefined;
    stop = api.subscribe('image.diff', { a, b, mtime: get().mtime }, {
      onData(batch) {
        if (n !== run) return;
        for (const ev of batch) {
          if (ev.type === 'result') result = ev.result;
          else set({ progress: ev });
        }
      },
      onEnd(error) {
        if (n !== run) return;
        stop = undefined;
        set({ running: false, progress: undefined, result, error: error ?? (result ? undefined : CANCELLED) });
        if (result) {
          const r = result;
          void Promise.all([r.a, r.b].map((s) => api.request('recent.add', { kind: s.kind === 'iso' ? 'iso' : 'initrd', path: s.file })))
            .then((lists) => set({ recent: (lists[lists.length - 1] ?? []).filter((i) => i.kind === 'iso' || i.kind === 'initrd') }))
            .catch(() => undefined);
        }
      },
    });
  },

  cancel() {
    if (!get().running) return;
    run++;
    stop?.();
    stop = undefined;
    set({ running: false, progress: undefined, error: CANCELLED });
  },

  toggleKind: (kind) => set((s) => ({ kinds: { ...s.kinds, [kind]: !s.kinds[kind] } })),
  setQuery: (query) => set({ query }),

  async loadRecent() {
    try {
      set({ recent: (await api.request('recent.list')).filter((r) => r.kind === 'iso' || r.kind === 'initrd') });
    } catch {
      // The recent list is a convenience; the path fields work without it.
    }
  },
}));

/** `?compare=/a.iso,/b.iso` compares those two at start (demos, tests, links from a build). */
export function startPair(search: string): [string, string] | undefined {
  const v = new URLSearchParams(search).get('compare');
  if (!v) return undefined;
  const [a, b] = v.split(',');
  return a?.startsWith('/') && b?.startsWith('/') ? [a, b] : undefined;
}
