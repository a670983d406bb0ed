import { z } from 'zod';
import { InImage, None } from './schemas';

/**
 * A shell in the root filesystem of an initrd (the seed's `sudo chroot`, without sudo): the
 * archive's tree is imported into Docker as an image (once per content) and a container runs
 * its /bin/sh with a TTY. The container lives exactly as long as its `shell.output` stream.
 */

export const ShellId = z.string().regex(/^[a-f0-9]{12}$/, 'must be a shell id from shell.open');

export const ShellOpened = z.object({
  shellId: ShellId,
  /** The Docker image holding the rootfs, e.g. isolab-rootfs:3f9c…; shared by every shell on the same bytes. */
  image: z.string(),
  /** false: an image of these exact bytes was already in the engine and is reused. */
  imported: z.boolean(),
  /** The archive whose tree it is, as a path in the image ('/' when the image file is the archive). */
  rootfs: z.string(),
  /** The shell it runs, as found in the rootfs (/bin/sh) … */
  shell: z.string(),
  /** … and the file that is, symlinks followed (/bin/busybox). */
  shellTarget: z.string(),
  /** Entries and bytes of file data sent to Docker (0 when reused). */
  entries: z.number().int(),
  bytes: z.number(),
  /** The engine, as `isolab doctor` names it. */
  endpoint: z.string(),
  /** Worth saying before the prompt, e.g. the rootfs is for another CPU than the engine's. */
  warnings: z.array(z.string()),
});
export type ShellOpened = z.infer<typeof ShellOpened>;

const ShellArgs = z.object({ shellId: ShellId }).strict();

/** While a shell opens: hashing the initrd (once per file), importing its tree into Docker (once per content), creating the container. */
export const ShellProgress = z.object({
  type: z.literal('progress'),
  phase: z.enum(['hashing', 'importing', 'creating']),
  bytes: z.number(),
  /** Bytes expected (importing: about the archive's unpacked size); 0 when unknown. */
  total: z.number(),
  entries: z.number().optional(),
});
export type ShellProgress = z.infer<typeof ShellProgress>;

export const ShellPrepareEvent = z.discriminatedUnion('type', [ShellProgress, z.object({ type: z.literal('opened'), opened: ShellOpened })]);
export type ShellPrepareEvent = z.infer<typeof ShellPrepareEvent>;

export const shellRequests = {
  /**
   * Finds the rootfs's shell (/bin/sh, else /bin/bash: SHELL_NOT_FOUND when neither), imports
   * the tree unless its image is there, and creates the container. It starts once `shell.output`
   * is subscribed; nobody subscribing within a minute removes it.
   */
  'shell.open': { args: z.object(InImage).strict(), result: ShellOpened },
  /** Keystrokes for the TTY (UTF-8). */
  'shell.input': { args: z.object({ shellId: ShellId, data: z.string().max(65536) }).strict(), result: None },
  'shell.resize': {
    args: z.object({ shellId: ShellId, cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(1000) }).strict(),
    result: None,
  },
  /** Removes the container; resolves once it is gone. */
  'shell.close': { args: ShellArgs, result: None },
} as const;

export const shellEvents = {
  /** shell.open with progress: `progress` events, then one `opened`, then the end; unsubscribing cancels. */
  'shell.prepare': { kind: 'json', args: z.object(InImage).strict(), data: ShellPrepareEvent },
  /**
   * A line about what runs where, then the TTY's output. Ends when the shell exits (with a line
   * saying so) or the shell is closed; unsubscribing removes the container.
   */
  'shell.output': { kind: 'text', args: ShellArgs, data: z.string() },
} as const;
