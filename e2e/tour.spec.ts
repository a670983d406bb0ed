import { expect, test, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pickerGo } from './helpers/picker';
import { projectRoot, startServe, type Served } from './helpers/serve';

// The guided tour on the own-ISO path, as far as the Boot step (no VM is booted here), and
// presenter mode. Everything goes through the real `isolab serve` and Debian's Chromium.

const fixtureDir = path.join(projectRoot, '.cache', 'fixture');
const fixtureIso = path.join(fixtureDir, 'isolab-fixture.iso');
const shots = path.join(projectRoot, 'docs', 'screenshots');

test.beforeAll(() => {
  test.setTimeout(15 * 60_000);
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'make-fixture-iso.sh')], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  expect(existsSync(fixtureIso)).toBe(true);
});

let served: Served | undefined;
test.afterEach(async () => {
  await served?.stop();
  served = undefined;
});

const row = (page: Page, p: string) => page.locator(`[role="treeitem"][data-path="${p}"]`);
const stepperItem = (dock: Locator, step: string) => dock.locator(`.tour-stepper [data-step="${step}"]`);

/** What the lab core wrote: the proof that the tour's place survives the page and the process. */
function savedSettings(home: string): { tour?: { step?: string; active?: boolean; collapsed?: boolean; path?: string; checkout?: string }; ui?: { presenter?: boolean } } {
  try {
    return JSON.parse(readFileSync(path.join(home, 'config', 'settings.json'), 'utf8'));
  } catch {
    return {};
  }
}


async function chooseFixtureIso(page: Page) {
  const dialog = page.getByTestId('open-dialog');
  await pickerGo(dialog, fixtureDir);
  await expect(dialog.getByTestId('picker-path')).toHaveValue(fixtureDir + '/');
  await dialog.locator('[role="option"][data-name="isolab-fixture.iso"]').click();
  await dialog.getByTestId('picker-choose').click();
  await expect(dialog).toBeHidden();
}

const bodyFontSize = (page: Page) => page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));

test('the tour with an own ISO: Inspect, then Boot; it points, shows, collapses, and resumes after a reload and a restart', async ({ page }) => {
  test.setTimeout(150_000);
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-tour-'));
  served = await startServe({}, home);
  await page.goto(served.url);
  const dock = page.getByTestId('tour-dock');

  await test.step('start from Lab status and choose “an ISO I already have”', async () => {
    await expect(page.getByRole('heading', { name: 'Lab status', exact: true })).toBeVisible();
    await expect(dock).toBeHidden();
    await page.getByTestId('tour-take').click();
    await expect(dock.getByTestId('tour-intro')).toBeVisible();
    await expect(dock.getByTestId('tour-path-sample')).toContainText('With the sample project');
    await dock.getByTestId('tour-choose-iso').click();
    await chooseFixtureIso(page);
    await expect(dock.getByTestId('tour-count')).toHaveText('step 2 of 5');
    await expect(stepperItem(dock, 'build')).toHaveAttribute('data-status', 'skipped');
    await expect(stepperItem(dock, 'inspect')).toHaveAttribute('aria-current', 'step');
  });

  await test.step('Inspect: the step says what the ISO holds, and opens it', async () => {
    const step = dock.getByTestId('tour-step');
    await expect(step).toHaveAttribute('data-step', 'inspect');
    await expect(dock.getByTestId('tour-body')).toContainText('ISO 9660');
    const terms = dock.getByTestId('tour-terms');
    await expect(terms).toContainText('compressed');
    await expect(terms).toContainText('cpio archive');
    await expect(terms).toContainText('isolinux.cfg');
    await expect(terms).toContainText('El Torito');
    await expect(terms).toContainText('/etc');
    await dock.getByTestId('tour-open-iso').click();
    await expect(page.getByRole('heading', { name: 'Inspect', exact: true })).toBeVisible();
    await expect(page.getByTestId('image-name')).toHaveText('isolab-fixture.iso');
    // The panel has its own column: the screen is beside it, not under it.
    const dockBox = (await dock.boundingBox())!;
    const contentBox = (await page.locator('main.content').boundingBox())!;
    expect(contentBox.x + contentBox.width).toBeLessThanOrEqual(dockBox.x + 1);
  });

  await test.step('it points at the initrd: its folder while folded, the entry itself after Show me', async () => {
    await expect(dock.getByTestId('tour-hint')).toContainText('boot/initrd');
    await expect(row(page, '/boot')).toHaveAttribute('data-tour-lit', '');
    await page.keyboard.press('Control+1');
    await expect(page.getByRole('heading', { name: 'Lab status', exact: true })).toBeVisible();
    await dock.getByTestId('tour-show-me').click();
    await expect(page.getByRole('heading', { name: 'Inspect', exact: true })).toBeVisible();
    const initrd = row(page, '/boot/initrd');
    await expect(initrd).toHaveAttribute('data-tour-lit', '');
    await expect(initrd).toHaveAttribute('aria-selected', 'true');
    await expect(row(page, '/boot')).not.toHaveAttribute('data-tour-lit', '');
    await expect(page.getByTestId('tree')).toBeFocused();
    const ring = await initrd.evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(ring).toBe('solid');
  });

  await test.step('opening the initrd completes the step; it then points at Boot this ISO', async () => {
    await page.getByTestId('tree').press('ArrowRight');
    await expect(row(page, '/boot/initrd')).toHaveAttribute('aria-expanded', 'true');
    await expect(row(page, '/boot/initrd/etc')).toBeVisible();
    await expect(dock.getByTestId('tour-done')).toBeVisible();
    await expect(stepperItem(dock, 'inspect')).toHaveAttribute('data-status', 'done');
    await expect(page.getByTestId('boot-this-iso')).toHaveAttribute('data-tour-lit', '');
  });

  await test.step('Alt+→ goes to Boot; Next and Alt+← walk the steps; Show me goes to the control', async () => {
    await page.keyboard.press('Alt+ArrowRight');
    await expect(dock.getByTestId('tour-count')).toHaveText('step 3 of 5');
    await expect(dock.getByTestId('tour-step')).toHaveAttribute('data-step', 'boot');
    await expect(dock.getByTestId('tour-body')).toContainText('isolinux loads bzImage');
    await expect(dock.getByTestId('tour-hint')).toContainText('Boot this ISO');
    await expect(page.getByTestId('boot-this-iso')).toHaveAttribute('data-tour-lit', '');

    await dock.getByTestId('tour-next').click();
    await expect(dock.getByTestId('tour-count')).toHaveText('step 4 of 5');
    await expect(dock.getByTestId('tour-body')).toContainText('ttyS0');
    await expect(dock.getByTestId('tour-body')).toContainText('without a password');
    await expect(dock.getByTestId('tour-hint')).toContainText('Boot the ISO first');
    await expect(dock.getByTestId('tour-boot-iso')).toHaveText('Boot isolab-fixture.iso');
    await page.keyboard.press('Alt+ArrowLeft');
    await expect(dock.getByTestId('tour-count')).toHaveText('step 3 of 5');

    await page.keyboard.press('Control+b');
    await expect(page.getByRole('heading', { name: 'Build', exact: true })).toBeVisible();
    await expect(page.getByTestId('boot-this-iso')).toHaveCount(0);
    await dock.getByTestId('tour-show-me').click();
    await expect(page.getByRole('heading', { name: 'Inspect', exact: true })).toBeVisible();
    await expect(page.getByTestId('boot-this-iso')).toBeFocused();
  });

  await test.step('Esc in the panel collapses it to a pill; the pill opens it again', async () => {
    await dock.getByTestId('tour-next').focus();
    await page.keyboard.press('Escape');
    await expect(dock).toBeHidden();
    const pill = page.getByTestId('tour-pill');
    await expect(pill).toHaveText('Tour · step 3 of 5');
    await expect.poll(() => savedSettings(home).tour?.collapsed).toBe(true);
    await pill.click();
    await expect(dock).toBeVisible();
    await expect(dock).toBeFocused();
  });

  await test.step('leave the tour, reload: Lab status offers to resume it where it was', async () => {
    await dock.getByTestId('tour-leave').click();
    await expect(dock).toBeHidden();
    await expect(page.getByTestId('tour-pill')).toBeHidden();
    await expect.poll(() => savedSettings(home).tour).toMatchObject({ step: 'boot', active: false });
    await page.reload();
    await page.keyboard.press('Control+1');
    await expect(page.getByTestId('tour-resume')).toHaveText('Resume the tour · step 3 of 5');
    await expect(page.getByTestId('tour-nav')).toHaveText('Tour · step 3 of 5');
    await expect(dock).toBeHidden();
  });

  await test.step('restart serve with the same ISOLAB_HOME: resume at the same step, Inspect still done', async () => {
    await served!.stop();
    served = await startServe({}, home);
    await page.goto(served.url);
    await page.getByTestId('tour-resume').click();
    await expect(dock).toBeVisible();
    await expect(dock.getByTestId('tour-count')).toHaveText('step 3 of 5');
    await expect(dock.getByTestId('tour-step')).toHaveAttribute('data-step', 'boot');
    await expect(dock.getByTestId('tour-body')).toContainText('2000 MB');
    await expect(stepperItem(dock, 'inspect')).toHaveAttribute('data-status', 'done');
    await expect(stepperItem(dock, 'build')).toHaveAttribute('data-status', 'skipped');
    // The ISO is remembered: the Inspect step opens it again.
    await stepperItem(dock, 'inspect').click();
    await expect(dock.getByTestId('tour-open-iso')).toHaveText('Open isolab-fixture.iso in Inspect');
  });

  await test.step('a collapsed tour comes back collapsed', async () => {
    await dock.getByTestId('tour-collapse').click();
    await expect.poll(() => savedSettings(home).tour?.collapsed).toBe(true);
    await page.reload();
    await expect(page.getByTestId('tour-pill')).toHaveText('Tour · step 2 of 5');
    await expect(dock).toBeHidden();
  });
});

test('the tour with the sample: creates it where asked, puts it in Build and points at Start build', async ({ page }) => {
  test.setTimeout(90_000);
  served = await startServe();
  const dest = path.join(mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-sample-')), 'hello-iso');
  await page.goto(served.url);
  await page.getByTestId('tour-nav').click();
  const dock = page.getByTestId('tour-dock');
  await dock.getByTestId('tour-path-sample').click();
  await expect(dock.getByTestId('tour-count')).toHaveText('step 1 of 5');
  await expect(dock.getByTestId('tour-body')).toContainText('builder image');
  await expect(dock.getByTestId('tour-body')).toContainText('nothing but Docker');
  await expect(dock.getByTestId('tour-sample-about')).toContainText('Hello ISO');

  await dock.getByTestId('tour-create-sample').click();
  const dialog = page.getByTestId('folder-dialog');
  await pickerGo(dialog, dest);
  await dialog.getByTestId('picker-create').click();
  await expect(dialog).toBeHidden();

  expect(existsSync(path.join(dest, 'Makefile'))).toBe(true);
  await expect(page.getByRole('heading', { name: 'Build', exact: true })).toBeVisible();
  await expect(page.getByTestId('checkout-input')).toHaveValue(dest);
  await expect(page.getByTestId('start-build')).toHaveAttribute('data-tour-lit', '');
  await expect(dock.getByTestId('tour-hint')).toContainText('Start build');
  await expect.poll(() => savedSettings(served!.home).tour).toMatchObject({ path: 'sample', step: 'build', checkout: dest });
});

test('presenter mode: larger type from the tour panel and Ctrl+Shift+P, kept across reloads', async ({ page }) => {
  test.setTimeout(90_000);
  served = await startServe();
  const home = served.home;
  await page.goto(`${served.origin}/?token=${served.token}&image=${encodeURIComponent(fixtureIso)}`);
  await expect(page.getByTestId('image-name')).toHaveText('isolab-fixture.iso');
  const normal = await bodyFontSize(page);
  const normalRow = (await row(page, '/boot').boundingBox())!.height;
  const normalMuted = await page.locator('.muted').first().evaluate((el) => getComputedStyle(el).color);

  await page.getByTestId('tour-nav').click();
  const dock = page.getByTestId('tour-dock');
  await expect(dock).toBeVisible();
  const toggle = dock.getByTestId('tour-presenter');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('html')).toHaveAttribute('data-presenter', 'on');
  await expect.poll(() => bodyFontSize(page)).toBeGreaterThanOrEqual(normal * 1.35);
  // The tree's virtualized rows grow with the type; grey text becomes the text colour.
  await expect.poll(async () => (await row(page, '/boot').boundingBox())!.height).toBeGreaterThan(normalRow * 1.3);
  const presenterMuted = await page.locator('.muted').first().evaluate((el) => getComputedStyle(el).color);
  expect(presenterMuted).not.toBe(normalMuted);
  expect(['rgb(0, 0, 0)', 'rgb(255, 255, 255)']).toContain(presenterMuted);
  await expect.poll(() => savedSettings(home).ui?.presenter).toBe(true);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'presenter.png') });

  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-presenter', 'on');
  expect(await bodyFontSize(page)).toBeGreaterThanOrEqual(normal * 1.35);

  // The shortcut works from anywhere, the console's screen included; here from Lab status.
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+Shift+P');
  await expect(page.locator('html')).toHaveAttribute('data-presenter', 'off');
  await expect.poll(() => bodyFontSize(page)).toBe(normal);
  await expect.poll(() => savedSettings(home).ui?.presenter).toBe(false);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-presenter', 'off');
  expect(await bodyFontSize(page)).toBe(normal);
});
