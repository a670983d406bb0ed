import { formatBytes } from '../../../shared/format';
import fs from 'node:fs';
import path from 'node:path';
import type { DiskStatus } from '../../../shared/doctor';

/** A buildroot ISO build alone fills tens of GB (toolchain, sources, output). */
export const LOW_DISK_BYTES = 20e9;

/** The data folder may not exist before the first build; its filesystem is that of the nearest ancestor. */
export async function nearestExistingDir(p: string): Promise<string> {
  let dir = path.resolve(p);
  for (;;) {
    try {
      if ((await fs.promises.stat(dir)).isDirectory()) return dir;
    } catch {
      // keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return dir;
    dir = parent;
  }
}

export async function checkDisk(dir: string, label: string, minFreeBytes = LOW_DISK_BYTES): Promise<DiskStatus> {
  const measured = await nearestExistingDir(dir);
  const st = await fs.promises.statfs(measured);
  // bavail, not bfree: blocks reserved for root are not ours to fill.
  const freeBytes = Number(st.bavail) * Number(st.bsize);
  const totalBytes = Number(st.blocks) * Number(st.bsize);
  const status: DiskStatus = { label, path: dir, freeBytes, totalBytes };
  if (freeBytes < minFreeBytes) {
    status.hint = `only ${formatBytes(freeBytes)} free; a buildroot ISO build needs tens of GB (keep at least ${formatBytes(minFreeBytes)} free), so free some space or move the data folder (ISOLAB_HOME)`;
  }
  return status;
}
