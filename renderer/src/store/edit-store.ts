import { create } from 'zustand';
import type { LabErrorShape } from '../../../shared/errors';
import type { BootConfigEntry, ChangeInput, EditState } from '../../../shared/remaster';
import { api } from '../api/lab-api';
import { buildOverlay, EMPTY_OVERLAY, parentOf, type EditOverlay } from './edit-overlay';
import { joinPath } from './edit-paths';
import { sendUpload, tooBig } from './edit-upload';
import { shape, useInspect, type TreeNode } from './inspect-store';

/**
 * Edit mode of the Inspect screen: the core's edit of the open ISO (EditState), the tree laid
 * over with it, the boot entries, and dropped files on their way up. The edit itself lives in
 * the core's data folder; this store only mirrors it, so a reload finds it again.
 */

export type EditPanel = 'details' | 'changes' | 'boot';

export interface UploadJob {
  id: number;
  name: string;
  /** Where it goes in the image. */
  dest: string;
  size: number;
  sent: number;
  phase: 'sending' | 'applying' | 'done' | 'failed';
  error?: LabErrorShape;
}

interface EditStore {
  on: boolean;
  /** The input the edit belongs to (the image open in Inspect). */
  file?: string;
  opening: boolean;
  state?: EditState;
  overlay: EditOverlay;
  /** The last refusal of open/apply/undo/discard, shown where the user acted. */
  error?: LabErrorShape;
  busy: boolean;
  panel: EditPanel;
  boot?: BootConfigEntry[];
  bootError?: LabErrorShape;
  uploads: UploadJob[];
  /** The folder a drag over the tree would drop into now, for the drop hint. */
  dropTarget?: string;

  toggle(): void;
  enable(file: string): Promise<void>;
  disable(): void;
  setPanel(panel: EditPanel): void;
  clearError(): void;
  /** Keeps one change; resolves true when the core took it. */
  apply(change: ChangeInput): Promise<boolean>;
  undo(index: number): Promise<LabErrorShape | undefined>;
  discard(): Promise<boolean>;
  loadBoot(): Promise<void>;
  /** Dropped files into `folder`: each sent with edit.upload, then written there. */
  drop(folder: string, files: File[]): void;
  dismissUpload(id: number): void;
  setDropTarget(folder: string | undefined): void;
}

const ON_KEY = 'isolab.edit.file';

/** The ISO whose Edit mode was on, so a reload turns it back on. */
function rememberOn(file: string | undefined): void {
  try {
    if (file) localStorage.setItem(ON_KEY, file);
    else localStorage.removeItem(ON_KEY);
  } catch {
    // Storage may be refused (private window): Edit mode then starts off after a reload.
  }
}

export function wasOn(file: string): boolean {
  try {
    return localStorage.getItem(ON_KEY) === file;
  } catch {
    return false;
  }
}

/** Electron may give the real path of a dropped file; a browser never does. */
export function hostPathOf(file: File): string | undefined {
  const bridge = (window as unknown as { isolab?: { pathForFile?: (f: File) => string } }).isolab;
  try {
    return bridge?.pathForFile?.(file) || undefined;
  } catch {
    return undefined;
  }
}


let seq = 0;
let uploadSeq = 0;
/** Synthetic tree nodes this store put into the Inspect tree, to take out again. */
let placed = new Set<string>();

/** The Inspect tree's nodes for what the edit added, so they can be selected and folded like the rest. */
function placeSynthetic(overlay: EditOverlay): void {
  const { nodes } = useInspect.getState();
  const want = new Map<string, TreeNode['entry']>();
  for (const [p, e] of overlay.added) want.set(p, e);
  for (const [to, from] of overlay.renamedFrom) {
    const base = nodes.get(from)?.entry;
    if (base) want.set(to, { ...base, path: to, name: to.slice(to.lastIndexOf('/') + 1) });
  }
  let changed = false;
  for (const p of placed) {
    if (!want.has(p) && nodes.get(p)?.synthetic) {
      nodes.delete(p);
      changed = true;
    }
  }
  for (const [p, entry] of want) {
    const n = nodes.get(p);
    if (n && !n.synthetic) continue;
    // A folder the edit made is empty in the input: listed, with no children of its own.
    nodes.set(p, { entry, synthetic: true, children: entry.type === 'dir' || entry.archive ? [] : undefined });
    changed = true;
  }
  placed = new Set(want.keys());
  if (changed) useInspect.setState((s) => ({ rev: s.rev + 1 }));
}

export const useEdit = create<EditStore>((set, get) => {
  function adopt(state: EditState): void {
    const { nodes } = useInspect.getState();
    const replaced = new Set(state.changes.filter((c) => c.replaces && c.path).map((c) => c.path!));
    const inInput = (p: string) => replaced.has(p) || (!!nodes.get(p) && !nodes.get(p)!.synthetic);
    const overlay = buildOverlay(state.changes, inInput);
    set({ state, overlay, error: undefined });
    placeSynthetic(overlay);
    if (get().boot || get().panel === 'boot') void get().loadBoot();
  }

  async function run(fn: () => Promise<EditState>): Promise<LabErrorShape | undefined> {
    set({ busy: true });
    try {
      adopt(await fn());
      return undefined;
    } catch (err) {
      const e = shape(err);
      set({ error: e });
      return e;
    } finally {
      set({ busy: false });
    }
  }

  function patchUpload(id: number, fields: Partial<UploadJob>): void {
    set((s) => ({ uploads: s.uploads.map((u) => (u.id === id ? { ...u, ...fields } : u)) }));
  }

  async function upload(job: UploadJob, file: File): Promise<void> {
    const id = get().state?.id;
    if (!id) return;
    try {
      const host = hostPathOf(file);
      let change: ChangeInput;
      if (host) {
        // Electron knows where the file is: the core reads it from disk, with no size limit.
        change = { op: 'put', path: job.dest, host };
      } else {
        const uploadId = await sendUpload(file, (args) => api.request('edit.upload', { id, ...args }), (sent) => patchUpload(job.id, { sent }));
        change = { op: 'write', path: job.dest, upload: uploadId };
      }
      patchUpload(job.id, { phase: 'applying', sent: job.size });
      const state = await api.request('edit.apply', { id, change });
      adopt(state);
      patchUpload(job.id, { phase: 'done' });
    } catch (err) {
      patchUpload(job.id, { phase: 'failed', error: shape(err) });
    }
  }

  return {
    on: false,
    opening: false,
    overlay: EMPTY_OVERLAY,
    busy: false,
    panel: 'details',
    uploads: [],

    toggle() {
      const file = useInspect.getState().image?.file;
      if (get().on) get().disable();
      else if (file) void get().enable(file);
    },

    async enable(file) {
      const n = ++seq;
      set({ on: true, file, opening: true, error: undefined, state: undefined, overlay: EMPTY_OVERLAY, boot: undefined, bootError: undefined, panel: 'details' });
      rememberOn(file);
      try {
        const state = await api.request('edit.open', { file });
        if (n !== seq) return;
        set({ opening: false });
        adopt(state);
      } catch (err) {
        if (n !== seq) return;
        set({ opening: false, error: shape(err) });
      }
    },

    disable() {
      seq++;
      rememberOn(undefined);
      set({ on: false, opening: false, file: undefined, state: undefined, overlay: EMPTY_OVERLAY, error: undefined, boot: undefined, bootError: undefined, panel: 'details', uploads: [] });
      placeSynthetic(EMPTY_OVERLAY);
    },

    setPanel(panel) {
      set({ panel });
      if (panel === 'boot') void get().loadBoot();
    },

    clearError: () => set({ error: undefined }),

    async apply(change) {
      const id = get().state?.id;
      if (!id) return false;
      return !(await run(() => api.request('edit.apply', { id, change })));
    },

    async undo(index) {
      const id = get().state?.id;
      if (!id) return undefined;
      return run(() => api.request('edit.undo', { id, index }));
    },

    async discard() {
      const id = get().state?.id;
      if (!id) return false;
      return !(await run(() => api.request('edit.discard', { id })));
    },

    async loadBoot() {
      const id = get().state?.id;
      if (!id) return;
      try {
        const boot = await api.request('edit.bootEntries', { id });
        if (get().state?.id === id) set({ boot, bootError: undefined });
      } catch (err) {
        set({ bootError: shape(err) });
      }
    },

    drop(folder, files) {
      for (const file of files) {
        const job: UploadJob = { id: ++uploadSeq, name: file.name, dest: joinPath(folder, file.name), size: file.size, sent: 0, phase: 'sending' };
        const big = hostPathOf(file) ? undefined : tooBig(file.name, file.size);
        if (big) {
          set((s) => ({ uploads: [...s.uploads, { ...job, phase: 'failed', error: big }] }));
          continue;
        }
        set((s) => ({ uploads: [...s.uploads, job] }));
        void upload(job, file);
      }
    },

    dismissUpload: (id) => set((s) => ({ uploads: s.uploads.filter((u) => u.id !== id) })),
    setDropTarget: (dropTarget) => {
      if (get().dropTarget !== dropTarget) set({ dropTarget });
    },
  };
});

// The tree is rebuilt when another image opens (and its folders are listed as they open):
// what the edit added goes back in, and Edit mode follows the image it belongs to.
let lastNodes = useInspect.getState().nodes;
let lastFile = useInspect.getState().image?.file;
let lastSelected = useInspect.getState().selected;
useInspect.subscribe((s) => {
  // Choosing an entry (in the tree, or Show in Changes) shows its details again.
  if (s.selected !== lastSelected) {
    lastSelected = s.selected;
    if (s.selected && useEdit.getState().panel !== 'details') useEdit.setState({ panel: 'details' });
  }
  const file = s.image?.file;
  if (file !== lastFile) {
    lastFile = file;
    const edit = useEdit.getState();
    if (edit.on && edit.file !== file) edit.disable();
    if (file && !useEdit.getState().on && wasOn(file)) void useEdit.getState().enable(file);
  }
  if (s.nodes !== lastNodes) {
    lastNodes = s.nodes;
    placed = new Set();
    placeSynthetic(useEdit.getState().overlay);
  }
});

/** Where a drop onto this tree entry lands: a folder or an archive takes it, a file gives its folder. */
export function dropFolder(node: TreeNode | undefined, path: string): string {
  if (!node) return parentOf(path);
  return node.entry.type === 'dir' || node.entry.archive ? path : parentOf(path);
}
