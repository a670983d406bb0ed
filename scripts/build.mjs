// Builds the three Node bundles (Electron main, preload, CLI) with esbuild and the
// renderer with Vite. The CLI bundle never touches `electron`, so it runs on plain Node.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const only = process.argv[2];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
  define: { __ISOLAB_VERSION__: JSON.stringify(pkg.version) },
  // Runtime dependencies stay in node_modules; ssh2's optional native parts are loaded lazily.
  external: ['electron', ...Object.keys(pkg.dependencies ?? {}), 'cpu-features', 'ssh2'],
};

const nodeBuilds = [
  { entryPoints: ['electron/main/index.ts'], outfile: 'out/main/index.cjs' },
  // A sandboxed preload can only require `electron`, so it must be one self-contained file.
  { entryPoints: ['electron/preload/index.ts'], outfile: 'out/preload/index.cjs', external: ['electron'] },
  { entryPoints: ['electron/cli/isolab.ts'], outfile: 'out/cli/isolab.cjs' },
  // The archive indexer's worker_threads entry, next to both bundles that start it.
  {
    entryPoints: { 'main/archive-index-worker': 'electron/core/archive/index-worker.ts', 'cli/archive-index-worker': 'electron/core/archive/index-worker.ts' },
    outdir: 'out',
    outExtension: { '.js': '.cjs' },
  },
];

if (only !== 'renderer') {
  await Promise.all(nodeBuilds.map((b) => build({ ...common, ...b })));
}
if (only !== 'node') {
  await viteBuild({ configFile: path.join(root, 'vite.config.mts'), logLevel: 'warn' });
}
