import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { ServerMessage } from '../../shared/api';
import { RpcClient, type RawStreamHandlers } from '../../shared/rpc-client';

// Must match electron/main/ipc.ts; not imported, so the sandboxed preload stays tiny.
const CHANNEL = 'isolab:rpc';

const client = new RpcClient((msg) => ipcRenderer.send(CHANNEL, msg));
ipcRenderer.on(CHANNEL, (_event, msg: ServerMessage) => client.receive(msg));

/**
 * The whole surface the page gets: the contract's two functions, plus the one thing only
 * Electron knows (the path of a file dropped on the window); no ipcRenderer. Arguments are
 * checked again in the main process against the contract's schemas.
 */
contextBridge.exposeInMainWorld('isolab', {
  request: (channel: string, args?: unknown) => client.request(String(channel), args),
  pathForFile: (file: File) => webUtils.getPathForFile(file) || undefined,
  subscribe: (channel: string, args: unknown, handlers: RawStreamHandlers) => {
    const onData = handlers.onData;
    const onEnd = handlers.onEnd;
    return client.subscribe(String(channel), args, {
      onData: (batch) => onData(batch),
      onEnd: (error) => onEnd?.(error),
    });
  },
});
