import { z } from 'zod';
import { InImage } from './schemas';

/**
 * The size map: what takes the room in a folder of an image (the picture buildroot's
 * `graph-size` gives), as a tree of sizes cut to a few levels, small enough to send for a
 * rootfs of 100,000 entries.
 */

/** `rest` stands for the children too small to draw, merged into one node. */
export const SizeNodeKind = z.enum(['dir', 'file', 'archive', 'symlink', 'other', 'rest']);
export type SizeNodeKind = z.infer<typeof SizeNodeKind>;

export interface SizeNode {
  name: string;
  /** Image path (through archives); for `rest`, the folder whose children it merges. */
  path: string;
  /**
   * Bytes below: regular files (each hardlinked inode once, where `du` first meets it) and
   * symlinks (their target's length, as `du --apparent-size` counts them). An archive counts
   * by its stored size; what it unpacks to is its own size map.
   */
  size: number;
  /** Entries below that are not folders (for a file: 1; for `rest`: what it merged). */
  files: number;
  kind: SizeNodeKind;
  /** The archive's format, when `kind` is `archive`: it opens as a folder. */
  archive?: string;
  /** Largest first. Absent below the requested depth (see `more`) and for non-folders. */
  children?: SizeNode[];
  /** A folder cut off by the depth: it has children that were not sent. */
  more?: boolean;
  /** For `rest`: how many items it merges. */
  count?: number;
}

export const SizeNodeSchema: z.ZodType<SizeNode> = z.lazy(() =>
  z.object({
    name: z.string(),
    path: z.string(),
    size: z.number(),
    files: z.number(),
    kind: SizeNodeKind,
    archive: z.string().optional(),
    children: z.array(SizeNodeSchema).optional(),
    more: z.boolean().optional(),
    count: z.number().optional(),
  }),
);

export const SizeMapArgs = z
  .object({
    ...InImage,
    /** Levels of children to send below `path` (1: its children only). */
    depth: z.number().int().min(1).max(8).default(3),
    /** Children smaller than this share of `path`'s size are merged into one `rest` node. */
    minFraction: z.number().min(0).max(0.5).default(0.001),
  })
  .strict();

export const SizeMapResult = z.object({
  root: SizeNodeSchema,
  /** Entries walked to add the sizes up. */
  entries: z.number(),
});
export type SizeMapResult = z.infer<typeof SizeMapResult>;

export const sizeMapRequests = {
  /**
   * The size tree of a folder, of the image root, or of an archive (which is indexed first
   * when it is not yet: subscribe to `image.index` before, for progress). A file that is not
   * an archive gives NOT_A_DIRECTORY.
   */
  'image.sizeMap': { args: SizeMapArgs, result: SizeMapResult },
} as const;
