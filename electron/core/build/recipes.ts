import path from 'node:path';
import type { Arch, CustomRecipe, MountView, NetworkMode, RecipeChoice, RecipeId, RecipeView } from '../../../shared/build';
import { LabError } from '../../../shared/errors';
import { DEFAULT_ISO_BUILD_IMAGE, HELLO_DOCKERFILE, HELLO_ISO_BUILD_IMAGE, MINIKUBE_DOCKERFILE, type Detection } from './recipe-detect';

/**
 * The recipes: how the seed's two `make` steps (docker build of the builder image, docker run
 * of make inside it) are spelled for minikube today, for the 2019 checkout, and for anything
 * else. ../shared/reference/minikube-iso.md §1 has the Makefile lines these come from.
 */

export interface ResolvedRecipe {
  id: RecipeId;
  name: string;
  description: string;
  arch: Arch;
  archOptions: Arch[];
  checkout: string;
  /** Absolute. */
  dockerfile: string;
  contextDir: string;
  image: string;
  buildArgs: Record<string, string>;
  command: string[];
  workdir: string;
  /** uid:gid, so files written into the checkout belong to the caller; empty where there is no uid. */
  user: string;
  env: Record<string, string>;
  /** Named volumes: name → path in the container. */
  volumes: Record<string, string>;
  anonymousVolumes: string[];
  network: NetworkMode;
  output: string;
  needBytes: number;
}

const MINIKUBE_CONTEXT = 'deploy/iso/minikube-iso';
const GB = 1e9;

export const RECIPE_NAMES: Record<RecipeId, string> = {
  minikube: 'minikube (today)',
  'minikube-2019': 'minikube (2019, the seed)',
  hello: 'Hello ISO (sample)',
  custom: 'Custom',
};

function callerUser(): string {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  return uid === undefined || gid === undefined ? '' : `${uid}:${gid}`;
}

const isoName = (arch: Arch) => (arch === 'aarch64' ? 'minikube-arm64.iso' : 'minikube-amd64.iso');

function minikubeToday(checkout: string, arch: Arch, det: Detection | undefined): ResolvedRecipe {
  return {
    id: 'minikube',
    name: RECIPE_NAMES.minikube,
    description:
      "Today's Makefile: the builder image from deploy/iso/minikube-iso/Dockerfile, then `make minikube-iso-<arch>` inside it " +
      'with the checkout at /mnt, buildroot\'s download and ccache cache in the named volume buildroot-cache, and a fresh /tmp. ' +
      'A first build takes hours and tens of GB.',
    arch,
    archOptions: ['x86_64', 'aarch64'],
    checkout,
    dockerfile: path.join(checkout, MINIKUBE_DOCKERFILE),
    contextDir: path.join(checkout, MINIKUBE_CONTEXT),
    image: det?.isoBuildImage ?? DEFAULT_ISO_BUILD_IMAGE,
    buildArgs: {},
    command: ['/bin/bash', '-lc', `/usr/bin/make minikube-iso-${arch}`],
    workdir: '/mnt',
    user: callerUser(),
    env: { HOME: '/tmp', IN_DOCKER: '1' },
    volumes: { 'buildroot-cache': '/var/cache/buildroot' },
    anonymousVolumes: ['/tmp'],
    network: 'default',
    output: `out/${isoName(arch)}`,
    needBytes: 40 * GB,
  };
}

function minikube2019(checkout: string, det: Detection | undefined): ResolvedRecipe {
  return {
    id: 'minikube-2019',
    name: RECIPE_NAMES['minikube-2019'],
    description:
      "The 2019 Makefile the seed walks through: the builder image from deploy/iso/minikube-iso/Dockerfile, then " +
      '`make out/minikube.iso` inside it with IN_DOCKER=1, which runs `make minikube_iso` (buildroot 2018.05) and moves ' +
      'rootfs.iso9660 to out/minikube.iso.',
    arch: 'x86_64',
    archOptions: ['x86_64'],
    checkout,
    dockerfile: path.join(checkout, MINIKUBE_DOCKERFILE),
    contextDir: path.join(checkout, MINIKUBE_CONTEXT),
    image: det?.isoBuildImage ?? DEFAULT_ISO_BUILD_IMAGE,
    buildArgs: {},
    command: ['/usr/bin/make', 'out/minikube.iso'],
    workdir: '/mnt',
    user: callerUser(),
    env: { HOME: '/tmp', IN_DOCKER: '1' },
    volumes: {},
    anonymousVolumes: [],
    network: 'default',
    output: 'out/minikube.iso',
    needBytes: 25 * GB,
  };
}

/** The sample shipped with ISO Lab (recipes/hello-iso): minikube's two steps, in seconds instead of hours. */
function helloSample(checkout: string, det: Detection | undefined): ResolvedRecipe {
  return {
    id: 'hello',
    name: RECIPE_NAMES.hello,
    description:
      "ISO Lab's sample: the builder image from builder/Dockerfile (a Debian kernel, busybox, isolinux and xorriso), then " +
      '`make out/hello.iso` inside it with the checkout at /mnt, which packs busybox and overlay/ into a gzip cpio ' +
      'initrd and makes an ISO with minikube\'s layout. A build takes seconds once the builder image exists.',
    arch: 'x86_64',
    archOptions: ['x86_64'],
    checkout,
    dockerfile: path.join(checkout, HELLO_DOCKERFILE),
    contextDir: path.join(checkout, path.dirname(HELLO_DOCKERFILE)),
    image: det?.isoBuildImage ?? HELLO_ISO_BUILD_IMAGE,
    buildArgs: {},
    command: ['/usr/bin/make', 'out/hello.iso'],
    workdir: '/mnt',
    user: callerUser(),
    env: { HOME: '/tmp', IN_DOCKER: '1' },
    volumes: {},
    anonymousVolumes: [],
    // The builder's RUN installs from Debian when online; the build itself needs no network.
    network: 'default',
    output: 'out/hello.iso',
    needBytes: 0.5 * GB,
  };
}

/** The recipes with a fixed layout; custom starts from whichever of these the checkout looks like. */
const NAMED: Record<Exclude<RecipeId, 'custom'>, (checkout: string, arch: Arch, det: Detection | undefined) => ResolvedRecipe> = {
  minikube: minikubeToday,
  'minikube-2019': (checkout, _arch, det) => minikube2019(checkout, det),
  hello: (checkout, _arch, det) => helloSample(checkout, det),
};

/** Starts from what the checkout looks like, so "custom" is a tweak of the detected recipe. */
function customBase(checkout: string, arch: Arch, det: Detection | undefined): ResolvedRecipe {
  const from = det?.recipe && det.recipe !== 'custom' ? NAMED[det.recipe](checkout, arch, det) : undefined;
  const slug = path.basename(checkout).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'checkout';
  return {
    id: 'custom',
    name: RECIPE_NAMES.custom,
    description: 'Your own Dockerfile, context, image tag, command, environment and output path (a glob); the checkout is at /mnt.',
    arch,
    archOptions: ['x86_64', 'aarch64'],
    checkout,
    dockerfile: from?.dockerfile ?? path.join(checkout, 'Dockerfile'),
    contextDir: from?.contextDir ?? checkout,
    image: from?.image ?? `isolab-custom/${slug}`,
    buildArgs: {},
    command: from?.command ?? ['/bin/sh', '-c', 'make'],
    workdir: '/mnt',
    user: callerUser(),
    env: { HOME: '/tmp', IN_DOCKER: '1' },
    volumes: {},
    anonymousVolumes: ['/tmp'],
    network: 'default',
    output: from?.output ?? 'out/*.iso',
    needBytes: 0,
  };
}

function resolvePath(checkout: string, p: string): string {
  return path.isAbsolute(p) ? path.normalize(p) : path.join(checkout, p);
}

function applyOverrides(r: ResolvedRecipe, c: CustomRecipe | undefined): ResolvedRecipe {
  if (!c) return r;
  const out = { ...r, env: { ...r.env, ...c.env }, buildArgs: { ...r.buildArgs, ...c.buildArgs } };
  if (c.dockerfile) {
    out.dockerfile = resolvePath(r.checkout, c.dockerfile);
    if (!c.context) out.contextDir = path.dirname(out.dockerfile);
  }
  if (c.context) out.contextDir = resolvePath(r.checkout, c.context);
  if (c.image) out.image = c.image;
  if (c.command) out.command = typeof c.command === 'string' ? ['/bin/sh', '-c', c.command] : [...c.command];
  if (c.output) {
    // The ISO is looked for, hashed and offered to open: it must be something the build made in the checkout.
    if (path.isAbsolute(c.output) || c.output.split(/[\\/]/).includes('..')) {
      throw new LabError('BUILD_OUTPUT_OUTSIDE', `The output path ${c.output} is not inside the checkout`, 'give a path or glob relative to the checkout, e.g. out/*.iso');
    }
    out.output = c.output;
  }
  if (c.network) out.network = c.network;
  return out;
}

export function recipeFor(id: RecipeId, checkout: string, arch: Arch | undefined, det: Detection | undefined, custom?: CustomRecipe): ResolvedRecipe {
  const a = arch ?? 'x86_64';
  const base = id === 'custom' ? customBase(checkout, a, det) : NAMED[id](checkout, a, det);
  if (!base.archOptions.includes(a)) {
    throw new LabError(
      'BUILD_ARCH_UNSUPPORTED',
      `The ${base.name} recipe builds ${base.archOptions.join(' or ')}, not ${a}`,
      `choose --arch ${base.archOptions.join(' or ')}, or the minikube (today) recipe for aarch64`,
    );
  }
  return applyOverrides(base, custom);
}

export interface Resolution {
  recipe: ResolvedRecipe;
  autoWhy?: string;
}

export function resolveRecipe(choice: RecipeChoice, checkout: string, arch: Arch | undefined, det: Detection, custom?: CustomRecipe): Resolution {
  if (choice !== 'auto') return { recipe: recipeFor(choice, checkout, arch, det, custom) };
  if (det.recipe === null) {
    throw new LabError('BUILD_RECIPE_UNKNOWN', `No recipe fits ${checkout}: ${det.why}`, 'choose a recipe: --recipe minikube, minikube-2019, hello or custom (with --dockerfile, --command and --output)');
  }
  return { recipe: recipeFor(det.recipe, checkout, arch, det, custom), autoWhy: det.why };
}

/** Quoted for a POSIX shell only where needed, so the lines read like what people type. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_\-+=/.,:@%]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function rel(checkout: string, p: string): string {
  const r = path.relative(checkout, p);
  if (r === '') return '.';
  return r.startsWith('..') || path.isAbsolute(r) ? p : r.split(path.sep).join('/');
}

export function mountsOf(r: ResolvedRecipe, relabel: boolean): MountView[] {
  const mounts: MountView[] = [{ kind: 'bind', source: r.checkout, target: r.workdir, ...(relabel ? { mode: 'Z' } : {}) }];
  for (const [name, target] of Object.entries(r.volumes)) mounts.push({ kind: 'volume', source: name, target });
  for (const target of r.anonymousVolumes) mounts.push({ kind: 'anonymous', target });
  return mounts;
}

export function dockerBuildLine(r: ResolvedRecipe, opts: { nocache?: boolean } = {}): string {
  const args = ['docker', 'build'];
  if (opts.nocache) args.push('--no-cache');
  if (r.network !== 'default') args.push('--network', r.network);
  for (const [k, v] of Object.entries(r.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  args.push('-t', r.image, '-f', rel(r.checkout, r.dockerfile), rel(r.checkout, r.contextDir));
  return args.map(shellQuote).join(' ');
}

export function dockerRunLine(r: ResolvedRecipe, relabel: boolean, buildId = '<build id>'): string {
  const args = ['docker', 'run', '--rm', '--workdir', r.workdir];
  for (const m of mountsOf(r, relabel)) {
    args.push('--volume', m.kind === 'anonymous' ? m.target : `${m.source}:${m.target}${m.mode ? `:${m.mode}` : ''}`);
  }
  if (r.user) args.push('--user', r.user);
  for (const [k, v] of Object.entries(r.env)) args.push('--env', `${k}=${v}`);
  if (r.network !== 'default') args.push('--network', r.network);
  args.push('--label', `io.isolab.build=${buildId}`, r.image, ...r.command);
  return args.map(shellQuote).join(' ');
}

export function recipeView(r: ResolvedRecipe, relabel = false): RecipeView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    arch: r.arch,
    archOptions: r.archOptions,
    dockerfile: rel(r.checkout, r.dockerfile),
    context: rel(r.checkout, r.contextDir),
    image: r.image,
    buildArgs: r.buildArgs,
    command: r.command,
    workdir: r.workdir,
    user: r.user,
    env: r.env,
    mounts: mountsOf(r, relabel),
    network: r.network,
    output: r.output,
    needBytes: r.needBytes,
    dockerBuild: dockerBuildLine(r),
    dockerRun: dockerRunLine(r, relabel),
  };
}
