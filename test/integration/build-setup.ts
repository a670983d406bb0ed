// Shared by the build integration tests: the local base image (no registry here), the
// kernel the fixture checkout needs, fresh copies of the checkout, and Docker checks.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareContext } from '../../electron/core/build/build-context';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURE = path.join(ROOT, 'recipes', 'fixture');
export const KERNEL = path.join(ROOT, '.cache', 'fixture', 'bzImage');
export const BASE_IMAGE = 'isolab-test-base:bookworm';
export const FIXTURE_IMAGE = 'isolab/fixture-buildroot-image';
/** The Hello ISO sample's builder starts from this here: the base image plus a Debian kernel. */
export const SAMPLE_BASE_IMAGE = 'isolab-sample-base:bookworm';

function run(cmd: string, args: string[], timeout = 900_000): string {
  return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout, maxBuffer: 64 << 20 });
}

/** What the build tests need before they start; each step is quick when already done. */
export function ensureBuildPrerequisites(): void {
  run('bash', ['scripts/ensure-dockerd.sh']);
  run('bash', ['scripts/make-base-image.sh']);
  if (!existsSync(KERNEL)) run('bash', ['scripts/make-fixture-iso.sh']);
}

export function ensureSampleBase(): void {
  ensureBuildPrerequisites();
  run('bash', ['scripts/make-sample-base.sh']);
}

/** A fresh copy of recipes/fixture with the kernel in place: builds write out/ into it. */
export function fixtureCheckout(prefix = 'isolab-checkout-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cpSync(FIXTURE, dir, { recursive: true });
  copyFileSync(KERNEL, path.join(dir, 'deploy', 'iso', 'minikube-iso', 'board', 'kernel', 'bzImage'));
  return dir;
}

export function docker(args: string[]): string {
  return run('docker', args, 120_000).trim();
}

export function buildContainers(): string[] {
  return docker(['ps', '-a', '-q', '--filter', 'label=io.isolab.build']).split('\n').filter(Boolean);
}

/** So a test sees the builder image really built: images carrying the fixture's hash go. */
export async function removeFixtureImages(buildArgs: Record<string, string> = {}): Promise<void> {
  const dir = path.join(FIXTURE, 'deploy', 'iso', 'minikube-iso');
  const { hash } = await prepareContext({ contextDir: dir, dockerfile: path.join(dir, 'Dockerfile'), buildArgs });
  const ids = docker(['images', '-q', '--no-trunc', '--filter', `label=io.isolab.context-hash=${hash}`]).split('\n').filter(Boolean);
  if (ids.length) docker(['rmi', '-f', ...new Set(ids)]);
}

export function sha256sum(file: string): string {
  return run('sha256sum', [file]).split(/\s+/)[0]!;
}

/** Everything xorriso says about the ISO's files, one absolute path per line. */
export function isoFiles(iso: string): string[] {
  const out = execFileSync('sh', ['-c', 'exec xorriso -indev "$1" -find / 2>/dev/null', 'xorriso', iso], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().replace(/^'(.*)'$/, '$1'))
    .filter((l) => l.startsWith('/'));
}
