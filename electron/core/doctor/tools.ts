import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { LabErrorShape } from '../../../shared/errors';

export interface ToolLookup {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Searched after PATH: apps started from a desktop launcher often get a shorter PATH than a shell. */
  extraDirs?: string[];
}

/** First executable file called `name` on PATH (then in extraDirs), or undefined. */
export async function which(name: string, opts: ToolLookup = {}): Promise<string | undefined> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const pathApi = platform === 'win32' ? path.win32 : path.posix;
  const exts =
    platform === 'win32' && pathApi.extname(name) === ''
      ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)
      : [''];
  const candidates = name.includes('/') || name.includes(pathApi.sep)
    ? exts.map((ext) => name + ext)
    : [...(env.PATH ?? env.Path ?? '').split(pathApi.delimiter), ...(opts.extraDirs ?? [])]
        .filter((dir) => dir !== '' && pathApi.isAbsolute(dir))
        .flatMap((dir) => exts.map((ext) => pathApi.join(dir, name + ext)));
  for (const file of candidates) {
    if (await isExecutableFile(file)) return file;
  }
  return undefined;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) return false;
    await fs.promises.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ToolCheckOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
}

export type ProbeResult = { ok: true; output: string } | { ok: false; error: LabErrorShape };

/** Runs `file args…` without a shell and returns stdout+stderr; a hung tool costs at most timeoutMs. */
export function probe(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: opts.env ?? process.env, timeout: timeoutMs, windowsHide: true, maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (!err) return resolve({ ok: true, output });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        const command = [path.basename(file), ...args].join(' ');
        if (e.killed || e.signal === 'SIGTERM') {
          return resolve({ ok: false, error: { code: 'TOOL_TIMEOUT', message: `${command} did not finish within ${timeoutMs / 1000} s` } });
        }
        const said = output.trim().split('\n').slice(-3).join(' ').trim();
        resolve({ ok: false, error: { code: 'TOOL_FAILED', message: `${command} failed: ${said || e.message}` } });
      },
    );
  });
}
