// The project's one test command: builds, runs every suite (the type checker, Vitest, then
// Playwright in Chromium), and ends with a single total line over all of them for CI to read.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const results = path.join(root, 'test-results');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

rmSync(path.join(results, 'vitest.json'), { force: true });
rmSync(path.join(results, 'playwright.json'), { force: true });
mkdirSync(results, { recursive: true });

if (run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]) !== 0) {
  console.log('build failed');
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

const only = process.argv[2];
const suites = [];
// The type checker is a suite of its own: a channel without a handler or a wrong type fails
// here even when every test passes.
if (!only || only === 'types') {
  const code = run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  suites.push(['tsc --noEmit', code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0, note: 'type errors above' }]);
}
if (!only || only === 'unit') {
  run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile=${path.join(results, 'vitest.json')}`]);
  suites.push(['vitest', readVitest(path.join(results, 'vitest.json'))]);
}
if (!only || only === 'e2e') {
  run(bin('playwright'), ['test', '-c', 'e2e/playwright.config.ts']);
  suites.push(['playwright', readPlaywright(path.join(results, 'playwright.json'))]);
}

function readVitest(file) {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0, note: 'no report (the runner crashed)' };
  const j = JSON.parse(readFileSync(file, 'utf8'));
  // A file that fails to load counts as a failure even though it ran no test.
  const brokenFiles = (j.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  return {
    passed: j.numPassedTests,
    failed: j.numFailedTests + brokenFiles,
    skipped: (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0),
  };
}

function readPlaywright(file) {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0, note: 'no report (the runner crashed)' };
  const { stats, errors, suites } = JSON.parse(readFileSync(file, 'utf8'));
  // A skipped test says why, so a reader of the CI log knows what did not run here.
  const walk = (s) => [...(s.specs ?? []).flatMap((sp) => sp.tests.map((t) => ({ title: sp.title, t }))), ...(s.suites ?? []).flatMap(walk)];
  for (const { title, t } of (suites ?? []).flatMap(walk)) {
    if (t.status !== 'skipped') continue;
    const why = [...(t.annotations ?? []), ...(t.results?.[0]?.annotations ?? [])].find((a) => a.type === 'skip')?.description;
    console.log(`skipped: ${title}${why ? ` (${why})` : ''}`);
  }
  return {
    passed: stats.expected + stats.flaky,
    failed: stats.unexpected + (errors?.length ?? 0),
    skipped: stats.skipped,
  };
}

const total = { passed: 0, failed: 0, skipped: 0 };
console.log('\nSuites:');
for (const [name, r] of suites) {
  console.log(`  ${name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.note ? ` (${r.note})` : ''}`);
  total.passed += r.passed;
  total.failed += r.failed;
  total.skipped += r.skipped;
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
