import { create } from 'zustand';
import type { DoctorReport } from '../../../shared/doctor';
import type { LabErrorShape } from '../../../shared/errors';
import type { LabInfo } from '../../../shared/contract';
import type { SettingsPatch, SettingsState } from '../../../shared/settings';
import { api } from '../api/lab-api';

export type View = 'status' | 'build' | 'inspect' | 'boot' | 'compare' | 'settings';

interface LabState {
  view: View;
  info?: LabInfo;
  report?: DoctorReport;
  statusError?: LabErrorShape;
  refreshing: boolean;
  settings?: SettingsState;
  settingsError?: LabErrorShape;
  setView(view: View): void;
  setReport(report: DoctorReport): void;
  setStatusError(error?: LabErrorShape): void;
  refresh(): Promise<void>;
  loadInfo(): Promise<void>;
  loadSettings(): Promise<void>;
  saveSettings(patch: SettingsPatch): Promise<boolean>;
}

function shape(err: unknown): LabErrorShape {
  const e = err as Partial<LabErrorShape>;
  return { code: e.code ?? 'INTERNAL', message: e.message ?? String(err), hint: e.hint };
}

function startView(params: URLSearchParams): View {
  return params.has('image') ? 'inspect' : params.has('compare') ? 'compare' : 'status';
}

export const useLab = create<LabState>((set) => ({
  // `?image=/path.iso` opens the Inspect screen on that image; `?compare=/a.iso,/b.iso` compares two.
  view: startView(new URLSearchParams(globalThis.location?.search ?? '')),
  refreshing: false,
  setView: (view) => set({ view }),
  setReport: (report) => set({ report, statusError: undefined }),
  setStatusError: (statusError) => set({ statusError }),
  async refresh() {
    set({ refreshing: true });
    try {
      set({ report: await api.request('lab.doctor'), statusError: undefined });
    } catch (err) {
      set({ statusError: shape(err) });
    } finally {
      set({ refreshing: false });
    }
  },
  async loadInfo() {
    try {
      set({ info: await api.request('lab.info') });
    } catch {
      // The header simply shows no version; the status screen reports connection problems.
    }
  },
  async loadSettings() {
    try {
      set({ settings: await api.request('settings.get'), settingsError: undefined });
    } catch (err) {
      set({ settingsError: shape(err) });
    }
  },
  async saveSettings(patch) {
    try {
      set({ settings: await api.request('settings.update', patch), settingsError: undefined });
      return true;
    } catch (err) {
      set({ settingsError: shape(err) });
      return false;
    }
  },
}));
