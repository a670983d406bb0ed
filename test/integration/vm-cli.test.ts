// `isolab boot`, `isolab vm` and `isolab console` as people run them: the built CLI
// (npm run build) against real QEMU and the fixture ISO.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'isolab.cjs');
const ISO = path.join(ROOT, '.cache', 'fixture', 'isolab-fixture.iso');
// One data folder for the whole file: the KVM probe runs once, and leftovers would show.
const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-vmcli-'));
const SMALL = ['--cpus', '1', '--memory', '256', '--disk', '64'];
const env = { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1' };

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

/** Runs the CLI; `onErr` sees stderr as it comes (to send a signal at the right moment). */
function isolab(args: string[], opts: { onErr?: (text: string, child: ReturnType<typeof spawn>) => void; onOut?: (text: string, child: ReturnType<typeof spawn>) => void; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      opts.onOut?.(out, child);
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      opts.onErr?.(err, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, ms: Date.now() - t0 });
    });
  });
}

const qemuFor = (name: string) => spawnSync('pgrep', ['-f', `qemu-system.*${name}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
const vmDirs = () => (existsSync(path.join(home, 'data', 'vms')) ? readdirSync(path.join(home, 'data', 'vms')).filter((n) => !n.startsWith('.')) : []);

beforeAll(() => {
  const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`isolab is not built (npm run build): ${r.stderr}`);
  if (!existsSync(ISO)) throw new Error(`the fixture ISO is missing: bash scripts/make-fixture-iso.sh`);
});

afterAll(() => {
  for (const pid of qemuFor(home)) process.kill(Number(pid), 'SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

describe('isolab boot --login root --run (smoke test)', () => {
  it('prints the output of CMD and exits 0; exits with CMD\'s status (3); removes the VMs', async () => {
    const [cat, three] = await Promise.all([
      isolab(['boot', ISO, ...SMALL, '--name', 'smoke-cat', '--login', 'root', '--run', 'cat /etc/VERSION']),
      isolab(['boot', ISO, ...SMALL, '--name', 'smoke-three', '--run', 'exit 3']),
    ]);
    console.log(`smoke tests: ${cat.ms} ms and ${three.ms} ms (two VMs at once)`);
    expect(cat.code, cat.err).toBe(0);
    expect(cat.out).toBe('isolab-fixture 1\n');
    expect(cat.err).toMatch(/"cat \/etc\/VERSION" exited with status 0/);
    expect(three.code, three.err).toBe(3);
    expect(three.out).toBe('');
    expect(qemuFor('smoke-cat')).toEqual([]);
    expect(qemuFor('smoke-three')).toEqual([]);
    expect(vmDirs()).toEqual([]);
  }, 120_000);

  it('refuses a bogus ISO with one line and exit 1 before anything starts', async () => {
    const r = await isolab(['boot', __filename, '--run', 'true']);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^isolab: Cannot boot vm-cli\.test\.ts: .* Hint: /);
    const missing = await isolab(['boot', '/nonexistent/x.iso', '--run', 'true']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/does not exist/);
    const memory = await isolab(['boot', ISO, '--memory', '0', '--run', 'true']);
    expect(memory.code).toBe(1);
    expect(memory.err).toMatch(/too little .* Hint: give it at least 128 MB/);
    expect(vmDirs()).toEqual([]);
  }, 30_000);

  it('no login prompt within --timeout: says so, shows the console, cleans up, exit 1', async () => {
    const r = await isolab(['boot', ISO, ...SMALL, '--name', 'smoke-slow', '--run', 'true', '--timeout', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no login prompt within 1 s/);
    expect(r.err).toMatch(/last lines of smoke-slow's console/);
    expect(qemuFor('smoke-slow')).toEqual([]);
    expect(vmDirs()).toEqual([]);
  }, 60_000);

  it('Ctrl-C (SIGINT) cleans up: no qemu, no VM folder, exit 130', async () => {
    let sent = false;
    const r = await isolab(['boot', ISO, ...SMALL, '--name', 'smoke-int', '--run', 'sleep 60'], {
      onErr: (err, child) => {
        if (!sent && /waiting up to/.test(err)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code, r.err).toBe(130);
    expect(r.err).toMatch(/interrupted: cleaning up/);
    expect(qemuFor('smoke-int')).toEqual([]);
    expect(vmDirs()).toEqual([]);
  }, 60_000);

  it('usage errors exit 2', async () => {
    for (const args of [['boot', ISO, '--cpus', 'many'], ['boot', ISO, '--login', 'docker', '--run', 'true'], ['boot', ISO, '--timeout', '0', '--run', 'x'], ['vm', 'stop']]) {
      const r = await isolab(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(/^isolab: /);
    }
  }, 30_000);
});

describe('isolab boot (interactive), vm ls/stop/rm, console', () => {
  it('attaches the console, Ctrl-] detaches leaving the VM running; vm ls, console, vm stop and rm', async () => {
    let typed = false;
    let detached = false;
    const boot = await isolab(['boot', ISO, ...SMALL, '--name', 'inter'], {
      onOut: (out, child) => {
        if (!typed && /isolab login: $/.test(out)) {
          typed = true;
          child.stdin!.write('root\n');
          setTimeout(() => child.stdin!.write('cat /etc/VERSION\n'), 300);
        }
        if (typed && !detached && /isolab-fixture 1\r?\n/.test(out)) {
          detached = true;
          child.stdin!.write(Buffer.from([0x1d]));
        }
      },
    });
    expect(boot.code, boot.err).toBe(0);
    expect(boot.out).toMatch(/ISOLINUX[\s\S]*isolab login: root[\s\S]*isolab-fixture 1/);
    expect(boot.err).toMatch(/detached; inter keeps running/);
    expect(boot.err).toMatch(/reattach: isolab console inter/);
    expect(qemuFor('inter')).toHaveLength(1);

    const ls = await isolab(['vm', 'ls', '--json']);
    expect(ls.code).toBe(0);
    const list = JSON.parse(ls.out) as Array<{ name: string; state: string; pid?: number; consoleHeldBy?: number }>;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'inter', state: 'running' });
    expect(list[0]!.consoleHeldBy).toBeUndefined();
    const table = await isolab(['vm', 'ls']);
    expect(table.out).toMatch(/^NAME\s+STATE\s+DRIVER/);
    expect(table.out).toMatch(/inter\s+running\s+qemu/);

    // Reattach: the screen so far comes back (from the transcript), keys still work.
    let sentEcho = false;
    let done = false;
    const con = await isolab(['console', 'inter'], {
      onOut: (out, child) => {
        if (!sentEcho && /isolab-fixture 1/.test(out)) {
          sentEcho = true;
          child.stdin!.write('echo again-$((40+2))\n');
        }
        if (sentEcho && !done && /again-42/.test(out)) {
          done = true;
          child.stdin!.write(Buffer.from([0x1d]));
        }
      },
    });
    expect(con.code, con.err).toBe(0);
    expect(con.out).toMatch(/again-42/);

    const stop = await isolab(['vm', 'stop', 'inter', '--timeout', '1']);
    expect(stop.code, stop.err).toBe(0);
    expect(stop.err).toMatch(/inter stopped: powered off by ISO Lab after 1 s/);
    expect(qemuFor('inter')).toEqual([]);
    const rm = await isolab(['vm', 'rm', 'inter']);
    expect(rm.code).toBe(0);
    expect(vmDirs()).toEqual([]);
    const gone = await isolab(['vm', 'stop', 'inter']);
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/^isolab: There is no VM called inter Hint: /);
  }, 120_000);
});
