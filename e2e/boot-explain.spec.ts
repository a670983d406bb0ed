import { expect, test, type Page } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rpc as rpcCall } from './helpers/rpc';
import { projectRoot, startServe, type Served } from './helpers/serve';

/**
 * Boots that explain themselves, in Chromium against the real `isolab serve` and QEMU: a
 * variant of the fixture ISO that says nothing on the serial port (no console=ttyS0, and
 * its getty on /dev/console, as many distributions do), made with `isolab remaster`. The
 * Boot screen says so before the boot, Log in waits and is cancelled, the activity line
 * tells last output and CPU, Force off asks first, and *Boot with the serial console*
 * brings the login prompt to the console.
 */

const fixtureIso = path.join(projectRoot, '.cache', 'fixture', 'isolab-fixture.iso');
const BOOT_MS = 120_000;
const CFG = 'serial 0 115200\ndefault 1\nprompt 0\ntimeout 1\nlabel 1\n      kernel /boot/bzImage\n      initrd /boot/initrd\n      append loglevel=3\n';
const INITTAB = '::sysinit:/etc/init.d/rcS\nconsole::respawn:/sbin/getty -L 115200 console vt100\n::ctrlaltdel:/sbin/reboot\n::shutdown:/bin/umount -a -r\n';

let served: Served;
let quietIso = '';
const rpc = (channel: string, args: unknown = {}) => rpcCall(served, channel, args);
const rows = (page: Page) => page.locator('.xterm-rows');
/** The terminal's visible text, one line per row. */
async function screen(page: Page): Promise<string> {
  const lines = await page.locator('.xterm-rows > div').allTextContents();
  return lines.map((l) => l.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
}
const vmRow = (page: Page, name: string) => page.locator(`[data-testid="vm-row"][data-name="${name}"]`);
const qemuProcesses = (name: string) => spawnSync('pgrep', ['-af', `qemu-system.*${served.home}/data/vms/${name}`], { encoding: 'utf8' }).stdout.trim();

test.beforeAll(async () => {
  test.setTimeout(10 * 60_000);
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'make-fixture-iso.sh')], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-quiet-'));
  quietIso = path.join(dir, 'quiet.iso');
  execFileSync(process.execPath, [path.join(projectRoot, 'bin', 'isolab.cjs'), 'remaster', fixtureIso, quietIso, '--write', `/isolinux/isolinux.cfg=${CFG}`, '--write', `/boot/initrd/etc/inittab=${INITTAB}`], {
    env: { ...process.env, ISOLAB_HOME: dir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  expect(existsSync(quietIso)).toBe(true);
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
});

test('a quiet ISO explains itself; Log in is cancelled; Force off asks; the serial console brings login:', async ({ page }) => {
  test.setTimeout(8 * 60_000);
  const name = 'e2e-quiet';
  const created = await rpc('vm.create', { iso: quietIso, name, memoryMb: 512 });
  expect(created.ok, created.error?.message).toBe(true);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Boot', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Boot', exact: true })).toBeVisible();
  await vmRow(page, name).locator('.boot-vm-main').click({ timeout: 30_000 });
  await expect(page.getByTestId('console-vm-name')).toHaveText(name);

  await test.step('before the boot: what the console will show, and the serial-console offer', async () => {
    await expect(page.getByTestId('boot-cmdline')).toHaveText('loglevel=3');
    const notes = page.getByTestId('boot-note');
    await expect(notes).toHaveCount(2);
    await expect(notes.nth(0)).toContainText('No serial console (console=ttyS0)');
    await expect(notes.nth(0)).toContainText('go to the screen');
    await expect(notes.nth(1)).toContainText('loglevel=3: the kernel stays quiet');
    await expect(page.getByTestId('boot-serial-console')).toBeEnabled();
    await expect(page.getByTestId('serial-offer')).toContainText('loglevel=3 console=ttyS0');
    await expect(page.getByTestId('boot-activity')).toHaveCount(0);
  });

  await test.step('booted as it is: the bootloader, then silence; the activity line tells last output and CPU', async () => {
    await vmRow(page, name).getByTestId('vm-start').click();
    await expect(vmRow(page, name)).toHaveAttribute('data-state', 'running', { timeout: BOOT_MS });
    await expect(rows(page)).toContainText('ISOLINUX', { timeout: BOOT_MS });
    await expect(page.getByTestId('boot-serial-console')).toBeDisabled();
    await expect(page.getByTestId('boot-last-output')).toHaveText(/^last output [\d.]+ (s|min) .*ago$/, { timeout: 30_000 });
    await expect(page.getByTestId('boot-cpu')).toContainText(/guest CPU \d+ %/, { timeout: 30_000 });
    await expect(page.getByTestId('boot-cpu')).toContainText(/\([\d.]+ s so far\)/);
  });

  await test.step('Log in as root waits for a prompt that never comes here; Cancel ends the wait', async () => {
    await page.getByTestId('login-root').click();
    await expect(page.getByTestId('login-root')).toHaveText('Waiting for login:…');
    await expect(page.getByTestId('login-root')).toBeDisabled();
    await page.getByTestId('login-cancel').click();
    await expect(page.getByTestId('login-cancelled')).toHaveText('Stopped waiting for the login prompt.');
    await expect(page.getByTestId('login-root')).toHaveText('Log in as root');
    await expect(page.getByTestId('login-root')).toBeEnabled();
    await expect(page.getByTestId('login-cancel')).toHaveCount(0);
  });

  await test.step('Force off asks first: Cancel keeps it running, Power off stops it', async () => {
    await vmRow(page, name).getByTestId('vm-force-off').click();
    const ask = vmRow(page, name).getByTestId('vm-confirm-force-off');
    await expect(ask).toContainText(`Power off ${name} at once?`);
    await vmRow(page, name).getByTestId('vm-force-off-cancel').click();
    await expect(ask).toHaveCount(0);
    await expect(vmRow(page, name)).toHaveAttribute('data-state', 'running');
    expect(qemuProcesses(name)).not.toBe('');
    await vmRow(page, name).getByTestId('vm-force-off').click();
    await vmRow(page, name).getByTestId('vm-force-off-confirm').click();
    await expect(vmRow(page, name)).toHaveAttribute('data-state', 'stopped', { timeout: 30_000 });
    await expect(vmRow(page, name).getByTestId('vm-stop-reason')).toHaveText('powered off by ISO Lab');
    await expect(page.getByTestId('boot-activity')).toHaveCount(0);
  });

  await test.step('Boot with the serial console: login: on the console, and Log in works', async () => {
    await page.getByTestId('boot-serial-console').click();
    await expect(vmRow(page, name)).toHaveAttribute('data-state', 'running', { timeout: BOOT_MS });
    await expect(page.getByTestId('serial-boot-active')).toContainText('loglevel=3 console=ttyS0');
    await expect(rows(page)).toContainText('directly with the serial console', { timeout: BOOT_MS });
    await expect(rows(page)).toContainText('login:', { timeout: BOOT_MS });
    await expect(page.getByTestId('timeline-mark-login')).toBeVisible();
    await page.getByTestId('login-root').click();
    await expect(page.getByTestId('login-root')).toHaveText(/Logged in/, { timeout: BOOT_MS });
    await page.keyboard.type('cat /proc/cmdline');
    await page.keyboard.press('Enter');
    await expect.poll(() => screen(page), { timeout: 30_000 }).toMatch(/^loglevel=3 console=ttyS0$/m);
  });
});
