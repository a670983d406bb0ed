import { randomBytes } from 'node:crypto';
import { LabError } from '../../../shared/errors';
import type { VmLoginResult } from '../../../shared/vm';
import { isShellPromptLine } from '../../../shared/console-prompt';
import { screenText } from '../../../shared/console-text';

/** What the login helper needs of a console: the screen so far, live output, keystrokes. */
export interface ConsolePort {
  snapshot(): Buffer;
  subscribe(listener: (chunk: Buffer) => void): () => void;
  write(data: string): void;
  /** The boot timeline saw a login prompt: getty runs, so Enter makes it print another. */
  loginSeen(): boolean;
}

export interface LoginOptions {
  user: string;
  command?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Idle time after which Enter is pressed to get a fresh prompt. */
  nudgeAfterMs?: number;
  /** The console's size, told to the guest once logged in (see tellSize). */
  size?: { cols: number; rows: number };
}

const LOGIN_PROMPT = /(?:^|\n)[^\n]*\blogin: ?(?:\[[^\n]*)?$/;
const LOGIN_ANYWHERE = /\blogin: ?(?:$|(?=\[))/gm;
/** A prompt must have stood this long with nothing after it before it counts (boot output keeps coming). */
const SETTLE_MS = 400;
const PASSWORD = /\bPassword: ?$/i;
const INCORRECT = /Login incorrect/i;
/** Screen text before we started that is worth looking at: the current prompt line, and a little more. */
const TAIL_CHARS = 2048;

/** The last line of the console text, as a prompt would sit on it. */
export function lastLine(text: string): string {
  return text.slice(text.lastIndexOf('\n') + 1);
}

/** Is the console's last line a shell prompt (whatever the settle time says)? */
export function endsWithShellPrompt(text: string): boolean {
  return isShellPromptLine(lastLine(text));
}

/**
 * "Log in as root" for demos and smoke tests: waits for getty's `login:`, types the user
 * (root of a minikube-style ISO has no password), and optionally runs a command, taking
 * its output from between two markers and its exit status from `echo $?`.
 * The markers are typed split in two ("__ISO""LAB…") so the terminal's echo of the command
 * line never matches them; the command runs in a subshell, so `exit 3` reports 3 instead
 * of ending the login shell.
 */
export async function loginAndRun(port: ConsolePort, opts: LoginOptions): Promise<VmLoginResult> {
  const screen = new Screen(port, opts.signal);
  try {
    await logIn(screen, port, opts);
    if (opts.size) await tellSize(screen, port, opts.size, opts.timeoutMs);
    if (!opts.command) return { loggedIn: true };
    const id = randomBytes(4).toString('hex');
    const begin = `__ISOLAB_B_${id}`;
    const rc = `__ISOLAB_RC_${id}=`;
    const mark = screen.length;
    port.write(`echo "__ISO""LAB_B_${id}"; (\n${opts.command}\n); echo "__ISO""LAB_RC_${id}=$?"\n`);
    const done = new RegExp(`${begin}\\n([\\s\\S]*?)${rc}(\\d+)`);
    const m = await screen.waitFor((t) => done.exec(t.slice(mark)), opts.timeoutMs, {
      what: `the command to finish ("${opts.command.slice(0, 60)}")`,
      code: 'VM_COMMAND_TIMEOUT',
      hint: 'give it more time with a longer timeout, or look at the console',
    });
    return { loggedIn: true, output: m[1]!, exitCode: Number(m[2]) };
  } finally {
    screen.close();
  }
}

/**
 * A serial line carries no window size (there is no TIOCSWINSZ from the other end), so the
 * guest's tty says 0×0 and full-screen programs guess 80×24 or worse. Typed as a command
 * once the shell runs: `stty cols C rows R` is understood by busybox's stty (minikube's
 * buildroot, the fixture) and by GNU coreutils' (systemd distributions) alike, and sets the
 * size on the tty the shell and everything it starts share. The alternatives fail one of
 * the two: `resize` (xterm's) is absent from busybox, systemd's `systemd.tty.columns=` is
 * a kernel argument for the next boot, and a getty option would need the ISO changed.
 * `2>/dev/null` keeps a guest without stty quiet; the prompt after it means it ran.
 */
async function tellSize(screen: Screen, port: ConsolePort, size: { cols: number; rows: number }, timeoutMs: number): Promise<void> {
  const mark = screen.length;
  port.write(`stty cols ${size.cols} rows ${size.rows} 2>/dev/null\n`);
  await screen.waitFor(
    (t) => {
      const s = t.slice(mark);
      return s.includes('\n') && endsWithShellPrompt(s) ? true : undefined;
    },
    Math.min(timeoutMs, 30_000),
    { what: 'a shell prompt after setting the terminal size', code: 'VM_LOGIN_TIMEOUT', hint: 'look at the console to see what the guest printed' },
  );
}

async function logIn(screen: Screen, port: ConsolePort, opts: LoginOptions): Promise<void> {
  const nudgeAfter = opts.nudgeAfterMs ?? 2000;
  let lastNudge = Date.now();
  // Already at a shell prompt (logged in earlier), or at login: — else wait for either.
  const where = await screen.waitFor(
    (t) => {
      const tail = t.slice(-TAIL_CHARS);
      if (LOGIN_PROMPT.test(tail) || lastLoginAfterOutputStart(t, screen.startOfNew)) return 'login';
      // Only a prompt line that stayed the last thing on the console: kernel and init lines keep coming.
      if (endsWithShellPrompt(tail) && !PASSWORD.test(tail) && Date.now() - screen.lastOutputAt >= SETTLE_MS) return 'shell';
      // getty is up but its prompt scrolled away (kernel messages): Enter makes it print a new one.
      if (port.loginSeen() && Date.now() - Math.max(screen.lastOutputAt, lastNudge) > nudgeAfter) {
        lastNudge = Date.now();
        port.write('\r');
      }
      return undefined;
    },
    opts.timeoutMs,
    {
      what: 'a login prompt',
      code: 'VM_NO_LOGIN_PROMPT',
      hint: 'watch the console: the ISO may not run a getty on the serial port (console=ttyS0), or it is still booting',
      tickMs: 250,
    },
  );
  if (where === 'shell') return;
  const mark = screen.length;
  port.write(`${opts.user}\n`);
  const after = await screen.waitFor(
    (t) => {
      const s = t.slice(mark);
      const last = s.split('\n').pop() ?? '';
      if (INCORRECT.test(s)) return 'incorrect';
      if (PASSWORD.test(s)) return 'password';
      // The echo of the user name comes first; a shell prompt after it means we are in.
      if (s.includes('\n') && isShellPromptLine(last)) return 'shell';
      return undefined;
    },
    Math.min(opts.timeoutMs, 30_000),
    { what: 'a shell prompt after logging in', code: 'VM_LOGIN_TIMEOUT', hint: 'look at the console to see what the guest printed' },
  );
  if (after === 'password') {
    throw new LabError('VM_LOGIN_PASSWORD', `The guest asks for ${opts.user}'s password`, 'ISO Lab logs in only where the user has no password (minikube ISOs: root); type it in the console yourself');
  }
  if (after === 'incorrect') {
    throw new LabError('VM_LOGIN_FAILED', `The guest refused the login as ${opts.user} ("Login incorrect")`, 'log in by hand in the console to see why');
  }
}

/** A login prompt printed since we started watching, even when kernel messages followed it. */
function lastLoginAfterOutputStart(text: string, start: number): boolean {
  LOGIN_ANYWHERE.lastIndex = 0;
  let found = -1;
  for (let m = LOGIN_ANYWHERE.exec(text); m; m = LOGIN_ANYWHERE.exec(text)) found = m.index;
  if (found < start) return false;
  // Nothing that looks like a shell session after it.
  return !/[#$] ?\n/.test(text.slice(found));
}

/** The console as text, growing as output comes; waiters re-test on each chunk and on a tick. */
class Screen {
  private text = '';
  private raw = '';
  readonly startOfNew: number;
  lastOutputAt = Date.now();
  private readonly unsubscribe: () => void;
  private readonly waiters = new Set<() => void>();

  constructor(port: ConsolePort, private readonly signal?: AbortSignal) {
    this.raw = port.snapshot().toString('utf8').slice(-TAIL_CHARS * 4);
    this.text = screenText(this.raw);
    this.startOfNew = this.text.length;
    this.unsubscribe = port.subscribe((chunk) => {
      this.raw += chunk.toString('utf8');
      // Re-derived from raw so an escape sequence split across chunks is still removed whole.
      this.text = screenText(this.raw);
      this.lastOutputAt = Date.now();
      for (const w of this.waiters) w();
    });
  }

  get length(): number {
    return this.text.length;
  }

  waitFor<T>(test: (text: string) => T | undefined | null, timeoutMs: number, o: { what: string; code: string; hint: string; tickMs?: number }): Promise<T> {
    const { what, tickMs = 0 } = o;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let r: T | undefined | null;
        try {
          r = test(this.text);
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        if (r !== undefined && r !== null) {
          finish();
          resolve(r);
        }
      };
      const onAbort = () => {
        finish();
        // The manager aborts with its own reason when the VM stops under the login.
        const why = this.signal?.reason;
        reject(why instanceof LabError ? why : new LabError('VM_LOGIN_CANCELLED', `Stopped waiting for ${what}.`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new LabError(o.code, `Gave up after ${Math.round(timeoutMs / 100) / 10} s waiting for ${what}.`, o.hint));
      }, timeoutMs);
      const ticker = tickMs ? setInterval(check, tickMs) : undefined;
      const finish = () => {
        clearTimeout(timer);
        if (ticker) clearInterval(ticker);
        this.waiters.delete(check);
        this.signal?.removeEventListener('abort', onAbort);
      };
      if (this.signal?.aborted) return onAbort();
      this.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.unsubscribe();
  }
}
