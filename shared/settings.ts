import { z } from 'zod';

// Every field has a default so that an old or partial file still loads.
export const Settings = z.object({
  docker: z
    .object({
      /** Overrides every other source when set, e.g. unix:///run/user/1000/docker.sock */
      host: z.string().min(1).optional(),
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
});
export type Settings = z.infer<typeof Settings>;

export const SettingsPatch = z.object({
  docker: z.object({ host: z.string().min(1).nullable().optional() }).optional(),
  vm: Settings.shape.vm.unwrap().partial().optional(),
  ui: Settings.shape.ui.unwrap().partial().optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const RecentItem = z.object({
  kind: z.enum(['iso', 'checkout', 'initrd']),
  path: z.string().min(1),
  openedAt: z.string(),
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
