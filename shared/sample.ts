import { z } from 'zod';
import { HostPath, None } from './schemas';

/**
 * The sample project ("Hello ISO"): a small checkout shipped with the app that builds a
 * bootable ISO with minikube's layout in minutes, through the same Docker path as minikube.
 */

export const SampleInfo = z.object({
  name: z.string(),
  description: z.string(),
  /** Where the shipped copy lives (read-only in a packaged app). */
  source: z.string(),
  /** The files people are invited to change, relative to the checkout. */
  editable: z.array(z.string()),
});
export type SampleInfo = z.infer<typeof SampleInfo>;

export const SampleCreateArgs = z
  .object({
    /** A folder that does not exist yet, or an empty one; the sample is copied into it. */
    dest: HostPath,
  })
  .strict();

export const SampleCreated = z.object({ checkout: z.string(), files: z.number().int() });
export type SampleCreated = z.infer<typeof SampleCreated>;

export const sampleRequests = {
  'sample.info': { args: None, result: SampleInfo },
  /** Copies the sample into `dest` (refuses a non-empty folder); build it with recipe `auto`. */
  'sample.create': { args: SampleCreateArgs, result: SampleCreated },
} as const;
