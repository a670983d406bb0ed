import { formatBytes } from '../../../shared/format';
import type { LabErrorShape } from '../../../shared/errors';
import { UPLOAD_CHUNK_BYTES, UPLOAD_MAX_BYTES } from '../../../shared/remaster';

/**
 * A file dropped from the desktop, sent to the lab core. A browser page cannot name a file on
 * disk, so its bytes travel over the WebSocket with edit.upload, one chunk a call, in order.
 */

/** What an upload needs from the API (a function, so the loop can be tested without a core). */
export type UploadCall = (args: { upload?: string; offset: number; base64: string; done: boolean }) => Promise<{ upload: string; received: number }>;

export const UPLOAD_LIMIT_WORDS = `${formatBytes(UPLOAD_MAX_BYTES)} a file`;

export function tooBig(name: string, size: number): LabErrorShape | undefined {
  if (size <= UPLOAD_MAX_BYTES) return undefined;
  return {
    code: 'TOO_LARGE',
    message: `${name} is ${formatBytes(size)}: a dropped file can be ${formatBytes(UPLOAD_MAX_BYTES)} at most.`,
    hint: 'Pick it with “Add a file from this machine…” instead: the core then reads it from disk when the ISO is written, whatever its size.',
  };
}

/** Bytes → base64 in slices, since String.fromCharCode takes only so many arguments. */
export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Anything with a size and byte slices: a File, a Blob. */
export interface Source {
  size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/**
 * Sends `src` in chunks of UPLOAD_CHUNK_BYTES; `onProgress` gets the bytes the core has.
 * Resolves with the upload id for `{op: 'write', upload}`. `signal` stops between chunks.
 */
export async function sendUpload(src: Source, call: UploadCall, onProgress: (sent: number) => void, signal?: { cancelled: boolean }): Promise<string> {
  let upload: string | undefined;
  let offset = 0;
  do {
    if (signal?.cancelled) throw { code: 'CANCELLED', message: 'The upload was cancelled.' } satisfies LabErrorShape;
    const end = Math.min(src.size, offset + UPLOAD_CHUNK_BYTES);
    const bytes = new Uint8Array(await src.slice(offset, end).arrayBuffer());
    const done = end >= src.size;
    const res = await call({ ...(upload ? { upload } : {}), offset, base64: toBase64(bytes), done });
    upload = res.upload;
    offset = end;
    onProgress(res.received);
  } while (offset < src.size);
  return upload!;
}
