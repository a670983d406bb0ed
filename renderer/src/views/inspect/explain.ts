import type { EntryView, ImageInfo } from '../../../../shared/image';
import { isIpxeKernel } from './boot-equipment';

/**
 * Short explanations for newcomers, shown in the details pane for the entries everyone meets
 * first in a minikube-style ISO and its initrd. Text between `backticks` is shown as code.
 */

export interface Explanation {
  /** What the entry is, in a few words. */
  title: string;
  text: string;
}

type Explainer = (e: EntryView, info: ImageInfo) => Explanation;

const fixed = (title: string, text: string): Explainer => () => ({ title, text });

const linkNote = (e: EntryView, usual: string) =>
  e.type === 'symlink' && e.target ? ` Here it is a link to \`${e.target}\`${usual ? `, as in minikube (${usual})` : ''}.` : '';

/** Entries at the top of the ISO (the mounted disc). */
const ISO: Record<string, Explainer> = {
  '/boot': fixed(
    'Kernel and root filesystem',
    'The two files the bootloader loads: the Linux kernel (`bzImage`) and the root filesystem (`initrd`). Together they are the whole operating system on this disc.',
  ),
  '/boot/bzImage': fixed(
    'The compressed Linux kernel',
    'bzImage ("big zImage") is the Linux kernel: a small setup program followed by the compressed kernel, which unpacks itself in memory. The bootloader loads it because its menu names it (a `kernel` line in isolinux.cfg, a `linux` line in grub.cfg). How this one is compressed is in the card below.',
  ),
  '/boot/initrd': (e) => ({
    title: 'The root filesystem (initrd)',
    text:
      'The whole root filesystem (rootfs) as one compressed cpio archive: the kernel unpacks it into RAM and runs `/init` from it, so nothing is installed on a disk. ' +
      `minikube's is gzip today; the 2019 ISO used bzip2 (unpacked by hand with \`bunzip2\`, then \`cpio -idv\`).${e.archive ? ` This one is ${e.archive}: expand it to browse it like a folder.` : ''}`,
  }),
  '/isolinux': fixed(
    'The BIOS bootloader',
    'ISOLINUX, the CD-ROM flavour of SYSLINUX. The PC firmware (BIOS) finds `isolinux.bin` through the El Torito boot catalog and runs it; it reads `isolinux.cfg`, then loads the kernel and the initrd.',
  ),
  '/isolinux/isolinux.bin': fixed(
    'The bootloader program',
    'The first code that runs from the disc: the boot catalog points the BIOS at this file (no emulation, 4 sectors loaded). `mkisofs -boot-info-table` patches it with where it lies on the disc. It then loads ldlinux.c32.',
  ),
  '/isolinux/ldlinux.c32': fixed(
    'The rest of ISOLINUX',
    'The module isolinux.bin loads next: it reads isolinux.cfg, understands its kernel, initrd and append lines, and starts the kernel.',
  ),
  '/isolinux/isolinux.cfg': fixed(
    'The boot menu',
    'ISOLINUX\'s configuration. `kernel /boot/bzImage` names the kernel, `initrd /boot/initrd` the root filesystem, and `append` the kernel command line: `console=ttyS0` sends the console to the first serial port, which is how ISO Lab (and minikube\'s drivers) read the boot log.',
  ),
  '/boot.catalog': fixed(
    'The El Torito boot catalog',
    'A small table (El Torito is the standard for bootable CDs) that tells the firmware what to boot: here the BIOS entry points at isolinux/isolinux.bin, loaded without floppy or hard disk emulation. mkisofs/xorriso writes it when given `-b isolinux/isolinux.bin`.',
  ),
  '/EFI': fixed('UEFI boot files', 'What a UEFI machine boots from (the arm64 minikube ISO boots only this way, through GRUB). BIOS machines use isolinux/ instead.'),
  '/boot/grub': fixed('GRUB', 'The GRUB bootloader\'s files. `grub.cfg` holds the menu: a `linux` line with the kernel and its command line, and an `initrd` line.'),
};

const IPXE = fixed(
  'iPXE, network boot firmware',
  'Not Linux: iPXE built in the Linux kernel\'s bzImage format, so ISOLINUX or GRUB loads it like a kernel. It starts a network card and boots what a server or its embedded script names (HTTP, iSCSI, TFTP).',
);

/** Entries at the top of a root filesystem (inside an initrd, or a bare initrd). */
const ROOTFS: Record<string, Explainer> = {
  '/init': fixed(
    'The first program',
    'The kernel runs `/init` from the initrd as process 1. It is often a shell script: it mounts /proc, /sys and /dev, then hands over to the real init (minikube\'s copies the rootfs into a tmpfs and switches root to systemd).',
  ),
  '/bin': (e) => ({
    title: 'Essential commands',
    text: `The everyday commands: sh, ls, cat, mount…${linkNote(e, 'bin → usr/bin')} In a busybox system most of them are links to the single busybox program.`,
  }),
  '/sbin': (e) => ({
    title: 'System commands',
    text: `Programs for the administrator and for booting: init, getty, switch_root, mount helpers.${linkNote(e, 'sbin → usr/sbin')}`,
  }),
  '/etc': fixed(
    'Configuration',
    'The system\'s settings as plain text files: users (passwd, group, shadow), hostname, what starts at boot (inittab, init.d, or systemd units), network, ssh. Select a file to read it.',
  ),
  '/usr': fixed('Programs and libraries', 'Most of the installed software: usr/bin and usr/sbin for programs, usr/lib for libraries, usr/share for data. In minikube, /bin, /sbin and /lib are links into it.'),
  '/lib': (e) => ({
    title: 'Shared libraries',
    text: `Libraries programs load at run time (the C library) and kernel modules in lib/modules.${linkNote(e, 'lib → usr/lib')}`,
  }),
  '/lib64': (e) => ({ title: '64-bit libraries', text: `Where 64-bit programs look for their loader and libraries.${linkNote(e, 'lib64 → lib')}` }),
  '/dev': fixed(
    'Device files',
    'Files that stand for hardware: dev/console, dev/null, disks. Almost empty in the image; at boot the kernel\'s devtmpfs fills it. dev/console must be here so the first program has a console.',
  ),
  '/proc': fixed('Process information (empty here)', 'An empty mount point: at boot, procfs is mounted here, a live view of processes and kernel settings made by the kernel, not files on a disk.'),
  '/sys': fixed('Kernel devices (empty here)', 'An empty mount point for sysfs, the kernel\'s live view of devices and drivers.'),
  '/tmp': fixed('Temporary files', 'Writable by everyone. Its mode ends in `t` (sticky bit): only a file\'s owner may delete it.'),
  '/var': fixed(
    'Changing data',
    'Logs (var/log), state (var/lib: minikube keeps Docker and Kubernetes data there, on its persistent disk) and caches. var/run is usually a link to /run.',
  ),
  '/root': fixed('root\'s home folder', 'The home folder of the administrator, root. Only root may enter it (mode drwx------).'),
  '/home': fixed('Users\' home folders', 'One folder per user; minikube has home/docker for the docker user that its drivers log in as over SSH.'),
  '/run': fixed('Runtime state', 'Pid files and sockets of running services; a fresh tmpfs at every boot.'),
  '/mnt': fixed('Mount point', 'An empty folder for mounting other filesystems by hand.'),
  '/media': fixed('Removable media', 'Where removable disks and CD-ROMs get mounted.'),
  '/opt': fixed('Add-on software', 'Software installed outside the package layout (minikube puts CNI plugins in opt/cni).'),
  '/srv': fixed('Served data', 'Data for services such as web or FTP servers; usually empty.'),
  '/etc/inittab': fixed('What init starts', 'busybox\'s (and SysV\'s) init reads it: which startup script to run and where to start a login prompt (getty), e.g. on ttyS0, the serial console.'),
  '/etc/passwd': fixed('User accounts', 'One line per user: name, uid, gid, home folder and shell. Passwords are in /etc/shadow.'),
  '/etc/shadow': fixed('Password hashes', 'Readable by root only. An empty password field means the user logs in without a password (as root does on minikube\'s console).'),
  '/etc/fstab': fixed('Filesystems to mount', 'Which filesystems to mount at boot and where (proc, sysfs, tmpfs…).'),
  '/etc/init.d': fixed('Startup scripts', 'Scripts run at boot (rcS runs first with busybox init).'),
  '/bin/busybox': fixed('BusyBox', 'One program that is hundreds of commands: sh, ls, mount, init… are links to it, and it acts as the one it was called as.'),
  '/dev/console': fixed('The console device', 'Character device 5,1: where the kernel and the first program write. With `console=ttyS0` it is the serial port.'),
};

/** The entry's path as the rootfs sees it, when it lies in an initrd (or the image is one). */
export function rootfsPath(e: EntryView, info: ImageInfo): string | undefined {
  const inside = e.inside;
  if (inside && inside.length) {
    const base = inside[inside.length - 1]!;
    const rel = e.path.slice(base === '/' ? 0 : base.length);
    return rel || '/';
  }
  return info.kind === 'archive' ? e.path : undefined;
}

export function explain(e: EntryView, info: ImageInfo): Explanation | undefined {
  const inRootfs = rootfsPath(e, info);
  if (inRootfs !== undefined) return ROOTFS[inRootfs]?.(e, info);
  const known = ISO[e.path];
  if (known) return known(e, info);
  // iPXE is built in the kernel's format so bootloaders load it like one; it is not Linux.
  if (e.type === 'file' && isIpxeKernel(e.path)) return IPXE(e, info);
  // The same files under other usual names and places.
  if (e.type === 'file' && /^(vmlinuz.*|bzimage)$/i.test(e.name) && /^\/(boot|isolinux|casper|live)?\/?[^/]+$/.test(e.path)) {
    return ISO['/boot/bzImage']!(e, info);
  }
  if (e.archive && /^(initrd.*|initramfs.*|rootfs.*)$/i.test(e.name)) return ISO['/boot/initrd']!(e, info);
  if (e.name === 'isolinux.cfg' || e.name === 'syslinux.cfg') return ISO['/isolinux/isolinux.cfg']!(e, info);
  if (e.name === 'grub.cfg') return fixed('GRUB\'s menu', 'A `linux` line names the kernel and its command line, an `initrd` line the root filesystem.')(e, info);
  if (info.iso?.elTorito?.catalogFile === e.path) return ISO['/boot.catalog']!(e, info);
  return undefined;
}
