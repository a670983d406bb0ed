import type { ClientMessage, ServerMessage } from '../../../shared/api';
import type { Dispatcher } from './dispatcher';

/**
 * One connected UI (a BrowserWindow or a WebSocket). It owns that UI's subscriptions so
 * they all stop when the UI goes away, whatever the UI did or did not clean up itself.
 */
/** Streams one UI may hold open at once; the app uses a few dozen at most. */
export const MAX_SUBSCRIPTIONS = 256;

export class RpcSession {
  private readonly subs = new Map<number, () => void>();
  private closed = false;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly send: (msg: ServerMessage) => void,
  ) {}

  handle(raw: unknown): void {
    if (this.closed || typeof raw !== 'object' || raw === null) return;
    const msg = raw as ClientMessage;
    if (typeof msg.id !== 'number') return;
    switch (msg.t) {
      case 'req':
        void this.dispatcher.request(msg.ch, msg.args).then((outcome) => {
          if (!this.closed) this.send({ t: 'res', id: msg.id, ...outcome } as ServerMessage);
        });
        return;
      case 'sub': {
        if (this.subs.has(msg.id)) return;
        if (this.subs.size >= MAX_SUBSCRIPTIONS) {
          this.send({ t: 'end', id: msg.id, error: { code: 'TOO_MANY_STREAMS', message: `This window already has ${MAX_SUBSCRIPTIONS} open streams.`, hint: 'Close streams it no longer needs (unsubscribe) before opening more.' } });
          return;
        }
        let ended = false;
        const stop = this.dispatcher.subscribe(msg.ch, msg.args, {
          batch: (batch) => {
            if (!this.closed) this.send({ t: 'ev', id: msg.id, batch });
          },
          end: (error) => {
            ended = true;
            this.subs.delete(msg.id);
            if (!this.closed) this.send(error ? { t: 'end', id: msg.id, error } : { t: 'end', id: msg.id });
          },
        });
        // `end` may already have run synchronously (bad channel or arguments).
        if (!ended && !this.closed) this.subs.set(msg.id, stop);
        return;
      }
      case 'unsub':
        this.subs.get(msg.id)?.();
        this.subs.delete(msg.id);
        return;
    }
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  close(): void {
    this.closed = true;
    for (const stop of this.subs.values()) stop();
    this.subs.clear();
  }
}
