import type Docker from 'dockerode';
import fs from 'node:fs';
import path from 'node:path';
import type { BuildRequest, PreflightResult, SelinuxMode, Warning } from '../../../shared/build';
import { LabError, toErrorShape, type LabErrorShape } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';
import { createDockerClient, pingDocker } from '../docker/client';
import { resolveDockerEndpoint, type ResolvedDockerEndpoint } from '../docker/endpoint';
import { nearestExistingDir } from '../doctor/disk';
import { prepareContext, type PreparedContext } from './build-context';
import { findReusableImage, missingBase, missingImages } from './builder-image';
import { detectRecipe, type Detection } from './recipe-detect';
import { recipeView, resolveRecipe, type ResolvedRecipe } from './recipes';
import { isRemoteEndpoint, remoteCheckoutError } from './remote';

/**
 * Everything that can be known before a build starts. Errors block it (each with a fix);
 * low disk, SELinux and a base image the engine lacks are warnings shown up front, since
 * the build may still work and only the person at the keyboard can tell.
 */

export type ParsedBuildRequest = Omit<BuildRequest, 'recipe'> & { recipe: NonNullable<BuildRequest['recipe']> };

export interface PreflightEnv {
  env: NodeJS.ProcessEnv;
  settingHost?: string;
  /** For tests: where /sys/fs/selinux and /etc/selinux are looked for. */
  root?: string;
  dockerTimeoutMs?: number;
}

export interface PreparedBuild {
  result: PreflightResult;
  endpoint: ResolvedDockerEndpoint;
  docker?: Docker;
  recipe?: ResolvedRecipe;
  detection?: Detection;
  context?: PreparedContext;
  relabel: boolean;
}

export async function selinuxMode(root = '/'): Promise<SelinuxMode> {
  try {
    const enforce = (await fs.promises.readFile(path.join(root, 'sys/fs/selinux/enforce'), 'utf8')).trim();
    return enforce === '1' ? 'enforcing' : 'permissive';
  } catch {
    // no selinuxfs: SELinux is off in this kernel, or not installed at all
  }
  try {
    await fs.promises.access(path.join(root, 'etc/selinux/config'));
    return 'disabled';
  } catch {
    return 'absent';
  }
}

async function checkoutErrors(checkout: string): Promise<LabErrorShape[]> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(checkout);
  } catch {
    return [{ code: 'BUILD_CHECKOUT_MISSING', message: `The checkout ${checkout} does not exist`, hint: 'choose the folder of your minikube clone (git clone https://github.com/kubernetes/minikube)' }];
  }
  if (!st.isDirectory()) {
    return [{ code: 'BUILD_CHECKOUT_NOT_DIR', message: `${checkout} is not a folder`, hint: 'choose the top folder of the checkout, where its Makefile is' }];
  }
  try {
    await fs.promises.access(checkout, fs.constants.W_OK);
  } catch {
    return [{ code: 'BUILD_CHECKOUT_READONLY', message: `The checkout ${checkout} is not writable: the build writes out/ into it`, hint: `make it writable (chown -R $(id -u):$(id -g) ${checkout}) or build a copy of it` }];
  }
  return [];
}

async function freeBytesAt(dir: string): Promise<number> {
  try {
    const st = await fs.promises.statfs(await nearestExistingDir(dir));
    return Number(st.bavail) * Number(st.bsize);
  } catch {
    return 0;
  }
}

async function isFile(p: string): Promise<boolean> {
  return fs.promises.stat(p).then((s) => s.isFile(), () => false);
}
async function isDir(p: string): Promise<boolean> {
  return fs.promises.stat(p).then((s) => s.isDirectory(), () => false);
}

export async function runPreflight(req: ParsedBuildRequest, pe: PreflightEnv): Promise<PreparedBuild> {
  const errors: LabErrorShape[] = [];
  const warnings: Warning[] = [];
  const checkout = path.resolve(req.checkout);
  const endpoint = resolveDockerEndpoint({ settingHost: pe.settingHost, env: pe.env });
  for (const p of endpoint.problems) warnings.push(p);
  const remote = isRemoteEndpoint(endpoint.url);

  const [status, selinux, checkoutProblems, freeBytes] = await Promise.all([
    pingDocker(endpoint, pe.dockerTimeoutMs ?? 5000, { env: pe.env }),
    selinuxMode(pe.root),
    checkoutErrors(checkout),
    freeBytesAt(checkout),
  ]);
  if (!status.answering) errors.push(status.error ?? { code: 'DOCKER_UNREACHABLE', message: `Docker is not answering at ${endpoint.url}` });
  errors.push(...checkoutProblems);

  let docker: Docker | undefined;
  if (status.answering) {
    try {
      docker = createDockerClient(endpoint, { env: pe.env });
    } catch (err) {
      errors.push(toErrorShape(err));
    }
  }
  if (remote) errors.push(remoteCheckoutError(endpoint.url, checkout));

  let recipe: ResolvedRecipe | undefined;
  let detection: Detection | undefined;
  let autoWhy: string | undefined;
  if (checkoutProblems.length === 0) {
    detection = await detectRecipe(checkout);
    try {
      const r = resolveRecipe(req.recipe, checkout, req.arch, detection, req.custom);
      recipe = r.recipe;
      autoWhy = r.autoWhy;
    } catch (err) {
      errors.push(toErrorShape(err));
    }
  }

  // The engine's own SELinux matters too: a Podman or Docker host with SELinux relabels only with :Z.
  let engineSelinux = false;
  if (docker) {
    const info = (await docker.info().catch(() => undefined)) as { SecurityOptions?: string[] } | undefined;
    engineSelinux = (info?.SecurityOptions ?? []).some((o) => /name=selinux/.test(o));
  }
  const relabel = selinux === 'enforcing' || engineSelinux;

  let context: PreparedContext | undefined;
  let builderImage: PreflightResult['builderImage'];
  if (recipe) {
    const dockerfileOk = await isFile(recipe.dockerfile);
    const contextOk = await isDir(recipe.contextDir);
    if (!dockerfileOk) {
      errors.push({
        code: 'BUILD_DOCKERFILE_MISSING',
        message: `The Dockerfile ${recipe.dockerfile} does not exist`,
        hint: recipe.id === 'custom' ? 'set the Dockerfile path (relative to the checkout)' : 'is this a complete minikube checkout? deploy/iso/minikube-iso/Dockerfile should be there',
      });
    }
    if (!contextOk) {
      errors.push({ code: 'BUILD_CONTEXT_MISSING', message: `The build context folder ${recipe.contextDir} does not exist`, hint: 'set the context folder (relative to the checkout)' });
    }
    if (recipe.needBytes > 0 && freeBytes < recipe.needBytes) {
      warnings.push({
        code: 'BUILD_LOW_DISK',
        message: `Only ${formatBytes(freeBytes)} free at ${checkout}; the ${recipe.name} build needs about ${formatBytes(recipe.needBytes)}`,
        hint: 'free some space, or build a checkout on a bigger disk; buildroot fails late with "No space left on device" otherwise',
      });
    }
    if (dockerfileOk && contextOk) {
      try {
        context = await prepareContext({ contextDir: recipe.contextDir, dockerfile: recipe.dockerfile, buildArgs: recipe.buildArgs });
      } catch (err) {
        errors.push(toErrorShape(err));
      }
    }
    if (context && docker) {
      try {
        const reusable = req.rebuildImage ? undefined : await findReusableImage(docker, recipe.image, context.hash, { retag: false });
        builderImage = { tag: recipe.image, contextHash: context.hash, reuse: reusable !== undefined };
        if (!reusable) {
          const dockerfileName = path.relative(checkout, recipe.dockerfile) || recipe.dockerfile;
          for (const image of await missingImages(docker, context.facts.baseImages)) {
            const base = missingBase(context.facts.bases, image);
            warnings.push({
              code: 'BUILD_BASE_IMAGE_MISSING',
              message: base.buildArg
                ? `The engine does not have the base image ${image} (${base.fromLine} in ${dockerfileName}, set by the build argument ${base.buildArg}): the build will try to pull it`
                : `The engine does not have the base image ${image} (${base.fromLine} in ${dockerfileName}): the build will try to pull it`,
              hint: base.buildArg
                ? `without registry access the pull fails: set ${base.buildArg} to an image the engine has (Use a local image…, or --build-arg ${base.buildArg}=IMAGE), or load ${image} on the engine first`
                : `without registry access the pull fails: load or import ${image} on the engine first, or tag a local image as ${image} (docker tag IMAGE ${image})`,
              base,
            });
          }
        }
      } catch (err) {
        errors.push(toErrorShape(err));
      }
    }
  }
  if (selinux === 'enforcing') {
    warnings.push({
      code: 'BUILD_SELINUX',
      message: `SELinux is enforcing: the checkout is mounted with :Z, which relabels ${checkout} for containers (without it make fails with "Permission denied")`,
      hint: 'other confined programs may lose access to the checkout; with Podman, --security-opt label=disable is the alternative',
    });
  }

  const result: PreflightResult = {
    ok: errors.length === 0,
    errors,
    warnings,
    freeBytes,
    needBytes: recipe?.needBytes ?? 0,
    selinux,
    remote,
    endpoint: endpoint.url,
  };
  if (recipe) result.recipe = recipeView(recipe, relabel);
  if (autoWhy) result.autoWhy = autoWhy;
  if (builderImage) result.builderImage = builderImage;
  const prepared: PreparedBuild = { result, endpoint, relabel };
  if (docker) prepared.docker = docker;
  if (recipe) prepared.recipe = recipe;
  if (detection) prepared.detection = detection;
  if (context) prepared.context = context;
  return prepared;
}

/** The first blocker as the error a refused start throws; the others are counted in its message. */
export function preflightError(result: PreflightResult): LabError {
  const first = result.errors[0] ?? { code: 'BUILD_PREFLIGHT', message: 'The pre-flight checks failed' };
  const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more problem${result.errors.length > 2 ? 's' : ''})` : '';
  return new LabError(first.code, `${first.message}${more}`, first.hint);
}
