import type { diffEvents, diffRequests } from '../../../shared/diff';
import type { EventHandlersOf, RequestHandlersOf } from '../rpc/types';

export const diffRequestHandlers: RequestHandlersOf<typeof diffRequests> = {};
export const diffEventHandlers: EventHandlersOf<typeof diffEvents> = {};
