import { z } from 'zod';
import { DoctorReport } from './doctor';
import { RecentItem, SettingsPatch, SettingsState } from './settings';

/**
 * The whole surface between the UI and the lab core. Both transports (Electron IPC and
 * the WebSocket of `isolab serve`) carry exactly these channels, so adding a capability
 * means adding an entry here and a handler on the core side; nothing else changes.
 */

const None = z.object({}).strict().default({});

export const LabInfo = z.object({
  name: z.string(),
  version: z.string(),
  configDir: z.string(),
  dataDir: z.string(),
  platform: z.string(),
});
export type LabInfo = z.infer<typeof LabInfo>;

export const requests = {
  'lab.info': { args: None, result: LabInfo },
  'lab.doctor': { args: None, result: DoctorReport },
  'settings.get': { args: None, result: SettingsState },
  'settings.update': { args: SettingsPatch, result: SettingsState },
  'recent.list': { args: None, result: z.array(RecentItem) },
  'recent.add': {
    args: z.object({ kind: RecentItem.shape.kind, path: z.string().min(1) }).strict(),
    result: z.array(RecentItem),
  },
  'recent.clear': { args: None, result: z.array(RecentItem) },
} as const;

/**
 * Streams from the core to the UI. `kind: 'json'` events are batched as arrays of values;
 * `kind: 'text'` events carry UTF-8 text, merged into one string per flush.
 */
export const events = {
  'lab.status': {
    kind: 'json',
    args: z.object({ intervalSeconds: z.number().int().min(1).max(3600).optional() }).strict().default({}),
    data: DoctorReport,
  },
} as const;

export type RequestChannel = keyof typeof requests;
export type EventChannel = keyof typeof events;
export type RequestArgs<C extends RequestChannel> = z.input<(typeof requests)[C]['args']>;
export type RequestParsedArgs<C extends RequestChannel> = z.output<(typeof requests)[C]['args']>;
export type RequestResult<C extends RequestChannel> = z.output<(typeof requests)[C]['result']>;
export type EventArgs<C extends EventChannel> = z.input<(typeof events)[C]['args']>;
export type EventParsedArgs<C extends EventChannel> = z.output<(typeof events)[C]['args']>;
export type EventData<C extends EventChannel> = (typeof events)[C]['kind'] extends 'text'
  ? string
  : z.output<(typeof events)[C]['data']>;

export function isRequestChannel(ch: unknown): ch is RequestChannel {
  return typeof ch === 'string' && Object.prototype.hasOwnProperty.call(requests, ch);
}
export function isEventChannel(ch: unknown): ch is EventChannel {
  return typeof ch === 'string' && Object.prototype.hasOwnProperty.call(events, ch);
}
