// The build contract through the lab core (createLab's dispatcher, as the UI uses it) against
// the real dockerd: recipes and auto, pre-flight, jobs and their watch stream, history and
// logs, image reuse by context hash, cancel, and cleaning up after a crashed process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildEvent, BuildRecord, LogLinesResult, PreflightResult, RecipesResult, type BuildRequest } from '../../shared/build';
import { createLab } from '../../electron/core/lab';
import type { Dispatcher } from '../../electron/core/rpc/dispatcher';
import { BASE_IMAGE, buildContainers, docker, ensureBuildPrerequisites, FIXTURE, fixtureCheckout } from './build-setup';

function lab(home = mkdtempSync(path.join(os.tmpdir(), 'isolab-build-core-'))): Dispatcher {
  return createLab({ env: { ...process.env, ISOLAB_HOME: home } });
}

async function req<T>(l: Dispatcher, channel: string, args: unknown): Promise<T> {
  const o = await l.request(channel, args);
  if (!o.ok) throw Object.assign(new Error(o.error.message), o.error);
  return o.result as T;
}

/** Every event of a watch until the stream ends, in order. */
function watch(l: Dispatcher, buildId: string, onEvent?: (e: BuildEvent) => void): Promise<BuildEvent[]> {
  return new Promise((resolve, reject) => {
    const events: BuildEvent[] = [];
    l.subscribe('build.watch', { buildId }, {
      batch: (items) => {
        for (const e of items as BuildEvent[]) {
          events.push(BuildEvent.parse(e));
          onEvent?.(e);
        }
      },
      end: (error) => (error ? reject(new Error(error.message)) : resolve(events)),
    });
  });
}

const none: BuildRequest['custom'] = { network: 'none' };
const customImages: string[] = [];

beforeAll(() => {
  ensureBuildPrerequisites();
}, 900_000);

afterAll(() => {
  for (const image of customImages) {
    try {
      docker(['rmi', '-f', image]);
    } catch {
      // already gone
    }
  }
  expect(buildContainers()).toEqual([]);
});

describe('recipes and auto', () => {
  it("picks minikube on today's layout (just the files) and explains why", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-layout-'));
    mkdirSync(path.join(dir, 'deploy/iso/minikube-iso'), { recursive: true });
    writeFileSync(path.join(dir, 'deploy/iso/minikube-iso/Dockerfile'), 'FROM ubuntu:24.04\n');
    writeFileSync(
      path.join(dir, 'Makefile'),
      'REGISTRY ?= gcr.io/k8s-minikube\nISO_BUILD_IMAGE ?= $(REGISTRY)/buildroot-image\nminikube-iso-%: iso-prepare-% out/auto-pause-%\n\ttrue\nout/minikube-%.iso: $(shell find "deploy/iso/minikube-iso" -type f)\n\ttrue\n',
    );
    const r = RecipesResult.parse(await req(lab(), 'build.recipes', { checkout: dir, arch: 'aarch64' }));
    expect(r.auto.recipe).toBe('minikube');
    expect(r.auto.why).toMatch(/minikube-iso-% and out\/minikube-%\.iso \(today's minikube layout\) and deploy\/iso\/minikube-iso\/Dockerfile exists/);
    const today = r.recipes.find((v) => v.id === 'minikube')!;
    expect(today).toMatchObject({ arch: 'aarch64', image: 'gcr.io/k8s-minikube/buildroot-image', output: 'out/minikube-arm64.iso', archOptions: ['x86_64', 'aarch64'] });
    expect(today.dockerRun).toMatch(/--volume buildroot-cache:\/var\/cache\/buildroot --volume \/tmp .* gcr\.io\/k8s-minikube\/buildroot-image \/bin\/bash -lc '\/usr\/bin\/make minikube-iso-aarch64'$/);
    expect(r.recipes.map((v) => v.id)).toEqual(['minikube', 'minikube-2019', 'hello', 'custom']);
    // The sample's recipe is offered too, for its own layout: x86_64 only, out/hello.iso.
    expect(r.recipes.find((v) => v.id === 'hello')).toMatchObject({ arch: 'x86_64', archOptions: ['x86_64'], output: 'out/hello.iso' });
    const pre = PreflightResult.parse(await req(lab(), 'build.preflight', { checkout: dir, arch: 'aarch64' }));
    expect(pre.recipe?.id).toBe('minikube');
    expect(pre.autoWhy).toMatch(/today's minikube layout/);
  });

  it('picks minikube-2019 on the 2019 layout (the fixture)', async () => {
    const r = RecipesResult.parse(await req(lab(), 'build.recipes', { checkout: FIXTURE }));
    expect(r.auto).toEqual({ recipe: 'minikube-2019', why: expect.stringMatching(/out\/minikube\.iso and minikube_iso \(the 2019 minikube layout\)/) });
    const custom = r.recipes.find((v) => v.id === 'custom')!;
    // Custom starts from what auto found.
    expect(custom).toMatchObject({ dockerfile: 'deploy/iso/minikube-iso/Dockerfile', command: ['/usr/bin/make', 'out/minikube.iso'], output: 'out/minikube.iso' });
  });

  it('pre-flight: what blocks and what only warns', async () => {
    const co = fixtureCheckout();
    const ok = PreflightResult.parse(await req(lab(), 'build.preflight', { checkout: co, custom: none }));
    expect(ok).toMatchObject({ ok: true, errors: [], selinux: 'absent', remote: false, endpoint: 'unix:///var/run/docker.sock', needBytes: 25e9 });
    expect(ok.freeBytes).toBeGreaterThan(0);
    expect(ok.builderImage).toMatchObject({ tag: 'isolab/fixture-buildroot-image', contextHash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const missing = PreflightResult.parse(await req(lab(), 'build.preflight', { checkout: path.join(co, 'nope') }));
    expect(missing.ok).toBe(false);
    expect(missing.errors.map((e) => e.code)).toEqual(['BUILD_CHECKOUT_MISSING']);

    const nope = PreflightResult.parse(await req(lab(), 'build.preflight', { checkout: co, custom: { buildArgs: { BASE: 'isolab-nope:1' } } }));
    expect(nope.ok).toBe(true);
    expect(nope.warnings).toContainEqual(expect.objectContaining({ code: 'BUILD_BASE_IMAGE_MISSING', message: expect.stringContaining('isolab-nope:1') }));

    const refused = await lab().request('build.start', { checkout: path.join(co, 'nope') });
    expect(refused).toMatchObject({ ok: false, error: { code: 'BUILD_CHECKOUT_MISSING' } });
  });
});

describe('a build as a job of the core', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-build-core-'));
  const l = lab(home);
  let checkout = '';
  let first: BuildRecord;

  it('streams a snapshot, logs, phases, progress per package, then done with the record', async () => {
    checkout = fixtureCheckout();
    // Progress events come at most every 100 ms: slow steps make every package show up in them.
    const { buildId } = await req<{ buildId: string }>(l, 'build.start', { checkout, custom: { ...none, env: { FIXTURE_SLOW: '0.15' } } });
    expect((await req<BuildRecord[]>(l, 'build.running', {})).map((r) => r.id)).toEqual([buildId]);
    const events = await watch(l, buildId);
    expect(events[0]!.kind).toBe('snapshot');
    expect(events.at(-1)!.kind).toBe('done');
    const phases = events.filter((e) => e.kind === 'phase').map((e) => (e as { phase: string }).phase);
    expect(phases.slice(-2)).toEqual(['build', 'done']);
    const text = { image: '', build: '' };
    const snap = events[0] as Extract<BuildEvent, { kind: 'snapshot' }>;
    for (const log of ['image', 'build'] as const) text[log] = snap.tail[log].map((l) => `${l}\n`).join('');
    for (const e of events) if (e.kind === 'log') text[e.log] += e.text;
    expect(text.build).toMatch(/^>>> syslinux 6\.04 Installing to images directory$/m);
    const packages = events.flatMap((e) => (e.kind === 'progress' && e.progress.package ? [e.progress.package] : []));
    expect(new Set(packages)).toEqual(new Set(['host-skeleton', 'skeleton-init-sysv', 'busybox', 'linux', 'syslinux']));
    const lastProgress = events.filter((e) => e.kind === 'progress').at(-1) as Extract<BuildEvent, { kind: 'progress' }>;
    expect(lastProgress.progress.packagesDone).toBe(5);
    first = (events.at(-1) as Extract<BuildEvent, { kind: 'done' }>).record;
    expect(first).toMatchObject({ id: buildId, phase: 'done', exitCode: 0, output: { path: path.join(checkout, 'out', 'minikube.iso') } });
    expect(first.packageTimes?.map((p) => p.name)).toEqual(['host-skeleton', 'skeleton-init-sysv', 'busybox', 'linux', 'syslinux']);
    // What the stream carried is exactly the file, line for line.
    expect(text.build).toBe(readFileSync(first.logs.build, 'utf8'));
    expect(await req<BuildRecord[]>(l, 'build.running', {})).toEqual([]);
  }, 600_000);

  it('a finished build: watch gives snapshot and done at once; logLines pages the file; history lists it', async () => {
    const events = await watch(l, first.id);
    expect(events.map((e) => e.kind)).toEqual(['snapshot', 'done']);
    const snap = events[0] as Extract<BuildEvent, { kind: 'snapshot' }>;
    const fileLines = readFileSync(first.logs.build, 'utf8').split('\n').slice(0, -1);
    expect(snap.tail.build).toEqual(fileLines);
    expect(snap.tailStart.build).toBe(0);
    const page = LogLinesResult.parse(await req(l, 'build.logLines', { buildId: first.id, log: 'build', from: 3, count: 4 }));
    expect(page).toEqual({ lines: fileLines.slice(3, 7), from: 3, total: fileLines.length });
    expect((await req<BuildRecord[]>(l, 'build.history', {}))[0]!.id).toBe(first.id);
    expect(await req(l, 'build.get', { buildId: first.id })).toEqual(first);
    expect(await l.request('build.get', { buildId: '20200101-000000-zzzz' })).toMatchObject({ ok: false, error: { code: 'BUILD_NOT_FOUND' } });
    await expect(watch(l, '20200101-000000-zzzz')).rejects.toThrow(/No build 20200101-000000-zzzz/);
    expect(await l.request('build.logLines', { buildId: '../../etc', log: 'build', from: 0, count: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_ARGS' } });
  });

  it('the next build of the checkout estimates the time left from this one', async () => {
    const { buildId } = await req<{ buildId: string }>(l, 'build.start', {
      checkout,
      custom: { ...none, command: 'rm -f out/minikube.iso && exec /usr/bin/make out/minikube.iso', env: { FIXTURE_SLOW: '0.2' } },
    });
    // A watcher that leaves (a reload, a closed window) does not stop the build.
    let gotSnapshot = false;
    const stop = l.subscribe('build.watch', { buildId }, { batch: (items) => (gotSnapshot ||= (items as BuildEvent[])[0]?.kind === 'snapshot'), end: () => {} });
    await new Promise((r) => setTimeout(r, 200));
    stop();
    expect(gotSnapshot).toBe(true);
    const events = await watch(l, buildId);
    const etas = events.flatMap((e) => (e.kind === 'progress' && e.progress.etaMs !== undefined ? [e.progress.etaMs] : []));
    expect(etas.length).toBeGreaterThan(0);
    expect((events.at(-1) as Extract<BuildEvent, { kind: 'done' }>).record.phase).toBe('done');
  }, 300_000);

  it('another process follows a build it does not run, from the files', async () => {
    const { buildId } = await req<{ buildId: string }>(l, 'build.start', {
      checkout,
      custom: { ...none, command: 'rm -f out/minikube.iso && exec /usr/bin/make out/minikube.iso', env: { FIXTURE_SLOW: '0.3' } },
    });
    // A second lab core on the same data folder, as the app is next to a CLI build.
    const other = lab(home);
    const [mine, theirs] = await Promise.all([watch(l, buildId), watch(other, buildId)]);
    expect(theirs[0]!.kind).toBe('snapshot');
    const done = theirs.at(-1) as Extract<BuildEvent, { kind: 'done' }>;
    expect(done.kind).toBe('done');
    expect(done.record.phase).toBe('done');
    const snap = theirs[0] as Extract<BuildEvent, { kind: 'snapshot' }>;
    let text = snap.tail.build.map((x) => `${x}\n`).join('');
    for (const e of theirs) if (e.kind === 'log' && e.log === 'build') text += e.text;
    expect(text).toBe(readFileSync(done.record.logs.build, 'utf8'));
    expect(mine.at(-1)!.kind).toBe('done');
    expect(await other.request('build.cancel', { buildId })).toMatchObject({ ok: true });
  }, 300_000);

  it('cancel during the image build: aborted, nothing left, the partial image log stays', async () => {
    const { buildId } = await req<{ buildId: string }>(l, 'build.start', { checkout, custom: none, rebuildImage: true });
    let sawStep = false;
    const events = watch(l, buildId, (e) => {
      if (!sawStep && e.kind === 'progress' && e.progress.imageStep && e.progress.imageStep.current >= 2) {
        sawStep = true;
        void l.request('build.cancel', { buildId });
      }
    });
    const all = await events;
    const record = (all.at(-1) as Extract<BuildEvent, { kind: 'done' }>).record;
    expect(record).toMatchObject({ phase: 'cancelled', error: { code: 'BUILD_CANCELLED' } });
    expect(record.exitCode).toBeUndefined();
    expect(readFileSync(record.logs.image, 'utf8')).toMatch(/^Step 1\/\d+ : ARG BASE/m);
    expect(buildContainers()).toEqual([]);
    const running = docker(['ps', '-a', '-q', '--filter', 'status=running']);
    expect(running).toBe('');
  }, 300_000);
});

describe('a custom recipe whose Dockerfile copies from its context', () => {
  it('reuses the image when only an ignored file changed, rebuilds when a copied one did', async () => {
    const co = mkdtempSync(path.join(os.tmpdir(), 'isolab-custom-'));
    mkdirSync(path.join(co, 'builder/tools'), { recursive: true });
    mkdirSync(path.join(co, 'builder/scratch'), { recursive: true });
    writeFileSync(path.join(co, 'builder/Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY tools/ /opt/tools/\n`);
    writeFileSync(path.join(co, 'builder/.dockerignore'), 'scratch/\n');
    // A fresh marker every run: an image of an earlier run (even untagged) would be reused, rightly.
    const nonce = `${process.pid}-${Date.now()}`;
    writeFileSync(path.join(co, 'builder/tools/marker'), `one ${nonce}\n`);
    writeFileSync(path.join(co, 'builder/scratch/notes'), 'a\n');
    const image = `isolab-test/custom-copy:${process.pid}`;
    customImages.push(image);
    const l = lab();
    const build = async () => {
      const { buildId } = await req<{ buildId: string }>(l, 'build.start', {
        checkout: co,
        recipe: 'custom',
        custom: { dockerfile: 'builder/Dockerfile', image, command: 'mkdir -p out && cp /opt/tools/marker out/custom.iso && ls /opt/tools', output: 'out/*.iso', network: 'none' },
      });
      const events = await watch(l, buildId);
      return (events.at(-1) as Extract<BuildEvent, { kind: 'done' }>).record;
    };
    const r1 = await build();
    expect(r1).toMatchObject({ phase: 'done', imageReused: false, recipe: 'custom' });
    customImages.push(r1.imageId!);
    expect(readFileSync(r1.output!.path, 'utf8')).toBe(`one ${nonce}\n`);
    expect(readFileSync(r1.logs.build, 'utf8')).not.toMatch(/scratch|notes/);

    writeFileSync(path.join(co, 'builder/scratch/notes'), 'b\n');
    const r2 = await build();
    expect(r2).toMatchObject({ phase: 'done', imageReused: true, contextHash: r1.contextHash });

    writeFileSync(path.join(co, 'builder/tools/marker'), `two ${nonce}\n`);
    const r3 = await build();
    expect(r3).toMatchObject({ phase: 'done', imageReused: false });
    expect(r3.contextHash).not.toBe(r1.contextHash);
    customImages.push(r3.imageId!);
    expect(readFileSync(r3.output!.path, 'utf8')).toBe(`two ${nonce}\n`);
  }, 600_000);
});

describe('after a crash', () => {
  it('a new lab core marks the dead process builds failed and removes their containers', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-build-crash-'));
    const id = '20200101-000000-dead';
    const dir = path.join(home, 'data', 'builds', id);
    mkdirSync(dir, { recursive: true });
    // A pid that cannot be running: above the kernel's pid_max.
    const owner = { pid: 4_194_305, host: os.hostname() };
    const record: BuildRecord = {
      id,
      recipe: 'minikube-2019',
      arch: 'x86_64',
      checkout: '/nowhere',
      image: 'x',
      startedAt: '2020-01-01T00:00:00.000Z',
      phase: 'build',
      logs: { image: path.join(dir, 'image.log'), build: path.join(dir, 'build.log') },
      problems: [],
      owner,
    };
    writeFileSync(path.join(dir, 'record.json'), JSON.stringify(record));
    execFileSync('docker', ['create', '--network', 'none', '--label', `io.isolab.build=${id}`, '--label', `io.isolab.owner=${owner.host}:${owner.pid}`, BASE_IMAGE, 'true']);
    expect(buildContainers()).toHaveLength(1);
    const l = lab(home);
    await l.ctx.builds.init();
    expect(buildContainers()).toEqual([]);
    const after = BuildRecord.parse(await req(l, 'build.get', { buildId: id }));
    expect(after).toMatchObject({ phase: 'failed', error: { code: 'BUILD_INTERRUPTED' } });
  }, 120_000);
});
