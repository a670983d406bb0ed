import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { containersWithLabel } from './helpers/docker';
import { projectRoot, startServe, type Served } from './helpers/serve';

// "Open a shell in this rootfs" in Chromium through `isolab serve`, against the real dockerd:
// the fixture ISO's initrd imported and its busybox sh in an xterm tab, kept across screens,
// Esc left to the shell, the container gone with the tab; and the Docker error when there is none.

const fixtureIso = path.join(projectRoot, '.cache', 'fixture', 'isolab-fixture.iso');
const shots = path.join(projectRoot, 'docs', 'screenshots');
const SHELL = 'io.isolab.shell';

test.beforeAll(() => {
  test.setTimeout(15 * 60_000);
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'ensure-dockerd.sh')], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'make-fixture-iso.sh')], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  expect(existsSync(fixtureIso)).toBe(true);
});

let served: Served | undefined;
test.afterEach(async () => {
  await served?.stop();
  served = undefined;
});

const row = (page: Page, p: string) => page.locator(`[role="treeitem"][data-path="${p}"]`);
const terminalText = async (page: Page) => (await page.getByTestId('shell-dock').locator('.xterm-rows > div').allTextContents()).join('\n');

async function openInitrd(page: Page) {
  await expect(page.getByTestId('image-name')).toHaveText('isolab-fixture.iso');
  await row(page, '/boot').click();
  await page.getByTestId('tree').press('ArrowRight');
  await row(page, '/boot/initrd').click();
  await page.getByTestId('tree').press('ArrowRight');
  await expect(row(page, '/boot/initrd/etc')).toBeVisible({ timeout: 60_000 });
  await row(page, '/boot/initrd/etc').click();
}

test('opens a shell in the fixture initrd, runs a command, and closing the tab removes the container', async ({ page }) => {
  test.setTimeout(180_000);
  served = await startServe();
  expect(await containersWithLabel(SHELL)).toEqual([]);
  await page.goto(`${served.url}&image=${encodeURIComponent(fixtureIso)}`);

  await test.step('go into boot/initrd: the breadcrumb offers the shell; outside the initrd it does not', async () => {
    await expect(row(page, '/boot')).toBeVisible();
    await row(page, '/boot').click();
    await expect(page.getByTestId('open-shell')).toHaveCount(0);
    await openInitrd(page);
    await expect(page.getByTestId('open-shell')).toHaveText('Open a shell in this rootfs');
  });

  await test.step('open it: progress while importing, then the busybox prompt in an xterm tab', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { sawImport: boolean };
      w.sawImport = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="shell-importing"]')) w.sawImport = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByTestId('open-shell').click();
    await expect(page.getByTestId('shell-tab')).toHaveCount(1);
    await expect(page.getByTestId('shell-tab')).toContainText('sh · boot/initrd');
    await expect.poll(() => terminalText(page), { timeout: 60_000 }).toMatch(/root@isolab:\/# /);
    expect(await page.evaluate(() => (window as unknown as { sawImport: boolean }).sawImport)).toBe(true);
    expect(await terminalText(page)).toContain('ISO Lab: a shell in boot/initrd of isolab-fixture.iso');
    expect(await containersWithLabel(SHELL)).toHaveLength(1);
  });

  await test.step('type cat /etc/VERSION and see the answer', async () => {
    // The terminal took the keyboard when it was shown.
    await expect(page.getByTestId('shell-dock').locator('.xterm-helper-textarea')).toBeFocused();
    await page.keyboard.type('cat /etc/VERSION');
    await page.keyboard.press('Enter');
    await expect.poll(() => terminalText(page)).toMatch(/cat \/etc\/VERSION\s*\n\s*isolab-fixture 1/);
    // The TTY has the terminal's size, not the engine's default 80×24.
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    await expect.poll(() => terminalText(page)).toMatch(/stty size\s*\n\s*\d+ (?!80\b)\d+/);
    await page.getByTestId('shell-dock').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'inspect-shell.png') });
  });

  await test.step('Esc is the shell\'s; another screen and back keeps the shell and its screen', async () => {
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('shell-tab')).toHaveCount(1);
    await page.keyboard.press('Control+3');
    await expect(page.getByRole('heading', { name: 'Boot', exact: true })).toBeVisible();
    await expect(page.getByTestId('shell-dock')).toHaveCount(0);
    expect(await containersWithLabel(SHELL)).toHaveLength(1);
    await page.keyboard.press('Control+2');
    await expect(page.getByTestId('shell-dock')).toBeVisible();
    expect(await terminalText(page)).toContain('isolab-fixture 1');
    await page.getByTestId('shell-dock').locator('.xterm-screen').click();
    await page.keyboard.type('echo $((6*7))');
    await page.keyboard.press('Enter');
    await expect.poll(() => terminalText(page)).toMatch(/^42\s*$/m);
  });

  await test.step('closing the tab removes the container', async () => {
    await page.getByTestId('shell-close').click();
    await expect(page.getByTestId('shell-dock')).toHaveCount(0);
    await expect.poll(() => containersWithLabel(SHELL)).toEqual([]);
  });
});

test('a shell that exits says so; the Docker error and its hint when the engine is not there', async ({ page }) => {
  test.setTimeout(120_000);
  served = await startServe();
  await page.goto(`${served.url}&image=${encodeURIComponent(fixtureIso)}`);
  await openInitrd(page);
  await page.getByTestId('open-shell').click();
  await expect.poll(() => terminalText(page), { timeout: 60_000 }).toMatch(/root@isolab:\/# /);
  await page.keyboard.type('exit 7');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('shell-ended')).toBeVisible();
  expect(await terminalText(page)).toContain('The shell exited with status 7');
  await expect.poll(() => containersWithLabel(SHELL)).toEqual([]);
  await page.getByTestId('shell-close').click();
  await served.stop();

  served = await startServe({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  await page.goto(`${served.url}&image=${encodeURIComponent(fixtureIso)}`);
  await openInitrd(page);
  await page.getByTestId('open-shell').click();
  const error = page.getByTestId('shell-error');
  await expect(error).toContainText('Docker is not answering at unix:///nonexistent/docker.sock');
  await expect(error).toContainText('start the Docker daemon');
  await expect(error).toHaveAttribute('data-code', 'DOCKER_UNREACHABLE');
  await page.getByTestId('shell-close').click();
  await expect(page.getByTestId('shell-dock')).toHaveCount(0);
});
