import fs from 'node:fs';
import path from 'node:path';

/**
 * QEMU processes started for a VM of this data folder whose record is gone (the folder was
 * deleted by hand, or a delete died half-way): nothing would ever stop them. They are found
 * by their -pidfile, which always points into the VM's folder. Linux only (/proc).
 */
export async function findOrphanQemus(vmsRoot: string): Promise<Array<{ pid: number; dir: string }>> {
  if (process.platform !== 'linux') return [];
  const found: Array<{ pid: number; dir: string }> = [];
  const entries = await fs.promises.readdir('/proc').catch(() => [] as string[]);
  for (const ent of entries) {
    if (!/^\d+$/.test(ent)) continue;
    let argv: string[];
    try {
      argv = (await fs.promises.readFile(`/proc/${ent}/cmdline`, 'utf8')).split('\0');
    } catch {
      continue;
    }
    if (!path.basename(argv[0] ?? '').startsWith('qemu-system')) continue;
    const at = argv.indexOf('-pidfile');
    const pidfile = at >= 0 ? argv[at + 1] : undefined;
    if (!pidfile || path.dirname(path.dirname(pidfile)) !== vmsRoot) continue;
    const dir = path.dirname(pidfile);
    if (fs.existsSync(path.join(dir, 'vm.json'))) continue;
    found.push({ pid: Number(ent), dir });
  }
  return found;
}
