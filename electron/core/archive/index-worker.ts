import { parentPort } from 'node:worker_threads';
import { toErrorShape } from '../../../shared/errors';
import { buildIndex } from './build-index';
import { RemoteSource, type ReadReply } from './remote-source';

/*
 * worker_threads entry: builds archive indexes off the main thread, one job at a time; the
 * owner keeps an idle worker for the next archive (starting one costs ~60 ms). The owner
 * answers source reads, receives throttled progress, and terminates the worker to cancel.
 */

export interface WorkerJob {
  type: 'job';
  job: number;
  cacheDir: string;
  tmpSuffix: string;
  size: number;
  cacheKey: string;
  description: string;
}

export type WorkerMessage =
  | { type: 'ready'; job?: undefined }
  | { type: 'progress'; job: number; bytesIn: number; bytesOut: number; entries: number; segment: number }
  | { type: 'done'; job: number }
  | { type: 'error'; job: number; error: { code: string; message: string; hint?: string } };

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const replies = new Map<number, (m: ReadReply) => void>();
let nextRead = 1;

post({ type: 'ready' });

port.on('message', (m: WorkerJob | ReadReply) => {
  if (m.type === 'data') {
    replies.get(m.id)?.(m);
    replies.delete(m.id);
    return;
  }
  if (m.type !== 'job') return;
  const src = new RemoteSource(
    (offset, length, reply) => {
      const id = nextRead++;
      replies.set(id, reply);
      port.postMessage({ type: 'read', job: m.job, id, offset, length });
    },
    m.size,
    m.cacheKey,
    m.description,
  );
  buildIndex(src, {
    cacheDir: m.cacheDir,
    tmpSuffix: m.tmpSuffix,
    onProgress: (p) => post({ type: 'progress', job: m.job, ...p }),
  }).then(
    () => post({ type: 'done', job: m.job }),
    (err: unknown) => post({ type: 'error', job: m.job, error: toErrorShape(err) }),
  );
});
