import type { sampleRequests } from '../../../shared/sample';
import type { RequestHandlersOf } from '../rpc/types';

export const sampleRequestHandlers: RequestHandlersOf<typeof sampleRequests> = {};
