import type { screenEvents, screenRequests } from '../../../shared/screen';
import type { EventHandlersOf, RequestHandlersOf } from '../rpc/types';
import { screenEndpoint, screens } from '../vm/vnc-bridge';

/** Thin: vnc-bridge owns the connections to the VMs' displays. */

export const screenRequestHandlers: RequestHandlersOf<typeof screenRequests> = {
  // No await before the write: inputs reach the VNC server in the order they arrived.
  'vm.screenInput': ({ screenId, b64 }) => {
    try {
      screens.write(screenId, b64);
      return Promise.resolve({});
    } catch (err) {
      return Promise.reject(err);
    }
  },
};

export const screenEventHandlers: EventHandlersOf<typeof screenEvents> = {
  'vm.screen': async ({ name }, emit, signal, ctx) => {
    const vm = await ctx.vms.get(name);
    const rec = await ctx.vms.store.load(name);
    await screens.stream(screenEndpoint(vm, rec?.files), emit, signal);
  },
};
