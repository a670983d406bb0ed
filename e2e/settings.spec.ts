import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rpc } from './helpers/rpc';
import { startServe, type Served } from './helpers/serve';

// Settings (issue 10 item 10) in Chromium through `isolab serve`: changes apply as they are
// made (no Save; the theme at once), the Storage section with sizes and Clear (confirmed, and
// refused while a build of a live process uses the build logs), and Reset the tour.

let served: Served;
test.afterEach(async () => {
  await served.stop();
});

const settingsFile = (s: Served) => path.join(s.home, 'config', 'settings.json');
const saved = (s: Served) => JSON.parse(readFileSync(settingsFile(s), 'utf8')) as { ui: { theme: string }; vm: { cpus: number; memoryMb: number }; tour: Record<string, unknown> };

test('changes apply live: the theme at once, numbers once typed, a bad number is marked and not applied', async ({ page }) => {
  served = await startServe();
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);

  await page.getByLabel('Theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByTestId('settings-status')).toHaveText('Saved');
  await expect.poll(() => saved(served).ui.theme).toBe('dark');

  await page.getByLabel('CPUs').fill('3');
  await page.getByLabel('Memory').fill('3072');
  await expect(page.getByTestId('settings-status')).toHaveText('Saved');
  await expect.poll(() => [saved(served).vm.cpus, saved(served).vm.memoryMb]).toEqual([3, 3072]);

  await page.getByLabel('CPUs').fill('0');
  await expect(page.getByTestId('vm-cpus-error')).toContainText('3 stays in force');
  // Leaving the screen keeps what is in force; nothing is pending, so nothing to warn about.
  await page.getByRole('button', { name: 'Lab status' }).click();
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByLabel('CPUs')).toHaveValue('3');
  expect(saved(served).vm.cpus).toBe(3);

  // Typed, then left before the pause: still applied.
  await page.getByLabel('Memory').fill('4096');
  await page.getByRole('button', { name: 'Lab status' }).click();
  await expect.poll(() => saved(served).vm.memoryMb).toBe(4096);

  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('Storage: the five with their sizes, Clear after a confirmation, refused while a build runs', async ({ page }) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-settings-'));
  const build = path.join(home, 'data', 'builds', '20260101-000000-e2e1');
  mkdirSync(build, { recursive: true });
  writeFileSync(path.join(build, 'build.log'), 'line\n'.repeat(40_000));
  mkdirSync(path.join(home, 'cache', 'archives'), { recursive: true });
  writeFileSync(path.join(home, 'cache', 'archives', 'a.data'), Buffer.alloc(500_000, 7));
  served = await startServe({}, home);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Settings' }).click();
  const row = (kind: string) => page.locator(`[data-testid="storage-item"][data-kind="${kind}"]`);
  for (const k of ['indexCache', 'rootfsImages', 'vmDisks', 'buildLogs', 'remasterEdits']) await expect(row(k)).toBeVisible();
  await expect(row('buildLogs')).toHaveAttribute('data-count', '1');
  expect(Number(await row('indexCache').getAttribute('data-bytes'))).toBeGreaterThanOrEqual(500_000);
  await expect(row('indexCache').getByTestId('storage-size')).toContainText(/KB|KiB|kB/);

  await test.step('Clear asks first; Keep keeps, Clear clears', async () => {
    await row('indexCache').getByTestId('storage-clear').click();
    const dialog = page.getByTestId('storage-confirm');
    await expect(dialog).toContainText('cannot be undone');
    await dialog.getByRole('button', { name: 'Keep' }).click();
    expect(readdirSync(path.join(home, 'cache', 'archives'))).toEqual(['a.data']);
    await row('indexCache').getByTestId('storage-clear').click();
    await page.getByTestId('storage-confirm-clear').click();
    await expect(row('indexCache')).toHaveAttribute('data-count', '0');
    await expect(page.getByTestId('storage-note')).toContainText('freed');
    expect(readdirSync(path.join(home, 'cache', 'archives'))).toEqual([]);
  });

  await test.step('a build of a live process: Clear is refused, with the reason', async () => {
    const record = { id: '20260101-000000-e2e1', recipe: 'hello', arch: 'x86_64', checkout: '/tmp', image: 'x', startedAt: new Date().toISOString(), phase: 'build', logs: { image: path.join(build, 'image.log'), build: path.join(build, 'build.log') }, problems: [], owner: { pid: served.proc.pid, host: os.hostname() } };
    writeFileSync(path.join(build, 'record.json'), JSON.stringify(record));
    await page.getByTestId('storage-refresh').click();
    await expect(row('buildLogs').getByTestId('storage-in-use')).toContainText('20260101-000000-e2e1 is running');
    await expect(row('buildLogs').getByTestId('storage-clear')).toBeDisabled();
    // The core refuses too, whatever the page does.
    const r = await rpc(served, 'storage.clear', { kind: 'buildLogs' });
    expect(r).toMatchObject({ ok: false, error: { code: 'STORAGE_IN_USE' } });
    writeFileSync(path.join(build, 'record.json'), JSON.stringify({ ...record, phase: 'done' }));
    await page.getByTestId('storage-refresh').click();
    await expect(row('buildLogs').getByTestId('storage-in-use')).toHaveCount(0);
    await row('buildLogs').getByTestId('storage-clear').click();
    await page.getByTestId('storage-confirm-clear').click();
    await expect(row('buildLogs')).toHaveAttribute('data-count', '0');
    expect(readdirSync(path.join(home, 'data', 'builds'))).toEqual([]);
  });
});

test('Reset the tour: its saved step and progress go back to the beginning', async ({ page }) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-settings-'));
  mkdirSync(path.join(home, 'config'), { recursive: true });
  writeFileSync(path.join(home, 'config', 'settings.json'), JSON.stringify({ tour: { active: false, path: 'sample', step: 'boot', done: ['build', 'inspect'], checkout: '/tmp/x', iso: '/tmp/x/out/hello.iso' } }));
  served = await startServe({}, home);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByTestId('reset-tour').click();
  await expect(page.getByTestId('tour-reset-done')).toBeVisible();
  await expect.poll(() => saved(served).tour).toEqual({ active: false, path: 'none', step: 'build', collapsed: false, done: [], checkout: '', iso: '' });
});
