import { addArgs, cmdlineNotes } from '../remaster/boot-config';

/**
 * Pure helpers behind "boots that explain themselves": which boot entry of an ISO the
 * bootloader boots by default, what its kernel command line makes the serial console show,
 * how it is booted with the serial console instead, and the guest's CPU use from the
 * QEMU process's /proc/<pid>/stat.
 */

/** A boot entry as EditPlan.bootEntries gives it (the parts used here). */
export interface FoundEntry {
  id: string;
  config: string;
  loader: 'syslinux' | 'grub';
  label: string;
  kernel?: string;
  initrd?: string;
  cmdline: string;
}

/** The serial console argument for the guest's first serial port. */
export function serialConsoleArg(arch: 'x86_64' | 'aarch64'): string {
  return arch === 'aarch64' ? 'console=ttyAMA0' : 'console=ttyS0';
}

/** Does this command line send the kernel console (and with it init's output) to a serial port? */
export function hasSerialConsole(cmdline: string): boolean {
  return cmdline
    .split(/\s+/)
    .filter((a) => a.startsWith('console='))
    .some((a) => /^(ttyS|ttyAMA|hvc)\d/.test(a.slice(8)));
}

/**
 * The config the VM's firmware starts: isolinux/syslinux under BIOS (x86 without UEFI),
 * GRUB under UEFI. An ISO that has only the other kind gets that one (the best guess).
 */
export function configsInBootOrder(configs: string[], efi: boolean): string[] {
  const rank = (c: string) => {
    const grub = /grub\.cfg$|loopback\.cfg$/i.test(c);
    const iso = /\/isolinux\//i.test(c);
    if (efi) return grub ? 0 : 1;
    return grub ? 2 : iso ? 0 : 1;
  };
  return [...new Set(configs)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * The label a config boots without anyone at the keyboard: syslinux `DEFAULT` (or
 * `ONTIMEOUT`), GRUB `set default=N` (a number or a title); otherwise the first entry.
 */
export function defaultEntry<E extends FoundEntry>(entries: E[], configText: string): E | undefined {
  if (entries.length === 0) return undefined;
  const loader = entries[0]!.loader;
  if (loader === 'syslinux') {
    let wanted: string | undefined;
    for (const raw of configText.split('\n')) {
      const m = /^\s*(default|ontimeout)\s+(.+?)\s*$/i.exec(raw.replace(/\r$/, ''));
      // DEFAULT may name a module (vesamenu.c32) instead of a label: then ONTIMEOUT or the first.
      if (m && !/\.c32$/i.test(m[2]!)) wanted ??= m[2]!;
    }
    const byLabel = wanted ? entries.find((e) => e.label.toLowerCase() === wanted!.toLowerCase()) : undefined;
    return byLabel ?? entries[0];
  }
  const m = /^\s*set\s+default\s*=\s*["']?([^"'\s]+)["']?/m.exec(configText);
  if (m) {
    const n = Number(m[1]);
    if (Number.isInteger(n) && entries[n]) return entries[n];
    const byTitle = entries.find((e) => e.label === m[1]);
    if (byTitle) return byTitle;
  }
  return entries[0];
}

/**
 * What the serial console will show with this command line, for people, before the boot.
 * The notes come from the remaster module's cmdlineNotes; a line with a serial console
 * and no quieting gets a positive note so the panel never stays silent.
 */
export function consoleNotes(cmdline: string): string[] {
  const notes = cmdlineNotes(cmdline);
  if (hasSerialConsole(cmdline) && notes.length === 0) notes.push('console=ttyS0: kernel messages and the login prompt come to this console.');
  return notes;
}

/**
 * The kernel command line for a direct kernel boot with the serial console: the entry's
 * own arguments, without `initrd=` (the bootloader's business; QEMU's -initrd does it, and
 * an EFI stub would look for that path on its own disk), plus console=ttyS0 last, so it
 * becomes /dev/console and init (busybox, systemd's serial-getty generator) follows it.
 */
export function serialBootCmdline(cmdline: string, arch: 'x86_64' | 'aarch64'): string {
  const kept = cmdline
    .split(/\s+/)
    .filter((a) => a && !/^initrd=/.test(a))
    .join(' ');
  return addArgs(kept, serialConsoleArg(arch));
}

/**
 * An image path of the entry's kernel or initrd: syslinux paths without a leading slash are
 * relative to the config's folder; GRUB's may start with a device, `(cd0)/boot/x`. A
 * syslinux `initrd=a,b` names several, loaded one after the other.
 */
export function entryPaths(config: string, value: string | undefined, loader: 'syslinux' | 'grub'): string[] {
  if (!value) return [];
  const dir = config.slice(0, config.lastIndexOf('/')) || '';
  const list = loader === 'syslinux' ? value.split(',') : value.split(/\s+/);
  return list
    .map((p) => p.trim().replace(/^\([^)]*\)/, ''))
    .filter(Boolean)
    .map((p) => (p.startsWith('/') ? p : `${dir}/${p}`))
    .map((p) => p.replace(/\/+/g, '/').replace(/\/\.\//g, '/'));
}

/** The fields of /proc/<pid>/stat used here; times in clock ticks. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  utime: number;
  stime: number;
}

/**
 * One /proc/<pid>/stat line. The command name is in parentheses and may itself contain
 * spaces and parentheses, so fields are counted from the last ')': utime and stime are
 * fields 14 and 15 of proc(5).
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  const rest = line.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state); utime is field 14 → rest[11], stime field 15 → rest[12].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isInteger(pid) || !Number.isFinite(utime) || !Number.isFinite(stime) || rest.length < 13) return undefined;
  return { pid, comm: line.slice(open + 1, close), state: rest[0]!, utime, stime };
}

/**
 * USER_HZ: the unit of /proc/<pid>/stat times. It is 100 on every Linux architecture QEMU
 * runs ISO Lab's guests on (x86, arm64); asking `getconf CLK_TCK` would cost a process.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds the process used (user + system). */
export function cpuSeconds(s: ProcStat, hz = CLOCK_TICKS_PER_SECOND): number {
  return (s.utime + s.stime) / hz;
}

/**
 * CPU use between two samples, in % of one host core (a 2-vCPU guest spinning shows ~200 %).
 * Undefined when the samples are too close together to say anything.
 */
export function cpuPercent(prev: { cpuSeconds: number; atMs: number }, cur: { cpuSeconds: number; atMs: number }): number | undefined {
  const wall = (cur.atMs - prev.atMs) / 1000;
  if (wall < 0.2) return undefined;
  return Math.max(0, Math.round(((cur.cpuSeconds - prev.cpuSeconds) / wall) * 100));
}
