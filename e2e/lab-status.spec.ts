import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engineVersion } from './helpers/docker';
import { projectRoot, startServe } from './helpers/serve';

const shots = path.join(projectRoot, 'docs', 'screenshots');

test('Lab status shows the real Docker engine and QEMU', async ({ page }) => {
  const served = await startServe();
  try {
    await page.goto(served.url);
    // The token has been swapped for a cookie and is gone from the address bar.
    expect(page.url()).not.toContain('token=');
    await expect(page.getByRole('heading', { name: 'Lab status' })).toBeVisible();

    const version = await engineVersion();
    await expect(page.getByTestId('docker-version')).toContainText(version);
    await expect(page.getByTestId('docker-endpoint')).toHaveText('unix:///var/run/docker.sock');
    await expect(page.locator('[data-check="docker"]')).toHaveClass(/check-ok/);

    const qemuVersion = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).match(/version (\d+\.\d+\.\d+)/)![1]!;
    const qemu = page.locator('[data-check="qemu-system"]');
    await expect(qemu).toHaveClass(/check-ok/);
    await expect(qemu).toContainText(qemuVersion);
    await expect(page.locator('[data-step="build"]')).toHaveAttribute('data-state', 'ready');

    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'lab-status.png'), fullPage: true });
  } finally {
    await served.stop();
  }
});

test('with Docker unreachable, Lab status shows the error and how to fix it', async ({ page }) => {
  const served = await startServe({ DOCKER_HOST: 'unix:///tmp/isolab-no-docker-here.sock' });
  try {
    await page.goto(served.url);
    const docker = page.locator('[data-check="docker"]');
    await expect(docker).toHaveClass(/check-error/);
    await expect(page.getByTestId('docker-error')).toContainText('not answering');
    await expect(docker.locator('.hint')).toContainText('start the Docker daemon');
    await expect(page.getByTestId('docker-endpoint')).toHaveText('unix:///tmp/isolab-no-docker-here.sock');
    await expect(page.locator('[data-step="build"]')).toHaveAttribute('data-state', 'blocked');
    await page.screenshot({ path: path.join(shots, 'lab-status-docker-down.png'), fullPage: true });
  } finally {
    await served.stop();
  }
});

test('Lab status refreshes live when the machine changes', async ({ page }) => {
  // A Docker setting that points nowhere, then fixed from the Settings screen: the status
  // screen follows without a reload.
  const served = await startServe();
  try {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Settings' }).click();
    // Settings apply as they are typed: no Save button.
    await page.getByLabel('Endpoint').fill('unix:///tmp/isolab-missing.sock');
    await expect(page.getByTestId('settings-status')).toHaveText('Saved');
    await page.getByRole('button', { name: 'Lab status' }).click();
    await expect(page.getByTestId('docker-endpoint')).toHaveText('unix:///tmp/isolab-missing.sock');
    await expect(page.locator('[data-check="docker"]')).toHaveClass(/check-error/);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Endpoint').fill('');
    await expect(page.getByTestId('settings-status')).toHaveText('Saved');
    await page.getByRole('button', { name: 'Lab status' }).click();
    await expect(page.locator('[data-check="docker"]')).toHaveClass(/check-ok/);
  } finally {
    await served.stop();
  }
});

test('settings persist across restarts, and a corrupt file shows a warning instead of failing', async ({ page }) => {
  const served = await startServe();
  try {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('CPUs').fill('3');
    await page.getByLabel('Memory').fill('3072');
    await expect(page.getByTestId('settings-status')).toHaveText('Saved');
    await page.screenshot({ path: path.join(shots, 'settings.png'), fullPage: true });
  } finally {
    await served.stop();
  }
  const again = await startServe({}, served.home);
  try {
    await page.goto(again.url);
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByLabel('CPUs')).toHaveValue('3');
    await expect(page.getByLabel('Memory')).toHaveValue('3072');
  } finally {
    await again.stop();
  }
  writeFileSync(path.join(served.home, 'config', 'settings.json'), '{ this is not json');
  const broken = await startServe({}, served.home);
  try {
    await page.goto(broken.url);
    await expect(page.getByTestId('settings-warning')).toContainText('settings.json was not valid');
    await expect(page.getByRole('heading', { name: 'Lab status' })).toBeVisible();
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByLabel('CPUs')).toHaveValue('2');
  } finally {
    await broken.stop();
  }
});
