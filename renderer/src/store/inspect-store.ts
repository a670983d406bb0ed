import { create } from 'zustand';
import type { LabErrorShape } from '../../../shared/errors';
import type { EntryView, ImageInfo, IndexProgress } from '../../../shared/image';
import type { RecentItem } from '../../../shared/settings';
import { api } from '../api/lab-api';
import { editedChildren, type EditOverlay } from './edit-overlay';

/**
 * State of the Inspect screen. The tree is kept in mutable maps (a folder can hold 100,000
 * entries) and every change bumps `rev`; components derive the visible rows from `rev`.
 */

export type SortMode = 'name' | 'size';

export interface TreeNode {
  entry: EntryView;
  /** Child paths, sorted by the current sort mode; undefined until listed. */
  children?: string[];
  loading?: boolean;
  /** Listing or indexing failed. */
  error?: LabErrorShape;
  /** Set while an archive is being indexed. */
  index?: IndexProgress;
  /** The archive was indexed in this session (its summary, when the core sent one). */
  indexed?: IndexProgress;
  /** Not in the image: an entry the edit added (Edit mode puts it here so the tree can select and fold it). */
  synthetic?: boolean;
}

export interface OpenImage {
  file: string;
  info: ImageInfo;
}

export interface FindState {
  query: string;
  roots: string[];
  loading: boolean;
  results: EntryView[];
  truncated: boolean;
  error?: LabErrorShape;
}

export type Row =
  | { kind: 'entry'; path: string; depth: number; setSize: number; posInSet: number }
  /** Progress, loading or an error under a folder or archive; two lines (message, then details). */
  | { kind: 'status'; path: string; depth: number; line: 0 | 1 };

interface InspectState {
  image?: OpenImage;
  opening?: string;
  openError?: LabErrorShape;
  /** A notice that is not an error of a request (e.g. a file dropped in a browser). */
  notice?: string;
  recent: RecentItem[];
  recentError?: LabErrorShape;

  nodes: Map<string, TreeNode>;
  expanded: Set<string>;
  rev: number;
  sort: SortMode;
  selected?: string;
  /** The selected entry (also set for search results and resolved links). */
  selectedEntry?: EntryView;
  /** Bumped to ask the tree to scroll the selection into view. */
  reveal: { path: string; n: number } | undefined;
  revealError?: LabErrorShape;
  /** Bumped when Enter asks the viewer to take focus. */
  focusViewer: number;

  find: FindState;

  openImage(file: string): Promise<boolean>;
  closeImage(): void;
  loadRecent(): Promise<void>;
  setNotice(notice?: string): void;
  select(path: string | undefined, entry?: EntryView): void;
  expand(path: string): Promise<void>;
  collapse(path: string): void;
  toggle(path: string): void;
  cancelIndex(path: string): void;
  retry(path: string): void;
  setSort(sort: SortMode): void;
  revealPath(path: string, opts?: { entry?: EntryView }): Promise<boolean>;
  followLink(path: string): Promise<void>;
  setQuery(query: string): void;
  requestViewerFocus(): void;
}

export function shape(err: unknown): LabErrorShape {
  const e = err as Partial<LabErrorShape> | undefined;
  return { code: e?.code ?? 'INTERNAL', message: e?.message ?? String(err), hint: e?.hint };
}

export const CANCELLED: LabErrorShape = {
  code: 'CANCELLED',
  message: 'Opening the archive was cancelled.',
  hint: 'Choose "Try again" to open it after all.',
};

/** Parent of an image path: /boot/initrd → /boot, /boot → /. */
export function parentPath(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export function baseName(p: string): string {
  return p === '/' ? '/' : p.slice(p.lastIndexOf('/') + 1);
}

/** Every folder above `p`, outermost first: /a/b/c → [/, /a, /a/b]. */
export function ancestors(p: string): string[] {
  const parts = p.split('/').filter(Boolean);
  const out = ['/'];
  for (let i = 1; i < parts.length; i++) out.push('/' + parts.slice(0, i).join('/'));
  return out;
}

export function isExpandable(e: EntryView): boolean {
  return e.type === 'dir' || !!e.archive;
}

function rootEntry(info: ImageInfo): EntryView {
  return {
    path: '/',
    name: info.name,
    type: info.kind === 'iso' ? 'dir' : 'file',
    size: info.size,
    mode: 0o755,
    modeString: 'drwxr-xr-x',
    uid: 0,
    gid: 0,
    archive: info.kind === 'archive' ? info.format : undefined,
  };
}

function compare(sort: SortMode, nodes: Map<string, TreeNode>) {
  return (a: string, b: string): number => {
    const ea = nodes.get(a)!.entry;
    const eb = nodes.get(b)!.entry;
    const da = ea.type === 'dir' ? 0 : 1;
    const db = eb.type === 'dir' ? 0 : 1;
    if (da !== db) return da - db;
    if (sort === 'size' && da === 1 && ea.size !== eb.size) return eb.size - ea.size;
    return ea.name < eb.name ? -1 : ea.name > eb.name ? 1 : 0;
  };
}

// Live index subscriptions, by archive path; not state, since they are not rendered.
interface IndexJob {
  unsubscribe: () => void;
  done: Promise<void>;
  finish: (error?: LabErrorShape) => void;
}
const indexJobs = new Map<string, IndexJob>();
const listJobs = new Map<string, Promise<void>>();
let generation = 0;
let findTimer: ReturnType<typeof setTimeout> | undefined;
let findSeq = 0;

function stopAllJobs(): void {
  for (const job of indexJobs.values()) {
    job.unsubscribe();
    job.finish(CANCELLED);
  }
  indexJobs.clear();
  listJobs.clear();
  clearTimeout(findTimer);
}

const EMPTY_FIND: FindState = { query: '', roots: [], loading: false, results: [], truncated: false };

export const useInspect = create<InspectState>((set, get) => {
  const bump = () => set((s) => ({ rev: s.rev + 1 }));
  const node = (p: string) => get().nodes.get(p);

  /** Lists a folder (or an indexed archive) into the tree. */
  function list(path: string): Promise<void> {
    const known = listJobs.get(path);
    if (known) return known;
    const gen = generation;
    const image = get().image;
    if (!image) return Promise.resolve();
    const n = node(path);
    if (n) {
      n.loading = true;
      n.error = undefined;
      bump();
    }
    const job = api
      .request('image.list', { file: image.file, path })
      .then(
        (res) => {
          if (gen !== generation) return;
          const { nodes, sort } = get();
          const target = nodes.get(path);
          if (!target) return;
          const children: string[] = [];
          for (const e of res.entries) {
            const old = nodes.get(e.path);
            nodes.set(e.path, old ? { ...old, entry: e } : { entry: e });
            children.push(e.path);
          }
          children.sort(compare(sort, nodes));
          target.children = children;
          target.loading = false;
          target.error = undefined;
          bump();
        },
        (err) => {
          if (gen !== generation) return;
          const target = node(path);
          if (target) {
            target.loading = false;
            target.error = shape(err);
            bump();
          }
          throw err;
        },
      )
      .finally(() => listJobs.delete(path));
    listJobs.set(path, job);
    return job;
  }

  /** Indexes an archive with progress; resolves when it is open, rejects on error or cancel. */
  function index(path: string): Promise<void> {
    const known = indexJobs.get(path);
    if (known) return known.done;
    const image = get().image;
    const n = node(path);
    if (!image || !n) return Promise.resolve();
    const gen = generation;
    let finish!: (error?: LabErrorShape) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = (error) => (error ? reject(error) : resolve());
    });
    done.catch(() => undefined);
    n.error = undefined;
    n.index = { phase: 'indexing', path, bytesIn: 0, totalIn: n.entry.size, bytesOut: 0, entries: 0 };
    bump();
    let last: IndexProgress | undefined;
    const job: IndexJob = {
      done,
      finish: (error) => finish(error),
      unsubscribe: () => undefined,
    };
    indexJobs.set(path, job);
    job.unsubscribe = api.subscribe('image.index', { file: image.file, path }, {
      onData(batch) {
        if (gen !== generation) return;
        last = batch[batch.length - 1] ?? last;
        const t = node(path);
        if (t && last) {
          t.index = last;
          bump();
        }
      },
      onEnd(error) {
        if (indexJobs.get(path) !== job) return;
        indexJobs.delete(path);
        if (gen !== generation) return;
        const t = node(path);
        if (t) {
          t.index = undefined;
          if (error) t.error = error;
          else t.indexed = last ?? { phase: 'done', path, bytesIn: 0, totalIn: 0, bytesOut: 0, entries: 0 };
          bump();
        }
        finish(error);
      },
    });
    return done;
  }

  /** Makes sure a folder's or archive's children are listed (indexing first when needed). */
  async function ensureChildren(path: string): Promise<void> {
    const n = node(path);
    if (!n) throw { code: 'NOT_FOUND', message: `${path} is not in the tree.` } satisfies LabErrorShape;
    if (n.children) return;
    if (n.entry.archive && !n.indexed) await index(path);
    await list(path);
  }

  return {
    recent: [],
    nodes: new Map(),
    expanded: new Set(),
    rev: 0,
    sort: 'name',
    reveal: undefined,
    focusViewer: 0,
    find: EMPTY_FIND,

    async openImage(file) {
      set({ opening: file, openError: undefined, notice: undefined });
      let info: ImageInfo;
      try {
        info = await api.request('image.info', { file });
      } catch (err) {
        set({ opening: undefined, openError: shape(err) });
        return false;
      }
      stopAllJobs();
      generation++;
      const nodes = new Map<string, TreeNode>([['/', { entry: rootEntry(info) }]]);
      set({
        image: { file: info.file || file, info },
        opening: undefined,
        openError: undefined,
        nodes,
        expanded: new Set(['/']),
        rev: get().rev + 1,
        selected: undefined,
        selectedEntry: undefined,
        reveal: undefined,
        revealError: undefined,
        find: EMPTY_FIND,
      });
      void api
        .request('recent.add', { kind: info.kind === 'iso' ? 'iso' : 'initrd', path: info.file || file })
        .then((recent) => set({ recent }))
        .catch(() => undefined);
      void ensureChildren('/').catch(() => undefined);
      return true;
    },

    closeImage() {
      stopAllJobs();
      generation++;
      set({ image: undefined, nodes: new Map(), expanded: new Set(), selected: undefined, selectedEntry: undefined, find: EMPTY_FIND, rev: get().rev + 1 });
      void get().loadRecent();
    },

    async loadRecent() {
      try {
        set({ recent: await api.request('recent.list'), recentError: undefined });
      } catch (err) {
        set({ recentError: shape(err) });
      }
    },

    setNotice: (notice) => set({ notice }),

    select(path, entry) {
      if (path === undefined) {
        set({ selected: undefined, selectedEntry: undefined });
        return;
      }
      set({ selected: path, selectedEntry: entry ?? node(path)?.entry, revealError: undefined });
    },

    async expand(path) {
      const n = node(path);
      if (!n || !isExpandable(n.entry)) return;
      const { expanded } = get();
      if (!expanded.has(path)) {
        expanded.add(path);
        bump();
      }
      await ensureChildren(path).catch(() => undefined);
    },

    collapse(path) {
      const { expanded } = get();
      if (expanded.delete(path)) bump();
    },

    toggle(path) {
      if (get().expanded.has(path)) get().collapse(path);
      else void get().expand(path);
    },

    cancelIndex(path) {
      const job = indexJobs.get(path);
      if (!job) return;
      indexJobs.delete(path);
      job.unsubscribe();
      const n = node(path);
      if (n) {
        n.index = undefined;
        // The root of a bare initrd cannot be folded away: say what happened instead.
        n.error = path === '/' ? CANCELLED : undefined;
      }
      if (path !== '/') get().expanded.delete(path);
      bump();
      job.finish(CANCELLED);
    },

    retry(path) {
      const n = node(path);
      if (!n) return;
      n.error = undefined;
      n.children = undefined;
      get().expanded.add(path);
      bump();
      void ensureChildren(path).catch(() => undefined);
    },

    setSort(sort) {
      const { nodes } = get();
      const cmp = compare(sort, nodes);
      for (const n of nodes.values()) n.children?.sort(cmp);
      set((s) => ({ sort, rev: s.rev + 1 }));
    },

    async revealPath(path, opts = {}) {
      const gen = generation;
      set({ revealError: undefined });
      try {
        for (const dir of ancestors(path)) {
          await ensureChildren(dir);
          if (gen !== generation) return false;
          get().expanded.add(dir);
        }
        bump();
      } catch (err) {
        if (gen === generation) set({ revealError: shape(err) });
        return false;
      }
      const n = node(path);
      if (!n) {
        set({
          revealError: { code: 'NOT_FOUND', message: `${path} is not in ${get().image?.info.name ?? 'the image'}.`, hint: 'It may have been hidden by the listing; search for its name instead.' },
        });
        return false;
      }
      set((s) => ({
        selected: path,
        selectedEntry: opts.entry ?? n.entry,
        reveal: { path, n: (s.reveal?.n ?? 0) + 1 },
        find: EMPTY_FIND,
      }));
      return true;
    },

    async followLink(path) {
      const image = get().image;
      if (!image) return;
      set({ revealError: undefined });
      try {
        const target = await api.request('image.resolve', { file: image.file, path });
        await get().revealPath(target.path, { entry: target });
      } catch (err) {
        set({ revealError: shape(err) });
      }
    },

    setQuery(query) {
      const image = get().image;
      clearTimeout(findTimer);
      if (!image || query === '') {
        findSeq++;
        set({ find: EMPTY_FIND });
        return;
      }
      // Searched: the image itself and every archive opened so far (find does not enter archives).
      const roots = ['/'];
      for (const [p, n] of get().nodes) if (p !== '/' && n.indexed) roots.push(p);
      set((s) => ({ find: { ...s.find, query, roots, loading: true, error: undefined } }));
      const seq = ++findSeq;
      findTimer = setTimeout(() => {
        void Promise.all(roots.map((path) => api.request('image.find', { file: image.file, path, query, limit: 500 }))).then(
          (parts) => {
            if (seq !== findSeq) return;
            const seen = new Set<string>();
            const results: EntryView[] = [];
            for (const part of parts) {
              for (const e of part.entries) {
                if (seen.has(e.path)) continue;
                seen.add(e.path);
                results.push(e);
              }
            }
            // Exact names first, then names starting with the query, then the rest; shallow first.
            const q = query.toLowerCase();
            const rank = (e: EntryView) => (e.name.toLowerCase() === q ? 0 : e.name.toLowerCase().startsWith(q) ? 1 : 2);
            const depth = (e: EntryView) => e.path.split('/').length;
            results.sort((a, b) => rank(a) - rank(b) || depth(a) - depth(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
            set((s) => ({ find: { ...s.find, loading: false, results, truncated: parts.some((p) => p.truncated) } }));
          },
          (err) => {
            if (seq !== findSeq) return;
            set((s) => ({ find: { ...s.find, loading: false, results: [], truncated: false, error: shape(err) } }));
          },
        );
      }, 180);
    },

    requestViewerFocus: () => set((s) => ({ focusViewer: s.focusViewer + 1 })),
  };
});

/** The rows the tree shows: expanded folders' children, depth first, plus status rows; in Edit mode, as the edit has them. */
export function visibleRows(nodes: Map<string, TreeNode>, expanded: Set<string>, overlay?: EditOverlay, sort: SortMode = 'name'): Row[] {
  const rows: Row[] = [];
  const cmp = compare(sort, nodes);
  const walk = (path: string, depth: number) => {
    const n = nodes.get(path);
    if (!n) return;
    if (n.index || n.error) {
      rows.push({ kind: 'status', path, depth, line: 0 }, { kind: 'status', path, depth, line: 1 });
      if (!n.children) return;
    } else if (n.loading && !n.children) {
      rows.push({ kind: 'status', path, depth, line: 0 });
      return;
    }
    let kids = overlay ? editedChildren(overlay, path, n.children) : n.children;
    // What the edit added takes its place among the rest (its node is in the map: see edit-store).
    if (kids && overlay?.childrenOf.get(path)?.length) kids = kids.filter((k) => nodes.has(k)).sort(cmp);
    if (!kids) return;
    for (let i = 0; i < kids.length; i++) {
      const child = kids[i]!;
      rows.push({ kind: 'entry', path: child, depth, setSize: kids.length, posInSet: i + 1 });
      if (expanded.has(child)) walk(child, depth + 1);
    }
  };
  walk('/', 1);
  return rows;
}
