import fs from 'node:fs';

/** Process and file helpers the drivers share: liveness that survives pid reuse, and waits. */

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A pid from an old pidfile may belong to another program by now. On Linux the command line
 * tells: it must mention `needle` (the VM's folder). Elsewhere liveness has to do.
 */
export function pidIsOurs(pid: number, needle: string): boolean {
  if (!pidAlive(pid)) return false;
  if (process.platform !== 'linux') return true;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(needle);
  } catch {
    // /proc unreadable (hidepid): trust liveness.
    return true;
  }
}

/** A zombie (dead, not yet reaped by a parent that is not us) counts as gone. */
export function pidGone(pid: number): boolean {
  if (!pidAlive(pid)) return true;
  if (process.platform !== 'linux') return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\)\s+Z\s/.test(stat);
  } catch {
    return true;
  }
}

export async function readPidfile(file: string): Promise<number | undefined> {
  try {
    const n = Number((await fs.promises.readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Polls until `test` holds; false when the deadline passes first (or the signal aborts). */
export async function waitUntil(test: () => boolean | Promise<boolean>, timeoutMs: number, opts: { intervalMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const interval = opts.intervalMs ?? 50;
  for (;;) {
    if (await test()) return true;
    if (Date.now() >= deadline || opts.signal?.aborted) return false;
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())), opts.signal);
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  return waitUntil(() => pidGone(pid), timeoutMs, { intervalMs: 50 });
}

export async function rmQuiet(...files: string[]): Promise<void> {
  await Promise.all(files.map((f) => fs.promises.rm(f, { force: true }).catch(() => undefined)));
}
