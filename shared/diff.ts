import { z } from 'zod';
import { EntryType, EntryView } from './image';
import { HostPath } from './schemas';

/**
 * Comparing two images (ISOs or bare initrds): what was added, removed and changed in the
 * image and inside the archives both sides hold at the same path (the initrd). Directional:
 * `a` is "before", `b` is "after".
 */

export const DiffKind = z.enum(['added', 'removed', 'changed']);
export type DiffKind = z.infer<typeof DiffKind>;

export const DiffField = z.enum(['type', 'size', 'mode', 'uid', 'gid', 'target', 'rdev', 'sha256', 'archive', 'mtime']);
export type DiffField = z.infer<typeof DiffField>;

/** One field that differs. Modes are octal strings ("0644"), device numbers "5,1", mtimes ISO 8601. */
export const FieldChange = z.object({
  field: DiffField,
  before: z.union([z.string(), z.number()]).nullable(),
  after: z.union([z.string(), z.number()]).nullable(),
});
export type FieldChange = z.infer<typeof FieldChange>;

/** An entry as one side has it; `path` is that side's own path (they differ only when an ISO is compared with a bare initrd). */
export const DiffEntry = EntryView.pick({ path: true, type: true, size: true, mode: true, uid: true, gid: true, mtime: true, target: true, rdev: true, archive: true }).extend({
  /** Hashed when the comparison needed it or the file was small. */
  sha256: z.string().optional(),
});
export type DiffEntry = z.infer<typeof DiffEntry>;

export const DiffChange = z.object({
  /** Through archives, as Inspect shows it: /boot/initrd/etc/VERSION. */
  path: z.string(),
  /** The level it belongs to: '/' for the image itself, '/boot/initrd' for inside that archive. */
  level: z.string(),
  kind: DiffKind,
  type: EntryType,
  /** Empty for added and removed entries. */
  fields: z.array(FieldChange),
  a: DiffEntry.optional(),
  b: DiffEntry.optional(),
  /**
   * A changed archive whose contents are compared at a level of their own, with changes there:
   * a container of changes, not one more changed file (the summary does not count it).
   */
  container: z.boolean().optional(),
});
export type DiffChange = z.infer<typeof DiffChange>;

export const LevelSide = z.object({
  /** Where this level is on that side: '/' or the archive's path. */
  root: z.string(),
  /** 'iso9660', or the archive format (cpio+bzip2…). */
  format: z.string(),
  entries: z.number(),
  /** Regular-file bytes at this level (each hardlinked file once). */
  bytes: z.number(),
});

export const DiffCounts = z.object({
  added: z.number(),
  removed: z.number(),
  changed: z.number(),
  /** Entries whose only difference is their mtime: not changes unless asked for (`mtime: true`). */
  mtimeOnly: z.number(),
});

export const DiffLevel = DiffCounts.extend({
  path: z.string(),
  /** Of `changed`, the archives whose contents differ, listed as a level below (containers, not files the summary counts). */
  containers: z.number(),
  a: LevelSide,
  b: LevelSide,
  unchanged: z.number(),
  bytesAdded: z.number(),
  bytesRemoved: z.number(),
  /** Size after of the files whose content changed. */
  bytesChanged: z.number(),
});
export type DiffLevel = z.infer<typeof DiffLevel>;

export const DiffImageSide = z.object({
  file: z.string(),
  name: z.string(),
  size: z.number(),
  kind: z.enum(['iso', 'archive']),
  format: z.string(),
});

export const DiffResult = z.object({
  a: DiffImageSide,
  b: DiffImageSide,
  options: z.object({ mtime: z.boolean() }),
  /**
   * Over every level, counting files: `changed` leaves out the archives that only hold the
   * changes (one edit inside the initrd is 1 changed, in 1 container); `containers` counts those.
   */
  summary: DiffCounts.extend({ containers: z.number(), identical: z.boolean(), filesHashed: z.number(), bytesHashed: z.number() }),
  /** The image first, then each archive compared inside it. */
  levels: z.array(DiffLevel),
  /** By level, then by path. */
  changes: z.array(DiffChange),
  /** Set when the list was cut at `maxChanges` (the counts are still complete). */
  truncated: z.boolean().optional(),
  /** What could not be compared (an archive that did not open), and the ISO/initrd pairing note. */
  warnings: z.array(z.string()),
});
export type DiffResult = z.infer<typeof DiffResult>;

export const DiffProgress = z.object({
  type: z.literal('progress'),
  phase: z.enum(['listing', 'indexing', 'hashing']),
  /** The level being worked on. */
  level: z.string(),
  filesHashed: z.number(),
  bytesHashed: z.number(),
  /** Where `bytesHashed` will be when this level's hashing is done. */
  bytesToHash: z.number().optional(),
  /** While indexing: compressed bytes read of the archive. */
  indexBytes: z.number().optional(),
  indexTotal: z.number().optional(),
  current: z.string().optional(),
});
export type DiffProgress = z.infer<typeof DiffProgress>;

export const DiffEvent = z.discriminatedUnion('type', [DiffProgress, z.object({ type: z.literal('result'), result: DiffResult })]);
export type DiffEvent = z.infer<typeof DiffEvent>;

export const DiffArgs = z
  .object({
    a: HostPath,
    b: HostPath,
    /** Count mtime differences as changes. */
    mtime: z.boolean().default(false),
    maxChanges: z.number().int().min(1).max(1_000_000).default(100_000),
  })
  .strict();
export type DiffArgs = z.input<typeof DiffArgs>;

export const diffRequests = {} as const;

export const diffEvents = {
  /** Progress while listing, indexing and hashing, then one `result`, then the end; unsubscribing cancels. */
  'image.diff': { kind: 'json', args: DiffArgs, data: DiffEvent },
} as const;
