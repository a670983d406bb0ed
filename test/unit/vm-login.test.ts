import { describe, expect, it } from 'vitest';
import { loginAndRun, type ConsolePort } from '../../electron/core/vm/login';

const PROMPT = 'root@isolab:~# \x1b[6n';

/**
 * A guest on a serial line, as the fixture ISO behaves: getty's `isolab login: `, busybox
 * login without a password, ash with ESC[6n after each prompt, the tty echoing input (LF
 * as CR LF, continuation prompts), and a table of command results.
 */
class FakeGuest implements ConsolePort {
  private chunks: Buffer[] = [];
  private readonly listeners = new Set<(c: Buffer) => void>();
  state: 'boot' | 'login' | 'password' | 'shell' = 'boot';
  written: string[] = [];
  sawLogin = false;

  constructor(
    private readonly opts: {
      commands?: Record<string, [string, number]>;
      onLogin?: 'shell' | 'password' | 'incorrect';
    } = {},
  ) {}

  print(text: string): void {
    const b = Buffer.from(text);
    this.chunks.push(b);
    for (const l of this.listeners) l(b);
  }

  promptLogin(): void {
    this.state = 'login';
    this.sawLogin = true;
    this.print('\r\nWelcome to ISO Lab fixture\r\n\r\r\n\risolab login: ');
  }

  snapshot(): Buffer {
    return Buffer.concat(this.chunks);
  }
  subscribe(l: (c: Buffer) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  loginSeen(): boolean {
    return this.sawLogin;
  }

  write(data: string): void {
    this.written.push(data);
    setTimeout(() => this.input(data), 2);
  }

  private input(data: string): void {
    if (this.state === 'login') {
      if (data === '\r') return this.print('\r\n\risolab login: ');
      this.print(data.replace(/\n/g, '\r\n'));
      const how = this.opts.onLogin ?? 'shell';
      if (how === 'password') {
        this.state = 'password';
        return this.print('Password: ');
      }
      if (how === 'incorrect') return this.print('\r\nLogin incorrect\r\nisolab login: ');
      this.state = 'shell';
      return this.print(`login[89]: root login on 'ttyS0'\r\r\n\r\n\r\nBusyBox v1.35.0 built-in shell (ash)\r\n\r\n${PROMPT}`);
    }
    if (this.state !== 'shell') return;
    if (data === '\r') return this.print(`\r\n${PROMPT}`);
    // The tty echoes every line; lines after the first get ash's continuation prompt.
    this.print(data.replace(/\n(?!$)/g, '\r\n> ').replace(/\n$/, '\r\n'));
    const m = /^echo "__ISO""LAB_B_(\w+)"; \(\n([\s\S]*)\n\); echo "__ISO""LAB_RC_\w+=\$\?"\n$/.exec(data);
    if (!m) return this.print(PROMPT);
    const [out, rc] = this.opts.commands?.[m[2]!] ?? ['', 127];
    this.print(`__ISOLAB_B_${m[1]}\r\n${out.replace(/\n/g, '\r\n')}__ISOLAB_RC_${m[1]}=${rc}\r\n${PROMPT}`);
  }
}

describe('log in as root and run a command', () => {
  it('waits for login:, types root, runs the command and returns its output and status', async () => {
    const g = new FakeGuest({ commands: { 'cat /etc/VERSION': ['isolab-fixture 1\n', 0] } });
    g.print('ISOLINUX 6.04\r\nLoading /boot/bzImage... ok\r\n');
    setTimeout(() => g.promptLogin(), 30);
    const r = await loginAndRun(g, { user: 'root', command: 'cat /etc/VERSION', timeoutMs: 2000 });
    expect(r).toEqual({ loggedIn: true, output: 'isolab-fixture 1\n', exitCode: 0 });
    expect(g.written[0]).toBe('root\n');
  });

  it('reports the exit status of a command that exits (it runs in a subshell)', async () => {
    const g = new FakeGuest({ commands: { 'exit 3': ['', 3], 'ls /nope': ['ls: /nope: No such file or directory\n', 1] } });
    g.promptLogin();
    expect(await loginAndRun(g, { user: 'root', command: 'exit 3', timeoutMs: 2000 })).toEqual({ loggedIn: true, output: '', exitCode: 3 });
    expect(await loginAndRun(g, { user: 'root', command: 'ls /nope', timeoutMs: 2000 })).toEqual({
      loggedIn: true,
      output: 'ls: /nope: No such file or directory\n',
      exitCode: 1,
    });
    // The second call found the shell prompt and did not type the user name again.
    expect(g.written.filter((w) => w === 'root\n')).toHaveLength(1);
  });

  it('keeps multi-line output and commands intact', async () => {
    const g = new FakeGuest({ commands: { 'echo a\necho b': ['a\nb\n', 0] } });
    g.promptLogin();
    expect(await loginAndRun(g, { user: 'root', command: 'echo a\necho b', timeoutMs: 2000 })).toMatchObject({ output: 'a\nb\n', exitCode: 0 });
  });

  it('logs in without a command', async () => {
    const g = new FakeGuest();
    g.promptLogin();
    expect(await loginAndRun(g, { user: 'root', timeoutMs: 2000 })).toEqual({ loggedIn: true });
    expect(g.state).toBe('shell');
  });

  it('presses Enter for a fresh prompt when getty runs but its prompt scrolled away', async () => {
    const g = new FakeGuest();
    g.promptLogin();
    g.print('[    1.940302] tsc: Refined TSC clocksource calibration: 2596.105 MHz\r\n[    2.1] clocksource: Switched to clocksource tsc\r\n');
    const r = await loginAndRun(g, { user: 'root', timeoutMs: 3000, nudgeAfterMs: 50 });
    expect(r.loggedIn).toBe(true);
    expect(g.written.slice(0, 2)).toEqual(['\r', 'root\n']);
  });

  it('refuses a guest that asks for a password, or says Login incorrect', async () => {
    const pw = new FakeGuest({ onLogin: 'password' });
    pw.promptLogin();
    await expect(loginAndRun(pw, { user: 'root', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'VM_LOGIN_PASSWORD' });
    const bad = new FakeGuest({ onLogin: 'incorrect' });
    bad.promptLogin();
    await expect(loginAndRun(bad, { user: 'root', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'VM_LOGIN_FAILED' });
  });

  it('says so when no login prompt comes in time', async () => {
    const g = new FakeGuest();
    g.print('ISOLINUX 6.04\r\nLoading /boot/bzImage... ok\r\n');
    const t0 = Date.now();
    await expect(loginAndRun(g, { user: 'root', timeoutMs: 150 })).rejects.toMatchObject({ code: 'VM_NO_LOGIN_PROMPT', message: 'Gave up after 0.2 s waiting for a login prompt.', hint: expect.stringContaining('console=ttyS0') });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(g.written).toEqual([]);
  });

  it('stops waiting when cancelled', async () => {
    const g = new FakeGuest();
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 20);
    await expect(loginAndRun(g, { user: 'root', timeoutMs: 5000, signal: ctrl.signal })).rejects.toMatchObject({ code: 'VM_LOGIN_CANCELLED' });
  });
});
