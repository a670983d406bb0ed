import type { buildRequests } from '../../../shared/build';
import type { EventHandler, RequestHandler, RequestHandlersOf } from '../rpc/types';

/** Thin: the BuildManager owns the jobs, these only route the contract to it. */

export const buildRecipes: RequestHandler<'build.recipes'> = (args, ctx) => ctx.builds.recipes(args);
export const buildPreflight: RequestHandler<'build.preflight'> = (args, ctx) => ctx.builds.preflight(args);
export const buildStart: RequestHandler<'build.start'> = (args, ctx) => ctx.builds.start(args);
export const buildCancel: RequestHandler<'build.cancel'> = ({ buildId }, ctx) => ctx.builds.cancel(buildId);
export const buildHistory: RequestHandler<'build.history'> = (_args, ctx) => ctx.builds.history();
export const buildGet: RequestHandler<'build.get'> = ({ buildId }, ctx) => ctx.builds.get(buildId);
export const buildLogLines: RequestHandler<'build.logLines'> = (args, ctx) => ctx.builds.logLines(args);
export const buildRunning: RequestHandler<'build.running'> = async (_args, ctx) => ctx.builds.running();

export const buildWatch: EventHandler<'build.watch'> = ({ buildId }, emit, signal, ctx) => ctx.builds.watch(buildId, emit, signal);

export const buildRequestHandlers: RequestHandlersOf<typeof buildRequests> = {
  'build.localImages': (_args, ctx) => ctx.builds.localImages(),
};
