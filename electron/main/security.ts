import { app, dialog, session, shell, type WebContents } from 'electron';

/** The one origin the app's own pages come from: the built renderer on disk. */
export function isAppUrl(raw: string, rendererIndex: string): boolean {
  try {
    const url = new URL(raw);
    const index = new URL(`file://${rendererIndex}`);
    return url.protocol === 'file:' && url.pathname === index.pathname;
  } catch {
    return false;
  }
}

/**
 * Links from the UI (docs, minikube's site) go to the user's browser, and only http(s);
 * anything else (file:, javascript:, custom schemes from ISO contents) is refused.
 */
export async function openExternalSafely(raw: string, owner?: Electron.BrowserWindow): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
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
