import { app, dialog, type BrowserWindow } from 'electron';
import type { LabContext } from '../core/rpc/types';

/**
 * Quitting while a build runs would leave its container behind: ask first, then cancel the
 * build cleanly (container stopped and removed, logs kept) before letting the app go.
 */
export function guardQuit(ctx: LabContext, window: () => BrowserWindow | undefined): void {
  let confirmed = false;
  app.on('before-quit', (event) => {
    if (confirmed) return;
    const builds = ctx.builds.running();
    if (builds.length === 0) return;
    event.preventDefault();
    const win = window();
    const options = {
      type: 'warning' as const,
      buttons: ['Cancel the build and quit', 'Keep ISO Lab open'],
      defaultId: 1,
      cancelId: 1,
      message: builds.length === 1 ? 'A build is still running.' : `${builds.length} builds are still running.`,
      detail: 'Quitting cancels it: the build container is stopped and removed; the logs so far are kept.',
    };
    void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options)).then(async ({ response }) => {
      if (response !== 0) return;
      confirmed = true;
      await ctx.builds.cancelAll().catch(() => undefined);
      app.quit();
    });
  });
}
