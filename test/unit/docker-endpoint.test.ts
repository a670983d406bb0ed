import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerStatus } from '../../shared/doctor';
import { LabError } from '../../shared/errors';
import { createDockerClient, pingDocker } from '../../electron/core/docker/client';
import { dockerodeOptions, parseDockerHost, resolveDockerEndpoint } from '../../electron/core/docker/endpoint';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'isolab-ep-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const nothingExists = () => false;
const only = (...paths: string[]) => (p: string) => paths.includes(p);

/** A docker config folder with one context, laid out as `docker context create` does. */
function dockerConfig(opts: { current?: string; contexts?: Record<string, unknown>; rawConfig?: string }): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'cfg-'));
  if (opts.rawConfig !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), opts.rawConfig);
  else if (opts.current !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: {}, currentContext: opts.current }));
  for (const [name, meta] of Object.entries(opts.contexts ?? {})) {
    const metaDir = path.join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
    fs.mkdirSync(metaDir, { recursive: true });
    fs.writeFileSync(path.join(metaDir, 'meta.json'), typeof meta === 'string' ? meta : JSON.stringify(meta));
  }
  return dir;
}

function contextMeta(name: string, host: string) {
  return { Name: name, Metadata: { Description: '' }, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } };
}

describe('resolveDockerEndpoint', () => {
  const base = { homeDir: '/home/me', uid: 1000, platform: 'linux' as const, exists: nothingExists };

  it('prefers the setting over DOCKER_HOST', () => {
    const r = resolveDockerEndpoint({ ...base, settingHost: 'unix:///run/user/1000/docker.sock', env: { DOCKER_HOST: 'tcp://10.0.0.5:2375' } });
    expect(r).toMatchObject({ url: 'unix:///run/user/1000/docker.sock', source: 'setting' });
    expect(r.problems).toEqual([]);
    expect(r.candidates.at(-1)).toMatchObject({ source: 'setting', url: r.url });
  });

  it.each([
    ['unix:///var/run/docker.sock', 'unix:///var/run/docker.sock'],
    ['tcp://10.0.0.5:2376', 'tcp://10.0.0.5:2376'],
    ['tcp://build.example', 'tcp://build.example:2375'],
    ['10.0.0.5:2375', 'tcp://10.0.0.5:2375'],
    ['ssh://me@build.example', 'ssh://me@build.example'],
    ['ssh://me@build.example:2222', 'ssh://me@build.example:2222'],
    ['npipe:////./pipe/docker_engine', 'npipe:////./pipe/docker_engine'],
  ])('takes DOCKER_HOST=%s', (value, url) => {
    const r = resolveDockerEndpoint({ ...base, env: { DOCKER_HOST: value } });
    expect(r).toMatchObject({ url, source: 'DOCKER_HOST' });
    expect(r.detail).toMatch(/DOCKER_HOST/);
  });

  it.each(['foo', 'tcp://', 'unix://', 'http://example.com:2375', 'tcp://host:notaport', 'tcp://host:2375/some/path'])(
    'reports DOCKER_HOST=%s as a problem and falls through',
    (value) => {
      const r = resolveDockerEndpoint({ ...base, env: { DOCKER_HOST: value } });
      expect(r.source).toBe('default-socket');
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatchObject({ code: 'DOCKER_ENDPOINT_INVALID' });
      expect(r.problems[0]!.message).toContain(`DOCKER_HOST=${value} is not a valid endpoint`);
      expect(r.problems[0]!.hint).toMatch(/unix:\/\/\/var\/run\/docker\.sock or tcp:\/\/host:2375/);
    },
  );

  it('reports a malformed setting and falls through to DOCKER_HOST', () => {
    const r = resolveDockerEndpoint({ ...base, settingHost: 'nonsense', env: { DOCKER_HOST: 'unix:///x.sock' } });
    expect(r).toMatchObject({ url: 'unix:///x.sock', source: 'DOCKER_HOST' });
    expect(r.problems[0]).toMatchObject({ code: 'DOCKER_ENDPOINT_INVALID' });
    expect(r.problems[0]!.hint).toBeTruthy();
  });

  it('uses the context named by DOCKER_CONTEXT', () => {
    const cfg = dockerConfig({ current: 'other', contexts: { colima: contextMeta('colima', 'unix:///home/me/.colima/default/docker.sock') } });
    const r = resolveDockerEndpoint({ ...base, env: { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'colima' } });
    expect(r).toMatchObject({ url: 'unix:///home/me/.colima/default/docker.sock', source: 'docker-context' });
    expect(r.detail).toBe('context "colima" from the DOCKER_CONTEXT environment variable');
  });

  it('uses currentContext from config.json in DOCKER_CONFIG', () => {
    const cfg = dockerConfig({ current: 'remote', contexts: { remote: contextMeta('remote', 'tcp://10.1.2.3:2375') } });
    const r = resolveDockerEndpoint({ ...base, env: { DOCKER_CONFIG: cfg } });
    expect(r).toMatchObject({ url: 'tcp://10.1.2.3:2375', source: 'docker-context' });
    expect(r.detail).toContain('context "remote" from');
    expect(r.certPath).toBeUndefined();
  });

  it('finds ~/.docker/config.json through homeDir when DOCKER_CONFIG is unset', () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    fs.renameSync(dockerConfig({ current: 'rd', contexts: { rd: contextMeta('rd', 'unix:///home/me/.rd/docker.sock') } }), path.join(home, '.docker'));
    const r = resolveDockerEndpoint({ ...base, homeDir: home, env: {} });
    expect(r).toMatchObject({ url: 'unix:///home/me/.rd/docker.sock', source: 'docker-context' });
    expect(r.detail).toBe('context "rd" from ~/.docker/config.json');
  });

  it('lets "default" fall through to the sockets', () => {
    const cfg = dockerConfig({ current: 'default' });
    const r = resolveDockerEndpoint({ ...base, env: { DOCKER_CONFIG: cfg }, exists: only('/var/run/docker.sock') });
    expect(r).toMatchObject({ url: 'unix:///var/run/docker.sock', source: 'default-socket' });
    expect(r.problems).toEqual([]);
    expect(r.candidates.find((c) => c.source === 'docker-context')!.detail).toMatch(/"default"/);
  });

  it('reports a broken config.json, a missing context and a broken meta.json without throwing', () => {
    const broken = dockerConfig({ rawConfig: '{ "currentContext": ' });
    const r1 = resolveDockerEndpoint({ ...base, env: { DOCKER_CONFIG: broken } });
    expect(r1.source).toBe('default-socket');
    expect(r1.problems[0]).toMatchObject({ code: 'DOCKER_CONFIG_BROKEN' });
    expect(r1.problems[0]!.hint).toBeTruthy();

    const missing = dockerConfig({ current: 'gone' });
    const r2 = resolveDockerEndpoint({ ...base, env: { DOCKER_CONFIG: missing } });
    expect(r2.problems[0]).toMatchObject({ code: 'DOCKER_CONTEXT_NOT_FOUND' });
    expect(r2.problems[0]!.message).toContain('"gone"');

    const badMeta = dockerConfig({ current: 'bad', contexts: { bad: '{not json' } });
    const r3 = resolveDockerEndpoint({ ...base, env: { DOCKER_CONFIG: badMeta } });
    expect(r3.problems[0]).toMatchObject({ code: 'DOCKER_CONTEXT_BROKEN' });

    const noHost = dockerConfig({ current: 'nohost', contexts: { nohost: { Name: 'nohost', Endpoints: {} } } });
    const r4 = resolveDockerEndpoint({ ...base, env: { DOCKER_CONFIG: noHost } });
    expect(r4.problems[0]).toMatchObject({ code: 'DOCKER_CONTEXT_BROKEN' });
  });

  it('picks up the TLS folder of a tcp context', () => {
    const cfg = dockerConfig({ current: 'tls', contexts: { tls: contextMeta('tls', 'tcp://10.1.2.3:2376') } });
    const tlsDir = path.join(cfg, 'contexts', 'tls', createHash('sha256').update('tls').digest('hex'), 'docker');
    fs.mkdirSync(tlsDir, { recursive: true });
    const r = resolveDockerEndpoint({ ...base, env: { DOCKER_CONFIG: cfg } });
    expect(r.certPath).toBe(tlsDir);
  });

  it('takes the default socket, then Docker Desktop in the home folder', () => {
    const r1 = resolveDockerEndpoint({ ...base, env: {}, exists: only('/var/run/docker.sock', '/home/me/.docker/run/docker.sock') });
    expect(r1).toMatchObject({ url: 'unix:///var/run/docker.sock', source: 'default-socket' });
    const r2 = resolveDockerEndpoint({ ...base, env: {}, exists: only('/home/me/.docker/run/docker.sock') });
    expect(r2).toMatchObject({ url: 'unix:///home/me/.docker/run/docker.sock', source: 'default-socket' });
    expect(r2.detail).toBe("Docker Desktop's socket in your home folder");
  });

  it('finds rootless Podman through XDG_RUNTIME_DIR with a real socket file', async () => {
    const runtime = fs.mkdtempSync(path.join(tmp, 'xdg-'));
    fs.mkdirSync(path.join(runtime, 'podman'));
    const sock = path.join(runtime, 'podman', 'podman.sock');
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const r = resolveDockerEndpoint({ homeDir: '/home/me', uid: 1000, platform: 'linux', env: { XDG_RUNTIME_DIR: runtime }, exists: (p) => p.startsWith(runtime) && fs.existsSync(p) });
      expect(r).toMatchObject({ url: `unix://${sock}`, source: 'podman-rootless' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('finds rootless Podman under /run/user/$UID without XDG_RUNTIME_DIR', () => {
    const r = resolveDockerEndpoint({ ...base, uid: 1234, env: {}, exists: only('/run/user/1234/podman/podman.sock') });
    expect(r).toMatchObject({ url: 'unix:///run/user/1234/podman/podman.sock', source: 'podman-rootless' });
  });

  it('finds rootful Podman', () => {
    const r = resolveDockerEndpoint({ ...base, env: {}, exists: only('/run/podman/podman.sock') });
    expect(r).toMatchObject({ url: 'unix:///run/podman/podman.sock', source: 'podman-rootful' });
  });

  it('returns the default socket when nothing exists', () => {
    const r = resolveDockerEndpoint({ ...base, env: {} });
    expect(r).toMatchObject({ url: 'unix:///var/run/docker.sock', source: 'default-socket' });
    expect(r.detail).toMatch(/no Docker or Podman socket found/);
    expect(r.candidates.map((c) => c.source)).toEqual([
      'setting', 'DOCKER_HOST', 'docker-context', 'default-socket', 'default-socket', 'podman-rootless', 'podman-rootful',
    ]);
  });

  it('uses the Docker Desktop pipe on Windows', () => {
    const r = resolveDockerEndpoint({ ...base, platform: 'win32', env: {} });
    expect(r).toMatchObject({ url: 'npipe:////./pipe/docker_engine', source: 'default-socket' });
  });
});

describe('parseDockerHost', () => {
  it('rejects a bare host name', () => {
    expect(parseDockerHost('foo').ok).toBe(false);
  });
});

describe('dockerodeOptions', () => {
  it('maps unix and npipe to socketPath', () => {
    expect(dockerodeOptions('unix:///var/run/docker.sock', { env: {} })).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerodeOptions('npipe:////./pipe/docker_engine', { env: {} })).toEqual({ socketPath: '//./pipe/docker_engine' });
  });

  it('maps tcp to http, or https on 2376', () => {
    expect(dockerodeOptions('tcp://10.0.0.5:2375', { env: {}, homeDir: tmp })).toEqual({ host: '10.0.0.5', port: 2375, protocol: 'http' });
    expect(dockerodeOptions('tcp://10.0.0.5:2376', { env: {}, homeDir: tmp })).toEqual({ host: '10.0.0.5', port: 2376, protocol: 'https' });
    expect(dockerodeOptions('tcp://[::1]:2375', { env: {} })).toMatchObject({ host: '::1', port: 2375 });
  });

  it('reads DOCKER_CERT_PATH when DOCKER_TLS_VERIFY=1, and fails with a hint when the files are missing', () => {
    const certs = fs.mkdtempSync(path.join(tmp, 'certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(certs, f), `-- ${f} --`);
    const o = dockerodeOptions('tcp://10.0.0.5:2375', { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } });
    expect(o).toMatchObject({ host: '10.0.0.5', port: 2375, protocol: 'https' });
    expect(String(o.ca)).toBe('-- ca.pem --');
    expect(String(o.cert)).toBe('-- cert.pem --');
    expect(String(o.key)).toBe('-- key.pem --');

    // Lazily: a wrong DOCKER_CERT_PATH does not matter for plain http.
    expect(dockerodeOptions('tcp://10.0.0.5:2375', { env: { DOCKER_CERT_PATH: '/nonexistent' } }).protocol).toBe('http');
    let err: unknown;
    try {
      dockerodeOptions('tcp://10.0.0.5:2376', { env: { DOCKER_CERT_PATH: '/nonexistent' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('DOCKER_TLS_CERTS');
    expect((err as LabError).hint).toMatch(/DOCKER_CERT_PATH/);
  });

  it('maps ssh to protocol ssh with user, host, port and the agent', () => {
    expect(dockerodeOptions('ssh://me@build.example:2222', { env: { SSH_AUTH_SOCK: '/tmp/agent.sock' } })).toEqual({
      protocol: 'ssh',
      host: 'build.example',
      port: 2222,
      username: 'me',
      sshOptions: { agent: '/tmp/agent.sock' },
    });
  });

  it('throws a LabError for an invalid URL', () => {
    expect(() => dockerodeOptions('foo')).toThrow(LabError);
  });
});

/** Just enough of the Engine API for pingDocker, on a real unix socket. */
async function fakeEngine(sock: string, opts: { podman?: boolean; hang?: boolean } = {}) {
  const server = http.createServer((req, res) => {
    if (opts.hang) return;
    const url = (req.url ?? '').replace(/^\/v[\d.]+/, '');
    if (url === '/_ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('OK');
    } else if (url === '/version') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          Platform: { Name: opts.podman ? 'linux/amd64/debian-12' : 'Docker Engine - Community' },
          Components: [{ Name: opts.podman ? 'Podman Engine' : 'Engine', Version: '24.0.7' }],
          Version: '24.0.7',
          ApiVersion: '1.43',
          Os: 'linux',
          Arch: 'amd64',
        }),
      );
    } else {
      res.writeHead(404);
      res.end('{"message":"page not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return {
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('createDockerClient and pingDocker', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('talks to the explicit socket even with DOCKER_HOST=tcp and a bad DOCKER_CERT_PATH in the environment', async () => {
    const sock = path.join(tmp, 'engine.sock');
    const engine = await fakeEngine(sock);
    try {
      const endpoint = { url: `unix://${sock}`, source: 'setting' as const, detail: 'test' };
      process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
      expect(String(await createDockerClient(endpoint).ping())).toBe('OK');

      process.env.DOCKER_CERT_PATH = '/nonexistent';
      const docker = createDockerClient(endpoint);
      expect(process.env.DOCKER_HOST).toBe('tcp://127.0.0.1:1');
      expect(process.env.DOCKER_CERT_PATH).toBe('/nonexistent');
      expect(String(await docker.ping())).toBe('OK');

      const status = await pingDocker(endpoint, 3000);
      expect(DockerStatus.parse(status)).toEqual(status);
      expect(status).toMatchObject({ answering: true, version: '24.0.7', apiVersion: '1.43', os: 'linux', arch: 'amd64', engine: 'docker' });
      expect(status.error).toBeUndefined();
    } finally {
      await engine.close();
    }
  });

  it('does not throw from the constructor on a malformed DOCKER_HOST', () => {
    process.env.DOCKER_HOST = 'tcp://[not a host';
    expect(() => createDockerClient({ url: 'unix:///nope.sock', source: 'setting', detail: 'test' })).not.toThrow();
  });

  it('recognises Podman', async () => {
    const sock = path.join(tmp, 'podman.sock');
    const engine = await fakeEngine(sock, { podman: true });
    try {
      const status = await pingDocker({ url: `unix://${sock}`, source: 'podman-rootless', detail: 'test' });
      expect(status).toMatchObject({ answering: true, engine: 'podman' });
    } finally {
      await engine.close();
    }
  });

  it('says DOCKER_UNREACHABLE quickly for a socket that does not exist', async () => {
    const started = Date.now();
    const status = await pingDocker({ url: `unix://${path.join(tmp, 'missing.sock')}`, source: 'default-socket', detail: 'test' }, 3000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(status.answering).toBe(false);
    expect(status.error).toMatchObject({ code: 'DOCKER_UNREACHABLE' });
    expect(status.error!.hint).toMatch(/systemctl start docker/);
    expect(DockerStatus.parse(status)).toEqual(status);
  });

  it('says DOCKER_TIMEOUT when the engine never answers', async () => {
    const sock = path.join(tmp, 'hung.sock');
    const engine = await fakeEngine(sock, { hang: true });
    try {
      const started = Date.now();
      const status = await pingDocker({ url: `unix://${sock}`, source: 'setting', detail: 'test' }, 300);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(status).toMatchObject({ answering: false, error: { code: 'DOCKER_TIMEOUT' } });
      expect(status.error!.hint).toBeTruthy();
    } finally {
      await engine.close();
    }
  });

  it('says DOCKER_PERMISSION when the socket is not ours to open', async () => {
    if (process.getuid?.() === 0) return; // root opens any socket
    const sock = path.join(tmp, 'locked.sock');
    const engine = await fakeEngine(sock);
    fs.chmodSync(sock, 0);
    try {
      const status = await pingDocker({ url: `unix://${sock}`, source: 'default-socket', detail: 'test' });
      expect(status.error).toMatchObject({ code: 'DOCKER_PERMISSION' });
    } finally {
      await engine.close();
    }
  });
});
