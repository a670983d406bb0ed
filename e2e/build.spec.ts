import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pickerGo } from './helpers/picker';
import { projectRoot, startServe, type Served } from './helpers/serve';

// The Build screen against the real dockerd, with the fixture checkout (recipes/fixture):
// a minikube-2019-shaped build that takes seconds, on the local base image (no registry here).

const kernel = path.join(projectRoot, '.cache', 'fixture', 'bzImage');
const shots = path.join(projectRoot, 'docs', 'screenshots');
const BASE = 'isolab-test-base:bookworm';

test.beforeAll(() => {
  // Each step is quick when already done.
  test.setTimeout(20 * 60_000);
  const run = (script: string) => execFileSync('bash', [path.join(projectRoot, 'scripts', script)], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  run('ensure-dockerd.sh');
  run('make-base-image.sh');
  run('make-fixture-iso.sh');
  expect(existsSync(kernel)).toBe(true);
  mkdirSync(shots, { recursive: true });
});

let served: Served;
test.beforeEach(async () => {
  served = await startServe();
});
test.afterEach(async () => {
  await served.stop();
});

/** A fresh copy of the fixture checkout with the kernel in place, as its README says. */
function fixtureCheckout(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-checkout-'));
  cpSync(path.join(projectRoot, 'recipes', 'fixture'), dir, { recursive: true });
  copyFileSync(kernel, path.join(dir, 'deploy', 'iso', 'minikube-iso', 'board', 'kernel', 'bzImage'));
  return dir;
}

function containersOf(buildId: string): string[] {
  return execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=io.isolab.build=${buildId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const scrollIntoView = (page: Page, testId: string) => page.getByTestId(testId).evaluate((el) => el.scrollIntoView({ block: 'start' }));

/** Opens the Build screen, chooses the checkout with the folder picker and sets the knobs the tests use. */
async function setUp(page: Page, checkout: string, opts: { env?: string; command?: string } = {}) {
  await page.goto(served.url);
  // The shortcut works once the app is drawn; pressed earlier, it is lost.
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Build', exact: true })).toBeVisible();
  await page.keyboard.press('Control+b');
  await expect(page.getByRole('heading', { name: 'Build', exact: true })).toBeVisible();

  await page.getByTestId('choose-checkout').click();
  const dialog = page.getByTestId('folder-dialog');
  await pickerGo(dialog, checkout);
  await expect(dialog.getByTestId('picker-path')).toHaveValue(`${checkout}/`);
  await expect(dialog.locator('[role="option"][data-name="Makefile"]')).toBeVisible();
  await dialog.getByTestId('picker-choose').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('checkout-input')).toHaveValue(checkout);

  // Auto picks the 2019 recipe from the Makefile's targets, and says so.
  const why = page.getByTestId('auto-why');
  await expect(why).toHaveAttribute('data-recipe', 'minikube-2019');
  await expect(why).toContainText('minikube (2019)');
  await expect(why).toContainText('out/minikube.iso and minikube_iso');

  await page.getByTestId('custom-toggle').click();
  await page.getByTestId('custom-build-args').fill(`BASE=${BASE}`);
  await page.getByTestId('custom-network').selectOption('none');
  if (opts.env) await page.getByTestId('custom-env').fill(opts.env);
  if (opts.command) await page.getByTestId('custom-command').fill(opts.command);

  // The command lines people would type follow the fields.
  await expect(page.getByTestId('docker-build-line')).toContainText(`--network none --build-arg BASE=${BASE} -t isolab/fixture-buildroot-image`);
  await expect(page.getByTestId('docker-run-line')).toContainText('--network none');
  if (opts.env) await expect(page.getByTestId('docker-run-line')).toContainText(`--env ${opts.env.split('\n')[0]}`);

  const preflight = page.getByTestId('preflight');
  await expect(preflight).toHaveAttribute('aria-busy', 'false');
  await expect(preflight).toHaveAttribute('data-ok', 'true');
  await expect(page.getByTestId('preflight-error')).toHaveCount(0);
  await expect(page.getByTestId('preflight-disk')).toContainText('free');
  await expect(page.getByTestId('start-build')).toBeEnabled();
}

async function buildId(page: Page): Promise<string> {
  const id = (await page.locator('.build-id').textContent()) ?? '';
  expect(id).toMatch(/^\d{8}-\d{6}-[a-z0-9]{4}$/);
  return id;
}

test('builds the fixture checkout: logs, progress, the ISO, its chart, then Inspect opens it', async ({ page }) => {
  test.setTimeout(8 * 60_000);
  const checkout = fixtureCheckout();
  // Slow steps: the progress is seen moving, package by package.
  await setUp(page, checkout, { env: 'FIXTURE_SLOW=0.6' });

  await test.step('start: the logs stream and the progress moves', async () => {
    await page.getByTestId('start-build').click();
    await expect(page.getByTestId('build-progress')).toBeVisible();
    // The setup folds away so the logs get the room.
    await expect(page.getByTestId('setup-toggle')).toHaveText('Show setup');
    await expect(page.getByTestId('build-phase')).toHaveAttribute('data-phase', 'build', { timeout: 180_000 });
    await expect(page.getByTestId('log-view')).toHaveAttribute('data-tab', 'build');
    await expect(page.getByTestId('log-scroll')).toContainText('>>> host-skeleton', { timeout: 60_000 });
    await expect.poll(async () => Number(await page.getByTestId('packages-done').getAttribute('data-count')), { timeout: 60_000 }).toBeGreaterThan(1);
    await expect(page.getByTestId('current-package')).not.toContainText('no buildroot step');
    await expect(page.getByTestId('log-view')).toHaveAttribute('data-following', 'true');
    // The image log was kept too: docker build's steps.
    await expect(page.getByTestId('log-tab-image')).not.toContainText(/Image log\s*0$/);
    await scrollIntoView(page, 'build-progress');
    await page.screenshot({ path: path.join(shots, 'build-running.png') });
  });

  await test.step('the result: exit code, the ISO with its sha256, the chart', async () => {
    const result = page.getByTestId('build-result');
    await expect(result).toHaveAttribute('data-phase', 'done', { timeout: 180_000 });
    await expect(page.getByTestId('result-exit-code')).toHaveText('0');
    const iso = path.join(checkout, 'out', 'minikube.iso');
    await expect(page.getByTestId('result-output')).toHaveText(iso);
    await expect(page.getByTestId('result-sha256')).toHaveText(sha256(iso));
    await expect(page.getByTestId('build-phase')).toHaveAttribute('data-phase', 'done');
    await expect(page.getByTestId('packages-done')).toHaveAttribute('data-count', '5');

    const bars = page.getByTestId('chart-bar');
    await expect(bars).toHaveCount(5);
    await page.getByTestId('chart-order-build').click();
    await expect(bars.first()).toHaveAttribute('data-name', 'host-skeleton');
    await expect(bars.last()).toHaveAttribute('data-name', 'syslinux');
    await page.getByTestId('chart-order-duration').click();
    const ms = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ms'))));
    expect(ms).toEqual([...ms].sort((a, b) => b - a));

    await expect(page.getByTestId('problems')).toContainText('No error lines');
    const item = page.getByTestId('history-item').first();
    await expect(item).toHaveAttribute('data-phase', 'done');
    await expect(item).toContainText('minikube.iso');
    await scrollIntoView(page, 'build-progress');
    await page.screenshot({ path: path.join(shots, 'build-done.png') });
  });

  await test.step('search in the log', async () => {
    const search = page.getByTestId('log-search');
    await search.fill('syslinux 6.04');
    await expect(page.getByTestId('log-search-count')).toHaveText(/^\d+ lines$/);
    await search.press('Enter');
    await expect(page.getByTestId('log-search-count')).toHaveText(/^1 of \d+ lines$/);
    await expect(page.locator('.log-row-current mark.log-hit')).toHaveText('syslinux 6.04');
    await search.press('Escape');
  });

  await test.step('Open in Inspect shows the ISO with boot/initrd', async () => {
    await page.getByTestId('open-in-inspect').click();
    await expect(page.getByRole('heading', { name: 'Inspect' })).toBeVisible();
    await expect(page.getByTestId('image-name')).toHaveText('minikube.iso');
    const row = (p: string) => page.locator(`[role="treeitem"][data-path="${p}"]`);
    await row('/boot').click();
    await page.getByTestId('tree').press('ArrowRight');
    await expect(row('/boot/initrd')).toBeVisible();
    await expect(row('/boot/bzImage')).toBeVisible();
  });

  await test.step('back on Build, the finished build is still shown; its history entry opens it read-only', async () => {
    await page.keyboard.press('Control+b');
    await expect(page.getByTestId('build-result')).toHaveAttribute('data-phase', 'done');
    await page.getByTestId('close-run').click();
    await expect(page.getByTestId('build-result')).toHaveCount(0);
    await page.getByTestId('history-item').first().locator('button').click();
    await expect(page.getByTestId('build-result')).toHaveAttribute('data-phase', 'done');
    await expect(page.getByTestId('log-scroll')).toContainText('>>> syslinux 6.04 Installing to images directory');
    await expect(page.getByTestId('cancel-build')).toHaveCount(0);
  });
});

test('a failing build shows its exit code and the error line, and the problem leads to it', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  const checkout = fixtureCheckout();
  // Lines after the failure, so the error is a screenful above the end the log follows.
  await setUp(page, checkout, {
    env: 'FIXTURE_FAIL=busybox',
    command: '/usr/bin/make out/minikube.iso; rc=$?; seq -f "after the failure, line %g" 1 3000; exit $rc',
  });

  await test.step('the pre-flight: a warning does not block, a bad field does', async () => {
    const args = page.getByTestId('custom-build-args');
    await args.fill('BASE=isolab-nope:1');
    const warning = page.locator('[data-testid="preflight-warning"][data-code="BUILD_BASE_IMAGE_MISSING"]');
    await expect(warning).toContainText('isolab-nope:1');
    await expect(page.getByTestId('preflight')).toHaveAttribute('data-ok', 'true');
    await expect(page.getByTestId('start-build')).toBeEnabled();
    await args.fill(`BASE=${BASE}\nnot an assignment`);
    await expect(page.getByText('line 2: “not an assignment” has no “=”')).toBeVisible();
    await expect(page.getByTestId('start-build')).toBeDisabled();
    await args.fill(`BASE=${BASE}`);
    await expect(warning).toHaveCount(0);
    await expect(page.getByTestId('preflight')).toHaveAttribute('aria-busy', 'false');
    await expect(page.getByTestId('start-build')).toBeEnabled();
  });
  await page.getByTestId('start-build').click();

  const result = page.getByTestId('build-result');
  await expect(result).toHaveAttribute('data-phase', 'failed', { timeout: 180_000 });
  await expect(page.getByTestId('result-exit-code')).toHaveText(/^[1-9]\d*$/);
  await expect(page.getByTestId('result-error')).toContainText(/The build exited with code [1-9]/);
  await expect(page.getByTestId('result-error')).toContainText('wrong sha256 hash');

  const problem = page.locator('[data-testid="problem-item"][data-rule="hash"]').first();
  await expect(problem).toContainText('busybox');
  await expect(problem).toContainText('has wrong sha256 hash');
  const line = Number(await problem.getAttribute('data-line'));
  expect(line).toBeGreaterThan(0);
  // Make's own report is listed too.
  await expect(page.locator('[data-testid="problem-item"][data-rule="make"]').first()).toContainText('***');

  // The log followed the end: the error line is far above, not drawn.
  const scroller = page.getByTestId('log-scroll');
  await expect(scroller).toContainText('after the failure, line 3000');
  const target = page.locator(`[data-testid="log-row"][data-line="${line}"]`);
  await expect(target).toHaveCount(0);

  await problem.click();
  await expect(target).toBeVisible();
  await expect(target).toHaveClass(/log-row-target/);
  await expect(target).toHaveClass(/log-row-problem/);
  await expect(target).toContainText('wrong sha256 hash');
  await expect(page.getByTestId('log-view')).toHaveAttribute('data-following', 'false');
  const box = await scroller.boundingBox();
  const row = await target.boundingBox();
  expect(row!.y).toBeGreaterThanOrEqual(box!.y);
  expect(row!.y + row!.height).toBeLessThanOrEqual(box!.y + box!.height);

  // "Jump to end" follows the end again.
  await page.getByTestId('jump-to-end').click();
  await expect(page.getByTestId('log-view')).toHaveAttribute('data-following', 'true');
  await expect(scroller).toContainText('after the failure, line 3000');
  await expect(page.getByTestId('history-item').first()).toHaveAttribute('data-phase', 'failed');

  await test.step('from the history, read-only: the problem line is fetched from the file', async () => {
    await page.getByTestId('close-run').click();
    await page.getByTestId('history-item').first().locator('button').click();
    await expect(page.getByTestId('build-result')).toHaveAttribute('data-phase', 'failed');
    await expect(scroller).toContainText('after the failure, line 3000');
    // A watcher joining late gets the last 2000 lines; the error is above them, in the file only.
    await expect(page.getByTestId('log-window')).toContainText('kept here');
    await page.locator('[data-testid="problem-item"][data-rule="hash"]').first().click();
    await expect(target).toContainText('wrong sha256 hash');
    await expect(target).toHaveClass(/log-row-target/);
  });
});

test('cancel mid-build: the container is gone and the log is kept; a reload re-attaches first', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  const checkout = fixtureCheckout();
  await setUp(page, checkout, { env: 'FIXTURE_SLOW=3' });
  await page.getByTestId('start-build').click();
  await expect(page.getByTestId('log-scroll')).toContainText('>>> host-skeleton', { timeout: 180_000 });
  const id = await buildId(page);
  expect(containersOf(id)).toHaveLength(1);

  await test.step('the build belongs to the core: a reload follows it again', async () => {
    await page.reload();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Build', exact: true })).toBeVisible();
    await page.keyboard.press('Control+b');
    await expect(page.locator('.build-id')).toHaveText(id);
    await expect(page.getByTestId('build-phase')).toHaveAttribute('data-phase', 'build');
    await expect(page.getByTestId('log-scroll')).toContainText('>>> host-skeleton');
  });

  await page.getByTestId('cancel-build').click();
  const dialog = page.getByTestId('cancel-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('confirm-cancel').click();

  await expect(page.getByTestId('build-result')).toHaveAttribute('data-phase', 'cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('build-phase')).toHaveAttribute('data-phase', 'cancelled');
  await expect(page.getByTestId('result-error')).toContainText('cancelled during the build phase');
  expect(containersOf(id)).toEqual([]);

  // The partial log stays, in the view and on disk.
  await expect(page.getByTestId('log-scroll')).toContainText('>>> host-skeleton');
  await expect(page.getByTestId('log-scroll')).toContainText('isolab: cancelled');
  const file = (await page.getByTestId('log-file-path').textContent()) ?? '';
  expect(file).toMatch(/build\.log$/);
  expect(readFileSync(file, 'utf8')).toMatch(/^>>> host-skeleton {2}Extracting$/m);
  await expect(page.getByTestId('history-item').first()).toHaveAttribute('data-phase', 'cancelled');
});
