import type {
  EventChannel,
  EventParsedArgs,
  RequestChannel,
  RequestParsedArgs,
  RequestResult,
} from '../../../shared/contract';
import type { BuildManager } from '../build/build-manager';
import type { ImageRegistry } from '../image/registry';
import type { LabPaths } from '../paths';
import type { EditManager } from '../remaster/edit-manager';
import type { SettingsStore } from '../settings/store';
import type { ShellManager } from '../shell/shell-manager';
import type { VmManager } from '../vm/vm-manager';

/** What every handler may use; built once per process (Electron main, CLI or serve). */
export interface LabContext {
  version: string;
  paths: LabPaths;
  settings: SettingsStore;
  images: ImageRegistry;
  /** Build jobs; they belong to the process, not to the window or socket that started them. */
  builds: BuildManager;
  /** VMs; like builds they belong to the process (and may outlive it when the user keeps them running). */
  vms: VmManager;
  /** Rootfs shells: containers that live as long as their output stream, removed on dispose. */
  shells: ShellManager;
  /** ISO edits (remaster): kept in the data folder, shared by every window and tab. */
  edits: EditManager;
  env: NodeJS.ProcessEnv;
}

export type RequestHandler<C extends RequestChannel> = (
  args: RequestParsedArgs<C>,
  ctx: LabContext,
) => Promise<RequestResult<C>>;

/**
 * A stream handler emits until `signal` aborts (the subscriber left) or it returns (the
 * stream ended by itself). Throwing ends the stream with that error.
 */
export type EventHandler<C extends EventChannel> = (
  args: EventParsedArgs<C>,
  emit: (data: unknown) => void,
  signal: AbortSignal,
  ctx: LabContext,
) => Promise<void>;

export type RequestHandlers = { [C in RequestChannel]: RequestHandler<C> };
export type EventHandlers = { [C in EventChannel]: EventHandler<C> };

/** The handlers of one feature's channels (a feature file of shared/ spreads into the contract). */
export type RequestHandlersOf<T> = { [C in keyof T & RequestChannel]: RequestHandler<C> };
export type EventHandlersOf<T> = { [C in keyof T & EventChannel]: EventHandler<C> };
