import { z } from 'zod';
import { HostPath, ImagePath } from './schemas';

/**
 * Remastering: changes to an ISO (and inside its initrd) written as a new bootable ISO without
 * a rebuild. Changes are addressed like Inspect's paths (/isolinux/isolinux.cfg,
 * /boot/initrd/etc/motd), kept as data in an *edit* tied to the input file, and applied in order
 * when the new ISO is written.
 */

/** Permission bits as a number (0o644) or an octal string ("644", "0755"). */
export const Mode = z.union([
  z.number().int().min(0).max(0o7777),
  z
    .string()
    .regex(/^0?[0-7]{3,4}$/, 'must be an octal mode such as 644 or 0755')
    .transform((s) => parseInt(s, 8)),
]);

/** What a request may ask for; the core turns text into a stored blob before keeping it. */
export const ChangeInput = z.discriminatedUnion('op', [
  /** A file with these contents (replaces a file, or adds one in an existing folder): `text`, or the bytes of an upload (edit.upload) … */
  z
    .object({
      op: z.literal('write'),
      path: ImagePath,
      text: z.string().max(16 << 20).optional(),
      upload: z.string().regex(/^[a-f0-9]{16}$/).optional(),
      mode: Mode.optional(),
    })
    .strict()
    .refine((c) => (c.text === undefined) !== (c.upload === undefined), 'give either text or upload'),
  /** … or of a file or folder tree on this machine, read when the ISO is written. */
  z.object({ op: z.literal('put'), path: ImagePath, host: HostPath }).strict(),
  z.object({ op: z.literal('mkdir'), path: ImagePath, mode: Mode.optional() }).strict(),
  z.object({ op: z.literal('symlink'), path: ImagePath, target: z.string().min(1).max(4095) }).strict(),
  /** Deletes a file, or a folder with everything in it. */
  z.object({ op: z.literal('rm'), path: ImagePath }).strict(),
  /** Moves within one level (the ISO, or one initrd). */
  z.object({ op: z.literal('rename'), path: ImagePath, to: ImagePath }).strict(),
  z.object({ op: z.literal('chmod'), path: ImagePath, mode: Mode }).strict(),
  z.object({ op: z.literal('chown'), path: ImagePath, uid: z.number().int().min(0).max(0xffffffff), gid: z.number().int().min(0).max(0xffffffff) }).strict(),
  /** The kernel command line of one boot entry (see edit.bootEntries: `id`). */
  z.object({ op: z.literal('cmdline'), entry: z.string().min(1).max(8192), cmdline: z.string().max(4096) }).strict(),
  /** Arguments added to every boot entry that lacks them. */
  z.object({ op: z.literal('cmdlineAdd'), args: z.string().min(1).max(4096) }).strict(),
]);
export type ChangeInput = z.input<typeof ChangeInput>;

/** A change as kept: file contents are blobs in the edit's folder. */
export const Change = z.discriminatedUnion('op', [
  z.object({ op: z.literal('write'), path: z.string(), blob: z.string(), size: z.number(), mode: z.number().optional() }),
  z.object({ op: z.literal('put'), path: z.string(), host: z.string() }),
  z.object({ op: z.literal('mkdir'), path: z.string(), mode: z.number().optional() }),
  z.object({ op: z.literal('symlink'), path: z.string(), target: z.string() }),
  z.object({ op: z.literal('rm'), path: z.string() }),
  z.object({ op: z.literal('rename'), path: z.string(), to: z.string() }),
  z.object({ op: z.literal('chmod'), path: z.string(), mode: z.number() }),
  z.object({ op: z.literal('chown'), path: z.string(), uid: z.number(), gid: z.number() }),
  z.object({ op: z.literal('cmdline'), entry: z.string(), cmdline: z.string() }),
  z.object({ op: z.literal('cmdlineAdd'), args: z.string() }),
]);
export type Change = z.infer<typeof Change>;

/** A change as listed: what it does, in a line, and where. */
export const ChangeView = z.object({
  index: z.number().int(),
  change: Change,
  /** `write /boot/initrd/etc/VERSION (12 B)`, `kernel args of "1": … → …`. */
  summary: z.string(),
  /** '' for the ISO itself, else the archive it lands in ('/boot/initrd'). */
  level: z.string(),
  /** The path it touches, for a change of one path (absent for cmdlineAdd). */
  path: z.string().optional(),
  /** True when the path existed in the input (a replace, not an add). */
  replaces: z.boolean().optional(),
});
export type ChangeView = z.infer<typeof ChangeView>;

/** What the input file was when the edit began; writing refuses when it no longer is. */
export const InputIdentity = z.object({ file: z.string(), size: z.number(), mtimeMs: z.number(), sha256: z.string() });
export type InputIdentity = z.infer<typeof InputIdentity>;

export const EditId = z.string().regex(/^[a-f0-9]{16}$/, 'must be an edit id from edit.open');

export const EditState = z.object({
  id: EditId,
  input: InputIdentity,
  changes: z.array(ChangeView),
  /** Set when the input no longer matches `input` (rebuilt or replaced): saving is refused. */
  stale: z.string().optional(),
  /** The archives with changes, and whether append is enough for them (else why repack is needed). */
  levels: z.array(z.object({ path: z.string(), format: z.string(), appendOk: z.boolean(), repackReason: z.string().optional() })),
  updatedAt: z.string(),
});
export type EditState = z.infer<typeof EditState>;

/** One boot entry of a bootloader config in the ISO (isolinux/syslinux `append`, GRUB `linux`). */
export const BootConfigEntry = z.object({
  /** Stable within the input: `<config file>#<line>` (1-based line of the kernel line). */
  id: z.string(),
  loader: z.enum(['syslinux', 'grub']),
  /** The config file, an image path. */
  config: z.string(),
  /** The entry's label or menuentry title. */
  label: z.string(),
  kernel: z.string().optional(),
  initrd: z.string().optional(),
  /** As the edit has it now … */
  cmdline: z.string(),
  /** … and as the input has it. */
  original: z.string(),
  /** What a console user should know: no console=ttyS0, loglevel=3 … */
  notes: z.array(z.string()),
});
export type BootConfigEntry = z.infer<typeof BootConfigEntry>;

export const WriteMode = z.enum(['auto', 'append', 'repack']);
export type WriteMode = z.infer<typeof WriteMode>;

export const SaveArgs = z
  .object({
    id: EditId,
    /** The new ISO; its folder must exist. Never the input. */
    out: HostPath,
    /** auto: append where it suffices, repack where a change needs it (deletes, renames). */
    mode: WriteMode.default('auto'),
    /** Replace `out` if it exists (the UI asks first). */
    overwrite: z.boolean().default(false),
  })
  .strict();
export type SaveArgs = z.input<typeof SaveArgs>;

export const RemasterLevelResult = z.object({
  path: z.string(),
  /** 'append' or 'repack'. */
  method: z.enum(['append', 'repack']),
  /** The archive format before and after, e.g. cpio+bzip2 → cpio+bzip2,cpio+bzip2 (append). */
  formatBefore: z.string(),
  formatAfter: z.string(),
  sizeBefore: z.number(),
  sizeAfter: z.number(),
  /** Entries written in the new segment (append) or in the whole archive (repack). */
  entries: z.number(),
});

export const RemasterResult = z.object({
  out: z.string(),
  size: z.number(),
  sha256: z.string(),
  changes: z.number(),
  levels: z.array(RemasterLevelResult),
  /** What the boot equipment replay kept: `El Torito BIOS (isolinux, boot info table)`, `EFI`, `MBR hybrid`. */
  boot: z.array(z.string()),
  /** Worth saying: `bzip2 has no encoder here: repacked with gzip`, … */
  notes: z.array(z.string()),
  seconds: z.number(),
});
export type RemasterResult = z.infer<typeof RemasterResult>;

export const RemasterProgress = z.object({
  type: z.literal('progress'),
  phase: z.enum(['checking', 'initrd', 'compressing', 'iso']),
  /** The level being written ('/boot/initrd'), or '' for the ISO. */
  level: z.string(),
  bytes: z.number(),
  total: z.number(),
  /** 0–100 over the whole write. */
  percent: z.number(),
});
export type RemasterProgress = z.infer<typeof RemasterProgress>;

export const RemasterEvent = z.discriminatedUnion('type', [RemasterProgress, z.object({ type: z.literal('result'), result: RemasterResult })]);
export type RemasterEvent = z.infer<typeof RemasterEvent>;

/** Bytes of one upload at most: the browser sends files over the WebSocket in chunks. */
export const UPLOAD_MAX_BYTES = 256 << 20;
/** Bytes of one upload chunk at most (base64 on the wire is a third more). */
export const UPLOAD_CHUNK_BYTES = 1 << 20;

const Id = z.object({ id: EditId }).strict();

export const remasterRequests = {
  /** The edit of this file: resumed when one is kept for it, else a new one (hashes the file once). */
  'edit.open': { args: z.object({ file: HostPath }).strict(), result: EditState },
  'edit.get': { args: Id, result: EditState },
  /** Checks the change against the image as edited so far (refuses with a reason) and keeps it. */
  'edit.apply': { args: z.object({ id: EditId, change: ChangeInput }).strict(), result: EditState },
  /** Takes back change `index`; refused when a later change needs it. */
  'edit.undo': { args: z.object({ id: EditId, index: z.number().int().min(0) }).strict(), result: EditState },
  /** Drops every change and the edit's stored files. */
  'edit.discard': { args: Id, result: EditState },
  /**
   * Bytes of a file the user dropped, in order; the first call has no `upload` and gets one.
   * `done` ends it. At most UPLOAD_MAX_BYTES, UPLOAD_CHUNK_BYTES a call.
   */
  'edit.upload': {
    args: z
      .object({
        id: EditId,
        upload: z.string().regex(/^[a-f0-9]{16}$/).optional(),
        offset: z.number().int().min(0),
        base64: z.string().max(Math.ceil(UPLOAD_CHUNK_BYTES / 3) * 4 + 4),
        done: z.boolean().default(false),
      })
      .strict(),
    result: z.object({ upload: z.string(), received: z.number() }),
  },
  /** A file as the edit has it now (changed or not), at most 4 MiB. */
  'edit.read': {
    args: z.object({ id: EditId, path: ImagePath }).strict(),
    result: z.object({ path: z.string(), size: z.number(), changed: z.boolean(), base64: z.string(), truncated: z.boolean() }),
  },
  /** The boot entries of the ISO's isolinux/syslinux and GRUB configs, as edited. */
  'edit.bootEntries': { args: Id, result: z.array(BootConfigEntry) },
} as const;

export const remasterEvents = {
  /** Writes the new ISO: progress, then one `result`, then the end; unsubscribing cancels (nothing is left behind). */
  'edit.save': { kind: 'json', args: SaveArgs, data: RemasterEvent },
} as const;
