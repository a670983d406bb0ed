import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pickerGo } from './helpers/picker';
import { projectRoot, startServe, type Served } from './helpers/serve';

const fixtureDir = path.join(projectRoot, '.cache', 'fixture');
const fixtureIso = path.join(fixtureDir, 'isolab-fixture.iso');
const fixtureInitrd = path.join(fixtureDir, 'initrd.cpio.bz2');
const shots = path.join(projectRoot, 'docs', 'screenshots');

test.beforeAll(() => {
  // Cached: only the first run builds it (from Debian's kernel and busybox-static).
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

const row = (page: Page, p: string) => page.locator(`[role="treeitem"][data-path="${p}"]`);
const tree = (page: Page) => page.getByTestId('tree');

/** Opens a file through the in-app picker: type its folder, then choose it in the list. */
async function openWithPicker(page: Page, folder: string, name: string) {
  await page.getByTestId('open-button').click();
  const dialog = page.getByTestId('open-dialog');
  await pickerGo(dialog, folder);
  const field = dialog.getByTestId('picker-path');
  await expect(field).toHaveValue(folder.replace(/\/?$/, '/'));
  const option = dialog.locator(`[role="option"][data-name="${name}"]`);
  await expect(option).toHaveClass(/openable/);
  await option.click();
  await dialog.getByTestId('picker-choose').click();
  await expect(dialog).toBeHidden();
}

/** Selects a row with the mouse and expands it with the keyboard. */
async function expandRow(page: Page, p: string) {
  await row(page, p).click();
  await tree(page).press('ArrowRight');
  await expect(row(page, p)).toHaveAttribute('aria-expanded', 'true');
}

test('browses the fixture ISO and its initrd like folders', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(served.url);
  await page.keyboard.press('Control+2');
  await expect(page.getByRole('heading', { name: 'Inspect' })).toBeVisible();

  await test.step('open the ISO with the picker', async () => {
    await openWithPicker(page, fixtureDir, 'isolab-fixture.iso');
    await expect(page.getByTestId('image-name')).toHaveText('isolab-fixture.iso');
    await expect(page.getByTestId('badge-rockridge')).toBeVisible();
    await expect(page.getByTestId('badge-joliet')).toBeVisible();
    await expect(page.getByTestId('boot-platforms')).toContainText('BIOS');
    await expect(page.getByTestId('summary-initrd')).toContainText('cpio+bzip2');
    // The overview names what this disc boots with, read off its boot catalog.
    await expect(page.getByTestId('disc-overview')).toContainText('The firmware starts ISOLINUX for BIOS (isolinux/isolinux.bin)');
    await expect(page.getByTestId('disc-overview')).toContainText('Linux kernel (boot/bzImage)');
  });

  await test.step('the top of the ISO, then boot/ and isolinux/', async () => {
    await expect(row(page, '/boot')).toBeVisible();
    await expect(row(page, '/isolinux')).toBeVisible();
    await expect(row(page, '/boot.catalog')).toBeVisible();
    await expect(tree(page)).toHaveAttribute('role', 'tree');
    await expect(row(page, '/boot')).toHaveAttribute('aria-level', '1');
    await expandRow(page, '/boot');
    await expect(row(page, '/boot/bzImage')).toBeVisible();
    await expect(row(page, '/boot/initrd')).toContainText('cpio+bzip2');
    await expect(row(page, '/boot/bzImage')).toHaveAttribute('aria-level', '2');
    // Left goes back to the parent, then folds it.
    await row(page, '/boot/bzImage').click();
    await tree(page).press('ArrowLeft');
    await expect(row(page, '/boot')).toHaveAttribute('aria-selected', 'true');
    await tree(page).press('ArrowLeft');
    await expect(row(page, '/boot')).toHaveAttribute('aria-expanded', 'false');
    await expect(row(page, '/boot/bzImage')).toHaveCount(0);
    await tree(page).press('ArrowRight');
    await expandRow(page, '/isolinux');
    await expect(row(page, '/isolinux/isolinux.cfg')).toBeVisible();
  });

  await test.step('isolinux.cfg opens as text, with its explanation', async () => {
    await row(page, '/isolinux/isolinux.cfg').click();
    await expect(page.getByTestId('text-viewer')).toContainText('kernel /boot/bzImage');
    await expect(page.getByTestId('explain')).toContainText('console=ttyS0');
    await expect(page.getByTestId('detail-mode')).toHaveText('-rw-r--r--');
    // Enter moves the focus into the viewer.
    await tree(page).press('Enter');
    await expect(page.locator('.text-scroll')).toBeFocused();
  });

  await test.step('boot/bzImage shows the kernel card', async () => {
    await row(page, '/boot/bzImage').click();
    await expect(page.getByTestId('kernel-card')).toBeVisible();
    await expect(page.getByTestId('kernel-version')).toHaveText(/^6\.1\./);
    await expect(page.getByTestId('explain')).toContainText('compressed Linux kernel');
    await page.getByTestId('kernel-card').evaluate((el) => el.scrollIntoView({ block: 'end' }));
    await page.screenshot({ path: path.join(shots, 'inspect-iso.png') });
    // The same bytes as hex.
    await page.getByTestId('viewer-tab-hex').click();
    await expect(page.getByTestId('hex-viewer')).toContainText('4d 5a');
  });

  await test.step('boot.catalog shows the El Torito card, and its boot image link reveals the file', async () => {
    await row(page, '/boot.catalog').click();
    const card = page.getByTestId('boot-catalog-card');
    await expect(card).toBeVisible();
    await expect(card).toContainText('BIOS');
    await card.getByTestId('boot-image-link').click();
    await expect(page.getByTestId('details-name')).toHaveText('isolinux.bin');
    await expect(row(page, '/isolinux/isolinux.bin')).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('boot/initrd expands with index progress into the rootfs', async () => {
    // The progress row appears as soon as the archive is expanded; record that it did.
    await page.evaluate(() => {
      const w = window as unknown as { sawProgress: boolean };
      w.sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="index-progress"]')) w.sawProgress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await expandRow(page, '/boot/initrd');
    await expect(row(page, '/boot/initrd/etc')).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress)).toBe(true);
    await expect(page.getByTestId('index-progress')).toHaveCount(0);
    await expect(row(page, '/boot/initrd/bin')).toBeVisible();
    await expect(row(page, '/boot/initrd/etc')).toHaveAttribute('aria-level', '3');
    await row(page, '/boot/initrd/etc').click();
    await expect(page.getByTestId('explain')).toContainText('Configuration');
    await expect(page.getByTestId('breadcrumb')).toHaveText('isolab-fixture.iso › boot/initrd › etc');
    await tree(page).press('ArrowRight');
    await expect(row(page, '/boot/initrd/etc/VERSION')).toBeVisible();
    await row(page, '/boot/initrd/etc/VERSION').click();
    await expect(page.getByTestId('text-viewer')).toContainText('isolab-fixture 1');
    await expect(page.getByTestId('detail-inside')).toHaveText('inside boot/initrd');
    await expect(page.getByTestId('breadcrumb')).toContainText('isolab-fixture.iso › boot/initrd › etc');
    await page.screenshot({ path: path.join(shots, 'inspect-initrd.png') });
    // A hard link names the entry it shares its data with.
    await row(page, '/boot/initrd/etc/issue').click();
    await page.getByTestId('hardlink').click();
    await expect(row(page, '/boot/initrd/etc/issue.net')).toHaveAttribute('aria-selected', 'true');
    // Each part of the breadcrumb is a way back.
    await page.getByTestId('breadcrumb').getByRole('button', { name: 'boot/initrd' }).click();
    await expect(page.getByTestId('details-name')).toHaveText('initrd');
    await expect(page.getByTestId('archive-summary')).toContainText('entries');
  });

  await test.step('a line longer than the pane wraps, and Wrap lines turns that off', async () => {
    const size = page.viewportSize()!;
    await page.setViewportSize({ width: 720, height: size.height });
    // init comes after the rootfs's folders: scroll the (virtualized) tree down to it.
    await row(page, '/boot/initrd/etc').click();
    await tree(page).press('ArrowLeft');
    await expect(async () => {
      await page.locator('.tree-scroll').evaluate((el) => (el.scrollTop += 120));
      await expect(row(page, '/boot/initrd/init')).toBeVisible({ timeout: 500 });
    }).toPass();
    await row(page, '/boot/initrd/init').click();
    await expect(page.getByTestId('text-viewer')).toContainText('#!/bin/sh');
    const overflow = () => page.locator('.text-scroll').evaluate((el) => el.scrollWidth - el.clientWidth);
    await expect(page.getByTestId('text-wrap')).toBeChecked();
    await expect(page.locator('.text-line.text-cont').first()).toBeVisible();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByTestId('text-wrap').uncheck();
    await expect(page.locator('.text-line.text-cont')).toHaveCount(0);
    expect(await overflow()).toBeGreaterThan(0);
    await page.getByTestId('text-wrap').check();
    await expect(page.locator('.text-line.text-cont').first()).toBeVisible();
    await page.setViewportSize(size);
  });

  await test.step('type-to-filter finds bin/sh; following the link reveals busybox', async () => {
    await tree(page).focus();
    await page.keyboard.type('sh');
    await expect(page.getByTestId('tree-filter')).toHaveValue('sh');
    const results = page.getByTestId('find-results');
    const sh = results.locator('[data-path="/boot/initrd/bin/sh"]');
    await expect(sh).toBeVisible();
    await sh.click();
    await expect(page.getByTestId('details-facts')).toContainText('busybox');
    await page.getByTestId('follow-link').click();
    await expect(page.getByTestId('details-name')).toHaveText('busybox');
    await expect(page.getByTestId('tree-filter')).toHaveValue('');
    await expect(row(page, '/boot/initrd/bin/busybox')).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('breadcrumb')).toContainText('boot/initrd › bin › busybox');
    // Esc clears a filter.
    await tree(page).press('x');
    await expect(page.getByTestId('find-results')).toBeVisible();
    await page.getByTestId('find-results').press('Escape');
    await expect(page.getByTestId('tree-filter')).toHaveValue('');
    await expect(tree(page)).toBeVisible();
  });

  await test.step('extract /boot/initrd/etc to a folder on disk', async () => {
    const dest = mkdtempSync(path.join(os.tmpdir(), 'isolab-extract-'));
    // Find it by name, then Enter shows it in the tree.
    await tree(page).focus();
    await page.keyboard.type('etc');
    const found = page.getByTestId('find-results').locator('[data-path="/boot/initrd/etc"]');
    await found.click();
    await page.getByTestId('find-results').press('Enter');
    await expect(row(page, '/boot/initrd/etc')).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('details-name')).toHaveText('etc');
    await page.getByTestId('extract-button').click();
    const picker = page.getByTestId('folder-dialog');
    await expect(picker).toBeVisible();
    await pickerGo(picker, dest);
    await expect(picker.getByTestId('picker-path')).toHaveValue(dest + '/');
    await picker.getByTestId('picker-choose').click();
    const report = page.getByTestId('extract-report');
    await expect(report).toBeVisible();
    await expect(report).toContainText(dest);
    expect(readFileSync(path.join(dest, 'etc', 'VERSION'), 'utf8')).toBe('isolab-fixture 1\n');
    await page.getByTestId('extract-dialog').press('Escape');
    await expect(page.getByTestId('extract-dialog')).toBeHidden();
  });
});

test('opens the bare initrd by typing its path, and lists recent images', async ({ page }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Inspect' }).click();
  await page.getByTestId('open-button').click();
  const dialog = page.getByTestId('open-dialog');
  // The picker traps the focus and starts in the path field.
  await expect(dialog.getByTestId('picker-path')).toBeFocused();
  await pickerGo(dialog, fixtureInitrd);
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('image-name')).toHaveText('initrd.cpio.bz2');
  await expect(page.getByTestId('image-summary')).toContainText('cpio+bzip2');
  await expect(row(page, '/etc')).toBeVisible();
  await expect(row(page, '/init')).toBeVisible();
  await expect(row(page, '/etc')).toHaveAttribute('aria-level', '1');
  await row(page, '/etc').click();
  await expect(page.getByTestId('explain')).toContainText('Configuration');
  await tree(page).press('ArrowRight');
  await row(page, '/etc/VERSION').click();
  await expect(page.getByTestId('text-viewer')).toContainText('isolab-fixture 1');
  await expect(page.getByTestId('breadcrumb')).toHaveText('initrd.cpio.bz2 › etc › VERSION');
  // Sorting: by name, then by size (folders stay first).
  const order = () => page.locator('[role="treeitem"][aria-level="2"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
  expect((await order()).slice(0, 3)).toEqual(['/etc/init.d', '/etc/VERSION', '/etc/fstab']);
  await page.getByTestId('tree-sort').click();
  const bySize = await order();
  expect(bySize[0]).toBe('/etc/init.d');
  expect(bySize.indexOf('/etc/fstab')).toBeLessThan(bySize.indexOf('/etc/VERSION'));
  await page.getByTestId('tree-sort').click();
  // bin/sh → busybox within the bare initrd too.
  await row(page, '/bin').click();
  await tree(page).press('ArrowRight');
  await tree(page).press('End');
  await expect(tree(page).locator('[aria-selected="true"]')).toHaveCount(1);

  // Recent: the initrd is listed and reopens from the picker.
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('recent-list')).toContainText('initrd.cpio.bz2');
  await page.getByTestId('recent-list').getByRole('button', { name: /initrd\.cpio\.bz2/ }).click();
  await expect(page.getByTestId('image-name')).toHaveText('initrd.cpio.bz2');
});

test('?image= opens an image directly; failures and dropped files explain themselves', async ({ page }) => {
  await page.goto(`${served.url}&image=${encodeURIComponent(fixtureIso)}`);
  await expect(page.getByTestId('image-name')).toHaveText('isolab-fixture.iso');
  await expect(row(page, '/boot')).toBeVisible();

  // A dropped file in a browser has no path: say so and point to the picker.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['not really'], 'dropped.iso'));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(page.getByTestId('inspect-notice')).toContainText('does not tell ISO Lab where “dropped.iso” is');

  // Not an image: the message and the hint, inline in the picker.
  const junk = path.join(mkdtempSync(path.join(os.tmpdir(), 'isolab-junk-')), 'notes.txt');
  writeFileSync(junk, 'just some text\n'.repeat(100));
  await page.getByTestId('open-button').click();
  const dialog = page.getByTestId('open-dialog');
  await pickerGo(dialog, junk);
  await expect(dialog.getByTestId('open-error')).toContainText('neither an ISO 9660 image');
  await expect(dialog.getByTestId('open-error')).toContainText('ISO Lab opens .iso files');
  // A folder that does not exist.
  await dialog.getByTestId('picker-path').fill('/no/such/folder');
  await dialog.getByTestId('picker-path').press('Enter');
  await expect(dialog.getByTestId('picker-error')).toContainText('no such folder');
  // Esc closes the dialog; the image stays open.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('image-name')).toHaveText('isolab-fixture.iso');
});

/** A gzip newc cpio with one folder of `count` empty files: /big/f000000 … */
function bigInitrd(count: number): string {
  const parts: Buffer[] = [];
  let ino = 1;
  const entry = (name: string, mode: number, data = Buffer.alloc(0)) => {
    const hex = (n: number) => n.toString(16).padStart(8, '0');
    const nameBuf = Buffer.from(name + '\0');
    const header = '070701' + [ino++, mode, 0, 0, 1, 1704067200, data.length, 0, 0, 0, 0, nameBuf.length, 0].map(hex).join('');
    parts.push(Buffer.from(header), nameBuf, Buffer.alloc((4 - ((110 + nameBuf.length) % 4)) % 4));
    parts.push(data, Buffer.alloc((4 - (data.length % 4)) % 4));
  };
  entry('big', 0o040755);
  for (let i = 0; i < count; i++) entry(`big/f${String(i).padStart(6, '0')}`, 0o100644);
  entry('TRAILER!!!', 0);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'isolab-big-')), 'big-initrd.cpio.gz');
  writeFileSync(file, gzipSync(Buffer.concat(parts)));
  return file;
}

test('a folder of 100,000 entries stays virtualized and responsive', async ({ page }) => {
  test.setTimeout(180_000);
  const file = bigInitrd(100_000);
  await page.goto(`${served.url}&image=${encodeURIComponent(file)}`);
  await expect(row(page, '/big')).toBeVisible({ timeout: 60_000 });
  await row(page, '/big').click();
  await tree(page).press('ArrowRight');
  await expect(row(page, '/big/f000000')).toBeVisible({ timeout: 90_000 });
  await expect(row(page, '/big')).toHaveAttribute('aria-expanded', 'true');
  // Only the rows on screen are in the page.
  expect(await page.locator('[role="treeitem"]').count()).toBeLessThan(120);
  const t0 = Date.now();
  await tree(page).press('End');
  await expect(row(page, '/big/f099999')).toHaveAttribute('aria-selected', 'true');
  await tree(page).press('PageUp');
  await tree(page).press('Home');
  await expect(row(page, '/big')).toHaveAttribute('aria-selected', 'true');
  for (let i = 0; i < 30; i++) await tree(page).press('ArrowDown');
  await expect(row(page, '/big/f000029')).toHaveAttribute('aria-selected', 'true');
  const elapsed = Date.now() - t0;
  expect(elapsed).toBeLessThan(5_000);
  expect(await page.locator('[role="treeitem"]').count()).toBeLessThan(120);
});
