import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, startServe, type Served } from './helpers/serve';

// Offline builds (issue 10 item 5) in Chromium against the real dockerd, where no registry is
// reachable: the Hello ISO sample as `isolab sample` writes it, whose builder Dockerfile says
// `ARG BASE=debian:bookworm` / `FROM ${BASE}`, and the engine has no debian:bookworm.
// Pre-flight names it and BASE and offers "Use a local image…"; the failed pull's card names
// BASE, opens the collapsed Overrides, and Retry builds with the local image.

const LOCAL = 'isolab-sample-base:bookworm';
const MISSING = 'debian:bookworm';

test.beforeAll(() => {
  test.setTimeout(20 * 60_000);
  const run = (script: string) => execFileSync('bash', [path.join(projectRoot, 'scripts', script)], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  run('ensure-dockerd.sh');
  run('make-base-image.sh');
  run('make-fixture-iso.sh');
  run('make-sample-base.sh');
  // The point of the test: the engine lacks the Dockerfile's default base.
  expect(() => execFileSync('docker', ['image', 'inspect', MISSING], { stdio: 'ignore' })).toThrow();
});

let served: Served;
test.beforeEach(async () => {
  served = await startServe();
});
test.afterEach(async () => {
  await served.stop();
});

function sampleCheckout(): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-offline-')), 'hello');
  execFileSync(process.execPath, [path.join(projectRoot, 'bin', 'isolab.cjs'), 'sample', dir], { stdio: 'ignore' });
  expect(existsSync(path.join(dir, 'builder', 'Dockerfile'))).toBe(true);
  return dir;
}

test('a missing base image: Use a local image… sets BASE; the failed pull names BASE, opens Overrides, and Retry builds', async ({ page }) => {
  test.setTimeout(5 * 60_000);
  const checkout = sampleCheckout();
  await page.goto(served.url);
  await page.locator('nav.sidebar').getByRole('button', { name: 'Build', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Build', exact: true })).toBeVisible();
  await page.getByTestId('checkout-input').fill(checkout);
  await expect(page.getByTestId('auto-why')).toHaveAttribute('data-recipe', 'hello');
  // No network for the build (none here anyway); then the Overrides are collapsed again.
  await page.getByTestId('custom-toggle').click();
  await page.getByTestId('custom-network').selectOption('none');
  await page.getByTestId('custom-toggle').click();
  const overrides = page.getByTestId('custom-fields');
  await expect(overrides).not.toHaveAttribute('open', '');

  const warning = page.locator('[data-testid="preflight-warning"][data-code="BUILD_BASE_IMAGE_MISSING"]');
  await test.step('pre-flight names the image and the argument, and Use a local image… sets it', async () => {
    await expect(warning).toHaveAttribute('data-image', MISSING);
    await expect(warning).toHaveAttribute('data-build-arg', 'BASE');
    await expect(warning).toContainText(`base image ${MISSING}`);
    await expect(warning).toContainText('set by the build argument BASE');
    await warning.getByTestId('use-local-image-open').click();
    const dialog = page.getByTestId('local-image-dialog');
    await expect(dialog).toContainText('FROM ${BASE}');
    const option = dialog.locator(`[data-testid="local-image"][data-ref="${LOCAL}"]`);
    await expect(option).toBeVisible();
    await option.click();
    await dialog.getByTestId('use-local-image').click();
    await expect(dialog).toHaveCount(0);
    await expect(overrides).toHaveAttribute('open', '');
    await expect(page.getByTestId('custom-build-args')).toHaveValue(`BASE=${LOCAL}`);
    await expect(warning).toHaveCount(0);
    await expect(page.getByTestId('docker-build-line')).toContainText(`--build-arg BASE=${LOCAL}`);
  });

  await test.step('without it, the pull fails: the card names BASE, the builder image is "failed", not "built"', async () => {
    await page.getByTestId('custom-build-args').fill('');
    await expect(warning).toHaveAttribute('data-build-arg', 'BASE');
    await page.getByTestId('custom-toggle').click();
    await expect(overrides).not.toHaveAttribute('open', '');
    await expect(page.getByTestId('preflight')).toHaveAttribute('aria-busy', 'false');
    await page.getByTestId('start-build').click();
    const result = page.getByTestId('build-result');
    await expect(result).toHaveAttribute('data-phase', 'failed', { timeout: 120_000 });
    await expect(page.getByTestId('result-error')).toHaveAttribute('data-code', 'BUILD_PULL_FAILED');
    await expect(page.getByTestId('result-image')).toHaveAttribute('data-state', 'failed');
    await expect(page.getByTestId('result-image')).toHaveText('isolab/hello-iso-builder failed: not built');
    await expect(page.getByTestId('image-step')).toHaveAttribute('data-state', 'failed');
    await expect(page.getByTestId('missing-base-arg')).toHaveText('BASE');
    await expect(page.getByTestId('missing-base')).toHaveAttribute('data-image', MISSING);
  });

  await test.step('the card opens the collapsed Overrides at Build args; Retry builds with the local image', async () => {
    // The setup was folded away when the build started.
    await expect(overrides).toHaveCount(0);
    await page.getByTestId('open-overrides').click();
    await expect(overrides).toHaveAttribute('open', '');
    await expect(page.getByTestId('custom-build-args')).toBeFocused();
    await page.getByTestId('custom-build-args').fill(`BASE=${LOCAL}`);
    await expect(warning).toHaveCount(0);
    await page.getByTestId('retry-build').click();
    const result = page.getByTestId('build-result');
    await expect(result).toHaveAttribute('data-phase', 'done', { timeout: 240_000 });
    await expect(page.getByTestId('result-image')).toHaveAttribute('data-state', /^(built|reused)$/);
    await expect(page.getByTestId('result-output')).toContainText(path.join(checkout, 'out', 'hello.iso'));
  });
});
