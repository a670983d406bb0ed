import { BuildManager } from './build/build-manager';
import { eventHandlers, requestHandlers } from './handlers';
import { ImageRegistry } from './image/registry';
import { labPaths, type LabPaths } from './paths';
import { EditManager } from './remaster/edit-manager';
import { Dispatcher } from './rpc/dispatcher';
import { SettingsStore } from './settings/store';
import { ShellManager } from './shell/shell-manager';
import { VmManager } from './vm/vm-manager';

export const VERSION: string = typeof __ISOLAB_VERSION__ === 'string' ? __ISOLAB_VERSION__ : '0.0.0-dev';

/** Builds the lab core for one process; the Electron main, the CLI and `serve` all call this. */
export function createLab(
  opts: {
    env?: NodeJS.ProcessEnv;
    paths?: LabPaths;
    /** false: never take over the console of a running VM (the CLI's one-shot commands). */
    adoptVms?: boolean;
  } = {},
): Dispatcher {
  const env = opts.env ?? process.env;
  const paths = opts.paths ?? labPaths(env);
  const settings = new SettingsStore(paths.configDir);
  const images = new ImageRegistry(paths.cacheDir);
  const dockerHost = async () => (await settings.get()).docker.host;
  return new Dispatcher(requestHandlers, eventHandlers, {
    version: VERSION,
    paths,
    settings,
    images,
    builds: new BuildManager({ paths, env, dockerHost }),
    vms: new VmManager({ paths, env, defaults: async () => (await settings.get()).vm, adopt: opts.adoptVms !== false }),
    shells: new ShellManager({ images, env, dockerHost, cacheDir: paths.cacheDir }),
    edits: new EditManager({ dataDir: paths.dataDir, images, env }),
    env,
  });
}
