import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VM_NAME_RE, type VmDriverName } from '../../../shared/vm';
import { writeFileAtomic } from '../fs/atomic-write';
import { VmRecord, type VmFiles } from './types';

/** Linux allows 108 bytes in a socket path (macOS 104); QEMU refuses longer ones. */
const MAX_SOCKET_PATH = 100;

/**
 * VMs on disk: one folder per VM under `<dataDir>/vms/<name>/` with vm.json, the disk, the
 * console transcript and QEMU's log. Sockets live there too, unless that path is too long
 * for a socket; then they go to a short folder in the temp dir, recorded in vm.json.
 */
export class VmStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'vms');
  }

  dir(name: string): string {
    return path.join(this.root, name);
  }

  recordFile(name: string): string {
    return path.join(this.dir(name), 'vm.json');
  }

  files(name: string, driver: VmDriverName): VmFiles {
    const dir = this.dir(name);
    let sockDir = dir;
    if (path.join(dir, 'qmp-ctl.sock').length > MAX_SOCKET_PATH && process.platform !== 'win32') {
      const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);
      sockDir = path.join(os.tmpdir(), `isolab-${hash}`);
    }
    return {
      dir,
      qmp: path.join(sockDir, 'qmp.sock'),
      qmpCtl: path.join(sockDir, 'qmp-ctl.sock'),
      serial: path.join(sockDir, 'serial.sock'),
      ...(driver === 'qemu' ? { vnc: path.join(sockDir, 'vnc.sock') } : {}),
      pidfile: path.join(dir, 'qemu.pid'),
      disk: path.join(dir, driver === 'virtualbox' ? 'disk.vdi' : 'disk.qcow2'),
      transcript: path.join(dir, 'console.log'),
      log: path.join(dir, driver === 'virtualbox' ? 'isolab.log' : 'qemu.log'),
      owner: path.join(dir, 'owner.json'),
    };
  }

  async save(rec: VmRecord): Promise<void> {
    await writeFileAtomic(this.recordFile(rec.name), `${JSON.stringify(rec, null, 2)}\n`, 0o644);
  }

  async load(name: string): Promise<VmRecord | undefined> {
    try {
      const parsed = VmRecord.safeParse(JSON.parse(await fs.promises.readFile(this.recordFile(name), 'utf8')));
      return parsed.success && parsed.data.name === name ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Folder names that look like VMs, with or without a readable vm.json. */
  async names(): Promise<string[]> {
    const entries = await fs.promises.readdir(this.root, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
    return entries.filter((e) => e.isDirectory() && VM_NAME_RE.test(e.name)).map((e) => e.name).sort();
  }

  async remove(rec: Pick<VmRecord, 'name' | 'files'>): Promise<void> {
    await fs.promises.rm(this.dir(rec.name), { recursive: true, force: true });
    const sockDir = path.dirname(rec.files.serial);
    if (sockDir !== rec.files.dir) await fs.promises.rm(sockDir, { recursive: true, force: true });
  }
}

/** "minikube-amd64.iso" → "minikube-amd64"; then -2, -3 … until the name is free. */
export function defaultVmName(iso: string, taken: (name: string) => boolean): string {
  let base = path
    .basename(iso)
    .replace(/\.iso$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 56)
    .replace(/[-.]+$/, '');
  if (!base) base = 'vm';
  if (!taken(base)) return base;
  for (let i = 2; ; i++) {
    const name = `${base}-${i}`;
    if (!taken(name)) return name;
  }
}

/**
 * Who holds a VM's console and monitor connection: one manager at a time. `instance` tells
 * two managers of one process apart (tests, and a CLI command next to the lab it created).
 */
export interface OwnerInfo {
  pid: number;
  host: string;
  instance?: string;
}

export async function readOwner(file: string): Promise<OwnerInfo | undefined> {
  try {
    const o = JSON.parse(await fs.promises.readFile(file, 'utf8')) as OwnerInfo;
    return typeof o.pid === 'number' ? o : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the console for `me` unless a live manager holds it: the file is created
 * exclusively, so of two processes adopting the same VM at once only one wins. A holder
 * that died is replaced.
 */
export async function claimOwner(file: string, me: OwnerInfo, alive: (o: OwnerInfo) => boolean): Promise<{ ok: true } | { ok: false; holder: OwnerInfo }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.promises.writeFile(file, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o644 });
      return { ok: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readOwner(file);
    if (holder && holder.pid === me.pid && holder.instance === me.instance) return { ok: true };
    if (holder && alive(holder)) return { ok: false, holder };
    await fs.promises.rm(file, { force: true });
  }
  const holder = await readOwner(file);
  return holder ? { ok: false, holder } : { ok: true };
}
