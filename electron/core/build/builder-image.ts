import type Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import { LabError } from '../../../shared/errors';
import { contextTar, type PreparedContext } from './build-context';
import type { MissingBase } from '../../../shared/build';
import type { BaseImage } from './dockerfile';
import type { ResolvedRecipe } from './recipes';

/**
 * The builder image: reused when an image carries the same context hash label, built from
 * the Dockerfile and its context otherwise, with the daemon's messages streamed into the
 * image log. Failures are told apart, because "the base image could not be pulled" (no
 * network, unknown image) wants a different fix from "a RUN step failed".
 */

export const HASH_LABEL = 'io.isolab.context-hash';

interface HttpError {
  statusCode?: number;
  message?: string;
}

export function isNotFound(err: unknown): boolean {
  return (err as HttpError | undefined)?.statusCode === 404;
}

export function splitTag(image: string): { repo: string; tag: string } {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: 'latest' };
}

/** With `retag`, an image found under another tag gets `tag` too (pre-flight only looks). */
export async function findReusableImage(
  docker: Docker,
  tag: string,
  hash: string,
  opts: { retag: boolean },
): Promise<{ id: string; retagged: boolean } | undefined> {
  try {
    const info = await docker.getImage(tag).inspect();
    if (info.Config?.Labels?.[HASH_LABEL] === hash) return { id: info.Id, retagged: false };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  // Another tag may already hold exactly this build (the tag was moved, or a custom recipe used a new name).
  const found = await docker.listImages({ filters: { label: [`${HASH_LABEL}=${hash}`] } });
  const first = found[0];
  if (!first) return undefined;
  if (opts.retag) await docker.getImage(first.Id).tag(splitTag(tag));
  return { id: first.Id, retagged: opts.retag };
}

export async function missingImages(docker: Docker, images: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const image of images) {
    try {
      await docker.getImage(image).inspect();
    } catch (err) {
      if (isNotFound(err)) missing.push(image);
      else throw err;
    }
  }
  return missing;
}

/** The FROM line naming `image`, and the build arg that chooses it (the last ARG its image word uses: `$REG/${BASE}` → BASE). */
export function missingBase(bases: BaseImage[], image: string): MissingBase {
  const b = bases.find((x) => x.image === image);
  const out: MissingBase = { image, fromLine: b?.fromLine ?? `FROM ${image}` };
  const arg = b?.args.at(-1);
  if (arg) out.buildArg = arg;
  return out;
}

/** The builder image's base could not be pulled: the record keeps which one, and its build arg. */
export class PullError extends LabError {
  constructor(
    message: string,
    hint: string,
    readonly base: MissingBase,
  ) {
    super('BUILD_PULL_FAILED', message, hint);
  }
}

export interface BuildImageOptions {
  docker: Docker;
  recipe: ResolvedRecipe;
  context: PreparedContext;
  nocache: boolean;
  signal: AbortSignal;
  /** Text for the image log, as `docker build` would print it. */
  log: (text: string) => void;
}

interface BuildMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string };
}

type AbortableBuild = (file: NodeJS.ReadableStream, opts: Record<string, unknown>) => Promise<IncomingMessage>;

export async function buildBuilderImage(opts: BuildImageOptions): Promise<string> {
  const { docker, recipe, context, signal, log } = opts;
  const buildOptions: Record<string, unknown> = {
    t: recipe.image,
    dockerfile: context.dockerfileInTar,
    // One label: each becomes a LABEL step of its own, and a step costs a layer copy on vfs.
    labels: { [HASH_LABEL]: context.hash },
    buildargs: context.buildArgs,
    rm: true,
    // The failed step's container would otherwise stay behind (Exited) after a failure.
    forcerm: true,
    nocache: opts.nocache,
    abortSignal: signal,
  };
  if (recipe.network !== 'default') buildOptions.networkmode = recipe.network;

  let response: IncomingMessage;
  try {
    response = await (docker.buildImage.bind(docker) as unknown as AbortableBuild)(contextTar(context), buildOptions);
  } catch (err) {
    if (signal.aborted) throw err;
    throw rejectedBuild(err);
  }

  let imageId: string | undefined;
  let failure: BuildMessage | undefined;
  let lastStep: string | undefined;
  const pullStatus = new Map<string, string>();
  const onMessage = (m: BuildMessage) => {
    if (typeof m.stream === 'string') {
      log(m.stream);
      const step = /^Step \d+\/\d+ : (.*)$/m.exec(m.stream);
      if (step) lastStep = step[1];
    } else if (typeof m.status === 'string') {
      // Pull progress repeats the same status with a moving bar; one line per change is enough.
      const key = m.id ?? '';
      if (pullStatus.get(key) !== m.status) {
        pullStatus.set(key, m.status);
        log(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
      }
    }
    if (m.aux?.ID) imageId = m.aux.ID;
    if (m.error || m.errorDetail) failure = m;
  };
  await readJsonLines(response, onMessage, signal);
  if (signal.aborted) throw new LabError('BUILD_CANCELLED', 'The build was cancelled');

  if (failure) {
    const message = (failure.errorDetail?.message ?? failure.error ?? 'unknown error').trim();
    log(`ERROR: ${message}\n`);
    throw await failedBuild(docker, context, message, lastStep, log);
  }
  if (!imageId) {
    const info = await docker.getImage(recipe.image).inspect();
    imageId = info.Id;
  }
  return imageId;
}

function readJsonLines(stream: IncomingMessage, onMessage: (m: BuildMessage) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    const handle = (line: string) => {
      if (!line.trim()) return;
      try {
        onMessage(JSON.parse(line) as BuildMessage);
      } catch {
        onMessage({ stream: `${line}\n` });
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        handle(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    });
    const done = () => {
      handle(rest);
      rest = '';
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
  });
}

/** HTTP refusals become LabErrors; transport failures stay as they are, for dockerErrorShape. */
function rejectedBuild(err: unknown): unknown {
  const e = err as HttpError;
  const detail = (e.message ?? String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  if (e.statusCode === 400) {
    return new LabError('BUILD_DOCKERFILE_INVALID', `The engine refused the Dockerfile: ${detail}`, 'fix the Dockerfile line it names');
  }
  if (e.statusCode !== undefined) {
    return new LabError('BUILD_IMAGE_FAILED', `The engine refused to build the builder image: ${detail}`, 'check the recipe\'s Dockerfile and context');
  }
  return err;
}

const PULL_WORDS = /pull access denied|repository does not exist|manifest (?:for .* )?(?:not found|unknown)|registry|dial tcp|no such host|i\/o timeout|TLS handshake|x509|connection refused|failed to resolve|toomanyrequests|unauthorized/i;

async function failedBuild(docker: Docker, context: PreparedContext, message: string, lastStep: string | undefined, log: (t: string) => void): Promise<LabError> {
  const atFrom = lastStep !== undefined && /^FROM\s/i.test(lastStep);
  if (atFrom || PULL_WORDS.test(message)) {
    const missing = await missingImages(docker, context.facts.baseImages).catch(() => [] as string[]);
    const image = missing[0] ?? (atFrom ? lastStep!.replace(/^FROM\s+/i, '').split(/\s+/)[0] : undefined);
    if (image) {
      const base = missingBase(context.facts.bases, image);
      const text = `The base image ${image} is not on the Docker engine and could not be pulled: ${message}`;
      log(`ERROR: ${text}\n`);
      if (base.buildArg) log(`isolab: ${base.fromLine} takes the image from the build argument ${base.buildArg}: set it to an image the engine has (--build-arg ${base.buildArg}=IMAGE)\n`);
      const offline = /dial tcp|no such host|i\/o timeout|connection refused|registry-1\.docker\.io\/v2/i.test(message);
      const choose = base.buildArg
        ? `set the build argument ${base.buildArg} (${base.fromLine}) to an image the engine has (Overrides → Build args: ${base.buildArg}=IMAGE; --build-arg ${base.buildArg}=IMAGE)`
        : `point the Dockerfile's FROM at an image the engine has, or tag one as ${image}`;
      return new PullError(
        text,
        offline
          ? `no registry is reachable from the engine: ${choose}, or load or import ${image} there first (docker load, docker import)`
          : `check the image name in ${base.fromLine}, or ${choose}; for a private registry, run "docker login" first`,
        base,
      );
    }
  }
  const where = lastStep ? ` at "${lastStep.length > 120 ? `${lastStep.slice(0, 120)}…` : lastStep}"` : '';
  return new LabError('BUILD_IMAGE_FAILED', `Building the builder image failed${where}: ${message}`, 'the image log shows the failing step\'s output');
}
