import type { sampleRequests } from '../../../shared/sample';
import type { RequestHandlersOf } from '../rpc/types';
import { createSample, sampleInfo } from '../sample/sample';

export const sampleRequestHandlers: RequestHandlersOf<typeof sampleRequests> = {
  'sample.info': async (_args, ctx) => sampleInfo(ctx.env),
  'sample.create': async ({ dest }, ctx) => createSample(dest, ctx.env),
};
