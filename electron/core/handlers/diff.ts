import type { diffEvents, diffRequests } from '../../../shared/diff';
import { diffImages } from '../diff/image-diff';
import type { EventHandlersOf, RequestHandlersOf } from '../rpc/types';

export const diffRequestHandlers: RequestHandlersOf<typeof diffRequests> = {};

export const diffEventHandlers: EventHandlersOf<typeof diffEvents> = {
  'image.diff': async ({ a, b, mtime, maxChanges }, emit, signal, ctx) => {
    const [sa, sb] = await Promise.all([ctx.images.get(a), ctx.images.get(b)]);
    const result = await diffImages(sa, sb, { mtime, maxChanges, signal, onProgress: emit });
    emit({ type: 'result', result });
  },
};
