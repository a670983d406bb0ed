import { z } from 'zod';

/** The guided tour's steps, in order. */
export const TourStep = z.enum(['build', 'inspect', 'boot', 'console', 'minikube']);
export type TourStep = z.infer<typeof TourStep>;

/**
 * Where the guided tour is, so that leaving it (or quitting) and coming back resumes there.
 * `path`: none until the first choice; the sample project, or an ISO the user already has.
 */
export const TourSettings = z.object({
  active: z.boolean().default(false),
  path: z.enum(['none', 'sample', 'own']).default('none'),
  step: TourStep.default('build'),
  collapsed: z.boolean().default(false),
  /** Steps seen complete; kept, since what showed it (a build, a VM) may be gone later. */
  done: z.array(TourStep).max(5).default([]),
  /** The sample's checkout once created (sample path). */
  checkout: z.string().max(4096).default(''),
  /** The ISO the tour follows: the sample's build output, or the user's own. */
  iso: z.string().max(4096).default(''),
});
export type TourSettings = z.infer<typeof TourSettings>;
export const TOUR_DEFAULTS: TourSettings = TourSettings.parse({});

// Every field has a default so that an old or partial file still loads.
export const Settings = z.object({
  docker: z
    .object({
      /** Overrides every other source when set, e.g. unix:///run/user/1000/docker.sock */
      host: z.string().min(1).max(4096).optional(),
    })
    .default({}),
  vm: z
    .object({
      driver: z.enum(['qemu', 'virtualbox']).default('qemu'),
      cpus: z.number().int().min(1).max(64).default(2),
      memoryMb: z.number().int().min(128).max(262144).default(2000),
      diskMb: z.number().int().min(64).max(4194304).default(20000),
    })
    .default({ driver: 'qemu', cpus: 2, memoryMb: 2000, diskMb: 20000 }),
  ui: z
    .object({
      theme: z.enum(['system', 'dark', 'light']).default('system'),
      presenter: z.boolean().default(false),
      statusRefreshSeconds: z.number().int().min(1).max(3600).default(5),
    })
    .default({ theme: 'system', presenter: false, statusRefreshSeconds: 5 }),
  // A tour section this version cannot read (another version's steps) restarts the tour, not every setting.
  tour: TourSettings.default(TOUR_DEFAULTS).catch(TOUR_DEFAULTS),
});
export type Settings = z.infer<typeof Settings>;

type Undefaulted<S extends z.ZodRawShape> = { [K in keyof S]: S[K] extends z.ZodDefault<infer T extends z.ZodType> ? T : S[K] };

/**
 * A section's fields without their defaults: zod fills a default into a missing optional
 * field, which would turn the patch `{ui: {presenter: true}}` into one resetting the theme.
 */
function undefaulted<S extends z.ZodRawShape>(section: z.ZodObject<S>): z.ZodObject<Undefaulted<S>> {
  const shape = Object.fromEntries(Object.entries(section.shape).map(([k, v]) => [k, v instanceof z.ZodDefault ? v.unwrap() : v]));
  return z.object(shape) as unknown as z.ZodObject<Undefaulted<S>>;
}

export const SettingsPatch = z.object({
  docker: z.object({ host: z.string().min(1).max(4096).nullable().optional() }).optional(),
  vm: undefaulted(Settings.shape.vm.unwrap()).partial().optional(),
  ui: undefaulted(Settings.shape.ui.unwrap()).partial().optional(),
  tour: undefaulted(TourSettings).partial().optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const RecentItem = z.object({
  kind: z.enum(['iso', 'checkout', 'initrd']),
  path: z.string().min(1).max(4096),
  openedAt: z.string().max(64),
});
export type RecentItem = z.infer<typeof RecentItem>;

export const StoreWarning = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
});
export type StoreWarning = z.infer<typeof StoreWarning>;

export const SettingsState = z.object({
  settings: Settings,
  configDir: z.string(),
  warnings: z.array(StoreWarning),
});
export type SettingsState = z.infer<typeof SettingsState>;

/** What ISO Lab keeps on this machine, each listed with its size in Settings → Storage and cleared on its own. */
export const StorageKind = z.enum(['indexCache', 'rootfsImages', 'vmDisks', 'buildLogs', 'remasterEdits']);
export type StorageKind = z.infer<typeof StorageKind>;

export const StorageItem = z.object({
  kind: StorageKind,
  label: z.string(),
  /** A folder, or the Docker engine's endpoint and the label filter. */
  location: z.string(),
  /** Bytes taken on disk (allocated blocks; an image's size for Docker). */
  bytes: z.number(),
  /** Files, images, VMs, builds or edits. */
  count: z.number(),
  /** Why Clear is refused now (a running VM or build uses it), if it is. */
  inUse: z.string().optional(),
  /** The size could not be found (e.g. Docker not answering). */
  error: z.string().optional(),
});
export type StorageItem = z.infer<typeof StorageItem>;

export const storageRequests = {
  'storage.usage': { args: z.object({}).strict().default({}), result: z.object({ items: z.array(StorageItem) }) },
  /** Refuses (LabError STORAGE_IN_USE, with the reason) when a running VM or build uses it. */
  'storage.clear': { args: z.object({ kind: StorageKind }).strict(), result: z.object({ freed: z.number(), item: StorageItem }) },
} as const;
