import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

/**
 * The ISO a build produced, found by the recipe's glob under the checkout. The walk starts
 * at the glob's fixed prefix and goes no deeper than the glob can match, so `out/*.iso`
 * never wanders into out/buildroot's million files.
 */

const MAX_VISITED = 200_000;

export interface FoundOutput {
  path: string;
  size: number;
  mtimeMs: number;
}

export async function findOutput(checkout: string, glob: string): Promise<FoundOutput | undefined> {
  const pattern = glob.replace(/^\.\//, '');
  if (path.isAbsolute(pattern)) return statFile(pattern);
  const scan = picomatch.scan(pattern);
  if (!scan.isGlob) return statFile(path.join(checkout, pattern));
  const isMatch = picomatch(pattern, { dot: true });
  const base = scan.base ? path.join(checkout, scan.base) : checkout;
  const maxDepth = scan.glob.includes('**') ? Infinity : scan.glob.split('/').length;
  let best: FoundOutput | undefined;
  let visited = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > maxDepth || visited > MAX_VISITED) return;
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      visited++;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        await walk(abs, depth + 1);
      } else if (e.isFile() && isMatch(path.relative(checkout, abs).split(path.sep).join('/'))) {
        const f = await statFile(abs);
        if (f && (!best || f.mtimeMs > best.mtimeMs)) best = f;
      }
    }
  };
  await walk(base, 1);
  return best;
}

async function statFile(p: string): Promise<FoundOutput | undefined> {
  try {
    const st = await fs.promises.stat(p);
    return st.isFile() ? { path: p, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20, signal })) h.update(chunk as Buffer);
  return h.digest('hex');
}
