import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, startServe, type Served } from './helpers/serve';

const fixtureIso = path.join(projectRoot, '.cache', 'fixture', 'isolab-fixture.iso');
const shots = path.join(projectRoot, 'docs', 'screenshots');

test.beforeAll(() => {
  test.setTimeout(15 * 60_000);
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'make-fixture-iso.sh')], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  expect(existsSync(fixtureIso)).toBe(true);
  mkdirSync(shots, { recursive: true });
});

let served: Served;
test.beforeEach(async () => {
  served = await startServe();
});
test.afterEach(async () => {
  await served.stop();
});

const map = (page: Page) => page.getByTestId('size-map');
const stage = (page: Page) => page.getByTestId('size-map-stage');
const cell = (page: Page, p: string) => map(page).locator(`g[data-path="${p}"]`);
const tip = (page: Page) => page.getByTestId('size-map-tip');

test('the size map of the fixture ISO: hover, zoom into boot and the initrd, zoom out, Esc', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(`${served.url}&image=${encodeURIComponent(fixtureIso)}`);
  await page.keyboard.press('Control+2');
  await expect(page.getByTestId('image-name')).toHaveText('isolab-fixture.iso');

  await test.step('open the size map of the whole ISO', async () => {
    await page.getByTestId('size-map-toggle').click();
    await expect(page.getByTestId('size-map-toggle')).toHaveAttribute('aria-pressed', 'true');
    await expect(map(page)).toHaveAttribute('data-root', '/');
    await expect(cell(page, '/boot')).toBeVisible();
    await expect(cell(page, '/isolinux')).toBeVisible();
    // boot holds the kernel and the initrd: nearly all of the disc.
    await expect(cell(page, '/boot/bzImage')).toBeVisible();
    await expect(cell(page, '/boot/initrd')).toHaveAttribute('data-kind', 'archive');
    await expect(page.getByTestId('details-pane')).toHaveCount(0);
    await expect(stage(page)).toBeFocused();
    // The keyboard cursor starts on the biggest, and arrows move it to the neighbours.
    await expect(page.getByTestId('size-map-status')).toContainText('/boot:');
    await page.keyboard.press('ArrowRight');
    await expect(page.getByTestId('size-map-status')).toContainText('/isolinux:');
    await page.keyboard.press('ArrowLeft');
    await expect(page.getByTestId('size-map-status')).toContainText('/boot:');
  });

  await test.step('hovering shows the path and the size', async () => {
    // The top left corner of boot's frame is its title bar, not a file inside it.
    await cell(page, '/boot').hover({ position: { x: 6, y: 6 } });
    await expect(tip(page)).toBeVisible();
    await expect(tip(page)).toContainText('/boot');
    await expect(tip(page)).toContainText(/\d MB/);
    await expect(tip(page)).toContainText(/% of isolab-fixture\.iso/);
    await cell(page, '/boot/bzImage').hover();
    await expect(tip(page)).toContainText('/boot/bzImage');
    await expect(tip(page)).toContainText('8,247,232 bytes');
    await cell(page, '/boot/initrd').hover();
    await expect(tip(page)).toContainText('Archive (cpio+bzip2): opens as a folder');
    await page.screenshot({ path: path.join(shots, 'inspect-size-map.png') });
  });

  await test.step('clicking boot zooms into it; the tree and the breadcrumb follow', async () => {
    await cell(page, '/boot').click({ position: { x: 6, y: 6 } });
    await expect(map(page)).toHaveAttribute('data-root', '/boot');
    await expect(page.getByTestId('breadcrumb')).toHaveText('isolab-fixture.iso › boot');
    await expect(page.locator('[role="treeitem"][data-path="/boot"]')).toHaveAttribute('aria-selected', 'true');
    await expect(cell(page, '/boot/initrd')).toBeVisible();
    await expect(cell(page, '/isolinux')).toHaveCount(0);
  });

  await test.step('clicking the initrd opens it and shows the rootfs', async () => {
    await cell(page, '/boot/initrd').click();
    await expect(map(page)).toHaveAttribute('data-root', '/boot/initrd');
    await expect(cell(page, '/boot/initrd/bin')).toBeVisible({ timeout: 30_000 });
    await expect(cell(page, '/boot/initrd/bin/busybox')).toBeVisible();
    await expect(page.getByTestId('size-map-total')).toContainText('files');
    await cell(page, '/boot/initrd/bin/busybox').hover();
    await expect(tip(page)).toContainText('/boot/initrd/bin/busybox');
  });

  await test.step('the keyboard: Enter zooms in, Backspace out', async () => {
    await stage(page).focus();
    // The cursor starts on the biggest thing: bin, with busybox in it.
    await expect(page.getByTestId('size-map-status')).toContainText('/boot/initrd/bin');
    await page.keyboard.press('Enter');
    await expect(map(page)).toHaveAttribute('data-root', '/boot/initrd/bin');
    await page.keyboard.press('Backspace');
    await expect(map(page)).toHaveAttribute('data-root', '/boot/initrd');
    await expect(page.getByTestId('size-map-status')).toContainText('/boot/initrd/bin');
    await page.keyboard.press('Backspace');
    await expect(map(page)).toHaveAttribute('data-root', '/boot');
    // Up in the bar does the same.
    await page.getByTestId('size-map-up').click();
    await expect(map(page)).toHaveAttribute('data-root', '/');
    await expect(page.getByTestId('size-map-up')).toBeDisabled();
  });

  await test.step('Esc goes back to the details', async () => {
    await cell(page, '/isolinux').click({ position: { x: 6, y: 6 } });
    await expect(map(page)).toHaveAttribute('data-root', '/isolinux');
    await stage(page).focus();
    await page.keyboard.press('Escape');
    await expect(map(page)).toHaveCount(0);
    await expect(page.getByTestId('details-pane')).toBeVisible();
    await expect(page.getByTestId('details-name')).toHaveText('isolinux');
    await expect(page.getByTestId('size-map-toggle')).toHaveAttribute('aria-pressed', 'false');
  });
});

test('the size map follows presenter mode', async ({ page }) => {
  await page.goto(`${served.url}&image=${encodeURIComponent(fixtureIso)}`);
  await page.keyboard.press('Control+2');
  await page.getByTestId('size-map-toggle').click();
  const label = cell(page, '/boot').locator('> text').first();
  await expect(label).toBeVisible();
  const normal = await label.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  await page.evaluate(() => (document.documentElement.dataset.presenter = 'on'));
  await expect.poll(() => label.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThan(normal * 1.2);
});
