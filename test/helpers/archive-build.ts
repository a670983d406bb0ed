// Bundles the archive reader and its worker with esbuild, the way scripts/build.mjs does, so
// tests can run the worker_threads path (under Vitest the sources are TypeScript and the
// worker file does not exist). The bundle lands under .cache/ so node_modules resolves.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type * as ArchiveImageModule from '../../electron/core/archive/archive-image';
import type * as ByteSourceModule from '../../electron/core/image/byte-source';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** package.json's runtime dependencies: external in every bundle, as in scripts/build.mjs. */
export const DEPENDENCIES = Object.keys((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {});

export type BuiltReader = typeof ArchiveImageModule & typeof ByteSourceModule;

export async function buildReader(): Promise<{ mod: BuiltReader; dir: string; cleanup(): void }> {
  const dir = path.join(ROOT, '.cache', 'test-build', randomBytes(6).toString('hex'));
  mkdirSync(dir, { recursive: true });
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    format: 'cjs' as const,
    logLevel: 'warning' as const,
    // Runtime dependencies stay in node_modules, as in scripts/build.mjs.
    external: DEPENDENCIES,
  };
  await build({
    ...common,
    stdin: {
      contents: `export * from './electron/core/archive/archive-image'; export * from './electron/core/image/byte-source';`,
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: 'archive-reader-entry.ts',
    },
    outfile: path.join(dir, 'reader.cjs'),
  });
  await build({ ...common, entryPoints: [path.join(ROOT, 'electron/core/archive/index-worker.ts')], outfile: path.join(dir, 'archive-index-worker.cjs') });
  const mod = createRequire(import.meta.url)(path.join(dir, 'reader.cjs')) as BuiltReader;
  return { mod, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
