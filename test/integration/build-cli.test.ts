// `isolab build` through the built CLI against the real dockerd, with the fixture checkout
// (recipes/fixture) built on the local base image: no registry is reachable here.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildRecord } from '../../shared/build';
import { buildContainers, ensureBuildPrerequisites, fixtureCheckout, isoFiles, removeFixtureImages, ROOT, sha256sum } from './build-setup';

const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-build-cli-'));
const CLI = path.join(ROOT, 'bin', 'isolab.cjs');

function isolab(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 600_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1', ...env },
    timeout,
    maxBuffer: 256 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';
const buildDirs = () => (existsSync(path.join(home, 'data', 'builds')) ? readdirSync(path.join(home, 'data', 'builds')) : []);

beforeAll(async () => {
  const v = isolab(['--version']);
  if (v.code !== 0) throw new Error(`isolab is not built (npm run build): ${v.err}`);
  ensureBuildPrerequisites();
  await removeFixtureImages();
}, 900_000);

afterAll(() => {
  expect(buildContainers()).toEqual([]);
});

describe('isolab build (fixture checkout)', () => {
  let checkout = '';
  let iso = '';

  it('builds the builder image and the ISO, streams both logs and prints the ISO path last', () => {
    checkout = fixtureCheckout();
    const started = Date.now();
    const r = isolab(['build', checkout, '--network', 'none']);
    console.log(`fixture build from scratch (image + container): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(r.code, r.err).toBe(0);
    iso = lastLine(r.out);
    expect(iso).toBe(path.join(checkout, 'out', 'minikube.iso'));
    expect(r.out).toMatch(/^\$ docker build --network none -t isolab\/fixture-buildroot-image -f deploy\/iso\/minikube-iso\/Dockerfile deploy\/iso\/minikube-iso$/m);
    expect(r.out).toMatch(/^Step 1\/\d+ : ARG BASE=isolab-test-base:bookworm$/m);
    expect(r.out).toMatch(/^Successfully tagged isolab\/fixture-buildroot-image:latest$/m);
    expect(r.out).toMatch(/^\$ docker run --rm --workdir \/mnt --volume \S+:\/mnt --user \d+:\d+ --env HOME=\/tmp --env IN_DOCKER=1 --network none --label io\.isolab\.build=\S+ isolab\/fixture-buildroot-image \/usr\/bin\/make out\/minikube\.iso$/m);
    expect(r.out).toMatch(/^>>> busybox \S+ Building$/m);
    expect(r.err).toMatch(/recipe minikube-2019: the Makefile has the target out\/minikube\.iso/);

    // Same layout as the fixture ISO.
    const files = isoFiles(iso);
    for (const f of ['/boot/bzImage', '/boot/initrd', '/isolinux/isolinux.bin', '/isolinux/ldlinux.c32', '/isolinux/isolinux.cfg', '/boot.catalog']) expect(files).toContain(f);
    const ls = isolab(['ls', iso, '/boot', '--json']);
    expect(ls.code, ls.err).toBe(0);
    expect((JSON.parse(ls.out) as { path: string }[]).map((e) => e.path).sort()).toEqual(['/boot/bzImage', '/boot/initrd']);

    // One build folder: the record and the two logs, as the seed's tee wrote them.
    const dirs = buildDirs();
    expect(dirs).toHaveLength(1);
    const dir = path.join(home, 'data', 'builds', dirs[0]!);
    const record = BuildRecord.parse(JSON.parse(readFileSync(path.join(dir, 'record.json'), 'utf8')));
    expect(record).toMatchObject({ phase: 'done', recipe: 'minikube-2019', exitCode: 0, imageReused: false, checkout });
    expect(record.output).toEqual({ path: iso, size: expect.any(Number), sha256: sha256sum(iso) });
    expect(readFileSync(path.join(dir, 'image.log'), 'utf8')).toMatch(/Successfully built/);
    expect(readFileSync(path.join(dir, 'build.log'), 'utf8')).toMatch(/>>> linux fixture Installing to images directory/);
    expect(record.packageTimes?.map((p) => p.name)).toEqual(['host-skeleton', 'skeleton-init-sysv', 'busybox', 'linux', 'syslinux']);
    expect(buildContainers()).toEqual([]);
  }, 600_000);

  it('the ISO it built boots to a login prompt (QEMU, TCG)', async () => {
    expect(iso).not.toBe('');
    const qemu = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-m', '256', '-cdrom', iso, '-boot', 'd', '-display', 'none', '-monitor', 'none', '-no-reboot', '-serial', 'stdio'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no login prompt within 120 s; serial:\n${out.slice(-3000)}`)), 120_000);
        qemu.stdout.on('data', (d: Buffer) => {
          out += d.toString('latin1');
          if (/login: ?$/m.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        qemu.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`qemu exited (${code}): ${out.slice(-2000)}`));
        });
      });
    } finally {
      qemu.kill('SIGKILL');
    }
    expect(out).toMatch(/isolab login:/);
  }, 180_000);

  it('reuses the builder image the second time (no Step lines); --json prints the record, logs go to stderr', () => {
    const r = isolab(['build', checkout, '--network', 'none', '--json']);
    expect(r.code, r.err).toBe(0);
    const record = BuildRecord.parse(JSON.parse(r.out));
    expect(record).toMatchObject({ phase: 'done', imageReused: true, exitCode: 0 });
    expect(record.output?.sha256).toBe(sha256sum(iso));
    expect(r.err).toMatch(/isolab: reusing the builder image isolab\/fixture-buildroot-image \([0-9a-f]{12}\)/);
    expect(r.err).not.toMatch(/^Step \d+\//m);
    expect(r.err).toMatch(/make: 'out\/minikube\.iso' is up to date\./);
  }, 300_000);

  it('--rebuild-image builds it again', () => {
    const r = isolab(['build', checkout, '--network', 'none', '--rebuild-image', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(BuildRecord.parse(JSON.parse(r.out)).imageReused).toBe(false);
    expect(r.err).toMatch(/^\$ docker build --no-cache /m);
    expect(r.err).toMatch(/^Step 3\/\d+ : RUN /m);
    expect(r.err).not.toMatch(/Using cache/);
  }, 600_000);

  it('a failing make: its exit code comes through and the error line is found', () => {
    const co = fixtureCheckout();
    const r = isolab(['build', co, '--network', 'none', '--env', 'FIXTURE_FAIL=busybox', '--json']);
    expect(r.code).toBe(2);
    const record = BuildRecord.parse(JSON.parse(r.out));
    expect(record).toMatchObject({ phase: 'failed', exitCode: 2, error: { code: 'BUILD_FAILED', message: 'The build exited with code 2' } });
    expect(record.problems).toContainEqual({ log: 'build', line: expect.any(Number), text: 'ERROR: busybox-1.35.0.tar.bz2 has wrong sha256 hash:', rule: 'hash' });
    expect(record.problems.some((p) => p.rule === 'make' && /make: \*\*\* \[Makefile:\d+: out\/minikube\.iso\] Error 2/.test(p.text))).toBe(true);
    const hash = record.problems.find((p) => p.rule === 'hash')!;
    expect(readFileSync(record.logs.build, 'utf8').split('\n')[hash.line]).toBe(hash.text);
    expect(r.err).toMatch(/isolab: The build exited with code 2 Hint: the first error is on line \d+ of the build log: ERROR: busybox-1\.35\.0\.tar\.bz2 has wrong sha256 hash:/);
    expect(existsSync(path.join(co, 'out', 'minikube.iso'))).toBe(false);
  }, 300_000);

  it('a base image the engine lacks: the pull fails offline and the message names the image', () => {
    const co = fixtureCheckout();
    const r = isolab(['build', co, '--network', 'none', '--build-arg', 'BASE=isolab-nope:1', '--image', 'isolab-test/nope-builder', '--json']);
    expect(r.code).toBe(1);
    const record = BuildRecord.parse(JSON.parse(r.out));
    expect(record.phase).toBe('failed');
    expect(record.exitCode).toBeUndefined();
    expect(record.error?.code).toBe('BUILD_PULL_FAILED');
    expect(record.error?.message).toMatch(/^The base image isolab-nope:1 is not on the Docker engine and could not be pulled: /);
    expect(record.error?.hint).toMatch(/no registry is reachable/);
    expect(r.err).toMatch(/warning: The engine does not have the base image isolab-nope:1/);
    expect(r.err).toMatch(/^isolab: The base image isolab-nope:1 is not on the Docker engine and could not be pulled/m);
    expect(record.problems.some((p) => p.log === 'image' && p.rule === 'pull')).toBe(true);
  }, 300_000);

  it('Docker unreachable: one line with a fix, exit 1, no build recorded', () => {
    const before = buildDirs().length;
    const r = isolab(['build', checkout], { DOCKER_HOST: 'unix:///nope.sock' });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim()).toBe('isolab: Docker is not answering at unix:///nope.sock (connect ENOENT /nope.sock) Hint: start the Docker daemon: sudo systemctl start docker (or set the endpoint in Settings)');
    expect(buildDirs().length).toBe(before);
  });

  it('a DOCKER_HOST at a closed port: a clear error, exit 1', () => {
    const r = isolab(['build', checkout], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toEqual([
      'isolab: Docker is not answering at tcp://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1) Hint: check that the Docker daemon on that host is running and listening, or set another endpoint in Settings',
    ]);
  });

  it('a checkout that is not there: exit 1 before anything runs', () => {
    const r = isolab(['build', path.join(home, 'no-such-checkout')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^isolab: The checkout \S+no-such-checkout does not exist Hint: /);
  });

  it('Ctrl-C cancels: exit 130, the container is gone, the partial logs stay', async () => {
    const co = fixtureCheckout();
    // Build ids sort by the second they started in: find this build's record by what is new.
    const before = new Set(buildDirs());
    const child = spawn(process.execPath, [CLI, 'build', co, '--network', 'none', '--env', 'FIXTURE_SLOW=2'], {
      env: { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no buildroot line within 120 s:\n${out}\n${err}`)), 120_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^>>> /m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(buildContainers()).toHaveLength(1);
    child.kill('SIGINT');
    const code = await exited;
    expect(code, err).toBe(130);
    expect(err).toMatch(/cancelling the build/);
    expect(err).toMatch(/The build was cancelled during the build phase; logs kept in /);
    expect(buildContainers()).toEqual([]);
    const added = buildDirs().filter((d) => !before.has(d));
    expect(added).toHaveLength(1);
    const record = BuildRecord.parse(JSON.parse(readFileSync(path.join(home, 'data', 'builds', added[0]!, 'record.json'), 'utf8')));
    expect(record.phase).toBe('cancelled');
    const log = readFileSync(record.logs.build, 'utf8');
    expect(log).toMatch(/^>>> host-skeleton  Extracting$/m);
    expect(log).toMatch(/isolab: cancelled; the build container was stopped and removed\n$/);
  }, 300_000);
});
