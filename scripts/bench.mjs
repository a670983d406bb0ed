// `npm run bench`: runs every benchmark in bench/ one after another (they share two cores)
// and repeats their ratio lines at the end, so one run's numbers sit together.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const only = process.argv.slice(2);
const benches = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const lines = [];
let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  const r = spawnSync(process.execPath, [path.join(root, 'bench', file)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout);
  if (r.status !== 0) failed++;
  lines.push(...r.stdout.split('\n').filter((l) => /ratio/.test(l)));
}
console.log('\n== summary');
for (const l of lines) console.log(l);
process.exit(failed ? 1 : 0);
