import { useEffect } from 'react';
import type { EventArgs, EventChannel, EventData } from '../../shared/contract';
import type { LabErrorShape } from '../../shared/errors';
import { api } from './api/lab-api';

/**
 * Subscribes while the component is mounted and unsubscribes when it unmounts. A stream
 * that ends with an error (the connection dropped) is reopened after a short pause.
 */
export function useStream<C extends EventChannel>(
  channel: C,
  args: EventArgs<C> | undefined,
  onData: (batch: EventData<C>[]) => void,
  onError?: (error: LabErrorShape) => void,
  deps: unknown[] = [],
): void {
  useEffect(() => {
    let stop: (() => void) | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let alive = true;
    const open = () => {
      stop = api.subscribe(channel, args, {
        onData,
        onEnd: (error) => {
          if (!alive || !error) return;
          onError?.(error);
          retry = setTimeout(open, 2000);
        },
      });
    };
    open();
    return () => {
      alive = false;
      clearTimeout(retry);
      stop?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [channel, ...deps]);
}
