import os from 'node:os';
import path from 'node:path';

/**
 * Where ISO Lab keeps its files. The Electron app, the CLI and `serve` all use these, so a
 * VM created from the app shows up in `isolab vm ls` and settings are shared.
 *
 * ISOLAB_HOME puts everything under one folder (tests, portable installs); otherwise the
 * XDG base directories on Linux and the platform's usual places elsewhere.
 */
export interface LabPaths {
  configDir: string;
  dataDir: string;
  cacheDir: string;
}

export function labPaths(env: NodeJS.ProcessEnv = process.env, platform = process.platform): LabPaths {
  const home = env.ISOLAB_HOME;
  if (home) {
    return { configDir: path.join(home, 'config'), dataDir: path.join(home, 'data'), cacheDir: path.join(home, 'cache') };
  }
  const userHome = env.HOME || os.homedir();
  if (platform === 'darwin') {
    const base = path.join(userHome, 'Library', 'Application Support', 'isolab');
    return { configDir: base, dataDir: base, cacheDir: path.join(userHome, 'Library', 'Caches', 'isolab') };
  }
  if (platform === 'win32') {
    const appData = env.APPDATA || path.join(userHome, 'AppData', 'Roaming');
    const local = env.LOCALAPPDATA || path.join(userHome, 'AppData', 'Local');
    return { configDir: path.join(appData, 'isolab'), dataDir: path.join(local, 'isolab'), cacheDir: path.join(local, 'isolab', 'cache') };
  }
  return {
    configDir: path.join(env.XDG_CONFIG_HOME || path.join(userHome, '.config'), 'isolab'),
    dataDir: path.join(env.XDG_DATA_HOME || path.join(userHome, '.local', 'share'), 'isolab'),
    cacheDir: path.join(env.XDG_CACHE_HOME || path.join(userHome, '.cache'), 'isolab'),
  };
}
