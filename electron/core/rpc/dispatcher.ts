import { events, isEventChannel, isRequestChannel, requests } from '../../../shared/contract';
import { LabError, toErrorShape, type LabErrorShape } from '../../../shared/errors';
import { EventBatcher } from '../stream/batcher';
import type { EventHandlers, LabContext, RequestHandlers } from './types';

export type RequestOutcome = { ok: true; result: unknown } | { ok: false; error: LabErrorShape };

export interface StreamSink {
  batch(items: unknown[]): void;
  end(error?: LabErrorShape): void;
}

function badArgs(channel: string, issues: { path: PropertyKey[]; message: string }[]): LabError {
  const first = issues[0];
  const where = first && first.path.length ? ` at ${first.path.map(String).join('.')}` : '';
  return new LabError(
    'BAD_ARGS',
    `Invalid arguments for ${channel}${where}: ${first?.message ?? 'invalid'}`,
    'This is a bug in the caller; the request was not run.',
  );
}

/**
 * The one handler table behind both transports. Arguments are validated here, so a
 * handler only ever sees data of its declared shape, whatever the transport let through.
 */
export class Dispatcher {
  constructor(
    private readonly requestHandlers: RequestHandlers,
    private readonly eventHandlers: EventHandlers,
    readonly ctx: LabContext,
  ) {}

  async request(channel: unknown, rawArgs: unknown): Promise<RequestOutcome> {
    try {
      if (!isRequestChannel(channel)) {
        throw new LabError('UNKNOWN_CHANNEL', `No request channel named ${String(channel)}`);
      }
      const parsed = requests[channel].args.safeParse(rawArgs ?? {});
      if (!parsed.success) throw badArgs(channel, parsed.error.issues);
      const handler = this.requestHandlers[channel] as (a: unknown, c: LabContext) => Promise<unknown>;
      return { ok: true, result: await handler(parsed.data, this.ctx) };
    } catch (err) {
      return { ok: false, error: toErrorShape(err) };
    }
  }

  /** Starts a stream; returns the function that stops it. `sink.end` is called exactly once. */
  subscribe(channel: unknown, rawArgs: unknown, sink: StreamSink): () => void {
    let ended = false;
    const controller = new AbortController();
    const finish = (error?: LabErrorShape) => {
      if (ended) return;
      // A stream that ends by itself delivers its last events (a build's `done`) before the end.
      batcher?.close();
      ended = true;
      sink.end(error);
    };
    let batcher: EventBatcher | undefined;
    if (!isEventChannel(channel)) {
      finish(new LabError('UNKNOWN_CHANNEL', `No event channel named ${String(channel)}`).toJSON());
      return () => undefined;
    }
    const parsed = events[channel].args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      finish(badArgs(channel, parsed.error.issues).toJSON());
      return () => undefined;
    }
    batcher = new EventBatcher(events[channel].kind, (items) => {
      if (!ended) sink.batch(items);
    });
    const b = batcher;
    const handler = this.eventHandlers[channel] as (
      a: unknown,
      emit: (d: unknown) => void,
      s: AbortSignal,
      c: LabContext,
    ) => Promise<void>;
    handler(parsed.data, (d) => b.push(d), controller.signal, this.ctx).then(
      () => finish(),
      (err) => finish(controller.signal.aborted ? undefined : toErrorShape(err)),
    );
    return () => {
      if (ended) return;
      controller.abort();
      // The subscriber is gone: nothing more is delivered, not even the tail of the batch.
      ended = true;
      batcher?.close();
    };
  }
}
