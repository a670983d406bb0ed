import { expect, test, type Page } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rpc } from './helpers/rpc';
import { pickerGo } from './helpers/picker';
import { projectRoot, startServe, type Served } from './helpers/serve';

// The whole guided tour with the Hello ISO sample, as a newcomer clicks through it: create the
// sample, build it on the local dockerd, look inside (/etc/VERSION in the initrd), boot it under
// QEMU, log in as root on the console and run a command, the minikube hand-off, stop; then
// change a file of the overlay, build again, and compare the two ISOs. Screenshots of each step
// go to docs/screenshots/tour-*.png for the README.

const shots = path.join(projectRoot, 'docs', 'screenshots');
/** No registry here: the sample's builder starts from a local image with a kernel (scripts/make-sample-base.sh). */
const BASE = 'isolab-sample-base:bookworm';
const BOOT_MS = 120_000;

test.use({ actionTimeout: 30_000 });

let served: Served;

test.beforeAll(async () => {
  test.setTimeout(20 * 60_000);
  const run = (script: string) => execFileSync('bash', [path.join(projectRoot, 'scripts', script)], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  run('ensure-dockerd.sh');
  run('make-sample-base.sh');
  mkdirSync(shots, { recursive: true });
  served = await startServe();
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  if (!served) return;
  try {
    const list = await rpc(served, 'vm.list');
    for (const vm of (list.result as { name: string }[] | undefined) ?? []) expect((await rpc(served, 'vm.delete', { name: vm.name })).ok).toBe(true);
  } finally {
    await served.stop();
  }
  expect(spawnSync('pgrep', ['-af', `qemu-system.*${served.home}/data/vms/`], { encoding: 'utf8' }).stdout.trim()).toBe('');
});

const row = (page: Page, p: string) => page.locator(`[role="treeitem"][data-path="${p}"]`);
const rows = (page: Page) => page.locator('.xterm-rows');
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `tour-${name}.png`) });


/** Starts the build shown on the Build screen with the local base image, and waits for its result. */
async function buildSample(page: Page, opts: { screenshot?: string } = {}) {
  await expect(page.getByRole('heading', { name: 'Build', exact: true })).toBeVisible();
  const why = page.getByTestId('auto-why');
  await expect(why).toHaveAttribute('data-recipe', 'hello');
  if (!(await page.getByTestId('custom-build-args').isVisible())) await page.getByTestId('custom-toggle').click();
  await page.getByTestId('custom-build-args').fill(`BASE=${BASE}`);
  await page.getByTestId('custom-network').selectOption('none');
  await expect(page.getByTestId('docker-run-line')).toContainText('make out/hello.iso');
  const preflight = page.getByTestId('preflight');
  await expect(preflight).toHaveAttribute('aria-busy', 'false');
  await expect(preflight).toHaveAttribute('data-ok', 'true');
  // A second build must be waited for as itself: the card of the build before also says done.
  const newest = async () => ((await rpc(served, 'build.history')).result as { id: string; phase: string }[] | undefined)?.[0];
  const before = (await newest())?.id;
  await page.getByTestId('start-build').click();
  await expect(page.getByTestId('build-progress')).toBeVisible();
  await expect.poll(async () => {
    const b = await newest();
    return b && b.id !== before ? b.phase : 'not started';
  }, { timeout: 10 * 60_000 }).toBe('done');
  await expect(page.getByTestId('build-result')).toHaveAttribute('data-phase', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('result-exit-code')).toHaveText('0');
  if (opts.screenshot) {
    await page.getByTestId('build-progress').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await shot(page, opts.screenshot);
  }
}

test('the guided tour with the sample: build, inspect, boot, log in, minikube, then change, rebuild and compare', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  const checkout = path.join(mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-tour-')), 'hello-iso');
  const iso = path.join(checkout, 'out', 'hello.iso');
  const dock = page.getByTestId('tour-dock');
  const next = async (step: string) => {
    await dock.getByTestId('tour-next').click();
    await expect(dock.getByTestId('tour-step')).toHaveAttribute('data-step', step);
  };
  let vmName = '';
  await page.goto(served.url);

  await test.step('1 Build: the tour creates the sample project and builds it through Docker', async () => {
    await page.getByTestId('tour-take').click();
    await dock.getByTestId('tour-path-sample').click();
    await expect(dock.getByTestId('tour-step')).toHaveAttribute('data-step', 'build');
    await dock.getByTestId('tour-create-sample').click();
    const dialog = page.getByTestId('folder-dialog');
    await pickerGo(dialog, checkout);
    await dialog.getByTestId('picker-create').click();
    await expect(dialog).toBeHidden();
    expect(existsSync(path.join(checkout, 'overlay', 'etc', 'VERSION'))).toBe(true);
    await expect(page.getByTestId('checkout-input')).toHaveValue(checkout);
    await expect(page.getByTestId('start-build')).toHaveAttribute('data-tour-lit', '');
    await buildSample(page, { screenshot: '1-build' });
    await expect(page.getByTestId('result-output')).toHaveText(iso);
    await expect(dock.getByTestId('tour-done')).toBeVisible();
  });

  await test.step('2 Inspect: the ISO, then /etc/VERSION inside the initrd', async () => {
    await next('inspect');
    await page.getByTestId('open-in-inspect').click();
    await expect(page.getByTestId('image-name')).toHaveText('hello.iso');
    await dock.getByTestId('tour-show-me').click();
    await expect(row(page, '/boot/initrd')).toHaveAttribute('aria-selected', 'true');
    await page.getByTestId('tree').press('ArrowRight');
    await expect(row(page, '/boot/initrd/etc')).toBeVisible({ timeout: 60_000 });
    await row(page, '/boot/initrd/etc').click();
    await page.getByTestId('tree').press('ArrowRight');
    await row(page, '/boot/initrd/etc/VERSION').click();
    await expect(page.getByTestId('text-viewer')).toContainText('Hello ISO 1');
    await expect(dock.getByTestId('tour-done')).toBeVisible();
    await shot(page, '2-inspect');
  });

  await test.step('3 Boot: a QEMU VM from the ISO, its console from the first line to login:', async () => {
    await next('boot');
    await page.getByTestId('tour-show-me').click();
    await expect(page.getByTestId('boot-this-iso')).toBeFocused();
    await page.getByTestId('boot-this-iso').click();
    await expect(page.getByRole('heading', { name: 'Boot', exact: true })).toBeVisible();
    await expect(page.getByTestId('console-vm-name')).not.toBeEmpty({ timeout: 60_000 });
    vmName = (await page.getByTestId('console-vm-name').textContent()) ?? '';
    await expect(rows(page)).toContainText('Welcome to Hello ISO', { timeout: BOOT_MS });
    await expect(rows(page)).toContainText('login:', { timeout: BOOT_MS });
    await expect(dock.getByTestId('tour-done')).toBeVisible();
    await shot(page, '3-boot');
  });

  await test.step('4 Console: log in as root and run a command', async () => {
    await next('console');
    await expect(page.getByTestId('login-root')).toHaveAttribute('data-tour-lit', '');
    await page.getByTestId('login-root').click();
    await expect(page.getByTestId('login-root')).toHaveText(/Logged in/, { timeout: BOOT_MS });
    await expect(rows(page)).toContainText('root@hello-iso:~#');
    await page.keyboard.type('cat /etc/VERSION');
    await page.keyboard.press('Enter');
    await expect(rows(page)).toContainText('Hello ISO 1', { timeout: 30_000 });
    await expect(dock.getByTestId('tour-done')).toBeVisible();
    await shot(page, '4-console');
  });

  await test.step('5 minikube: the hand-off names this ISO; then stop the VM', async () => {
    await next('minikube');
    await expect(page.getByTestId('minikube-command')).toHaveText(`minikube start --iso-url=file://${iso}`);
    await expect(dock.getByTestId('tour-done')).toBeVisible();
    await expect(dock.getByTestId('tour-change')).toBeVisible();
    await shot(page, '5-minikube');
    const vm = page.locator(`[data-testid="vm-row"][data-name="${vmName}"]`);
    // The sample loads the ACPI button driver and runs acpid: Stop shuts it down cleanly,
    // well before the stop timeout (20 s) would power it off.
    await vm.getByTestId('vm-stop').click();
    await expect(vm).toHaveAttribute('data-state', 'stopped', { timeout: 15_000 });
    await expect(vm.getByTestId('vm-stop-reason')).toContainText('ACPI power button');
  });

  await test.step('change a file of the overlay, build again, and compare with the build before', async () => {
    writeFileSync(path.join(checkout, 'overlay', 'etc', 'VERSION'), 'Hello ISO 2, changed in the overlay\n');
    await dock.getByTestId('tour-rebuild').click();
    await expect(page.getByTestId('checkout-input')).toHaveValue(checkout);
    await buildSample(page);
    expect(existsSync(path.join(checkout, 'out', 'hello.previous.iso'))).toBe(true);

    await dock.getByTestId('tour-compare').click();
    await expect(page.getByRole('heading', { name: 'Compare', exact: true })).toBeVisible();
    await expect(page.getByTestId('compare-a')).toHaveValue(path.join(checkout, 'out', 'hello.previous.iso'));
    await expect(page.getByTestId('compare-b')).toHaveValue(iso);
    await expect(page.getByTestId('diff-summary')).toBeVisible({ timeout: 120_000 });
    // Exactly the file changed: at ISO level its initrd, inside the initrd /etc/VERSION, nothing else.
    const changes = page.getByTestId('change');
    await expect(changes).toHaveCount(2);
    expect((await changes.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')} ${e.getAttribute('data-path')}`))).sort()).toEqual([
      'changed /boot/initrd',
      'changed /boot/initrd/etc/VERSION',
    ]);
    await expect(page.getByTestId('summary-added')).toContainText('0 added');
    await expect(page.getByTestId('summary-removed')).toContainText('0 removed');
    await expect(page.locator('[data-testid="change"][data-path="/boot/initrd/etc/VERSION"]')).toContainText('size');
    await page.getByTestId('diff-summary').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await shot(page, '6-compare');
  });

  await test.step('finish: the tour resets, and the sample ISO file holds the change', async () => {
    await dock.getByTestId('tour-finish').click();
    await expect(dock).toBeHidden();
    expect(readFileSync(path.join(checkout, 'overlay', 'etc', 'VERSION'), 'utf8')).toMatch(/^Hello ISO 2/);
  });
});
