import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import type { SampleCreated, SampleInfo } from '../../../shared/sample';

/**
 * The Hello ISO sample (recipes/hello-iso): located next to the code in a checkout or an npm
 * install, and in the resources folder of a packaged app (electron-builder's extraResources).
 */

const SAMPLE = path.join('recipes', 'hello-iso');
const MARKER = 'Makefile';

/** Build output and editor litter are not part of the sample. */
const SKIP = new Set(['out', '.git', 'node_modules']);

export const SAMPLE_EDITABLE = ['overlay/etc/VERSION', 'overlay/etc/motd', 'overlay/etc/issue', 'overlay/etc/hostname', 'isolinux.cfg', 'builder/Dockerfile'];

export function sampleSource(env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env.ISOLAB_SAMPLE_DIR) candidates.push(env.ISOLAB_SAMPLE_DIR);
  // Electron sets resourcesPath on process; plain Node has none.
  const resources = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resources) candidates.push(path.join(resources, SAMPLE));
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) candidates.push(path.join(dir, SAMPLE));
  const found = candidates.find((c) => fs.existsSync(path.join(c, MARKER)));
  if (!found) {
    throw new LabError('SAMPLE_MISSING', 'The Hello ISO sample is not where ISO Lab expects it', `looked in ${candidates.slice(0, 3).join(', ')}…; reinstall ISO Lab, or set ISOLAB_SAMPLE_DIR to a copy of recipes/hello-iso`);
  }
  return found;
}

export function sampleInfo(env?: NodeJS.ProcessEnv): SampleInfo {
  return {
    name: 'Hello ISO',
    description:
      'A bootable ISO with minikube\'s layout (boot/bzImage, a gzip cpio boot/initrd, isolinux, boot.catalog): a Debian kernel, ' +
      'a busybox rootfs with a login on the serial console for root without a password, and /etc/VERSION. It builds through Docker ' +
      'like minikube\'s ISO, in a few minutes the first time and seconds after. Change a file under overlay/, build again, and compare.',
    source: sampleSource(env),
    editable: SAMPLE_EDITABLE,
  };
}

async function entriesOf(dir: string): Promise<string[] | undefined> {
  try {
    return await fs.promises.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new LabError('SAMPLE_DEST_NOT_FOLDER', `${dir} is a file, not a folder`, 'choose a new folder name for the sample project');
    }
    throw err;
  }
}

/** Copies the sample into `dest`, which must not exist yet or be empty; a failed copy leaves nothing behind. */
export async function createSample(dest: string, env?: NodeJS.ProcessEnv): Promise<SampleCreated> {
  const target = path.resolve(dest);
  const source = sampleSource(env);
  const existing = await entriesOf(target);
  if (existing && existing.length > 0) {
    throw new LabError('SAMPLE_DEST_NOT_EMPTY', `${target} is not empty (${existing.length} entries)`, 'choose a new folder, or an empty one: the sample is copied into it, nothing is overwritten');
  }
  const rel = path.relative(source, target);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new LabError('SAMPLE_DEST_INSIDE', `${target} is inside the shipped sample`, 'choose a folder elsewhere, e.g. in your home folder');
  }
  const parent = path.dirname(target);
  if (!fs.existsSync(parent)) {
    throw new LabError('SAMPLE_DEST_PARENT_MISSING', `The folder ${parent} does not exist`, `create it first, or choose a folder that exists`);
  }
  let files = 0;
  try {
    await fs.promises.cp(source, target, {
      recursive: true,
      errorOnExist: true,
      force: false,
      filter: (src) => {
        const r = path.relative(source, src);
        if (r && SKIP.has(r.split(path.sep)[0]!)) return false;
        if (r && fs.lstatSync(src).isFile()) files++;
        return true;
      },
    });
  } catch (err) {
    if (!existing) await fs.promises.rm(target, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new LabError('SAMPLE_DEST_NOT_WRITABLE', `Cannot write the sample into ${target} (${code})`, 'choose a folder you can write to, e.g. in your home folder');
    }
    throw err;
  }
  return { checkout: target, files };
}
