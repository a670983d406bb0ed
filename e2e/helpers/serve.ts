import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const projectRoot = path.resolve(__dirname, '..', '..');

export interface Served {
  /** The printed URL, token included. */
  url: string;
  origin: string;
  token: string;
  home: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the real `isolab serve` on a free port, with its own ISOLAB_HOME. */
export async function startServe(env: NodeJS.ProcessEnv = {}, home?: string): Promise<Served> {
  const labHome = home ?? mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-'));
  const proc = spawn(process.execPath, [path.join(projectRoot, 'bin', 'isolab.cjs'), 'serve', '--port', '0'], {
    cwd: projectRoot,
    env: { ...process.env, ISOLAB_HOME: labHome, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`isolab serve printed no URL in 15 s:\n${out}`)), 15_000);
    const check = () => {
      const line = out.split('\n').find((l) => l.startsWith('http://'));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`isolab serve exited with ${code}:\n${out}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    home: labHome,
    proc,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
