// Offline builds (issue 10 item 5) against the real dockerd, where no registry is reachable:
// a checkout whose Dockerfile's FROM takes its image from a build arg that names an image the
// engine lacks. Pre-flight names the image and the argument, build.localImages lists what the
// engine has, the failed pull records both (and no builder image as "built"), and with the
// argument set to a local image the same checkout builds.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildEvent, BuildRecord, LocalImage, PreflightResult, type BuildRequest } from '../../shared/build';
import { createLab } from '../../electron/core/lab';
import type { Dispatcher } from '../../electron/core/rpc/dispatcher';
import { BASE_IMAGE, buildContainers, docker, ensureBuildPrerequisites } from './build-setup';

const MISSING = 'isolab-offline-missing:nope';
const TAG = 'isolab-test/offline-builder';

function lab(): Dispatcher {
  return createLab({ env: { ...process.env, ISOLAB_HOME: mkdtempSync(path.join(os.tmpdir(), 'isolab-offline-')) } });
}

async function req<T>(l: Dispatcher, channel: string, args: unknown): Promise<T> {
  const o = await l.request(channel, args);
  if (!o.ok) throw Object.assign(new Error(o.error.message), o.error);
  return o.result as T;
}

function done(l: Dispatcher, buildId: string): Promise<BuildRecord> {
  return new Promise((resolve, reject) => {
    l.subscribe('build.watch', { buildId }, {
      batch: (items) => {
        for (const e of items as BuildEvent[]) if (e.kind === 'done') resolve(BuildRecord.parse(e.record));
      },
      end: (error) => error && reject(new Error(error.message)),
    });
  });
}

function checkout(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-offline-co-'));
  writeFileSync(path.join(dir, 'Dockerfile'), `# a builder from a base chosen by a build arg\nARG BASE=${MISSING}\nFROM \${BASE}\nRUN echo built > /built\n`);
  return dir;
}

const custom = (buildArgs?: Record<string, string>): BuildRequest => ({
  checkout: '',
  recipe: 'custom',
  custom: { dockerfile: 'Dockerfile', context: '.', image: TAG, command: 'mkdir -p out && cat /built > out/offline.iso', output: 'out/offline.iso', network: 'none', ...(buildArgs ? { buildArgs } : {}) },
});

beforeAll(() => {
  ensureBuildPrerequisites();
  try {
    docker(['rmi', '-f', MISSING]);
  } catch {
    // not there, as it should be
  }
}, 900_000);

afterAll(() => {
  try {
    docker(['rmi', '-f', TAG]);
  } catch {
    // never built
  }
  expect(buildContainers()).toEqual([]);
});

describe('a base image the engine lacks, chosen by a build arg', () => {
  const co = checkout();

  it('pre-flight names the missing image and the build arg that sets it', async () => {
    const pre = PreflightResult.parse(await req(lab(), 'build.preflight', { ...custom(), checkout: co }));
    expect(pre.ok).toBe(true);
    const w = pre.warnings.find((x) => x.code === 'BUILD_BASE_IMAGE_MISSING');
    expect(w?.base).toEqual({ image: MISSING, buildArg: 'BASE', fromLine: 'FROM ${BASE}' });
    expect(w?.message).toBe(`The engine does not have the base image ${MISSING} (FROM \${BASE} in Dockerfile, set by the build argument BASE): the build will try to pull it`);
    expect(w?.hint).toMatch(/set BASE to an image the engine has/);
  });

  it('build.localImages lists the engine’s tagged images, the local base among them', async () => {
    const r = await req<{ endpoint: string; images: LocalImage[] }>(lab(), 'build.localImages', {});
    expect(r.endpoint).toBe('unix:///var/run/docker.sock');
    const base = r.images.find((i) => i.ref === BASE_IMAGE);
    expect(base).toMatchObject({ id: expect.stringMatching(/^sha256:/), builder: false });
    expect(base!.size).toBeGreaterThan(1e6);
    expect(r.images.some((i) => i.ref.includes('<none>'))).toBe(false);
    // Same answer as the docker CLI, tag for tag.
    const cli = docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter((t) => t && !t.includes('<none>'));
    expect(new Set(r.images.map((i) => i.ref))).toEqual(new Set(cli));
  });

  it('without the arg the pull fails: the record names the image and the arg, and the builder image is not "built"', async () => {
    const l = lab();
    const { buildId } = await req<{ buildId: string }>(l, 'build.start', { ...custom(), checkout: co });
    const record = await done(l, buildId);
    expect(record.phase).toBe('failed');
    expect(record.error?.code).toBe('BUILD_PULL_FAILED');
    expect(record.error?.hint).toMatch(/set the build argument BASE \(FROM \$\{BASE\}\) to an image the engine has/);
    expect(record.missingBase).toEqual({ image: MISSING, buildArg: 'BASE', fromLine: 'FROM ${BASE}' });
    expect(record.imageReused).toBe(false);
    expect(record.imageId).toBeUndefined();
    expect(record.phaseTimes?.image).toBeUndefined();
    expect(record.exitCode).toBeUndefined();
  }, 120_000);

  it('with --build-arg BASE set to a local image pre-flight is clean and the build proceeds to the ISO', async () => {
    const l = lab();
    const req0 = { ...custom({ BASE: BASE_IMAGE }), checkout: co };
    const pre = PreflightResult.parse(await req(l, 'build.preflight', req0));
    expect(pre.warnings.filter((w) => w.code === 'BUILD_BASE_IMAGE_MISSING')).toEqual([]);
    expect(pre.recipe?.dockerBuild).toContain(`--build-arg BASE=${BASE_IMAGE}`);
    const { buildId } = await req<{ buildId: string }>(l, 'build.start', req0);
    const record = await done(l, buildId);
    expect(record.phase).toBe('done');
    expect(record.missingBase).toBeUndefined();
    expect(record.imageId).toMatch(/^sha256:/);
    expect(record.output?.path).toBe(path.join(co, 'out', 'offline.iso'));
    expect(record.output?.size).toBe('built\n'.length);
  }, 300_000);
});
