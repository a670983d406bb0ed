import { expect, test, type Page } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rpc as rpcCall } from './helpers/rpc';
import { projectRoot, startServe, type Served } from './helpers/serve';

/**
 * The screen view against the real `isolab serve` and QEMU: an ISO whose kernel writes to the
 * screen (the fixture remastered without console=ttyS0, with isolinux's `boot:` prompt) is
 * booted; the canvas noVNC draws shows the prompt, keys typed on the screen reach isolinux,
 * and the kernel's messages follow. Every VM made here is deleted in afterAll.
 */

const fixtureIso = path.join(projectRoot, '.cache', 'fixture', 'isolab-fixture.iso');
const workDir = path.join(projectRoot, 'test-results', 'screen');
const screenIso = path.join(workDir, 'isolab-screen.iso');
const shots = path.join(projectRoot, 'docs', 'screenshots');
const isolab = path.join(projectRoot, 'bin', 'isolab.cjs');
const BOOT_MS = 120_000;

let served: Served;
const rpc = (channel: string, args: unknown = {}) => rpcCall(served, channel, args);

function qemuProcesses(): string {
  return spawnSync('pgrep', ['-af', `qemu-system.*${served.home}/data/vms/`], { encoding: 'utf8' }).stdout.trim();
}

/**
 * The fixture's isolinux.cfg with the kernel on the screen and isolinux's `boot:` prompt. The
 * prompt waits for a key (timeout 0): with a 5 s count (timeout 50) a loaded machine can let it
 * boot by itself before the screen is up, and the kernel booting would then prove nothing about
 * the keyboard.
 */
export function screenCfg(cfg: string): string {
  const out = cfg
    .replace(/^(\s*)append .*$/m, '$1append loglevel=7')
    .replace(/^prompt 0$/m, 'prompt 1')
    .replace(/^timeout \d+$/m, 'timeout 0');
  // A second entry for measuring a 1024x768 screen: the VESA mode, drawn by the kernel's vesafb.
  return `${out.trimEnd()}\nlabel hires\n      kernel /boot/bzImage\n      initrd /boot/initrd\n      append loglevel=7 vga=0x318\n`;
}

interface CanvasSample {
  width: number;
  height: number;
  /** Distinct colours among sampled pixels. */
  colours: number;
  /** Share of sampled pixels that differ from the most common colour. */
  lit: number;
  /** The same, in the bottom eighth of the screen. */
  bottomLit: number;
  hash: string;
}

/** Samples noVNC's canvas (every 3rd pixel of every 3rd row). */
function sampleCanvas(page: Page): Promise<CanvasSample | null> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="screen-canvas"] canvas');
    if (!c || c.width < 2 || c.height < 2) return null;
    const ctx = c.getContext('2d');
    if (!ctx) return null;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map<number, number>();
    let h = 0x811c9dc5;
    let n = 0;
    for (let y = 0; y < c.height; y += 3) {
      for (let x = 0; x < c.width; x += 3) {
        const i = (y * c.width + x) * 4;
        const v = (d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!;
        counts.set(v, (counts.get(v) ?? 0) + 1);
        h = Math.imul(h ^ v, 0x01000193) >>> 0;
        n++;
      }
    }
    let bg = 0;
    let top = 0;
    for (const [v, k] of counts) if (k > top) [bg, top] = [v, k];
    let bottom = 0;
    let bottomN = 0;
    for (let y = Math.floor((c.height * 7) / 8); y < c.height; y += 3) {
      for (let x = 0; x < c.width; x += 3) {
        const i = (y * c.width + x) * 4;
        if (((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!) !== bg) bottom++;
        bottomN++;
      }
    }
    return { width: c.width, height: c.height, colours: counts.size, lit: (n - top) / n, bottomLit: bottom / bottomN, hash: h.toString(16) };
  });
}

const vmRow = (page: Page, name: string) => page.locator(`[data-testid="vm-row"][data-name="${name}"]`);

const transcript = async (name: string) => ((await rpc('vm.transcript', { name })).result as { text: string } | undefined)?.text ?? '';

/** isolinux's serial port says when the `boot:` prompt is up. */
async function waitForBootPrompt(name: string): Promise<void> {
  await expect.poll(() => transcript(name), { timeout: BOOT_MS, intervals: [50] }).toMatch(/boot: *$/);
}

test.beforeAll(async () => {
  test.setTimeout(10 * 60_000);
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'make-fixture-iso.sh')], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  mkdirSync(workDir, { recursive: true });
  mkdirSync(shots, { recursive: true });
  const cfg = execFileSync(process.execPath, [isolab, 'cat', fixtureIso, '/isolinux/isolinux.cfg'], { encoding: 'utf8' });
  const changed = screenCfg(cfg);
  // The fixture's cfg still has what is replaced: each change took.
  expect(cfg).toContain('console=ttyS0');
  expect(changed).not.toContain('console=ttyS0');
  expect(changed).toMatch(/^prompt 1$/m);
  expect(changed).toMatch(/^timeout 0$/m);
  execFileSync(process.execPath, [isolab, 'remaster', fixtureIso, screenIso, '--write', `/isolinux/isolinux.cfg=${changed}`, '-f'], { stdio: ['ignore', 'ignore', 'inherit'] });
  expect(execFileSync(process.execPath, [isolab, 'cat', screenIso, '/isolinux/isolinux.cfg'], { encoding: 'utf8' })).toBe(changed);
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

test('the screen view shows the boot: prompt, takes the keyboard, and the kernel boots on the screen', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  const name = 'e2e-screen';
  const created = await rpc('vm.create', { name, iso: screenIso, cpus: 1, memoryMb: 512, diskMb: 64 });
  expect(created.ok, created.error?.message).toBe(true);

  await test.step('a stopped VM: the pane says the screen shows while it runs', async () => {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Boot', exact: true }).click();
    await vmRow(page, name).locator('.boot-vm-main').click();
    await expect(page.getByTestId('screen-note')).toHaveAttribute('data-code', 'VM_NOT_RUNNING');
    await expect(page.getByTestId('screen-shot')).toBeDisabled();
  });

  let prompt: CanvasSample | null = null;
  await test.step('start it: the screen connects and shows isolinux\'s boot: prompt', async () => {
    await vmRow(page, name).getByTestId('vm-start').click();
    await expect(page.getByTestId('screen-view')).toHaveAttribute('data-phase', 'open', { timeout: BOOT_MS });
    await waitForBootPrompt(name);
    // isolinux's banner and prompt: text on black, so more than one colour and a few lit pixels.
    await expect.poll(async () => (prompt = await sampleCanvas(page))?.colours ?? 0, { timeout: BOOT_MS, intervals: [100] }).toBeGreaterThan(1);
    expect(prompt!.width).toBeGreaterThan(300);
    expect(prompt!.lit).toBeGreaterThan(0.001);
  });

  await test.step('type at boot: on the screen: isolinux gets the keys, the kernel boots and writes to the screen', async () => {
    await page.getByTestId('screen-canvas').click();
    await page.keyboard.type('1 isolab.typed=on-screen');
    await expect(page.getByTestId('screen-state')).toHaveText('keyboard and mouse go to the VM');
    await expect(page.getByTestId('screen-size')).toHaveText(`${prompt!.width}×${prompt!.height}`);
    await page.keyboard.press('Enter');
    // isolinux echoes the command line on its serial port too: the keys arrived through VNC.
    await expect.poll(() => transcript(name), { timeout: 30_000 }).toContain('boot: 1 isolab.typed=on-screen');
    // The kernel's messages (loglevel=7, console on the screen) change the canvas.
    await expect.poll(async () => (await sampleCanvas(page))?.hash, { timeout: BOOT_MS }).not.toBe(prompt!.hash);
  });

  await test.step('screenshot of the app, and the Screenshot button downloads the canvas as a PNG', async () => {
    // Let the kernel print a screenful: text down to the last rows.
    await expect.poll(async () => (await sampleCanvas(page))?.bottomLit ?? 0, { timeout: BOOT_MS }).toBeGreaterThan(0.01);
    await page.getByTestId('screen-view').scrollIntoViewIfNeeded();
    await page.getByTestId('screen-canvas').click();
    await page.screenshot({ path: path.join(shots, 'boot-screen.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('screen-shot').click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${name}-screen-\\d{8}-\\d{6}\\.png$`));
    const file = path.join(workDir, 'downloaded.png');
    await download.saveAs(file);
    const png = readFileSync(file);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // IHDR: the PNG is the framebuffer's size.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([prompt!.width, prompt!.height]);
  });

  await test.step('stopping the VM ends the screen', async () => {
    const stop = await rpc('vm.kill', { name });
    expect(stop.ok, stop.error?.message).toBe(true);
    await expect(page.getByTestId('screen-note')).toHaveAttribute('data-code', 'VM_NOT_RUNNING', { timeout: 30_000 });
  });
});

test('a VM made before the screen view shows a note instead of a screen', async ({ page }) => {
  const name = 'e2e-old';
  const created = await rpc('vm.create', { name, iso: screenIso, cpus: 1, memoryMb: 256, diskMb: 64 });
  expect(created.ok, created.error?.message).toBe(true);
  // What vm.json looked like before: no VNC socket among the files.
  const recFile = path.join(served.home, 'data', 'vms', name, 'vm.json');
  const rec = JSON.parse(readFileSync(recFile, 'utf8')) as { files: Record<string, string> };
  expect(rec.files.vnc).toMatch(/vnc\.sock$/);
  delete rec.files.vnc;
  writeFileSync(recFile, `${JSON.stringify(rec, null, 2)}\n`);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Boot', exact: true }).click();
  await vmRow(page, name).locator('.boot-vm-main').click();
  await expect(page.getByTestId('screen-note')).toHaveAttribute('data-code', 'VM_SCREEN_NONE');
  await expect(page.getByTestId('screen-note')).toContainText(`${name} was created before ISO Lab had a screen view`);
  expect(existsSync(recFile)).toBe(true);
});

/** Resolves with the ms until the canvas (a strip across its middle) changes, or -1 after `ms`. */
function untilCanvasChanges(page: Page, ms: number): Promise<number> {
  return page.evaluate(async (limit) => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="screen-canvas"] canvas')!;
    const ctx = c.getContext('2d')!;
    const strip = () => {
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let h = 0x811c9dc5;
      for (let i = 0; i < d.length; i += 4 * 7) h = Math.imul(h ^ d[i]! ^ (d[i + 1]! << 8), 0x01000193) >>> 0;
      return h;
    };
    const first = strip();
    const t0 = performance.now();
    while (performance.now() - t0 < limit) {
      await new Promise((r) => requestAnimationFrame(r));
      if (strip() !== first) return performance.now() - t0;
    }
    return -1;
  }, ms);
}

/** Distinct pictures drawn in `ms`, counted at each animation frame. */
function framesIn(page: Page, ms: number): Promise<{ frames: number; ms: number }> {
  return page.evaluate(async (limit) => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="screen-canvas"] canvas')!;
    const ctx = c.getContext('2d')!;
    const sig = () => {
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let h = 0x811c9dc5;
      for (let i = 0; i < d.length; i += 4 * 7) h = Math.imul(h ^ d[i]! ^ (d[i + 1]! << 8), 0x01000193) >>> 0;
      return h;
    };
    let last = sig();
    let frames = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < limit) {
      await new Promise((r) => requestAnimationFrame(r));
      const now = sig();
      if (now !== last) frames++;
      last = now;
    }
    return { frames, ms: performance.now() - t0 };
  }, ms);
}

/**
 * Not a timing assertion: the numbers are measured and reported (test annotations and the
 * log); what is asserted is that the kernel's 1024x768 VESA screen arrives at that size.
 */
test('a 1024x768 screen: measured input-to-screen latency and update rate', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  const name = 'e2e-hires';
  const created = await rpc('vm.create', { name, iso: screenIso, cpus: 1, memoryMb: 512, diskMb: 64 });
  expect(created.ok, created.error?.message).toBe(true);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Boot', exact: true }).click();
  await vmRow(page, name).locator('.boot-vm-main').click();
  await vmRow(page, name).getByTestId('vm-start').click();
  await expect(page.getByTestId('screen-view')).toHaveAttribute('data-phase', 'open', { timeout: BOOT_MS });
  await waitForBootPrompt(name);
  await page.getByTestId('screen-canvas').click();
  const latencies: number[] = [];
  for (const key of 'hires') {
    const changed = untilCanvasChanges(page, 5000);
    await page.keyboard.press(key);
    latencies.push(Math.round(await changed));
  }
  await page.keyboard.press('Enter');
  await expect.poll(() => transcript(name), { timeout: 30_000 }).toContain('boot: hires');
  await expect(page.getByTestId('screen-size')).toHaveText('1024×768', { timeout: BOOT_MS });
  // A workload that redraws the whole 1024x768 console: text scrolling on tty0 for 12 s,
  // started from the serial console (the fixture's getty is on ttyS0).
  const login = await rpc('vm.login', {
    name,
    command: 'end=$(($(date +%s)+12)); (while [ $(date +%s) -lt $end ]; do dmesg; done > /dev/tty0 2>&1 &) ; echo started',
    timeoutSeconds: 120,
  });
  expect(login.ok, login.error?.message).toBe(true);
  expect((login.result as { output?: string }).output).toContain('started');
  const bytes0 = Number(await page.getByTestId('screen-canvas').getAttribute('data-bytes-in'));
  const rate = await framesIn(page, 5000);
  const bytes1 = Number(await page.getByTestId('screen-canvas').getAttribute('data-bytes-in'));
  const report = `keys at boot: drawn after ${latencies.join(', ')} ms; 1024x768 kernel console: ${rate.frames} distinct frames in ${Math.round(rate.ms)} ms (${((rate.frames * 1000) / rate.ms).toFixed(1)}/s), ${((bytes1 - bytes0) / 1024 / (rate.ms / 1000)).toFixed(0)} KB/s of RFB over the contract`;
  console.log(`screen measurement: ${report}`);
  test.info().annotations.push({ type: 'measurement', description: report });
  const stop = await rpc('vm.kill', { name });
  expect(stop.ok, stop.error?.message).toBe(true);
});
