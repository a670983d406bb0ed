import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { LabError } from '../../../shared/errors';
import type { VmArch, VmBootEntry, VmBootInfo } from '../../../shared/vm';
import { ImageSession } from '../image/image-session';
import { EditPlan, readData } from '../remaster/edit-plan';
import { configsInBootOrder, consoleNotes, defaultEntry, entryPaths, hasSerialConsole, serialBootCmdline, type FoundEntry } from './boot-explain';
import { isoBootInfo } from './iso-arch';

/**
 * "What will the console show?", read from the ISO before it boots: the boot entries of its
 * isolinux/syslinux and GRUB configs (the remaster module's EditPlan.bootEntries, with no
 * changes), the one the firmware boots by default, and the notes its command line gives.
 */

export interface SerialBootPlan {
  label: string;
  /** Image paths in the ISO. */
  kernel: string;
  initrd: string[];
  cmdline: string;
}

export interface ReadBootInfo {
  info: VmBootInfo;
  /** Set when *Boot with the serial console* is offered. */
  plan?: SerialBootPlan;
}

function view(e: FoundEntry): VmBootEntry {
  const v: VmBootEntry = {
    config: e.config,
    loader: e.loader,
    label: e.label,
    initrd: entryPaths(e.config, e.initrd, e.loader),
    cmdline: e.cmdline,
    serialConsole: hasSerialConsole(e.cmdline),
    notes: consoleNotes(e.cmdline),
  };
  const k = entryPaths(e.config, e.kernel, e.loader)[0];
  if (k) v.kernel = k;
  return v;
}

export async function readBootInfo(iso: string, cacheDir: string, opts: { arch?: VmArch; efi?: boolean } = {}): Promise<ReadBootInfo> {
  const boot = opts.arch === undefined || opts.efi === undefined ? await isoBootInfo(iso) : { arch: opts.arch, efiOnly: opts.efi };
  const arch = opts.arch ?? boot.arch;
  const efi = opts.efi ?? (boot.efiOnly || arch === 'aarch64');
  const session = await ImageSession.open(iso, cacheDir);
  try {
    // No changes: the plan is only a reader of the ISO's configs (no blob is ever written).
    const plan = await EditPlan.build(session, [], path.join(os.tmpdir(), 'isolab-boot-info-unused'));
    const found = await plan.bootEntries();
    const order = configsInBootOrder(
      found.map((e) => e.config),
      efi,
    );
    const entries = order.flatMap((c) => found.filter((e) => e.config === c));
    const info: VmBootInfo = { iso, entries: entries.map(view), serialBoot: { offered: false } };
    if (entries.length === 0) {
      info.unknown = 'No isolinux/syslinux or GRUB config with a kernel line was found in this ISO: ISO Lab cannot tell what the console will show.';
      info.serialBoot.why = 'no boot entry with a kernel line';
      return { info };
    }
    const first = order[0]!;
    const eff = await plan.lookup(first);
    const text = eff?.data ? (await readData(eff.data)).toString('utf8') : '';
    const chosen = defaultEntry(
      entries.filter((e) => e.config === first),
      text,
    )!;
    const entry = view(chosen);
    info.entry = entry;
    if (entry.serialConsole) {
      info.serialBoot.why = 'the boot entry already has a serial console';
      return { info };
    }
    if (!entry.kernel) {
      info.serialBoot.why = 'the boot entry names no kernel';
      return { info };
    }
    for (const p of [entry.kernel, ...entry.initrd]) {
      const e = await plan.lookup(p).catch(() => undefined);
      if (!e || e.type !== 'file') {
        info.serialBoot.why = `${p}, named by the boot entry, is not a file in the ISO`;
        return { info };
      }
    }
    const cmdline = serialBootCmdline(entry.cmdline, arch);
    info.serialBoot = { offered: true, cmdline };
    return { info, plan: { label: entry.label, kernel: entry.kernel, initrd: entry.initrd, cmdline } };
  } finally {
    await session.close();
  }
}

/**
 * Copies the entry's kernel and initrd(s) out of the ISO into `dir` (the VM's folder):
 * QEMU's -kernel/-initrd read host files. Several initrds are concatenated into one, which
 * is what the bootloader does in memory and what the kernel unpacks the same way.
 */
export async function extractSerialBoot(iso: string, cacheDir: string, plan: SerialBootPlan, dir: string): Promise<{ kernel: string; initrd?: string }> {
  await fs.promises.mkdir(dir, { recursive: true });
  const session = await ImageSession.open(iso, cacheDir);
  try {
    const img = session.iso;
    if (!img) throw new LabError('NOT_AN_ISO', `${iso} is not an ISO`);
    const copy = async (imagePath: string, dest: string, flags: 'w' | 'a') => {
      const entry = await img.stat(imagePath);
      if (entry.type !== 'file') throw new LabError('VM_SERIAL_BOOT_FAILED', `${imagePath} in the ISO is not a file`, 'boot the ISO normally');
      await pipeline(img.open(entry).stream(), fs.createWriteStream(dest, { flags }));
    };
    const kernel = path.join(dir, 'kernel');
    await copy(plan.kernel, `${kernel}.tmp`, 'w');
    await fs.promises.rename(`${kernel}.tmp`, kernel);
    if (plan.initrd.length === 0) return { kernel };
    const initrd = path.join(dir, 'initrd');
    await fs.promises.rm(`${initrd}.tmp`, { force: true });
    for (const p of plan.initrd) await copy(p, `${initrd}.tmp`, 'a');
    await fs.promises.rename(`${initrd}.tmp`, initrd);
    return { kernel, initrd };
  } finally {
    await session.close();
  }
}
