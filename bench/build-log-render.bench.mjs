// build-log-render: a build container prints 1,000,000 lines; the Build screen in Debian's
// Chromium (through `isolab serve`) follows them. Measured in the same run:
//   - time until the last line is on screen, against `docker logs -f` printing the same
//     container's output (target: at most 1.5×);
//   - the renderer's JS heap at its peak while streaming (target < 300 MB);
//   - the longest main-thread task while streaming (target: no frame over 100 ms).
// Needs `npm run build`, a Docker engine and the test base image (scripts/make-base-image.sh).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const LINES = 1_000_000;
const sh = (cmd, args) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });

for (const step of [['bash', ['scripts/ensure-dockerd.sh']], ['bash', ['scripts/make-base-image.sh']], ['bash', ['scripts/make-fixture-iso.sh']]]) {
  const r = sh(...step);
  if (r.status !== 0) {
    console.log(`build-log-render: skipped (${step[1][0]} failed: ${r.stderr.trim().split('\n').pop()})`);
    process.exit(0);
  }
}
const checkout = mkdtempSync(path.join(os.tmpdir(), 'isolab-bench-checkout-'));
cpSync(path.join(root, 'recipes', 'fixture'), checkout, { recursive: true });
copyFileSync(path.join(root, '.cache', 'fixture', 'bzImage'), path.join(checkout, 'deploy', 'iso', 'minikube-iso', 'board', 'kernel', 'bzImage'));

const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-bench-home-'));
const serve = spawn(process.execPath, [path.join(root, 'bin', 'isolab.cjs'), 'serve', '--port', '0'], { env: { ...process.env, ISOLAB_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => {
  let out = '';
  serve.stdout.on('data', (d) => {
    out += d;
    const line = out.split('\n').find((l) => l.startsWith('http://'));
    if (line) resolve(line.trim());
  });
});
const origin = new URL(url).origin;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--enable-precise-memory-info'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  await page.goto(url);
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  await page.getByRole('heading', { name: 'Lab status' }).waitFor();
  await page.getByRole('button', { name: 'Build' }).click();

  // The build is started over the same contract the UI uses, so the screen attaches to it.
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/rpc`, { headers: { cookie, origin } });
  await new Promise((r) => ws.once('open', r));
  const call = (ch, args) =>
    new Promise((resolve, reject) => {
      const id = Math.floor(Math.random() * 1e9);
      const onMsg = (d) => {
        const m = JSON.parse(String(d));
        if (m.id !== id) return;
        ws.off('message', onMsg);
        m.ok ? resolve(m.result) : reject(new Error(m.error.message));
      };
      ws.on('message', onMsg);
      ws.send(JSON.stringify({ t: 'req', id, ch, args }));
    });
  const t0 = Date.now();
  const { buildId } = await call('build.start', {
    checkout,
    recipe: 'custom',
    custom: {
      buildArgs: { BASE: 'isolab-test-base:bookworm' },
      network: 'none',
      command: `seq -f 'log line %.0f of ${LINES}' 1 ${LINES}; mkdir -p out && cp /dev/null out/minikube.iso`,
      output: 'out/minikube.iso',
    },
  });
  await page.reload();
  await page.getByRole('button', { name: 'Build' }).click();
  await page.evaluate(() => {
    window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: 'longtask', buffered: false });
    window.__longtaskSupported = PerformanceObserver.supportedEntryTypes.includes('longtask');
    // The gap between two animation frames is the frame time a person sees.
    window.__maxFrame = 0;
    let last = performance.now();
    const tick = (t) => {
      window.__maxFrame = Math.max(window.__maxFrame, t - last);
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    window.__heapPeak = 0;
    setInterval(() => (window.__heapPeak = Math.max(window.__heapPeak, performance.memory?.usedJSHeapSize ?? 0)), 100);
  });
  // The last line visible in the followed log, i.e. everything reached the screen.
  await page.locator('[data-testid="log-row"]', { hasText: `log line ${LINES} of ${LINES}` }).waitFor({ timeout: 600_000 });
  const oursMs = Date.now() - t0;
  const { longest, heap, maxFrame, supported } = await page.evaluate(() => ({ longest: window.__longest, heap: window.__heapPeak, maxFrame: window.__maxFrame, supported: window.__longtaskSupported }));
  const record = await call('build.get', { buildId });

  // The reference: the same output printed by `docker logs -f` from a container of the image.
  const image = record.image;
  const cid = sh('docker', ['create', '--network', 'none', image, 'sh', '-c', `seq -f 'log line %.0f of ${LINES}' 1 ${LINES}`]).stdout.trim();
  const t1 = Date.now();
  sh('docker', ['start', cid]);
  const logs = spawnSync('sh', ['-c', `docker logs -f ${cid} > /dev/null`]);
  const dockerMs = Date.now() - t1;
  sh('docker', ['rm', '-f', cid]);
  if (logs.status !== 0) throw new Error('docker logs failed');

  console.log(`build-log-render: to the last line on screen ${oursMs} ms (build incl. container start), docker logs -f ${dockerMs} ms, ratio ${(oursMs / dockerMs).toFixed(2)} (target ≤ 1.5)`);
  console.log(`build-log-render-memory: renderer JS heap peak ${(heap / 1e6).toFixed(0)} MB (target < 300 MB), ratio ${(heap / 300e6).toFixed(2)} of target`);
  console.log(`build-log-render-frames: longest frame ${maxFrame.toFixed(0)} ms, longest main-thread task ${supported ? `${longest.toFixed(0)} ms` : 'not reported by this browser'} (target ≤ 100 ms), ratio ${(maxFrame / 100).toFixed(2)} of target`);
  ws.close();
} finally {
  await browser.close();
  serve.kill('SIGTERM');
}
