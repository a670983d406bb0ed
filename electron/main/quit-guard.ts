import { app, dialog, type BrowserWindow, type MessageBoxOptions } from 'electron';
import type { LabContext } from '../core/rpc/types';

/**
 * Quitting must not leave work half-done behind the user's back. A running build would
 * leave its container: ask, then cancel it cleanly (container removed, logs kept). Running
 * VMs are the user's call: stop them, or keep them running (the next ISO Lab, or
 * `isolab vm`, finds them again).
 */
export function guardQuit(ctx: LabContext, window: () => BrowserWindow | undefined): void {
  let settled = false;
  const ask = (options: MessageBoxOptions) => {
    const win = window();
    return win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options);
  };
  app.on('before-quit', (event) => {
    if (settled) return;
    const builds = ctx.builds.running();
    const vms = ctx.vms.running();
    if (builds.length === 0 && vms.length === 0) {
      // Shell containers are nobody's work in progress: removed without asking.
      if (ctx.shells.count === 0) return;
      event.preventDefault();
      settled = true;
      void ctx.shells.dispose().finally(() => app.quit());
      return;
    }
    event.preventDefault();
    void (async () => {
      if (builds.length) {
        const { response } = await ask({
          type: 'warning',
          buttons: ['Cancel the build and quit', 'Keep ISO Lab open'],
          defaultId: 1,
          cancelId: 1,
          message: builds.length === 1 ? 'A build is still running.' : `${builds.length} builds are still running.`,
          detail: 'Quitting cancels it: the build container is stopped and removed; the logs so far are kept.',
        });
        if (response !== 0) return;
      }
      let stopVms = false;
      if (vms.length) {
        const { response } = await ask({
          type: 'question',
          buttons: ['Stop them and quit', 'Keep them running and quit', 'Keep ISO Lab open'],
          defaultId: 0,
          cancelId: 2,
          message: vms.length === 1 ? `The VM ${vms[0]!.name} is running.` : `${vms.length} VMs are running.`,
          detail: 'Kept VMs go on in the background; ISO Lab finds them again when it starts, and `isolab vm ls` lists them.',
        });
        if (response === 2) return;
        stopVms = response === 0;
      }
      settled = true;
      await ctx.builds.cancelAll().catch(() => undefined);
      await ctx.shells.dispose().catch(() => undefined);
      if (stopVms) await ctx.vms.stopAll({ timeoutSeconds: 10 }).catch(() => undefined);
      else await ctx.vms.release().catch(() => undefined);
      app.quit();
    })();
  });
}
