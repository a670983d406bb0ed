import type Docker from 'dockerode';
import type { DockerEndpoint, DockerStatus } from '../../../shared/doctor';
import { LabError, toErrorShape, type LabErrorShape } from '../../../shared/errors';
import { dockerodeOptions } from './endpoint';

/** An endpoint as resolveDockerEndpoint returns it; certPath only for docker contexts with TLS. */
export type DockerTarget = DockerEndpoint & { certPath?: string };

export interface DockerClientOptions {
  /** Where DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and SSH_AUTH_SOCK are read from; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * docker-modem computes defaults from these variables on every construction and merges them
 * under the options it is given: with DOCKER_HOST=tcp://… its `host` beats our `socketPath`, and
 * a malformed DOCKER_HOST or a wrong DOCKER_CERT_PATH makes the constructor throw.
 */
const MODEM_ENV_VARS = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX'];

/**
 * dockerode pulls in gRPC and protobuf (a third of a second to load); commands that never
 * talk to Docker (`isolab ls`, `cat`) should not pay for it, so it is loaded on first use.
 */
let DockerCtor: typeof Docker | undefined;
function dockerode(): typeof Docker {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  DockerCtor ??= require('dockerode') as typeof Docker;
  return DockerCtor;
}

export function createDockerClient(endpoint: DockerTarget, opts: DockerClientOptions = {}): Docker {
  const options = dockerodeOptions(endpoint.url, { env: opts.env ?? process.env, certPath: endpoint.certPath });
  const Ctor = dockerode();
  return withoutModemEnv(() => new Ctor(options));
}

/**
 * Construction is synchronous and the modem reads nothing from the environment afterwards
 * (we always pass socketPath or host), so hiding the variables for this one call is enough.
 */
function withoutModemEnv<T>(construct: () => T): T {
  const saved = new Map<string, string>();
  for (const name of MODEM_ENV_VARS) {
    const value = process.env[name];
    if (value !== undefined) saved.set(name, value);
    delete process.env[name];
  }
  try {
    return construct();
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}

/** dockerode 5 honours abortSignal on these; @types/dockerode does not declare it. */
interface AbortableApi {
  ping(opts: { abortSignal?: AbortSignal }): Promise<unknown>;
  version(opts: { abortSignal?: AbortSignal }): Promise<Docker.DockerVersion>;
}

class PingTimeout extends Error {}

/** Asks the engine whether it is there and what it is; never throws and never outlives timeoutMs by much. */
export async function pingDocker(endpoint: DockerTarget, timeoutMs = 3000, opts: DockerClientOptions = {}): Promise<DockerStatus> {
  const status: DockerStatus = { endpoint: reportEndpoint(endpoint), answering: false };
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new PingTimeout());
    }, timeoutMs);
  });
  try {
    const api = createDockerClient(endpoint, opts) as unknown as AbortableApi;
    await Promise.race([api.ping({ abortSignal: abort.signal }), deadline]);
    status.answering = true;
    const v = await Promise.race([api.version({ abortSignal: abort.signal }), deadline]);
    if (typeof v.Version === 'string') status.version = v.Version;
    if (typeof v.ApiVersion === 'string') status.apiVersion = v.ApiVersion;
    if (typeof v.Os === 'string') status.os = v.Os;
    if (typeof v.Arch === 'string') status.arch = v.Arch;
    status.engine = isPodman(v) ? 'podman' : 'docker';
  } catch (err) {
    status.error = dockerErrorShape(err, endpoint, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
  return status;
}

/** Podman's compat API answers /version with a "Podman Engine" component. */
function isPodman(v: Docker.DockerVersion): boolean {
  const components = Array.isArray(v.Components) ? v.Components : [];
  return components.some((c) => /podman/i.test(String(c?.Name ?? ''))) || /podman/i.test(String(v.Platform?.Name ?? ''));
}

function reportEndpoint(e: DockerTarget): DockerEndpoint {
  const out: DockerEndpoint = { url: e.url, source: e.source, detail: e.detail };
  if (e.candidates) out.candidates = e.candidates;
  if (e.problems) out.problems = e.problems;
  return out;
}

/** Turns transport and HTTP failures into something a person can act on. */
export function dockerErrorShape(err: unknown, endpoint: DockerEndpoint, timeoutMs: number): LabErrorShape {
  if (err instanceof LabError) return err.toJSON();
  const where = endpoint.url;
  if (err instanceof PingTimeout || isAbort(err)) {
    return {
      code: 'DOCKER_TIMEOUT',
      message: `Docker did not answer at ${where} within ${formatSeconds(timeoutMs)}`,
      hint: 'the daemon may be hung or still starting (sudo systemctl restart docker), or the endpoint points at something that is not Docker',
    };
  }
  const e = err as NodeJS.ErrnoException & { statusCode?: number };
  const reason = e instanceof Error ? e.message.trim() : String(err);
  switch (e.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EPIPE':
      return { code: 'DOCKER_UNREACHABLE', message: `Docker is not answering at ${where} (${reason})`, hint: startHint(endpoint) };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return {
        code: 'DOCKER_UNREACHABLE',
        message: `Cannot reach the Docker host at ${where} (${reason})`,
        hint: 'check the host name and the network, or set another endpoint in Settings',
      };
    case 'EACCES':
    case 'EPERM':
      return { code: 'DOCKER_PERMISSION', message: `Permission denied on ${where} (${reason})`, hint: permissionHint(endpoint) };
  }
  if (typeof e.code === 'string' && /CERT|SSL|TLS|EPROTO/.test(e.code)) {
    return {
      code: 'DOCKER_TLS',
      message: `TLS with the Docker host at ${where} failed (${reason})`,
      hint: 'check DOCKER_CERT_PATH / DOCKER_TLS_VERIFY, or the TLS files of your docker context',
    };
  }
  if (typeof e.statusCode === 'number') {
    return {
      code: 'DOCKER_API_ERROR',
      message: `The engine at ${where} answered HTTP ${e.statusCode}: ${reason}`,
      hint: 'check that the endpoint is a Docker or Podman API socket',
    };
  }
  const shape = toErrorShape(err);
  return { code: 'DOCKER_ERROR', message: `Talking to Docker at ${where} failed: ${shape.message}`, hint: startHint(endpoint) };
}

function startHint(endpoint: DockerEndpoint): string {
  switch (endpoint.source) {
    case 'podman-rootless':
      return 'start the Podman socket: systemctl --user enable --now podman.socket (or set the endpoint in Settings)';
    case 'podman-rootful':
      return 'start the Podman socket: sudo systemctl enable --now podman.socket (or set the endpoint in Settings)';
  }
  if (endpoint.url.startsWith('unix://') || endpoint.url.startsWith('npipe://')) {
    return 'start the Docker daemon: sudo systemctl start docker (or set the endpoint in Settings)';
  }
  return 'check that the Docker daemon on that host is running and listening, or set another endpoint in Settings';
}

function permissionHint(endpoint: DockerEndpoint): string {
  if (endpoint.source === 'podman-rootful') {
    return 'use rootless Podman (systemctl --user enable --now podman.socket) or run ISO Lab as root';
  }
  return 'add yourself to the docker group: sudo usermod -aG docker $USER, then log in again';
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as NodeJS.ErrnoException).code === 'ABORT_ERR');
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
