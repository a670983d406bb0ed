import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isShellPromptLine } from '../../shared/console-prompt';
import { screenText } from '../../shared/console-text';
import { endsWithShellPrompt } from '../../electron/core/vm/login';

// The login race (issue 12): a console chunk that happens to end just after the `#` of the
// kernel banner ("Linux version … #1 SMP") was taken for a root prompt. Recorded boots,
// chopped at every byte, must never look like a shell prompt before the real one.

const transcript = (name: string) =>
  (JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'vm', name), 'utf8')) as { d: string }[]).map((c) => c.d).join('');

describe('shell prompt lines', () => {
  it('are prompts and nothing else', () => {
    for (const p of ['# ', '$ ', '~ # ', '/ # ', 'root@isolab:~# ', 'isolab:~# ', '[root@minikube ~]# ', 'sh-5.2# ', 'bash-5.2$ ', 'docker@minikube:~$ ', '#']) {
      expect(isShellPromptLine(p), p).toBe(true);
    }
    for (const l of [
      '[    0.000000] Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld 2.40) #',
      'Linux version 6.1.0 #',
      '[  OK  ] Started systemd-journald.service - Journal Service. #',
      'isolab login: ',
      'Password: ',
      'echo "#',
      ' * Starting sshd ... $',
    ]) {
      expect(isShellPromptLine(l), l).toBe(false);
    }
  });
});

// Recorded in the boot-explain e2e (busybox ash, xterm.js answering its ESC[6n): the answer
// arrived while `stty` ran, so the tty echoed it before the next prompt, and Log in gave up.
describe('a prompt after the terminal answered a cursor query', () => {
  it('is a prompt', () => {
    const raw = "root@isolab:~# \x1b[6nstty cols 82 rows 26 2>/dev/null\r\n^[[19;16Rroot@isolab:~# \x1b[6n";
    expect(endsWithShellPrompt(screenText(raw))).toBe(true);
  });
  it('is a prompt when the shell redraws it over the line', () => {
    expect(endsWithShellPrompt(screenText('junk typed\rroot@isolab:~# '))).toBe(true);
  });
});

for (const name of ['fixture-iso-boot.chunks.json', 'fixture-kernel-boot.chunks.json']) {
  describe(`the recorded boot ${name}`, () => {
    const text = transcript(name);
    const login = text.search(/login: ?/);

    it('reaches a login prompt', () => {
      expect(login).toBeGreaterThan(0);
    });

    it('shows no shell prompt at any byte before the login prompt', () => {
      const false_: number[] = [];
      for (let i = 1; i < login; i++) if (endsWithShellPrompt(screenText(text.slice(0, i)))) false_.push(i);
      expect(false_.map((i) => JSON.stringify(text.slice(Math.max(0, i - 40), i)))).toEqual([]);
    });

    // The ISO boot runs with loglevel=3 (no kernel banner); the direct kernel boot prints it.
    it.runIf(name.includes('kernel'))('would have fooled the old test (a # or $ at the end of the text) somewhere', () => {
      let fooled = 0;
      for (let i = 1; i < login; i++) if (/[#$] ?$/.test(screenText(text.slice(0, i)))) fooled++;
      expect(fooled).toBeGreaterThan(0);
    });
  });
}
