import type { storageRequests } from '../../../shared/settings';
import { clearStorage, storageUsage } from '../settings/storage';
import type { RequestHandlersOf } from '../rpc/types';
import type { RequestHandler } from '../rpc/types';

export const settingsGet: RequestHandler<'settings.get'> = async (_args, ctx) => ctx.settings.state();
export const settingsUpdate: RequestHandler<'settings.update'> = async (patch, ctx) => ctx.settings.update(patch);
export const recentList: RequestHandler<'recent.list'> = async (_args, ctx) => ctx.settings.listRecent();
export const recentAdd: RequestHandler<'recent.add'> = async (args, ctx) => ctx.settings.addRecent(args.kind, args.path);
export const recentClear: RequestHandler<'recent.clear'> = async (_args, ctx) => ctx.settings.clearRecent();

export const storageRequestHandlers: RequestHandlersOf<typeof storageRequests> = {
  'storage.usage': (_args, ctx) => storageUsage(ctx),
  'storage.clear': ({ kind }, ctx) => clearStorage(ctx, kind),
};
