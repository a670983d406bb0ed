import { expect, test, type Page } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rpc as rpcCall } from './helpers/rpc';
import { projectRoot, startServe, type Served } from './helpers/serve';

/**
 * The Boot screen against the real `isolab serve` and QEMU (TCG or KVM): the fixture ISO
 * boots to `login:` on ttyS0 in a few seconds. Every VM made here is deleted in afterAll,
 * and no qemu process of this run may remain.
 */

const fixtureDir = path.join(projectRoot, '.cache', 'fixture');
const fixtureIso = path.join(fixtureDir, 'isolab-fixture.iso');
const shots = path.join(projectRoot, 'docs', 'screenshots');
/** TCG on a loaded machine can be slow; the fixture needs ~5–10 s when idle. */
const BOOT_MS = 120_000;

let served: Served;

const rpc = (channel: string, args: unknown = {}) => rpcCall(served, channel, args);

/** qemu processes started for VMs of this run (their folder is under this ISOLAB_HOME). */
function qemuProcesses(name?: string): string {
  const pattern = `qemu-system.*${served.home}/data/vms/${name ?? ''}`;
  const r = spawnSync('pgrep', ['-af', pattern], { encoding: 'utf8' });
  return r.stdout.trim();
}

const rows = (page: Page) => page.locator('.xterm-rows');
/** The terminal's visible text, one line per row (the DOM renderer draws a div per row). */
async function screen(page: Page): Promise<string> {
  const lines = await page.locator('.xterm-rows > div').allTextContents();
  return lines.map((l) => l.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
}
const vmRow = (page: Page, name: string) => page.locator(`[data-testid="vm-row"][data-name="${name}"]`);

test.beforeAll(async () => {
  test.setTimeout(15 * 60_000);
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'make-fixture-iso.sh')], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  expect(existsSync(fixtureIso)).toBe(true);
  mkdirSync(shots, { recursive: true });
  served = await startServe();
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  if (!served) return;
  try {
    const list = await rpc('vm.list');
    for (const vm of (list.result as { name: string }[] | undefined) ?? []) {
      const del = await rpc('vm.delete', { name: vm.name });
      expect(del.ok, `deleting ${vm.name}: ${del.error?.message}`).toBe(true);
    }
  } finally {
    await served.stop();
  }
  expect(qemuProcesses()).toBe('');
});

test('boots the fixture ISO from Inspect, logs in on the console and stops it', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  let name = '';

  await test.step('open the ISO in Inspect and choose "Boot this ISO"', async () => {
    await page.goto(`${served.url}&image=${encodeURIComponent(fixtureIso)}`);
    await expect(page.getByTestId('image-name')).toHaveText('isolab-fixture.iso');
    await page.getByTestId('boot-this-iso').click();
    await expect(page.getByRole('heading', { name: 'Boot', exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Boot', exact: true })).toHaveAttribute('aria-current', 'page');
    await expect(page.getByTestId('console-vm-name')).not.toBeEmpty({ timeout: 60_000 });
    name = (await page.getByTestId('console-vm-name').textContent()) ?? '';
    expect(name).toMatch(/^isolab-fixture/);
    await expect(vmRow(page, name)).toBeVisible();
  });

  await test.step('the boot messages and the login prompt appear in the xterm', async () => {
    await expect(rows(page)).toContainText('ISOLINUX', { timeout: BOOT_MS });
    await expect(rows(page)).toContainText('Welcome to ISO Lab fixture', { timeout: BOOT_MS });
    await expect(rows(page)).toContainText('login:', { timeout: BOOT_MS });
    await expect(vmRow(page, name)).toHaveAttribute('data-state', 'running');
    await expect(page.getByTestId('timeline-mark-login')).toBeVisible();
    await expect(page.getByTestId('timeline-mark-bootloader')).toBeVisible();
    await expect(page.getByTestId('timeline-total')).toContainText('login prompt after');
  });

  await test.step('type root and a command with the keyboard', async () => {
    // The terminal took the keyboard when it was shown: no click needed.
    await expect(page.locator('.xterm-helper-textarea')).toBeFocused();
    await page.keyboard.type('root');
    await page.keyboard.press('Enter');
    await expect(rows(page)).toContainText('root@isolab:~#', { timeout: 30_000 });
    await page.keyboard.type('cat /etc/VERSION');
    await page.keyboard.press('Enter');
    await expect(rows(page)).toContainText('isolab-fixture 1', { timeout: 30_000 });
  });

  await test.step('the screen survives switching views', async () => {
    // Ctrl+2 / Ctrl+3 switch screens even while the console has the keyboard.
    await page.keyboard.press('Control+2');
    await expect(page.getByTestId('image-name')).toBeVisible();
    await page.keyboard.press('Control+3');
    await expect(rows(page)).toContainText('isolab-fixture 1');
    await expect(page.locator('.xterm-helper-textarea')).toBeFocused();
    // Keystrokes still reach the VM, and the replayed screen's queries were not answered into the shell.
    await page.keyboard.type('echo $((6*7))');
    await page.keyboard.press('Enter');
    await expect.poll(() => screen(page), { timeout: 30_000 }).toMatch(/^42$/m);
  });

  await test.step('screenshot', async () => {
    await page.getByTestId('minikube-command').scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('.content')?.scrollTo(0, 0));
    await page.locator('.xterm-helper-textarea').focus();
    await page.screenshot({ path: path.join(shots, 'boot-console.png') });
  });

  await test.step('the minikube hand-off names the ISO as a file URL', async () => {
    await expect(page.getByTestId('minikube-command')).toHaveText(`minikube start --iso-url=file://${fixtureIso}`);
  });

  await test.step('stop it: stopping…, then stopped, and no qemu process remains', async () => {
    expect(qemuProcesses(name)).not.toBe('');
    await vmRow(page, name).getByTestId('vm-stop').click();
    await expect(vmRow(page, name).getByTestId('vm-state')).toHaveText(/stopping…/);
    await expect(vmRow(page, name)).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
    await expect(page.getByTestId('console-status')).toContainText('is stopped');
    await expect(vmRow(page, name).getByTestId('vm-start')).toBeEnabled();
    await expect.poll(() => qemuProcesses(name), { timeout: 10_000 }).toBe('');
  });
});

test('new VM form, "Log in as root", save transcript, force off and delete', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  const name = 'e2e-login';

  // Links the console opens are recorded instead of opened (there is no network here anyway).
  await page.addInitScript(() => {
    const opened: string[][] = [];
    (window as unknown as { __opened: string[][] }).__opened = opened;
    window.open = (...args: unknown[]) => {
      opened.push(args.map(String));
      return null;
    };
  });
  await page.goto(served.url);
  // A click, not Ctrl+3: a key pressed before the app has mounted its key handler is lost.
  await page.getByRole('button', { name: 'Boot', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Boot', exact: true })).toBeVisible();

  await test.step('a bad spec is refused inline with a hint', async () => {
    const form = page.getByTestId('new-vm');
    await expect(page.getByTestId('vm-list').or(page.getByTestId('vm-list-empty'))).toBeVisible();
    await page.getByTestId('new-vm-button').click();
    await expect(form).toBeVisible();
    await expect(form.getByLabel('CPUs')).toHaveValue('2');
    await expect(form.getByLabel('Memory MB')).toHaveValue('2000');
    await expect(form.getByLabel('Disk MB')).toHaveValue('20000');
    await form.getByTestId('new-vm-iso').fill(fixtureIso);
    await form.getByTestId('new-vm-name').fill(name);
    await form.getByLabel('Memory MB').fill('0');
    await form.getByTestId('new-vm-create').click();
    const err = form.getByTestId('new-vm-error-memoryMb');
    await expect(err).toContainText('too little');
    await expect(err).toContainText('at least');
    await form.getByLabel('Memory MB').fill('512');
    await form.getByTestId('new-vm-create').click();
    await expect(form).toBeHidden({ timeout: 60_000 });
  });

  await test.step('"Log in as root" waits for login: and logs in', async () => {
    await expect(page.getByTestId('console-vm-name')).toHaveText(name);
    await expect(vmRow(page, name)).toHaveAttribute('data-state', 'running', { timeout: BOOT_MS });
    await page.getByTestId('login-root').click();
    await expect(page.getByTestId('login-root')).toHaveText(/Logged in/, { timeout: BOOT_MS });
    await expect(rows(page)).toContainText('root@isolab:~#');
    await expect(page.locator('.xterm-helper-textarea')).toBeFocused();
    await page.keyboard.type('cat /etc/VERSION');
    await page.keyboard.press('Enter');
    await expect(rows(page)).toContainText('isolab-fixture 1', { timeout: 30_000 });
  });

  await test.step('"Save transcript" downloads the console as text', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-transcript').click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${name}-console-\\d{8}-\\d{6}\\.txt$`));
    const text = readFileSync(await download.path(), 'utf8');
    expect(text).toContain('ISOLINUX');
    expect(text).toContain('login: root');
    expect(text).toContain('isolab-fixture 1');
    // Plain text: no escape sequences, no carriage returns.
    expect(text).not.toMatch(/[\x1b\r]/);
  });

  await test.step('paste and copy through the toolbar', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
    await page.evaluate(() => navigator.clipboard.writeText('echo pasted-$((40+2))\n'));
    await page.getByTestId('console-paste').click();
    await expect.poll(() => screen(page), { timeout: 30_000 }).toMatch(/^pasted-42$/m);
    // A double click selects a word; Copy puts it on the clipboard.
    const row = page.locator('.xterm-rows > div').filter({ hasText: /^pasted-42/ }).last();
    const box = (await row.boundingBox())!;
    await page.mouse.dblclick(box.x + 12, box.y + box.height / 2);
    await expect(page.getByTestId('console-copy')).toBeEnabled();
    await page.getByTestId('console-copy').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('pasted-42');
  });

  await test.step('web links open only http(s), without an opener', async () => {
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo https://example.com/isolab; echo file:///etc/passwd');
    await page.keyboard.press('Enter');
    await expect.poll(() => screen(page), { timeout: 30_000 }).toMatch(/^file:\/\/\/etc\/passwd$/m);
    for (const re of [/^https:\/\/example\.com\/isolab/, /^file:\/\/\/etc\/passwd/]) {
      const row = page.locator('.xterm-rows > div').filter({ hasText: re }).last();
      const box = (await row.boundingBox())!;
      await page.mouse.move(box.x + 30, box.y + box.height / 2);
      await page.waitForTimeout(200);
      await page.mouse.click(box.x + 30, box.y + box.height / 2);
    }
    await expect.poll(() => page.evaluate(() => (window as unknown as { __opened: string[][] }).__opened)).toEqual([['https://example.com/isolab', '_blank', 'noopener,noreferrer']]);
  });

  await test.step('search finds text in the console', async () => {
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.press('Control+Shift+F');
    await expect(page.getByTestId('console-search')).toBeFocused();
    await page.keyboard.type('VERSION');
    await expect(page.getByTestId('console-search-count')).toHaveText(/of [1-9]/);
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('console-search')).toBeHidden();
    await expect(page.locator('.xterm-helper-textarea')).toBeFocused();
  });

  await test.step('force off, then delete with a confirmation', async () => {
    await vmRow(page, name).getByTestId('vm-force-off').click();
    await vmRow(page, name).getByTestId('vm-force-off-confirm').click();
    await expect(vmRow(page, name)).toHaveAttribute('data-state', 'stopped', { timeout: 30_000 });
    await expect.poll(() => qemuProcesses(name), { timeout: 10_000 }).toBe('');
    await vmRow(page, name).getByTestId('vm-delete').click();
    await expect(vmRow(page, name).getByTestId('vm-confirm-delete')).toContainText(`Delete ${name}`);
    await vmRow(page, name).getByTestId('vm-delete-confirm').click();
    await expect(vmRow(page, name)).toHaveCount(0, { timeout: 30_000 });
    expect(existsSync(path.join(served.home, 'data', 'vms', name))).toBe(false);
  });
});

test('a VM killed from outside shows as stopped within seconds; the console re-attaches on restart', async ({ page }) => {
  test.setTimeout(4 * 60_000);
  const name = 'e2e-killed';
  const created = await rpc('vm.create', { iso: fixtureIso, name, memoryMb: 512 });
  expect(created.ok, created.error?.message).toBe(true);
  await page.goto(served.url);
  // A click, not Ctrl+3: a key pressed before the app has mounted its key handler is lost.
  await page.getByRole('button', { name: 'Boot', exact: true }).click();
  await vmRow(page, name).getByTestId('vm-start').click();
  await expect(vmRow(page, name)).toHaveAttribute('data-state', 'running', { timeout: BOOT_MS });
  await expect(page.getByTestId('console-vm-name')).toHaveText(name);
  const pid = Number(qemuProcesses(name).split(/\s/)[0]);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, 'SIGKILL');
  await expect(vmRow(page, name)).toHaveAttribute('data-state', 'stopped', { timeout: 3_000 });
  await expect(vmRow(page, name).getByTestId('vm-stop-reason')).toContainText(/killed|SIGKILL|stopped/);
  await expect(page.getByTestId('console-status')).toContainText('is stopped');

  // Started again: the same console shows the new boot after the old one, up to its login prompt.
  await vmRow(page, name).getByTestId('vm-start').click();
  await expect(vmRow(page, name)).toHaveAttribute('data-state', 'running', { timeout: BOOT_MS });
  await expect(page.getByTestId('console-status')).toBeHidden();
  await expect
    .poll(
      async () => {
        const text = await screen(page);
        const banners = text.split(`[ISO Lab: ${name} starting at`);
        return banners.length >= 3 && /login:/.test(banners[banners.length - 1]!);
      },
      { timeout: BOOT_MS },
    )
    .toBe(true);
  await expect(page.getByTestId('timeline-mark-login')).toBeVisible();
});
