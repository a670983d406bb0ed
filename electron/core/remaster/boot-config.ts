/**
 * The kernel command lines of an ISO's bootloader configs, as data a form can edit and
 * write back: isolinux/syslinux/extlinux (`LABEL` blocks with `KERNEL`/`LINUX`, `INITRD`,
 * `APPEND`; a global `APPEND` before any label applies to labels without one) and GRUB
 * (`menuentry … { linux PATH ARGS; initrd … }`). Edits touch only the argument text of one
 * line, so comments, includes and the rest of the file stay byte for byte.
 */

export interface BootLine {
  /** 1-based line of the line that carries the arguments (APPEND, or GRUB's `linux`). */
  line: number;
  loader: 'syslinux' | 'grub';
  label: string;
  kernel?: string;
  initrd?: string;
  cmdline: string;
  /** The label has no APPEND line of its own: edits insert one after the kernel line. */
  insertAfter?: number;
}

/** Is this image path a bootloader config whose kernel lines can be edited? */
export function bootConfigKind(imagePath: string): 'syslinux' | 'grub' | undefined {
  const name = imagePath.slice(imagePath.lastIndexOf('/') + 1).toLowerCase();
  if (name === 'grub.cfg' || name === 'loopback.cfg') return 'grub';
  if (name === 'isolinux.cfg' || name === 'syslinux.cfg' || name === 'extlinux.conf') return 'syslinux';
  if (/\/(isolinux|syslinux)\/[^/]+\.cfg$/i.test(imagePath)) return 'syslinux';
  return undefined;
}

const lines = (text: string) => text.split('\n');

function syslinuxEntries(text: string): BootLine[] {
  const out: BootLine[] = [];
  let cur: BootLine | undefined;
  let globalAppend: string | undefined;
  const close = () => {
    if (cur && (cur.kernel !== undefined || cur.line > 0)) {
      if (cur.line === 0) cur.cmdline = globalAppend ?? '';
      out.push(cur);
    }
  };
  lines(text).forEach((raw, i) => {
    const m = /^\s*(\S+)\s*(.*?)\s*$/.exec(raw.replace(/\r$/, ''));
    if (!m || m[1]!.startsWith('#')) return;
    const kw = m[1]!.toLowerCase();
    const rest = m[2]!;
    if (kw === 'label') {
      close();
      cur = { line: 0, loader: 'syslinux', label: rest, cmdline: '' };
    } else if (!cur) {
      if (kw === 'append') globalAppend = rest;
    } else if (kw === 'kernel' || kw === 'linux') {
      cur.kernel = rest.split(/\s+/)[0];
      // `KERNEL path args` is allowed too; the args then behave like APPEND.
      cur.insertAfter = i + 1;
    } else if (kw === 'initrd') {
      cur.initrd = rest;
    } else if (kw === 'append') {
      cur.line = i + 1;
      cur.cmdline = rest;
      delete cur.insertAfter;
      const initrd = /(?:^|\s)initrd=(\S+)/.exec(rest);
      if (initrd && !cur.initrd) cur.initrd = initrd[1];
    }
  });
  close();
  return out.filter((e) => e.kernel !== undefined);
}

function grubEntries(text: string): BootLine[] {
  const out: BootLine[] = [];
  let label = '';
  let depth = 0;
  let current: BootLine | undefined;
  lines(text).forEach((raw, i) => {
    const s = raw.replace(/\r$/, '');
    const menu = /^\s*menuentry\s+(['"])(.*?)\1/.exec(s) ?? /^\s*menuentry\s+(\S+)/.exec(s);
    if (menu) {
      label = menu[2] ?? menu[1] ?? '';
      current = undefined;
    }
    const linux = /^(\s*)(linux|linuxefi|linux16)\s+(\S+)\s*(.*?)\s*$/.exec(s);
    if (linux) {
      current = { line: i + 1, loader: 'grub', label: label || `line ${i + 1}`, kernel: linux[3], cmdline: linux[4]! };
      out.push(current);
    }
    const initrd = /^\s*(initrd|initrdefi|initrd16)\s+(.*?)\s*$/.exec(s);
    if (initrd && current) current.initrd = initrd[2];
    depth += (s.match(/\{/g) ?? []).length - (s.match(/\}/g) ?? []).length;
    if (depth <= 0) {
      depth = 0;
      label = '';
    }
  });
  return out;
}

export function parseBootConfig(kind: 'syslinux' | 'grub', text: string): BootLine[] {
  return kind === 'grub' ? grubEntries(text) : syslinuxEntries(text);
}

/** The config with entry `e`'s arguments replaced by `cmdline`; everything else unchanged. */
export function setCmdline(text: string, e: BootLine, cmdline: string): string {
  const ls = lines(text);
  const clean = cmdline.replace(/[\r\n]+/g, ' ').trim();
  if (e.loader === 'grub') {
    const i = e.line - 1;
    const m = /^(\s*(?:linux|linuxefi|linux16)\s+\S+)/.exec(ls[i] ?? '');
    if (!m) throw new Error(`line ${e.line} is no longer a linux line`);
    ls[i] = clean ? `${m[1]} ${clean}` : m[1]!;
  } else if (e.line > 0) {
    const i = e.line - 1;
    const m = /^(\s*append)\b/i.exec(ls[i] ?? '');
    if (!m) throw new Error(`line ${e.line} is no longer an APPEND line`);
    ls[i] = clean ? `${m[1]} ${clean}` : m[1]!;
  } else if (e.insertAfter) {
    const indent = /^\s*/.exec(ls[e.insertAfter - 1] ?? '')![0];
    ls.splice(e.insertAfter, 0, `${indent}append ${clean}`);
  }
  return ls.join('\n');
}

/**
 * `cmdline` with each of `args` appended unless that exact argument is already there. A key
 * given again with another value (loglevel=7 after loglevel=3) is appended too: the kernel's
 * parser lets the last one win.
 */
export function addArgs(cmdline: string, args: string): string {
  const out = cmdline.split(/\s+/).filter(Boolean);
  for (const a of args.split(/\s+/).filter(Boolean)) if (!out.includes(a)) out.push(a);
  return out.join(' ');
}

/** What someone watching the serial console should expect from this command line. */
export function cmdlineNotes(cmdline: string): string[] {
  const args = cmdline.split(/\s+/).filter(Boolean);
  const notes: string[] = [];
  const consoles = args.filter((a) => a.startsWith('console=')).map((a) => a.slice(8));
  if (!consoles.some((c) => /^ttyS\d|^ttyAMA\d|^hvc\d/.test(c))) {
    notes.push('No serial console (console=ttyS0): kernel and login output go to the screen, not to the serial console.');
  }
  const ll = args.find((a) => a.startsWith('loglevel='));
  if (ll && Number(ll.slice(9)) <= 3) notes.push(`${ll}: the kernel stays quiet; expect little output before the login prompt.`);
  if (args.includes('quiet')) notes.push('quiet: the kernel prints only warnings while it boots.');
  return notes;
}
