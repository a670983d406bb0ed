import type { shellEvents, shellRequests } from '../../../shared/shell';
import type { EventHandlersOf, RequestHandlersOf } from '../rpc/types';

export const shellRequestHandlers: RequestHandlersOf<typeof shellRequests> = {};
export const shellEventHandlers: EventHandlersOf<typeof shellEvents> = {};
