import { app, dialog, session, shell, type WebContents } from 'electron';
import { externalUrl, isAppUrl } from './app-url';

/**
 * Links from the UI (docs, minikube's site) go to the user's browser, and only http(s);
 * anything else (file:, javascript:, custom schemes from ISO contents) is refused.
 */
export async function openExternalSafely(raw: string, owner?: Electron.BrowserWindow): Promise<boolean> {
  const url = externalUrl(raw);
  if (!url) return false;
  const choice = await dialog.showMessageBox(owner ?? (undefined as never), {
    type: 'question',
    buttons: ['Open', 'Cancel'],
    defaultId: 0,
    cancelId: 1,
    message: 'Open this link in your browser?',
    detail: url.toString(),
  });
  if (choice.response !== 0) return false;
  await shell.openExternal(url.toString());
  return true;
}

/** Electron's security checklist, applied to every web contents the app ever creates. */
export function applySecurityPolicy(rendererIndex: string): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, rendererIndex)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url, rendererIndex)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      void openExternalSafely(url);
      return { action: 'deny' };
    });
  });
  app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
  });
}
