import type { EventHandlers, RequestHandlers } from '../rpc/types';
import { labDoctor, labInfo, labStatus } from './lab';
import { recentAdd, recentClear, recentList, settingsGet, settingsUpdate } from './settings';

/** The handler table. TypeScript fails the build when a channel of the contract has no entry. */
export const requestHandlers: RequestHandlers = {
  'lab.info': labInfo,
  'lab.doctor': labDoctor,
  'settings.get': settingsGet,
  'settings.update': settingsUpdate,
  'recent.list': recentList,
  'recent.add': recentAdd,
  'recent.clear': recentClear,
};

export const eventHandlers: EventHandlers = {
  'lab.status': labStatus,
};
