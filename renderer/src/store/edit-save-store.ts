import { create } from 'zustand';
import type { LabErrorShape } from '../../../shared/errors';
import type { RemasterProgress, RemasterResult, WriteMode } from '../../../shared/remaster';
import { api } from '../api/lab-api';

/**
 * "Save as new ISO…": one edit.save stream at a time. Unsubscribing is the core's cancel (it
 * leaves nothing behind), so Cancel only stops listening.
 */

export const SAVE_CANCELLED: LabErrorShape = { code: 'CANCELLED', message: 'Writing the new ISO was cancelled.', hint: 'Nothing was left behind; choose Save as new ISO… to write it again.' };

export interface SaveRequest {
  id: string;
  out: string;
  mode: WriteMode;
  overwrite: boolean;
  /** The input, for Compare with the original. */
  input: string;
}

interface SaveStore {
  running: boolean;
  request?: SaveRequest;
  progress?: RemasterProgress;
  result?: RemasterResult;
  error?: LabErrorShape;
  save(req: SaveRequest): void;
  cancel(): void;
  dismiss(): void;
}

let stop: (() => void) | undefined;
let run = 0;

export const useEditSave = create<SaveStore>((set, get) => ({
  running: false,

  save(req) {
    stop?.();
    const n = ++run;
    set({ running: true, request: req, progress: undefined, result: undefined, error: undefined });
    let result: RemasterResult | undefined;
    stop = api.subscribe('edit.save', { id: req.id, out: req.out, mode: req.mode, overwrite: req.overwrite }, {
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
        set({ running: false, result, error: error ?? (result ? undefined : SAVE_CANCELLED) });
      },
    });
  },

  cancel() {
    if (!get().running) return;
    run++;
    stop?.();
    stop = undefined;
    set({ running: false, progress: undefined, error: SAVE_CANCELLED });
  },

  dismiss: () => set({ request: undefined, result: undefined, error: undefined, progress: undefined }),
}));
