import type { BuildRecord } from '../../../../shared/build';

/**
 * What became of the builder image in a build, from its record: reused, built, or (for a
 * build that ended in the image phase) failed or cancelled, never "built" when it was not.
 */
export type BuilderImageState = 'reused' | 'built' | 'failed' | 'cancelled' | 'building' | 'not started';

/** Whether the image phase was over: the image was there (an id) or the build container ran. */
export function imageReady(r: BuildRecord | undefined): boolean {
  return !!r && (r.imageId !== undefined || r.phaseTimes?.image !== undefined || r.exitCode !== undefined);
}

export function builderImageState(r: BuildRecord): BuilderImageState {
  if (r.imageReused === true) return 'reused';
  if (imageReady(r)) return 'built';
  if (r.phase === 'failed') return 'failed';
  if (r.phase === 'cancelled') return 'cancelled';
  if (r.phase === 'image') return 'building';
  if (r.phase === 'done') return 'built';
  return 'not started';
}

export const IMAGE_STATE_WORDS: Record<BuilderImageState, string> = {
  reused: 'reused',
  built: 'built',
  failed: 'failed: not built',
  cancelled: 'cancelled: not built',
  building: 'building',
  'not started': 'not started',
};
