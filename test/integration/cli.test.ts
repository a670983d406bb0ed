import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DoctorReport } from '../../shared/doctor';

const root = path.resolve(__dirname, '..', '..');
const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-cli-'));

function isolab(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'isolab.cjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ISOLAB_HOME: home, NO_COLOR: '1', ...env },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function engineVersion(): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: '/var/run/docker.sock', path: '/version' }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(JSON.parse(body).Version));
      })
      .on('error', reject);
  });
}

beforeAll(() => {
  // The suite runs after `npm run build` (scripts/run-tests.mjs); say so plainly if not.
  const r = isolab(['--version']);
  if (r.code !== 0) throw new Error(`isolab is not built: ${r.err}`);
});

describe('isolab CLI', () => {
  it('--version and --help', () => {
    const v = isolab(['--version']);
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    const h = isolab(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('doctor');
    expect(h.out).toContain('serve');
  });

  it('usage errors exit 2 with one line and no stack trace', () => {
    for (const args of [['bogus'], ['doctor', '--jsn'], ['serve', '--port', 'abc']]) {
      const r = isolab(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')[0]).toMatch(/^isolab: /);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('doctor --json tells the truth with dockerd running', async () => {
    const r = isolab(['doctor', '--json']);
    expect(r.code).toBe(0);
    const report = DoctorReport.parse(JSON.parse(r.out));
    expect(report.docker.answering).toBe(true);
    expect(report.docker.version).toBe(await engineVersion());
    expect(report.docker.endpoint).toMatchObject({ url: 'unix:///var/run/docker.sock', source: 'default-socket' });
    expect(report.qemu.system.path).toBe('/usr/bin/qemu-system-x86_64');
    expect(report.disks[0]!.path).toBe(path.join(home, 'data'));
  });

  it('doctor exits 1 with a hint when Docker does not answer', () => {
    const r = isolab(['doctor', '--json'], { DOCKER_HOST: 'unix:///tmp/isolab-cli-no-docker.sock' });
    expect(r.code).toBe(1);
    const report = DoctorReport.parse(JSON.parse(r.out));
    expect(report.docker.answering).toBe(false);
    expect(report.docker.endpoint.source).toBe('DOCKER_HOST');
    expect(report.docker.error?.code).toBe('DOCKER_UNREACHABLE');
    expect(report.checks.find((c) => c.id === 'docker')).toMatchObject({ level: 'error', hint: expect.stringContaining('start the Docker daemon') });
  });

  it('doctor without --json prints one line per check and the fix for what is missing', () => {
    const r = isolab(['doctor'], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✗ Docker engine/);
    expect(r.out).toMatch(/fix: /);
    expect(r.out).toMatch(/✓ QEMU/);
  });

  it('doctor follows the endpoint saved in settings', () => {
    const own = mkdtempSync(path.join(os.tmpdir(), 'isolab-cli-setting-'));
    mkdirSync(path.join(own, 'config'), { recursive: true });
    writeFileSync(path.join(own, 'config', 'settings.json'), JSON.stringify({ docker: { host: 'unix:///tmp/isolab-setting.sock' } }));
    const r = isolab(['doctor', '--json'], { ISOLAB_HOME: own });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).docker.endpoint).toMatchObject({ source: 'setting', url: 'unix:///tmp/isolab-setting.sock' });
  });

  it('serve refuses a port in use with one clear line', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const r = isolab(['serve', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.err.trim()).toBe(`isolab: Port ${port} on 127.0.0.1 is already in use. Hint: Choose another with --port, or --port 0 for any free port.`);
    } finally {
      server.close();
    }
  });
});
