import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DockerCandidate, DockerEndpoint, DockerSource } from '../../../shared/doctor';
import { LabError, type LabErrorShape } from '../../../shared/errors';

/**
 * Where the lab talks to Docker (or Podman's Docker-compatible API), found the way the docker
 * CLI would find it, plus the sockets Docker Desktop and Podman create, so that the lab works
 * in the same shell where `docker ps` works without asking the user anything.
 */
export interface ResolvedDockerEndpoint extends DockerEndpoint {
  candidates: DockerCandidate[];
  problems: LabErrorShape[];
  /** TLS material of a docker context (contexts/tls/<sha256>/docker); used instead of DOCKER_CERT_PATH. */
  certPath?: string;
}

export interface ResolveOptions {
  /** settings.docker.host */
  settingHost?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  uid?: number;
  platform?: NodeJS.Platform;
  /** Injectable so tests can pretend sockets exist without root. */
  exists?: (p: string) => boolean;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
export const DEFAULT_DOCKER_PIPE = '//./pipe/docker_engine';
const ENDPOINT_EXAMPLES = 'use unix:///var/run/docker.sock or tcp://host:2375';

export type ParsedDockerHost =
  | { ok: true; url: string; scheme: 'unix' | 'npipe' | 'tcp' | 'ssh' }
  | { ok: false; reason: string };

/**
 * Accepts what the docker CLI accepts for DOCKER_HOST / -H, except a bare host name without a
 * port: "foo" is far more often a typo than a daemon on foo:2375.
 */
export function parseDockerHost(raw: string): ParsedDockerHost {
  const value = raw.trim();
  if (value === '') return { ok: false, reason: 'it is empty' };
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value);
  if (!schemeMatch) {
    if (/^(\[[0-9a-fA-F:.]+\]|[^\s/:[\]]+):\d+$/.test(value)) return parseDockerHost(`tcp://${value}`);
    return { ok: false, reason: 'it has no scheme and no port' };
  }
  const scheme = schemeMatch[1]!.toLowerCase();
  const rest = value.slice(schemeMatch[0].length);
  switch (scheme) {
    case 'unix':
      if (rest === '') return { ok: false, reason: 'the socket path is missing' };
      return { ok: true, url: `unix://${rest}`, scheme: 'unix' };
    case 'npipe':
      if (rest === '') return { ok: false, reason: 'the pipe name is missing' };
      return { ok: true, url: `npipe://${rest}`, scheme: 'npipe' };
    case 'tcp':
    case 'ssh': {
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        return { ok: false, reason: 'it is not a valid URL' };
      }
      if (u.hostname === '') return { ok: false, reason: 'the host is missing' };
      if (u.pathname !== '' && u.pathname !== '/') return { ok: false, reason: `a path (${u.pathname}) is not supported` };
      if (scheme === 'ssh') return { ok: true, url: value.replace(/\/$/, ''), scheme: 'ssh' };
      return { ok: true, url: `tcp://${u.hostname}:${u.port || '2375'}`, scheme: 'tcp' };
    }
    default:
      return { ok: false, reason: `the scheme ${scheme}:// is not one of unix, tcp, ssh, npipe` };
  }
}

export function resolveDockerEndpoint(opts: ResolveOptions = {}): ResolvedDockerEndpoint {
  const env = opts.env ?? process.env;
  const homeDir = opts.homeDir ?? env.HOME ?? os.homedir();
  const platform = opts.platform ?? process.platform;
  const exists = opts.exists ?? fs.existsSync;
  const uid = opts.uid ?? process.getuid?.();
  const candidates: DockerCandidate[] = [];
  const problems: LabErrorShape[] = [];

  const win = (source: DockerSource, url: string, detail: string, certPath?: string): ResolvedDockerEndpoint => {
    candidates.push({ source, url, detail });
    const endpoint: ResolvedDockerEndpoint = { url, source, detail, candidates, problems };
    if (certPath !== undefined) endpoint.certPath = certPath;
    return endpoint;
  };

  const setting = opts.settingHost?.trim();
  if (setting) {
    const parsed = parseDockerHost(setting);
    if (parsed.ok) return win('setting', parsed.url, 'set in Settings');
    problems.push({
      code: 'DOCKER_ENDPOINT_INVALID',
      message: `The Docker endpoint in Settings ("${setting}") is not valid: ${parsed.reason}`,
      hint: `fix it in Settings (${ENDPOINT_EXAMPLES}), or clear it to use the usual places`,
    });
    candidates.push({ source: 'setting', detail: `"${setting}" is not valid, skipped` });
  } else {
    candidates.push({ source: 'setting', detail: 'not set' });
  }

  const envHost = env.DOCKER_HOST?.trim();
  if (envHost) {
    const parsed = parseDockerHost(envHost);
    if (parsed.ok) return win('DOCKER_HOST', parsed.url, 'from the DOCKER_HOST environment variable');
    problems.push({
      code: 'DOCKER_ENDPOINT_INVALID',
      message: `DOCKER_HOST=${envHost} is not a valid endpoint: ${parsed.reason}`,
      hint: `${ENDPOINT_EXAMPLES}, or unset DOCKER_HOST`,
    });
    candidates.push({ source: 'DOCKER_HOST', detail: `"${envHost}" is not valid, skipped` });
  } else {
    candidates.push({ source: 'DOCKER_HOST', detail: 'not set' });
  }

  const context = resolveContext(env, homeDir, problems);
  if (context.url) return win('docker-context', context.url, context.detail, context.certPath);
  candidates.push({ source: 'docker-context', detail: context.detail });

  if (platform === 'win32') {
    return win('default-socket', `npipe://${DEFAULT_DOCKER_PIPE}`, 'the default Docker Desktop pipe');
  }

  const sockets: Array<[DockerSource, string, string]> = [
    ['default-socket', DEFAULT_DOCKER_SOCKET, 'the default Docker socket'],
    ['default-socket', path.join(homeDir, '.docker', 'run', 'docker.sock'), "Docker Desktop's socket in your home folder"],
  ];
  if (env.XDG_RUNTIME_DIR) {
    sockets.push(['podman-rootless', path.join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'), 'rootless Podman (XDG_RUNTIME_DIR)']);
  } else if (uid !== undefined) {
    sockets.push(['podman-rootless', `/run/user/${uid}/podman/podman.sock`, 'rootless Podman']);
  }
  sockets.push(['podman-rootful', '/run/podman/podman.sock', 'rootful Podman']);

  for (const [source, socket, what] of sockets) {
    if (safeExists(exists, socket)) return win(source, `unix://${socket}`, what);
    candidates.push({ source, url: `unix://${socket}`, detail: `${tilde(socket, homeDir)} does not exist` });
  }

  // Nothing found: name the socket a normal install would have, so the report says "not answering there".
  const url = `unix://${DEFAULT_DOCKER_SOCKET}`;
  return { url, source: 'default-socket', detail: 'no Docker or Podman socket found; trying the default', candidates, problems };
}

interface ContextResult {
  url?: string;
  certPath?: string;
  detail: string;
}

/** The lookup the docker CLI does for `docker context use`; "default" means "no context". */
function resolveContext(env: NodeJS.ProcessEnv, homeDir: string, problems: LabErrorShape[]): ContextResult {
  const configDir = env.DOCKER_CONFIG || path.join(homeDir, '.docker');
  const configFile = path.join(configDir, 'config.json');
  let name = env.DOCKER_CONTEXT?.trim();
  let from = 'the DOCKER_CONTEXT environment variable';
  if (!name) {
    const config = readJson(configFile);
    if (config.missing) return { detail: `no current context (${tilde(configFile, homeDir)} does not exist)` };
    if (config.error !== undefined) {
      problems.push({
        code: 'DOCKER_CONFIG_BROKEN',
        message: `${tilde(configFile, homeDir)} cannot be read: ${config.error}`,
        hint: 'fix or remove the file; the docker CLI cannot read it either',
      });
      return { detail: `${tilde(configFile, homeDir)} is broken, skipped` };
    }
    const current = isRecord(config.value) ? config.value.currentContext : undefined;
    if (typeof current !== 'string' || current === '') return { detail: `no current context in ${tilde(configFile, homeDir)}` };
    name = current;
    from = tilde(configFile, homeDir);
  }
  if (name === 'default') return { detail: `context "default" from ${from}, which means the default socket` };

  const hash = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', hash, 'meta.json');
  const meta = readJson(metaFile);
  const fixHint = 'run "docker context ls" to see your contexts, or "docker context use default"';
  if (meta.missing) {
    problems.push({
      code: 'DOCKER_CONTEXT_NOT_FOUND',
      message: `Docker context "${name}" (from ${from}) does not exist: there is no ${tilde(metaFile, homeDir)}`,
      hint: fixHint,
    });
    return { detail: `context "${name}" not found, skipped` };
  }
  const host = meta.error === undefined ? contextHost(meta.value) : undefined;
  if (host === undefined) {
    problems.push({
      code: 'DOCKER_CONTEXT_BROKEN',
      message: `Docker context "${name}" is broken: ${meta.error ?? `${tilde(metaFile, homeDir)} has no Endpoints.docker.Host`}`,
      hint: fixHint,
    });
    return { detail: `context "${name}" is broken, skipped` };
  }
  const parsed = parseDockerHost(host);
  if (!parsed.ok) {
    problems.push({
      code: 'DOCKER_ENDPOINT_INVALID',
      message: `Docker context "${name}" has an endpoint that is not valid ("${host}"): ${parsed.reason}`,
      hint: `${fixHint}; ${ENDPOINT_EXAMPLES}`,
    });
    return { detail: `context "${name}" has an invalid endpoint, skipped` };
  }
  const tlsDir = path.join(configDir, 'contexts', 'tls', hash, 'docker');
  const result: ContextResult = { url: parsed.url, detail: `context "${name}" from ${from}` };
  if (parsed.scheme === 'tcp' && fs.existsSync(tlsDir)) result.certPath = tlsDir;
  return result;
}

function contextHost(meta: unknown): string | undefined {
  if (!isRecord(meta) || !isRecord(meta.Endpoints)) return undefined;
  const docker = meta.Endpoints.docker;
  if (!isRecord(docker) || typeof docker.Host !== 'string' || docker.Host === '') return undefined;
  return docker.Host;
}

function readJson(file: string): { missing?: true; value?: unknown; error?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { error: (err as Error).message };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `it is not valid JSON (${(err as Error).message})` };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function safeExists(exists: (p: string) => boolean, p: string): boolean {
  try {
    return exists(p);
  } catch {
    return false;
  }
}

function tilde(p: string, homeDir: string): string {
  return homeDir && (p === homeDir || p.startsWith(homeDir + path.sep)) ? '~' + p.slice(homeDir.length) : p;
}

export interface DockerodeOptionsInput {
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  /** A folder with ca.pem, cert.pem and key.pem; wins over DOCKER_CERT_PATH and turns TLS on. */
  certPath?: string;
}

/**
 * Spells an endpoint out as explicit dockerode options, so nothing is left for docker-modem to
 * fill in from the environment. Throws LabError when the URL is invalid or TLS files are unreadable.
 */
export function dockerodeOptions(url: string, input: DockerodeOptionsInput = {}): Docker.DockerOptions {
  const parsed = parseDockerHost(url);
  if (!parsed.ok) {
    throw new LabError('DOCKER_ENDPOINT_INVALID', `${url} is not a valid Docker endpoint: ${parsed.reason}`, ENDPOINT_EXAMPLES);
  }
  const env = input.env ?? process.env;
  switch (parsed.scheme) {
    case 'unix':
      return { socketPath: parsed.url.slice('unix://'.length) };
    case 'npipe':
      return { socketPath: parsed.url.slice('npipe://'.length) };
    case 'ssh': {
      const u = new URL(parsed.url);
      const options: Docker.DockerOptions = { protocol: 'ssh', host: u.hostname };
      if (u.port) options.port = Number(u.port);
      if (u.username) options.username = decodeURIComponent(u.username);
      // ssh2 takes the agent socket path as a string; without it, only keys it is given would work.
      if (env.SSH_AUTH_SOCK) options.sshOptions = { agent: env.SSH_AUTH_SOCK };
      return options;
    }
    case 'tcp': {
      const u = new URL(parsed.url);
      const port = Number(u.port || '2375');
      const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      const tls = input.certPath !== undefined || env.DOCKER_TLS_VERIFY === '1' || port === 2376;
      const options: Docker.DockerOptions = { host, port, protocol: tls ? 'https' : 'http' };
      if (tls) Object.assign(options, readTlsFiles(input, env));
      return options;
    }
  }
}

function readTlsFiles(input: DockerodeOptionsInput, env: NodeJS.ProcessEnv): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const explicit = input.certPath ?? (env.DOCKER_CERT_PATH || undefined);
  const dir = explicit ?? path.join(input.homeDir ?? env.HOME ?? os.homedir(), '.docker');
  const files = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
  // The docker CLI falls back to ~/.docker silently; only a folder someone named must be complete.
  if (explicit === undefined && !Object.values(files).every((f) => fs.existsSync(f))) return {};
  try {
    return { ca: fs.readFileSync(files.ca), cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) };
  } catch (err) {
    throw new LabError(
      'DOCKER_TLS_CERTS',
      `Cannot read the TLS certificates for Docker: ${(err as Error).message}`,
      input.certPath !== undefined
        ? `the docker context's TLS folder ${dir} must hold ca.pem, cert.pem and key.pem`
        : 'DOCKER_CERT_PATH must be a folder holding ca.pem, cert.pem and key.pem (or unset it)',
    );
  }
}
