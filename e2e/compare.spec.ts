import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildVariant, fixtureIso, unpackFixture, type Variant } from '../test/helpers/fixture-variant';
import { pickerGo } from './helpers/picker';
import { startServe, type Served } from './helpers/serve';

let dir: string;
let before: Variant;
let after: Variant;

test.beforeAll(() => {
  // The fixture is cached after its first build; the two variants take a few seconds.
  test.setTimeout(15 * 60_000);
  dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-compare-'));
  const unpacked = unpackFixture(fixtureIso(), path.join(dir, 'unpacked'));
  before = buildVariant(unpacked, dir, 'before');
  after = buildVariant(unpacked, dir, 'after', (u) => writeFileSync(path.join(u.rootfs, 'etc/VERSION'), 'isolab-fixture 2\n'));
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

let served: Served;
test.beforeEach(async () => {
  served = await startServe();
});
test.afterEach(async () => {
  await served.stop();
});

const change = (page: Page, p: string) => page.locator(`[data-testid="change"][data-path="${p}"]`);

test('compares two images: the summary, then exactly the changed files', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(served.url);
  await page.keyboard.press('Control+4');
  await expect(page.getByRole('heading', { name: 'Compare', level: 1 })).toBeVisible();

  await test.step('A with the picker, B typed', async () => {
    await page.getByTestId('compare-pick-a').click();
    const dialog = page.getByTestId('open-dialog');
    await pickerGo(dialog, dir);
    const option = dialog.locator('[role="option"][data-name="before.iso"]');
    await expect(option).toHaveClass(/openable/);
    await option.click();
    await dialog.getByTestId('picker-choose').click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('compare-a')).toHaveValue(before.iso);
    await page.getByTestId('compare-b').fill(after.iso);
  });

  await test.step('Compare: the summary on top, the two changes below', async () => {
    await page.getByTestId('compare-run').click();
    const summary = page.getByTestId('diff-summary');
    await expect(summary).toBeVisible();
    await expect(summary).toContainText('before.iso');
    // One edit inside the initrd: 1 changed file, the initrd its container, not "2 changed".
    await expect(page.getByTestId('summary-changed')).toContainText('1 changed');
    await expect(page.getByTestId('summary-containers')).toHaveText('inside 1 archive');
    await expect(summary.locator('[data-testid="summary-level"][data-level="/"]')).toContainText('1 (1 archive)');
    await expect(page.getByTestId('summary-added')).toContainText('0 added');
    await expect(summary.locator('[data-testid="summary-level"][data-level="/boot/initrd"]')).toContainText('cpio+bzip2');
    await expect(page.getByTestId('change')).toHaveCount(2);
    await expect(change(page, '/boot/initrd')).toHaveAttribute('data-kind', 'changed');
    await expect(change(page, '/boot/initrd').getByTestId('change-container')).toBeVisible();
    await expect(change(page, '/boot/initrd').getByTestId('content-diff')).toHaveCount(0);
    const version = change(page, '/boot/initrd/etc/VERSION');
    await expect(version).toHaveAttribute('data-kind', 'changed');
    // Same length, so only the hash tells: sha256 before → after, and no size line.
    await expect(version.locator('[data-field]')).toHaveCount(1);
    await expect(version.locator('[data-field="sha256"]')).toContainText('→');
    // The text diff: the line before and after, with its line number on both sides.
    const text = version.getByTestId('text-diff');
    await expect(text).toHaveAttribute('data-added', '1');
    await expect(text).toHaveAttribute('data-removed', '1');
    const del = text.locator('[data-testid="diff-line"][data-kind="-"]');
    const add = text.locator('[data-testid="diff-line"][data-kind="+"]');
    await expect(del).toHaveText(/^1\s*−\s*isolab-fixture 1$/);
    await expect(add).toHaveText(/^1\s*\+\s*isolab-fixture 2$/);
    await expect(page.locator('[data-testid="change-group"][data-level="/boot/initrd"]')).toContainText('Inside /boot/initrd');
  });

  await test.step('filters by text and by kind', async () => {
    await page.getByTestId('filter-text').fill('version');
    await expect(page.getByTestId('change')).toHaveCount(1);
    await page.getByTestId('filter-changed').click();
    await expect(page.getByTestId('change')).toHaveCount(0);
    await page.getByTestId('filter-changed').click();
    await page.getByTestId('filter-text').fill('');
    await expect(page.getByTestId('change')).toHaveCount(2);
  });

  await test.step('Open in Inspect shows the file in image B', async () => {
    await change(page, '/boot/initrd/etc/VERSION').getByRole('button', { name: 'Open in Inspect' }).click();
    await expect(page.getByRole('heading', { name: 'Inspect' })).toBeVisible();
    await expect(page.getByTestId('image-name')).toHaveText('after.iso');
    await expect(page.locator('[role="treeitem"][data-path="/boot/initrd/etc/VERSION"]')).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('text-viewer')).toContainText('isolab-fixture 2');
  });
});

test('?compare=A,B compares at start; identical images say so', async ({ page }) => {
  await page.goto(`${served.url}&compare=${encodeURIComponent(`${before.iso},${before.iso}`)}`);
  await expect(page.getByTestId('summary-identical')).toContainText('same contents');
  await expect(page.getByTestId('change')).toHaveCount(0);
  await expect(page.getByTestId('compare-a')).toHaveValue(before.iso);
});

test('a file that is not an image is an error with a hint, not a blank screen', async ({ page }) => {
  const notes = path.join(dir, 'notes.txt');
  writeFileSync(notes, 'not an image\n');
  await page.goto(served.url);
  await page.keyboard.press('Control+4');
  await page.getByTestId('compare-a').fill(before.iso);
  await page.getByTestId('compare-b').fill(notes);
  await page.getByTestId('compare-b').press('Enter');
  await expect(page.getByTestId('compare-error')).toContainText('neither an ISO 9660 image');
  await expect(page.getByTestId('diff-summary')).toHaveCount(0);
});
