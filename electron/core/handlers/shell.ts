import type { shellEvents, shellRequests } from '../../../shared/shell';
import type { EventHandlersOf, RequestHandlersOf } from '../rpc/types';

/** Thin: the ShellManager owns the containers, these only route the contract to it. */

export const shellRequestHandlers: RequestHandlersOf<typeof shellRequests> = {
  'shell.open': ({ file, path }, ctx) => ctx.shells.open(file, path),
  'shell.input': async ({ shellId, data }, ctx) => {
    ctx.shells.input(shellId, data);
    return {};
  },
  'shell.resize': async ({ shellId, cols, rows }, ctx) => {
    await ctx.shells.resize(shellId, cols, rows);
    return {};
  },
  'shell.close': async ({ shellId }, ctx) => {
    await ctx.shells.close(shellId);
    return {};
  },
};

export const shellEventHandlers: EventHandlersOf<typeof shellEvents> = {
  'shell.prepare': async ({ file, path }, emit, signal, ctx) => {
    const opened = await ctx.shells.open(file, path, { signal, onProgress: emit });
    // Unsubscribed while the container was being created: nobody will attach to it.
    if (signal.aborted) await ctx.shells.close(opened.shellId);
    else emit({ type: 'opened', opened });
  },
  'shell.output': async ({ shellId }, emit, signal, ctx) => {
    await ctx.shells.output(shellId, emit, signal);
  },
};
