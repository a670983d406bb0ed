import { app, BrowserWindow } from 'electron';
import path from 'node:path';
import { createLab } from '../core/lab';
import { labPaths } from '../core/paths';
import { bindIpc } from './ipc';
import { guardQuit } from './quit-guard';
import { applySecurityPolicy } from './security';
import { createMainWindow } from './window';

// Thin by design: everything that does work lives in ../core and is shared with the CLI.
app.enableSandbox();
const paths = labPaths();
// Settings and data live where the CLI finds them too, not in Electron's own folder.
app.setPath('userData', paths.configDir);

const rendererIndex = path.join(__dirname, '..', 'renderer', 'index.html');
applySecurityPolicy(rendererIndex);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  const lab = createLab({ paths });
  const ipc = bindIpc(lab, rendererIndex);
  const open = () => ipc.trust(createMainWindow(rendererIndex).webContents);
  guardQuit(lab.ctx, () => BrowserWindow.getAllWindows()[0]);
  // Records and containers left by a crashed run are cleaned up before the user sees them.
  void lab.ctx.builds.init().catch(() => undefined);
  void lab.ctx.shells.init();

  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.whenReady().then(open);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
