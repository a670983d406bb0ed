import { LabError } from '../../../shared/errors';

/** Where in the archive something went wrong, for messages a person can act on. */
export interface Where {
  /** 1-based segment number; 0 while looking for one. */
  segment: number;
  compression: string;
  /** Offset in the segment's decompressed stream (or in the source for uncompressed ones). */
  offset: number;
}

export const hex = (n: number): string => `0x${n.toString(16)}`;

export function badArchive(message: string, hint = 'The archive is truncated or corrupt; rebuild it or check the download.'): LabError {
  return new LabError('BAD_ARCHIVE', message, hint);
}

export function at(where: Where): string {
  return `offset ${hex(where.offset)} of segment ${where.segment} (${where.compression})`;
}

export function cancelled(): LabError {
  return new LabError('CANCELLED', 'Indexing the archive was cancelled.');
}

export function isLabError(err: unknown): err is LabError {
  return err instanceof LabError || (err instanceof Error && err.name === 'LabError' && typeof (err as LabError).code === 'string');
}
