import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectRecipe, expandMakeVar, parseMakefile } from '../../electron/core/build/recipe-detect';
import { dockerRunLine, recipeFor, recipeView, resolveRecipe, shellQuote } from '../../electron/core/build/recipes';
import { isRemoteEndpoint } from '../../electron/core/build/remote';

const root = path.resolve(__dirname, '..', '..');

/** The Makefile lines of minikube today that matter here (reference §1), not the whole file. */
const TODAY_MAKEFILE = `ISO_VERSION ?= v1.38.0-1787403653-23518
REGISTRY ?= gcr.io/k8s-minikube
ISO_BUILD_IMAGE ?= $(REGISTRY)/buildroot-image
BUILD_DIR ?= $(PWD)/out

minikube-iso-amd64: minikube-iso-x86_64
minikube-iso-arm64: minikube-iso-aarch64

minikube-iso-%: iso-prepare-% out/auto-pause-% # build minikube iso
\tcp out/auto-pause-$* deploy/iso/minikube-iso/board/minikube/$*/rootfs-overlay/usr/bin/auto-pause

out/minikube-%.iso: $(shell find "deploy/iso/minikube-iso" -type f)
ifeq ($(IN_DOCKER),1)
\t$(MAKE) minikube-iso-$*
else
\tdocker run --rm --workdir /mnt --volume $(CURDIR):/mnt:Z $(ISO_DOCKER_EXTRA_ARGS) \\
\t\t$(ISO_BUILD_IMAGE) /bin/bash -lc '/usr/bin/make minikube-iso-$*'
endif
`;

function checkout(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-recipe-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), body);
  }
  return dir;
}

describe('reading a Makefile', () => {
  it('finds targets and expands simple variables', () => {
    const mk = parseMakefile(TODAY_MAKEFILE);
    expect(mk.targets.has('minikube-iso-%')).toBe(true);
    expect(mk.targets.has('out/minikube-%.iso')).toBe(true);
    expect(mk.targets.has('minikube-iso-amd64')).toBe(true);
    expect(expandMakeVar('ISO_BUILD_IMAGE', mk.vars)).toBe('gcr.io/k8s-minikube/buildroot-image');
    // $(PWD) is make's business, not ours.
    expect(expandMakeVar('BUILD_DIR', mk.vars)).toBeUndefined();
  });
});

describe('auto', () => {
  it("picks minikube on today's layout and says why", async () => {
    const dir = checkout({ Makefile: TODAY_MAKEFILE, 'deploy/iso/minikube-iso/Dockerfile': 'FROM ubuntu:24.04\n' });
    const d = await detectRecipe(dir);
    expect(d.recipe).toBe('minikube');
    expect(d.why).toMatch(/minikube-iso-%/);
    expect(d.why).toMatch(/deploy\/iso\/minikube-iso\/Dockerfile exists/);
    expect(d.isoBuildImage).toBe('gcr.io/k8s-minikube/buildroot-image');
  });

  it('picks minikube-2019 on the fixture checkout (the 2019 layout)', async () => {
    const d = await detectRecipe(path.join(root, 'recipes', 'fixture'));
    expect(d.recipe).toBe('minikube-2019');
    expect(d.why).toMatch(/out\/minikube\.iso/);
    expect(d.isoBuildImage).toBe('isolab/fixture-buildroot-image');
  });

  it('says what is missing when nothing fits', async () => {
    const none = await detectRecipe(checkout({ 'README.md': 'hi' }));
    expect(none.recipe).toBeNull();
    expect(none.why).toMatch(/custom recipe/);
    const noDockerfile = await detectRecipe(checkout({ Makefile: 'out/minikube.iso:\n\ttrue\n' }));
    expect(noDockerfile.recipe).toBe('minikube-2019');
    expect(noDockerfile.why).toMatch(/is missing/);
    const other = await detectRecipe(checkout({ Makefile: 'all:\n\ttrue\n' }));
    expect(other.recipe).toBeNull();
    expect(() => resolveRecipe('auto', '/x', undefined, other)).toThrow(/No recipe fits/);
  });
});

describe('recipes', () => {
  const det = { recipe: 'minikube' as const, why: '', hasDockerfile: true };

  it("today's: make minikube-iso-<arch> through bash -l, cache volume, anonymous /tmp, :Z only when relabelling", () => {
    const r = recipeFor('minikube', '/src/minikube', 'aarch64', det);
    expect(r.command).toEqual(['/bin/bash', '-lc', '/usr/bin/make minikube-iso-aarch64']);
    expect(r.output).toBe('out/minikube-arm64.iso');
    expect(recipeFor('minikube', '/src/minikube', undefined, det).output).toBe('out/minikube-amd64.iso');
    expect(r.image).toBe('gcr.io/k8s-minikube/buildroot-image');
    const v = recipeView(r, true);
    expect(v.dockerfile).toBe('deploy/iso/minikube-iso/Dockerfile');
    expect(v.context).toBe('deploy/iso/minikube-iso');
    expect(v.dockerBuild).toBe('docker build -t gcr.io/k8s-minikube/buildroot-image -f deploy/iso/minikube-iso/Dockerfile deploy/iso/minikube-iso');
    expect(v.dockerRun).toContain('--volume /src/minikube:/mnt:Z --volume buildroot-cache:/var/cache/buildroot --volume /tmp');
    expect(v.dockerRun).toContain('--env HOME=/tmp --env IN_DOCKER=1');
    expect(v.dockerRun).toMatch(/--user \d+:\d+/);
    expect(v.dockerRun).toMatch(/gcr\.io\/k8s-minikube\/buildroot-image \/bin\/bash -lc '\/usr\/bin\/make minikube-iso-aarch64'$/);
    expect(dockerRunLine(r, false)).toContain('--volume /src/minikube:/mnt --volume');
  });

  it('2019: /usr/bin/make out/minikube.iso, x86_64 only', () => {
    const r = recipeFor('minikube-2019', '/src/mk', undefined, det);
    expect(r.command).toEqual(['/usr/bin/make', 'out/minikube.iso']);
    expect(r.output).toBe('out/minikube.iso');
    expect(Object.keys(r.volumes)).toEqual([]);
    expect(() => recipeFor('minikube-2019', '/src/mk', 'aarch64', det)).toThrow(/x86_64/);
  });

  it('custom starts from the detected recipe and takes every field; a string command runs through sh -c', () => {
    const r = recipeFor('custom', '/src/x', undefined, det, {
      dockerfile: 'build/Dockerfile',
      image: 'me/builder:1',
      command: 'make iso',
      env: { FOO: 'a b' },
      buildArgs: { BASE: 'debian:bookworm' },
      output: 'dist/*.iso',
      network: 'none',
    });
    expect(r.dockerfile).toBe('/src/x/build/Dockerfile');
    expect(r.contextDir).toBe('/src/x/build');
    expect(r.command).toEqual(['/bin/sh', '-c', 'make iso']);
    expect(r.env).toEqual({ HOME: '/tmp', IN_DOCKER: '1', FOO: 'a b' });
    const v = recipeView(r);
    expect(v.dockerBuild).toBe('docker build --network none --build-arg BASE=debian:bookworm -t me/builder:1 -f build/Dockerfile build');
    expect(v.dockerRun).toContain("--env 'FOO=a b'");
    expect(v.dockerRun).toMatch(/me\/builder:1 \/bin\/sh -c 'make iso'$/);
  });

  it('overrides reach the named recipes too (a build arg for the fixture)', () => {
    const r = recipeFor('minikube-2019', '/src/mk', undefined, det, { buildArgs: { BASE: 'nope:1' } });
    expect(r.buildArgs).toEqual({ BASE: 'nope:1' });
    expect(r.command).toEqual(['/usr/bin/make', 'out/minikube.iso']);
  });

  it('keeps the output inside the checkout', () => {
    expect(() => recipeFor('custom', '/src/x', undefined, det, { output: '/etc/passwd' })).toThrow(/not inside the checkout/);
    expect(() => recipeFor('custom', '/src/x', undefined, det, { output: 'out/../../x.iso' })).toThrow(/not inside the checkout/);
  });

  it('quotes for a shell only where needed', () => {
    expect(shellQuote('/usr/bin/make')).toBe('/usr/bin/make');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
  });
});

describe('remote engines', () => {
  it.each([
    ['unix:///var/run/docker.sock', false],
    ['npipe:////./pipe/docker_engine', false],
    ['tcp://127.0.0.1:1', false],
    ['tcp://localhost:2375', false],
    ['tcp://[::1]:2375', false],
    ['tcp://10.0.0.5:2376', true],
    ['ssh://me@build.example', true],
    ['tcp://build.example:2375', true],
  ])('%s remote: %s', (url, remote) => {
    expect(isRemoteEndpoint(url)).toBe(remote);
  });
});
