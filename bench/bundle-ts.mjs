// Plain Node cannot import the lab core's TypeScript, so each benchmark bundles the pieces
// it measures with esbuild first, the way scripts/build.mjs builds the CLI: runtime
// dependencies stay external and load from node_modules.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const outDir = path.join(root, '.cache', 'bench');

/** Bundles `contents` (TypeScript, resolved from the project root) and returns its exports. */
export async function loadTs(contents, name) {
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `${name}.bundle.cjs`);
  await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: `${name}.ts` },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    external: ['electron', 'ssh2', 'cpu-features', ...Object.keys(pkg.dependencies ?? {})],
  });
  return createRequire(import.meta.url)(outfile);
}
