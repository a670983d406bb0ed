import { z } from 'zod';

export const EntryType = z.enum(['file', 'dir', 'symlink', 'char', 'block', 'fifo', 'socket']);
export type EntryType = z.infer<typeof EntryType>;

/** One node as the UI and `isolab ls --json` show it. `path` is absolute within the image and
 * runs through archive files: /boot/initrd/etc/VERSION. */
export const EntryView = z.object({
  path: z.string(),
  name: z.string(),
  type: EntryType,
  size: z.number(),
  /** Permission bits (mode & 0o7777). */
  mode: z.number(),
  /** `-rwxr-xr-x`, as ls -l prints it. */
  modeString: z.string(),
  uid: z.number(),
  gid: z.number(),
  mtime: z.string().optional(),
  target: z.string().optional(),
  rdev: z.object({ major: z.number(), minor: z.number() }).optional(),
  linkOf: z.string().optional(),
  /** Detected archive format when this file opens as a folder: cpio+gzip, cpio,cpio+gzip … */
  archive: z.string().optional(),
  /** Byte offset of the data in its container (the ISO, or the archive's decompressed data). */
  offset: z.number().optional(),
  /** The archive files this entry lies inside, outermost first (empty at the ISO level). */
  inside: z.array(z.string()).optional(),
});
export type EntryView = z.infer<typeof EntryView>;

export const KernelCard = z.object({
  version: z.string().optional(),
  bootProtocol: z.string(),
  setupSectors: z.number(),
  protectedModeSize: z.number().optional(),
  payloadCompression: z.string().optional(),
  relocatable: z.boolean().optional(),
  kernelAlignment: z.number().optional(),
  preferredAddress: z.string().optional(),
  initrdAddrMax: z.string().optional(),
  xloadflags: z.array(z.string()).optional(),
  cmdlineMax: z.number().optional(),
  handoverOffset: z.number().optional(),
});
export type KernelCard = z.infer<typeof KernelCard>;

export const BootEntry = z.object({
  platform: z.string(),
  bootable: z.boolean(),
  emulation: z.string(),
  loadSegment: z.number(),
  sectorCount: z.number(),
  lba: z.number(),
  file: z.string().optional(),
  kind: z.string(),
});

export const BootCatalog = z.object({
  catalogLba: z.number(),
  catalogFile: z.string().optional(),
  validation: z.object({ platform: z.string(), idString: z.string(), checksumOk: z.boolean() }),
  entries: z.array(BootEntry),
  bootInfoTable: z.boolean().optional(),
});
export type BootCatalog = z.infer<typeof BootCatalog>;

export const ArchiveSegment = z.object({
  offset: z.number(),
  compression: z.string(),
  format: z.string(),
  entries: z.number(),
  compressedSize: z.number(),
  uncompressedSize: z.number(),
});

export const ArchiveSummary = z.object({
  path: z.string(),
  format: z.string(),
  entryCount: z.number(),
  segments: z.array(ArchiveSegment),
  warnings: z.array(z.string()),
});
export type ArchiveSummary = z.infer<typeof ArchiveSummary>;

export const ImageInfo = z.object({
  file: z.string(),
  name: z.string(),
  size: z.number(),
  kind: z.enum(['iso', 'archive']),
  format: z.string(),
  iso: z
    .object({
      volume: z.object({
        systemId: z.string(),
        volumeId: z.string(),
        volumeSetId: z.string().optional(),
        publisherId: z.string().optional(),
        preparerId: z.string().optional(),
        applicationId: z.string().optional(),
        blockSize: z.number(),
        volumeBlocks: z.number(),
        sizeBytes: z.number(),
        created: z.string().optional(),
        modified: z.string().optional(),
      }),
      rockRidge: z.boolean(),
      joliet: z.boolean(),
      tree: z.string(),
      elTorito: BootCatalog.optional(),
      hybrid: z
        .object({
          mbr: z.boolean(),
          gpt: z.boolean(),
          partitions: z.array(
            z.object({ index: z.number(), scheme: z.enum(['mbr', 'gpt']).optional(), type: z.string(), startLba: z.number(), sectors: z.number(), bootable: z.boolean().optional(), name: z.string().optional() }),
          ),
        })
        .optional(),
    })
    .optional(),
  /** The kernel found at the usual places (boot/bzImage, boot/vmlinuz…), when there is one. */
  kernel: z.object({ path: z.string(), card: KernelCard }).optional(),
  /** Archives found at the usual initrd places, without indexing them. */
  initrds: z.array(z.object({ path: z.string(), format: z.string(), size: z.number() })),
  /** Filled when an archive was indexed (the CLI's `info` indexes the initrd). */
  archives: z.array(ArchiveSummary).optional(),
});
export type ImageInfo = z.infer<typeof ImageInfo>;

export const IndexProgress = z.object({
  phase: z.enum(['indexing', 'done']),
  path: z.string(),
  bytesIn: z.number(),
  totalIn: z.number(),
  bytesOut: z.number(),
  entries: z.number(),
  fromCache: z.boolean().optional(),
  summary: ArchiveSummary.optional(),
});
export type IndexProgress = z.infer<typeof IndexProgress>;

export const ExtractProgress = z.object({
  phase: z.enum(['extracting', 'done']),
  files: z.number(),
  bytes: z.number(),
  totalFiles: z.number().optional(),
  totalBytes: z.number().optional(),
  current: z.string().optional(),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })).optional(),
  dest: z.string(),
});
export type ExtractProgress = z.infer<typeof ExtractProgress>;

export const HostEntry = z.object({
  name: z.string(),
  path: z.string(),
  type: z.enum(['dir', 'file', 'other']),
  size: z.number(),
  mtime: z.string().optional(),
  /** A file ISO Lab can open (by its first bytes). */
  openable: z.boolean().optional(),
});
export type HostEntry = z.infer<typeof HostEntry>;
