import type { sizeMapRequests } from '../../../shared/size-map';
import { sizeMap } from '../image/size-map';
import type { RequestHandlersOf } from '../rpc/types';

export const sizeMapRequestHandlers: RequestHandlersOf<typeof sizeMapRequests> = {
  'image.sizeMap': async ({ file, path, depth, minFraction }, ctx) => sizeMap(await ctx.images.get(file), path, { depth, minFraction }),
};
