import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|require\(|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);

describe('shape of the code', () => {
  // The CLI and `isolab serve` run on plain Node: the lab core must work without Electron.
  it.each(['electron/core', 'electron/server', 'electron/cli', 'shared'])('%s imports nothing from electron', (dir) => {
    const offenders = tsFiles(path.join(root, dir)).filter((f) => importsOf(f).some((m) => m === 'electron' || m.startsWith('electron/')));
    expect(offenders).toEqual([]);
  });

  it('the renderer speaks only the contract: no Node built-ins, no lab core', () => {
    const files = tsFiles(path.join(root, 'renderer', 'src')).concat(
      readdirSync(path.join(root, 'renderer', 'src'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.tsx'))
        .map((f) => path.join(root, 'renderer', 'src', f)),
    );
    const bad = files.flatMap((f) => importsOf(f).filter((m) => m.startsWith('node:') || m.includes('electron/')).map((m) => `${path.relative(root, f)}: ${m}`));
    expect(bad).toEqual([]);
  });

  it('the preload exposes request, subscribe and pathForFile, and no ipcRenderer', () => {
    const src = readFileSync(path.join(root, 'electron', 'preload', 'index.ts'), 'utf8');
    const exposed = src.slice(src.indexOf('exposeInMainWorld'));
    expect(exposed).toMatch(/request:/);
    expect(exposed).toMatch(/subscribe:/);
    expect(exposed).toMatch(/pathForFile:/);
    expect(exposed.match(/^  \w+:/gm)).toEqual(['  request:', '  pathForFile:', '  subscribe:']);
    expect(src).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\b/);
    expect((src.match(/exposeInMainWorld/g) ?? []).length).toBe(1);
  });
});
