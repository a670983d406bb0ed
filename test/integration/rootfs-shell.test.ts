// The rootfs shell through the lab core (createLab's dispatcher, as the UI uses it) against
// the real dockerd: the fixture ISO's initrd imported once, its busybox sh run with a TTY,
// the tree as the kernel would unpack it (a symlink, a hard link, modes), the container gone
// after close, unsubscribe and dispose, and a rootfs without a shell refused.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellOpened } from '../../shared/shell';
import type { LabErrorShape } from '../../shared/errors';
import { pingDocker } from '../../electron/core/docker/client';
import { resolveDockerEndpoint } from '../../electron/core/docker/endpoint';
import { createLab } from '../../electron/core/lab';
import type { Dispatcher } from '../../electron/core/rpc/dispatcher';
import { dir, file, newc, symlink } from '../helpers/archive-newc';

const ROOT = path.resolve(__dirname, '..', '..');
const ISO = path.join(ROOT, '.cache', 'fixture', 'isolab-fixture.iso');

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 }).trim();
}

let skipReason: string | undefined;
try {
  run('bash', ['scripts/ensure-dockerd.sh']);
} catch {
  // The ping says why.
}
const status = await pingDocker(resolveDockerEndpoint(), 5000);
if (!status.answering) skipReason = `Docker does not answer: ${status.error?.message ?? 'no reason given'}`;

const docker = (args: string[]) => run('docker', args);
const shellContainers = (shellId = '') => docker(['ps', '-a', '-q', '--filter', `label=io.isolab.shell${shellId ? `=${shellId}` : ''}`]).split('\n').filter(Boolean);

async function req<T>(l: Dispatcher, channel: string, args: unknown): Promise<T> {
  const o = await l.request(channel, args);
  if (!o.ok) throw Object.assign(new Error(o.error.message), o.error);
  return o.result as T;
}

/** A terminal on shell.output: what it printed so far, and a way to run a command and get its output. */
function attach(l: Dispatcher, shellId: string) {
  let text = '';
  let ended: { error?: LabErrorShape } | undefined;
  const waiters = new Set<() => void>();
  const unsubscribe = l.subscribe('shell.output', { shellId }, {
    batch: (items) => {
      text += items.join('');
      waiters.forEach((w) => w());
    },
    end: (error) => {
      ended = { error };
      waiters.forEach((w) => w());
    },
  });
  const until = (test: () => boolean, what: string, ms = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!test()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${ms} ms; the terminal shows:\n${text}`));
      }, ms);
      waiters.add(check);
      check();
    });
  let n = 0;
  return {
    get text() {
      return text;
    },
    get ended() {
      return ended;
    },
    unsubscribe,
    until,
    /** Types `command`; its output is what comes between the echoed line and a marker only the shell can print. */
    async sh(command: string): Promise<string> {
      const id = ++n;
      const from = text.length;
      const marker = `@@${id}-${40 + id + 2}@@`;
      await req(l, 'shell.input', { shellId, data: `${command}; echo "@@${id}-$((40+${id}+2))@@"\n` });
      await until(() => text.indexOf(marker, from) >= 0, `output of ${command}`);
      // The echoed command line (wrapped by the line editor when long) ends with the marker's quote.
      const echoed = text.indexOf('@@"', from);
      return text.slice(text.indexOf('\n', echoed) + 1, text.indexOf(marker, from)).replace(/\r/g, '').trim();
    },
  };
}

let lab: Dispatcher;
const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-shell-'));

beforeAll(() => {
  if (skipReason) return;
  run('bash', ['scripts/make-fixture-iso.sh']);
  // Every rootfs image goes, so the first open below really imports.
  const old = shellContainers();
  if (old.length) docker(['rm', '-f', ...old]);
  const images = docker(['images', '-q', '--filter', 'label=io.isolab.shell']).split('\n').filter(Boolean);
  if (images.length) docker(['rmi', '-f', ...new Set(images)]);
  lab = createLab({ env: { ...process.env, ISOLAB_HOME: home } });
}, 900_000);

afterAll(async () => {
  if (skipReason) return;
  await lab.ctx.shells.dispose();
  await lab.ctx.images.closeAll();
  expect(shellContainers()).toEqual([]);
});

describe.skipIf(skipReason !== undefined)(`rootfs shell${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let first: ShellOpened;
  let imageId: string;

  it('imports the fixture initrd and runs its busybox sh with a TTY', async () => {
    first = ShellOpened.parse(await req(lab, 'shell.open', { file: ISO, path: '/boot/initrd' }));
    expect(first).toMatchObject({ imported: true, rootfs: '/boot/initrd', shell: '/bin/sh', shellTarget: '/bin/busybox' });
    // This engine stores images with vfs (scripts/ensure-dockerd.sh): the one warning says what that costs.
    const driver = docker(['info', '-f', '{{.Driver}}']);
    expect(first.warnings).toEqual(driver === 'vfs' ? [expect.stringMatching(/vfs driver, which copies the whole rootfs for every container/)] : []);
    expect(first.entries).toBeGreaterThan(100);
    imageId = docker(['image', 'inspect', '-f', '{{.Id}}', first.image]);
    expect(docker(['image', 'inspect', '-f', '{{index .Config.Labels "io.isolab.shell"}}', first.image])).toMatch(/^[0-9a-f]{64}$/);
    // Created, with no network, waiting for its terminal.
    expect(docker(['inspect', '-f', '{{.HostConfig.NetworkMode}} {{.Config.Tty}} {{.State.Status}}', `isolab-shell-${first.shellId}`])).toBe('none true created');

    const term = attach(lab, first.shellId);
    await term.until(() => term.text.includes('# '), 'prompt');
    expect(term.text).toContain('ISO Lab: a shell in boot/initrd of isolab-fixture.iso');
    expect(await term.sh('cat /etc/VERSION')).toBe('isolab-fixture 1');
    // The prompt of /etc/profile (a login shell) with the rootfs's own host name.
    expect(term.text).toMatch(/root@isolab:\/# /);

    await req(lab, 'shell.resize', { shellId: first.shellId, cols: 101, rows: 33 });
    expect(await term.sh('stty size')).toBe('33 101');

    await req(lab, 'shell.close', { shellId: first.shellId });
    expect(shellContainers(first.shellId)).toEqual([]);
    await term.until(() => term.ended !== undefined, 'end of the stream');
    expect(term.ended!.error).toBeUndefined();
    await expect(req(lab, 'shell.input', { shellId: first.shellId, data: 'ls\n' })).rejects.toMatchObject({ code: 'SHELL_GONE' });
  }, 180_000);

  it('keeps the tree as the kernel unpacks it: symlinks, hard links, modes, owners, times', async () => {
    const opened = ShellOpened.parse(await req(lab, 'shell.open', { file: ISO, path: '/boot/initrd/etc' }));
    const term = attach(lab, opened.shellId);
    await term.until(() => term.text.includes('# '), 'prompt');
    expect(await term.sh('readlink /bin/sh; readlink /var/run')).toBe('busybox\n../run');
    const [issue, net] = (await term.sh('stat -c "%i %h %s" /etc/issue /etc/issue.net')).split('\n');
    expect(issue).toBe(net);
    expect(issue).toMatch(/^\d+ 2 28$/);
    expect(await term.sh('stat -c "%a %u:%g %n" /etc/shadow /tmp /var/tmp /root /bin/busybox')).toBe(
      ['600 0:0 /etc/shadow', '1777 0:0 /tmp', '1777 0:0 /var/tmp', '700 0:0 /root', '755 0:0 /bin/busybox'].join('\n'),
    );
    expect(await term.sh('stat -c %Y /etc/VERSION')).toBe('1704067200');
    // No network but loopback.
    expect(await term.sh('ls /sys/class/net')).toBe('lo');
    term.unsubscribe();
    // Unsubscribing (the tab closed, the socket went) removes the container.
    for (let i = 0; i < 100 && shellContainers(opened.shellId).length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(shellContainers(opened.shellId)).toEqual([]);
  }, 120_000);

  it('reuses the image on the next open: same bytes, no import', async () => {
    const again = ShellOpened.parse(await req(lab, 'shell.open', { file: ISO, path: '/boot/initrd' }));
    expect(again).toMatchObject({ imported: false, image: first.image, entries: 0 });
    expect(docker(['image', 'inspect', '-f', '{{.Id}}', again.image])).toBe(imageId);
    // Another process (the CLI, the app after a restart) finds it by its content, too.
    const other = createLab({ env: { ...process.env, ISOLAB_HOME: mkdtempSync(path.join(os.tmpdir(), 'isolab-shell-')) } });
    const bare = ShellOpened.parse(await req(other, 'shell.open', { file: path.join(ROOT, '.cache', 'fixture', 'initrd.cpio.bz2'), path: '/' }));
    expect(bare).toMatchObject({ imported: false, image: first.image, rootfs: '/' });
    await other.ctx.shells.dispose();
    await other.ctx.images.closeAll();
    expect(shellContainers(bare.shellId)).toEqual([]);
    await req(lab, 'shell.close', { shellId: again.shellId });
  }, 60_000);

  it('shell.prepare reports hashing and importing with bytes, and a restarted lab does not hash again', async () => {
    // New bytes (another VERSION), so the engine has no image of them yet.
    const variant = path.join(home, 'variant.iso');
    run(process.execPath, ['bin/isolab.cjs', 'remaster', ISO, variant, '--write', `/boot/initrd/etc/VERSION=prepare ${process.pid}`]);
    const prepare = (l: Dispatcher) =>
      new Promise<{ events: { type: string; phase?: string; bytes?: number; total?: number }[]; error?: LabErrorShape }>((resolve) => {
        const events: { type: string; phase?: string; bytes?: number; total?: number }[] = [];
        l.subscribe('shell.prepare', { file: variant, path: '/boot/initrd' }, { batch: (items) => events.push(...(items as typeof events)), end: (error) => resolve({ events, error }) });
      });
    const a = await prepare(lab);
    expect(a.error).toBeUndefined();
    const phases = new Set(a.events.filter((e) => e.type === 'progress').map((e) => e.phase));
    expect([...phases]).toEqual(expect.arrayContaining(['hashing', 'importing', 'creating']));
    const lastImport = a.events.filter((e) => e.phase === 'importing').at(-1)!;
    expect(lastImport.bytes).toBeGreaterThan(1_000_000);
    expect(lastImport.total).toBeGreaterThanOrEqual(lastImport.bytes!);
    const opened = a.events.find((e) => e.type === 'opened') as unknown as { opened: ShellOpened };
    expect(opened.opened.imported).toBe(true);
    await req(lab, 'shell.close', { shellId: opened.opened.shellId });

    // Same ISOLAB_HOME, new process: the content key comes from the cache folder, nothing is hashed.
    const restarted = createLab({ env: { ...process.env, ISOLAB_HOME: home } });
    const b = await prepare(restarted);
    expect(b.error).toBeUndefined();
    expect(b.events.some((e) => e.phase === 'hashing')).toBe(false);
    const again = b.events.find((e) => e.type === 'opened') as unknown as { opened: ShellOpened };
    expect(again.opened).toMatchObject({ imported: false, image: opened.opened.image });
    await restarted.ctx.shells.dispose();
    await restarted.ctx.images.closeAll();
    // The tests below count the rootfs images: only the fixture's stays.
    docker(['rmi', '-f', opened.opened.image]);
  }, 180_000);

  it('ends the stream with the exit status when the shell exits, and the container goes', async () => {
    const opened = ShellOpened.parse(await req(lab, 'shell.open', { file: ISO, path: '/boot/initrd' }));
    const term = attach(lab, opened.shellId);
    await term.until(() => term.text.includes('# '), 'prompt');
    await req(lab, 'shell.input', { shellId: opened.shellId, data: 'exit 3\n' });
    await term.until(() => term.ended !== undefined, 'end of the stream');
    expect(term.text).toContain('The shell exited with status 3');
    expect(shellContainers(opened.shellId)).toEqual([]);
  }, 60_000);

  it('removes the containers of shells nobody attached to when the lab is disposed', async () => {
    const l = createLab({ env: { ...process.env, ISOLAB_HOME: home } });
    const opened = ShellOpened.parse(await req(l, 'shell.open', { file: ISO, path: '/boot/initrd' }));
    expect(shellContainers(opened.shellId)).toHaveLength(1);
    await l.ctx.shells.dispose();
    await l.ctx.images.closeAll();
    expect(shellContainers(opened.shellId)).toEqual([]);
    await expect(req(l, 'shell.open', { file: ISO, path: '/boot/initrd' })).rejects.toMatchObject({ code: 'CLOSED' });
  }, 60_000);

  it('sweeps the containers of a process killed outright when the next lab starts', async () => {
    // A TTY shell does not end when its attach connection drops: a killed process leaves it running.
    const dead = execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim();
    const id = docker(['run', '-d', '-t', '-i', '--network', 'none', '--label', 'io.isolab.shell=0123456789ab', '--label', `io.isolab.owner=${os.hostname()}:${dead}`, first.image, '/bin/sh']);
    const mine = docker(['run', '-d', '-t', '-i', '--network', 'none', '--label', 'io.isolab.shell=ba9876543210', '--label', `io.isolab.owner=${os.hostname()}:${process.pid}`, first.image, '/bin/sh']);
    try {
      const l = createLab({ env: { ...process.env, ISOLAB_HOME: home } });
      await l.ctx.shells.init();
      expect(shellContainers('0123456789ab')).toEqual([]);
      // A live process's shells are its own business.
      expect(shellContainers('ba9876543210')).toHaveLength(1);
    } finally {
      docker(['rm', '-f', id, mine]);
    }
  }, 60_000);

  it('says so when the rootfs has no shell, or the path is in no archive', async () => {
    const dirPath = mkdtempSync(path.join(os.tmpdir(), 'isolab-noshell-'));
    const initrd = path.join(dirPath, 'initrd.cpio');
    // An early-boot initramfs: an /init and a dangling /bin/sh, nothing to run.
    writeFileSync(initrd, newc([dir('bin'), symlink('bin/sh', '/bin/busybox'), file('init', '#!/bin/busybox sh\n', { mode: 0o100755 }), dir('etc'), file('etc/VERSION', 'tiny\n')]));
    await expect(req(lab, 'shell.open', { file: initrd, path: '/etc' })).rejects.toMatchObject({
      code: 'SHELL_NOT_FOUND',
      message: expect.stringContaining('neither /bin/sh nor /bin/bash'),
      hint: expect.stringContaining('browse it'),
    });
    await expect(req(lab, 'shell.open', { file: ISO, path: '/boot' })).rejects.toMatchObject({ code: 'NOT_A_ROOTFS' });
    expect(docker(['images', '-q', '--filter', 'label=io.isolab.shell']).split('\n').filter(Boolean)).toHaveLength(1);
  }, 60_000);

  it('isolab shell: commands piped in, their output alone on stdout, the shell\'s exit status, nothing left', () => {
    // Built by `npm run build`, which the suite runs after (scripts/run-tests.mjs).
    const isolab = (args: string[], input: string) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'isolab.cjs'), 'shell', ...args], { input, encoding: 'utf8', env: { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1' }, timeout: 60_000 });
    const r = isolab([ISO], 'cat /etc/VERSION\nstat -c %a /etc/shadow\nexit 4\n');
    expect(r.stderr).toContain('opening a shell in /boot/initrd');
    expect(r.stdout).toBe('isolab-fixture 1\n600\n');
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('The shell exited with status 4');
    // The end of what is piped in ends the shell.
    const bare = isolab([path.join(ROOT, '.cache', 'fixture', 'initrd.cpio.bz2'), '/etc'], 'echo $((6*7))\n');
    expect([bare.status, bare.stdout]).toEqual([0, '42\n']);
    expect(shellContainers()).toEqual([]);
    const refused = isolab([ISO, '/boot'], '');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('is not an archive or inside one');
  }, 120_000);

  it('gives the Docker error with its hint when the engine does not answer', async () => {
    const l = createLab({ env: { ...process.env, ISOLAB_HOME: home, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    await expect(req(l, 'shell.open', { file: ISO, path: '/boot/initrd' })).rejects.toMatchObject({
      code: 'DOCKER_UNREACHABLE',
      hint: expect.stringContaining('start the Docker daemon'),
    });
  });
});
