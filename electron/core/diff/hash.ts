import { createHash } from 'node:crypto';
import { LabError } from '../../../shared/errors';
import type { ByteSource } from '../image/byte-source';
import { cancelledDiff } from './walk';

/** Below this, one read beats setting up a stream (an initrd holds thousands of small files). */
const ONE_READ = 1 << 20;

/** sha256 of a file's bytes, streamed; `onBytes` gets each chunk's length for progress. */
export async function sha256Of(src: ByteSource, opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<string> {
  const hash = createHash('sha256');
  let n = 0;
  if (src.size <= ONE_READ) {
    const buf = await src.read(0, src.size);
    hash.update(buf);
    n = buf.length;
    opts.onBytes?.(n);
  } else {
    for await (const chunk of src.stream() as AsyncIterable<Buffer>) {
      if (opts.signal?.aborted) throw cancelledDiff();
      hash.update(chunk);
      n += chunk.length;
      opts.onBytes?.(chunk.length);
    }
  }
  if (n !== src.size) throw new LabError('SHORT_READ', `${src.description}: read ${n} of ${src.size} bytes.`, 'The image may be truncated.');
  return hash.digest('hex');
}
