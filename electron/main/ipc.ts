import { ipcMain, type IpcMainEvent, type WebContents } from 'electron';
import type { Dispatcher } from '../core/rpc/dispatcher';
import { RpcSession } from '../core/rpc/session';
import { isAppUrl } from './app-url';

export const CHANNEL = 'isolab:rpc';

/**
 * Electron transport for the contract: one RpcSession per trusted window. Messages from
 * any other sender (a frame that navigated elsewhere, an unknown webContents) are dropped.
 */
export function bindIpc(dispatcher: Dispatcher, rendererIndex: string): { trust(wc: WebContents): void } {
  const sessions = new Map<number, RpcSession>();

  function sessionFor(wc: WebContents): RpcSession | undefined {
    return sessions.get(wc.id);
  }

  ipcMain.on(CHANNEL, (event: IpcMainEvent, msg: unknown) => {
    const frame = event.senderFrame;
    if (!frame || frame !== event.sender.mainFrame || !isAppUrl(frame.url, rendererIndex)) return;
    sessionFor(event.sender)?.handle(msg);
  });

  return {
    trust(wc: WebContents) {
      const fresh = () =>
        new RpcSession(dispatcher, (msg) => {
          if (!wc.isDestroyed()) wc.send(CHANNEL, msg);
        });
      sessions.set(wc.id, fresh());
      // A reload starts a new page: the old page's subscriptions must not keep running.
      wc.on('did-start-navigation', (details) => {
        if (!details.isMainFrame || details.isSameDocument) return;
        sessions.get(wc.id)?.close();
        sessions.set(wc.id, fresh());
      });
      wc.once('destroyed', () => {
        sessions.get(wc.id)?.close();
        sessions.delete(wc.id);
      });
    },
  };
}
