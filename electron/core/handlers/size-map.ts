import type { sizeMapRequests } from '../../../shared/size-map';
import type { RequestHandlersOf } from '../rpc/types';

export const sizeMapRequestHandlers: RequestHandlersOf<typeof sizeMapRequests> = {};
