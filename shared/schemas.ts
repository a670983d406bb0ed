import { z } from 'zod';

/** Schemas the contract's feature files share. */

export const None = z.object({}).strict().default({});
/** A file on the machine running the lab core; absolute, since the core has no notion of a cwd the UI shares. */
export const HostPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path');
/** A path inside an image, through archives: /boot/initrd/etc. */
export const ImagePath = z.string().min(1).max(8192).startsWith('/');
export const InImage = { file: HostPath, path: ImagePath };
