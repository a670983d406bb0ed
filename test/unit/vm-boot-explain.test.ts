import { describe, expect, it } from 'vitest';
import { configsInBootOrder, consoleNotes, cpuPercent, cpuSeconds, defaultEntry, entryPaths, hasSerialConsole, parseProcStat, serialBootCmdline, type FoundEntry } from '../../electron/core/vm/boot-explain';
import { BootTimeline } from '../../electron/core/vm/boot-timeline';

// The pure parts of "boots that explain themselves": what a command line makes the serial
// console show, which entry boots, the serial-console command line, CPU time from /proc,
// and systemd/OpenRC lines on the boot timeline.

describe('notes from a kernel command line', () => {
  it('says output goes to the screen without console=ttyS0, and that loglevel=3 keeps the kernel quiet', () => {
    const notes = consoleNotes('BOOT_IMAGE=/boot/bzImage root=/dev/sr0 loglevel=3');
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^No serial console \(console=ttyS0\): .*go to the screen/);
    expect(notes[1]).toMatch(/^loglevel=3: the kernel stays quiet/);
    expect(hasSerialConsole('loglevel=3')).toBe(false);
  });

  it('has no screen note with a serial console, and says so positively when nothing quiets it', () => {
    expect(consoleNotes('console=tty0 console=ttyS0,115200n8 loglevel=3')).toEqual([expect.stringMatching(/^loglevel=3: /)]);
    expect(consoleNotes('console=ttyS0')).toEqual([expect.stringMatching(/^console=ttyS0: kernel messages and the login prompt come to this console/)]);
    expect(hasSerialConsole('console=hvc0')).toBe(true);
    expect(hasSerialConsole('console=tty0')).toBe(false);
    expect(consoleNotes('quiet console=tty0')).toEqual([expect.stringMatching(/^No serial console/), expect.stringMatching(/^quiet: /)]);
  });

  it('builds the serial-console command line: the entry\'s own arguments, initrd= dropped, console=ttyS0 last', () => {
    expect(serialBootCmdline('initrd=/boot/initrd loglevel=3 console=tty0', 'x86_64')).toBe('loglevel=3 console=tty0 console=ttyS0');
    expect(serialBootCmdline('', 'aarch64')).toBe('console=ttyAMA0');
  });
});

describe('the boot entry the firmware boots', () => {
  const e = (label: string, config = '/isolinux/isolinux.cfg', loader: 'syslinux' | 'grub' = 'syslinux'): FoundEntry => ({ id: `${config}#${label}`, config, loader, label, kernel: '/boot/bzImage', cmdline: label });

  it('syslinux DEFAULT names a label (case-insensitive); a .c32 module falls back to ONTIMEOUT, else the first', () => {
    const list = [e('rescue'), e('Live')];
    expect(defaultEntry(list, 'prompt 0\nDEFAULT live\n')!.label).toBe('Live');
    expect(defaultEntry(list, 'default vesamenu.c32\nontimeout rescue\n')!.label).toBe('rescue');
    expect(defaultEntry(list, 'default vesamenu.c32\n')!.label).toBe('rescue');
    expect(defaultEntry(list, 'default nosuch\n')!.label).toBe('rescue');
  });

  it('GRUB set default=N or a title', () => {
    const list = [e('a', '/boot/grub/grub.cfg', 'grub'), e('b', '/boot/grub/grub.cfg', 'grub')];
    expect(defaultEntry(list, 'set default="1"\n')!.label).toBe('b');
    expect(defaultEntry(list, 'set default=b\n')!.label).toBe('b');
    expect(defaultEntry(list, 'set timeout=5\n')!.label).toBe('a');
  });

  it('isolinux first under BIOS, GRUB first under UEFI', () => {
    const cfgs = ['/boot/grub/grub.cfg', '/isolinux/isolinux.cfg', '/syslinux/syslinux.cfg'];
    expect(configsInBootOrder(cfgs, false)).toEqual(['/isolinux/isolinux.cfg', '/syslinux/syslinux.cfg', '/boot/grub/grub.cfg']);
    expect(configsInBootOrder(cfgs, true)[0]).toBe('/boot/grub/grub.cfg');
  });

  it('resolves syslinux paths against the config folder, several initrds, GRUB device prefixes', () => {
    expect(entryPaths('/isolinux/isolinux.cfg', 'vmlinuz', 'syslinux')).toEqual(['/isolinux/vmlinuz']);
    expect(entryPaths('/isolinux/isolinux.cfg', '/boot/a.gz,ucode.img', 'syslinux')).toEqual(['/boot/a.gz', '/isolinux/ucode.img']);
    expect(entryPaths('/boot/grub/grub.cfg', '(cd0)/boot/initrd /boot/extra', 'grub')).toEqual(['/boot/initrd', '/boot/extra']);
    expect(entryPaths('/isolinux/isolinux.cfg', undefined, 'syslinux')).toEqual([]);
  });
});

describe('CPU time of the QEMU process', () => {
  // A real line of /proc/<pid>/stat of qemu-system-x86_64 under TCG (pid 48211), with a
  // command name that has a space and parentheses, as a thread name may.
  const line =
    '48211 (qemu-system-x86) S 1 48211 48211 0 -1 4194624 31690 0 0 0 1530 241 0 0 20 0 5 0 2163517 1486446592 56044 18446744073709551615 1 1 0 0 0 0 0 4096 17003 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

  it('reads utime and stime (fields 14 and 15) after the command name', () => {
    const st = parseProcStat(line)!;
    expect(st).toEqual({ pid: 48211, comm: 'qemu-system-x86', state: 'S', utime: 1530, stime: 241 });
    expect(cpuSeconds(st)).toBeCloseTo(17.71, 5);
    const odd = parseProcStat('7 (a) b (c)) R 1 2 3 4 5 6 7 8 9 10 300 50 0 0')!;
    expect(odd).toMatchObject({ comm: 'a) b (c)', state: 'R', utime: 300, stime: 50 });
  });

  it('refuses what is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('48211 qemu S 1 2')).toBeUndefined();
    expect(parseProcStat('48211 (qemu) S 1 2 3')).toBeUndefined();
  });

  it('turns two samples into % of one core; too close together says nothing', () => {
    expect(cpuPercent({ cpuSeconds: 10, atMs: 0 }, { cpuSeconds: 11.5, atMs: 1000 })).toBe(150);
    expect(cpuPercent({ cpuSeconds: 10, atMs: 0 }, { cpuSeconds: 10.02, atMs: 2000 })).toBe(1);
    expect(cpuPercent({ cpuSeconds: 10, atMs: 0 }, { cpuSeconds: 11, atMs: 100 })).toBeUndefined();
  });
});

describe('boot timeline: systemd and OpenRC as Init', () => {
  const marks = (text: string) => {
    const tl = new BootTimeline(() => 0);
    tl.start(0);
    return tl.push(text, 10).map((m) => [m.id, m.text]);
  };

  it('systemd with a quiet kernel: its banner and [  OK  ] lines', () => {
    // As minikube's buildroot ISO prints them on ttyS0 (colours included).
    expect(marks('\r\nWelcome to \x1b[1mBuildroot 2023.02.9\x1b[0m!\r\n\r\n[\x1b[0;32m  OK  \x1b[0m] Created slice \x1b[0;1;39mSlice /system/getty\x1b[0m.\r\n')).toEqual([['init', 'Welcome to Buildroot 2023.02.9!']]);
    expect(marks('[\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39mJournal Service\x1b[0m.\r\n')).toEqual([['init', '[  OK  ] Started Journal Service.']]);
    expect(marks('[  OK  ] Reached target Multi-User System.\r\n')).toEqual([['init', '[  OK  ] Reached target Multi-User System.']]);
  });

  it('OpenRC: its banner and " * Starting …" lines', () => {
    expect(marks('\r\n   OpenRC 0.52.1 is starting up Linux 6.6.31-0-lts (x86_64)\r\n\r\n')).toEqual([['init', 'OpenRC 0.52.1 is starting up Linux 6.6.31-0-lts (x86_64)']]);
    expect(marks(' * Starting networking ... [ ok ]\r\n')).toEqual([['init', '* Starting networking ... [ ok ]']]);
  });

  it('not an /etc/issue greeting before getty\'s prompt, nor a shell session', () => {
    expect(marks('\r\nWelcome to ISO Lab fixture\r\n\r\nisolab login: ').map(([id]) => id)).toEqual(['login']);
    expect(marks('root@isolab:~# echo "[  OK  ] fake"\r\n')).toEqual([]);
  });
});
