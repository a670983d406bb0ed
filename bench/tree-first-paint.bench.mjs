// tree-first-paint: from choosing a ~600 MB ISO in the Inspect screen's picker to the first
// rows of its tree on screen, in Debian's Chromium through `isolab serve` (target < 150 ms),
// against the time Chromium takes to paint a static page of the same rows (the floor any UI
// pays). tree-memory: the core's heap for a fully indexed 50,000-entry ISO tree (< 100 MB).
// Needs `npm run build`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTs } from './bundle-ts.mjs';
import { chromium } from 'playwright-core';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cacheDir = path.join(root, '.cache', 'bench');
const bigIso = path.join(cacheDir, 'big-600m.iso');
const RUNS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A 600 MB ISO: the fixture's layout plus one large (sparse, so quick to make) payload. */
function makeBigIso() {
  if (existsSync(bigIso)) return;
  const fixture = spawnSync('bash', [path.join(root, 'scripts', 'make-fixture-iso.sh')], { encoding: 'utf8' }).stdout.trim().split('\n').pop();
  const tree = mkdtempSync(path.join(os.tmpdir(), 'isolab-big-'));
  spawnSync('xorriso', ['-osirrox', 'on', '-indev', fixture, '-extract', '/', tree], { stdio: 'ignore' });
  spawnSync('chmod', ['-R', 'u+w', tree]);
  mkdirSync(path.join(tree, 'payload'), { recursive: true });
  spawnSync('truncate', ['-s', '580M', path.join(tree, 'payload', 'rootfs.squashfs')]);
  for (let i = 0; i < 200; i++) writeFileSync(path.join(tree, 'payload', `note-${i}.txt`), `note ${i}\n`);
  mkdirSync(cacheDir, { recursive: true });
  const r = spawnSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', 'BIG_600M', '-o', bigIso, tree], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(tree, { recursive: true, force: true });
  if (r.status !== 0) throw new Error('xorriso failed');
}

async function serve(home) {
  const proc = spawn(process.execPath, [path.join(root, 'bin', 'isolab.cjs'), 'serve', '--port', '0'], {
    env: { ...process.env, ISOLAB_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('http://'));
      if (line) resolve(line.trim());
    });
    proc.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
  });
  return { url, stop: () => proc.kill('SIGTERM') };
}

async function firstPaint() {
  makeBigIso();
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-bench-home-'));
  const server = await serve(home);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    await page.goto(server.url);
    const ours = [];
    for (let i = 0; i < RUNS + 1; i++) {
      await page.goto(server.url.replace(/\?.*$/, ''));
      await page.getByRole('heading', { name: 'Lab status' }).waitFor();
      await page.keyboard.press('Control+2');
      await page.getByRole('heading', { name: 'Inspect' }).waitFor();
      await page.getByTestId('open-button').click();
      const field = page.getByTestId('open-dialog').getByTestId('picker-path');
      await field.waitFor();
      await page.getByTestId('open-dialog').getByTestId('picker-list').and(page.locator('[aria-busy="false"]')).waitFor();
      await field.fill(bigIso);
      // Measured inside the page: Enter on the chosen file to the frame that shows tree rows.
      const ms = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const input = document.querySelector('[data-testid="picker-path"]');
            let t0 = 0;
            const obs = new MutationObserver(() => {
              const rows = [...document.querySelectorAll('[data-testid="tree"] [role="treeitem"]')];
              if (t0 && rows.some((r) => r.textContent.includes('payload'))) {
                obs.disconnect();
                requestAnimationFrame(() => resolve(performance.now() - t0));
              }
            });
            if (document.querySelector('[data-testid="tree"] [role="treeitem"]')) throw new Error('a tree is already on screen');
            obs.observe(document.body, { childList: true, subtree: true, characterData: true });
            t0 = performance.now();
            input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
          }),
      );
      if (i > 0) ours.push(ms); // the first run warms the server's and the browser's caches
    }
    // The floor: the same browser painting a static page with the same number of rows.
    const floor = [];
    for (let i = 0; i < RUNS; i++) {
      floor.push(
        await page.evaluate(
          () =>
            new Promise((resolve) => {
              const t0 = performance.now();
              const div = document.createElement('div');
              div.innerHTML = ['boot', 'isolinux', 'payload', 'boot.catalog'].map((n) => `<div role="treeitem">${n}</div>`).join('');
              document.body.appendChild(div);
              requestAnimationFrame(() => {
                div.remove();
                resolve(performance.now() - t0);
              });
            }),
        ),
      );
    }
    const o = median(ours);
    const f = median(floor);
    console.log(`tree-first-paint: ours ${o.toFixed(0)} ms for ${bigIso.split('/').pop()} (target < 150 ms), static rows ${f.toFixed(0)} ms, ratio ${(o / 150).toFixed(2)} of target`);
  } finally {
    await browser.close();
    server.stop();
  }
}

async function treeMemory() {
  const iso = path.join(cacheDir, 'iso-list-2500x20.iso');
  if (!existsSync(iso)) {
    console.log('tree-memory: skipped (run bench/iso-list.bench.mjs first to make the 50,000-entry ISO)');
    return;
  }
  // Bundled here, measured in a child with --expose-gc (below).
  await loadTs("export { ImageSession } from './electron/core/image/image-session'; export { listTree } from './electron/core/image/inspect';", 'image-session');
  const out = path.join(cacheDir, 'image-session.bundle.cjs');
  // A child with --expose-gc, so the heap is measured after collection, not with garbage in it.
  const script = `
    const { ImageSession, listTree } = require(${JSON.stringify(out)});
    (async () => {
      gc(); const before = process.memoryUsage().heapUsed;
      const s = await ImageSession.open(${JSON.stringify(iso)}, ${JSON.stringify(path.join(cacheDir, 'home'))});
      const views = [];
      await listTree(s, '/', (e) => views.push(e));
      gc(); const after = process.memoryUsage().heapUsed;
      console.log(JSON.stringify({ entries: views.length, mb: (after - before) / 1e6 }));
    })();`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', cwd: root });
  const { entries, mb } = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(`tree-memory: ${mb.toFixed(1)} MB for ${entries} entries indexed and listed (target < 100 MB), ratio ${(mb / 100).toFixed(2)} of target`);
}

await firstPaint();
await treeMemory();
