import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from './helpers/serve';

/** Electron's binary cannot be downloaded everywhere; this says why the test cannot run. */
function electronBinary(): { path?: string; skip?: string } {
  // Requiring 'electron' without its binary starts a download (Electron 36+); look first, so a
  // machine without network skips at once instead of trying the internet.
  const pkg = path.dirname(require.resolve('electron/package.json'));
  if (!process.env.ELECTRON_OVERRIDE_DIST_PATH && !existsSync(path.join(pkg, 'path.txt'))) {
    return { skip: 'Electron binary not installed (npm ci ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1); install it to run this test' };
  }
  let bin: string;
  try {
    bin = require('electron') as unknown as string;
  } catch {
    return { skip: 'Electron binary not installed (npm ci ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1); install it to run this test' };
  }
  if (typeof bin !== 'string' || !existsSync(bin)) return { skip: `Electron binary not found at ${String(bin)}` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { skip: 'no display: run the e2e suite under xvfb-run to include the Electron test' };
  }
  return { path: bin };
}

const binary = electronBinary();

test.describe('Electron shell', () => {
  test.skip(Boolean(binary.skip), binary.skip);

  test('opens Lab status with a locked-down renderer', async () => {
    const app = await electron.launch({
      executablePath: binary.path,
      args: [projectRoot, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      env: { ...process.env, ISOLAB_HOME: mkdtempSync(path.join(os.tmpdir(), 'isolab-electron-')) },
    });
    try {
      const page = await app.firstWindow();
      await expect(page.getByRole('heading', { name: 'Lab status' })).toBeVisible();
      await expect(page.getByTestId('docker-card')).toBeVisible();
      const surface = await page.evaluate(() => ({
        api: Object.keys((window as unknown as { isolab: object }).isolab).sort(),
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(surface).toEqual({ api: ['pathForFile', 'request', 'subscribe'], require: 'undefined', process: 'undefined' });
      // New windows are denied: window.open gives nothing back.
      expect(await page.evaluate(() => window.open('https://example.com/') === null)).toBe(true);
      expect(app.windows()).toHaveLength(1);
      // Navigation away from the app is refused.
      await page.evaluate(() => {
        location.href = 'https://example.com/';
      });
      await page.waitForTimeout(500);
      expect(page.url()).toMatch(/^file:/);
      await page.screenshot({ path: path.join(projectRoot, 'test-results', 'electron-lab-status.png') });
    } finally {
      await app.close();
    }
  });
});
