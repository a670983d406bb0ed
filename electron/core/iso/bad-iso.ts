import { LabError } from '../../../shared/errors';

const HINT =
  'The image is truncated or corrupt. Compare its size and checksum with where it came from, or rebuild it; `xorriso -indev IMAGE -check_media --` shows unreadable areas.';

/** Offsets go into messages in hex, as hexdump and xorriso reports show them. */
export const hex = (n: number): string => `0x${n.toString(16)}`;

/** Every structural problem in an image is one of these, saying what was expected where. */
export function badIso(description: string, message: string, hint = HINT): LabError {
  return new LabError('BAD_ISO', `${description}: ${message}`, hint);
}
