import { useRef } from 'react';
import { useStream } from '../../hooks';
import { looksLoggedIn } from './progress';

/** Enough of the console's end to see its last line, whatever came before. */
const KEEP = 4096;

/**
 * Follows a VM's console (the core replays its screen first, then live output) while the
 * tour waits for someone to log in, by hand or with "Log in as root".
 */
export function ConsoleWatch({ vm, onLoggedIn }: { vm: string; onLoggedIn: (loggedIn: boolean) => void }) {
  const tail = useRef('');
  useStream(
    'vm.console',
    { name: vm },
    (batch) => {
      tail.current = (tail.current + batch.join('')).slice(-KEEP);
      onLoggedIn(looksLoggedIn(tail.current));
    },
    () => {
      tail.current = '';
    },
    [vm],
  );
  return null;
}
