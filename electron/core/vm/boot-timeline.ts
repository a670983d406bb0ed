import type { TimelineMark, TimelineMarkId } from '../../../shared/vm';
import { stripTerminal } from '../../../shared/console-text';

interface Rule {
  id: Exclude<TimelineMarkId, 'start' | 'reset'>;
  label: string;
  re: RegExp;
}

/**
 * Milestones a serial console gives away, in boot order. SeaBIOS prints nothing on the
 * serial port by default, so "firmware" is seen only with firmware that does (OVMF, iPXE).
 * Kernels booted with loglevel=3 (minikube's ISO, the fixture) print neither their banner
 * nor "Run /init": those marks are then simply missing.
 */
const RULES: Rule[] = [
  { id: 'firmware', label: 'Firmware', re: /\b(SeaBIOS|iPXE|BdsDxe|UEFI|EFI v\d|Booting from (DVD|CD)|U-Boot)\b/ },
  { id: 'bootloader', label: 'Bootloader', re: /\b(ISOLINUX|SYSLINUX|GNU GRUB|Welcome to GRUB|systemd-boot|Loading \/boot\/|EFI stub:)/ },
  { id: 'kernel', label: 'Linux started', re: /\bLinux version \d/ },
  { id: 'init', label: 'Init started', re: /\b(Run \S*init as init process|Freeing unused kernel (image )?(\([^)]*\) )?memory|Welcome to \S*.*systemd|systemd\[1\]:)/ },
  // systemd with a quiet kernel: its status lines ("[  OK  ] Started …") and its banner,
  // "Welcome to Buildroot 2023.02!" (always with "!", unlike an /etc/issue before getty's
  // prompt); OpenRC: "OpenRC 0.44 is starting up …" and " * Starting sshd ...".
  { id: 'init', label: 'Init started', re: /^\s*(\[\s*OK\s*\] (Started|Reached target|Finished|Mounted|Listening on|Created slice)\b|Welcome to .+!\s*$|OpenRC \d[\d.]*\b.*\bstarting up\b|\* (Starting|Mounting|Loading|Setting|Caching|Remounting|Checking|Bringing up) )/ },
  // At the end of the line, or interrupted by a kernel message ("isolab login: [    1.94] tsc: …");
  // not "Last login: Mon …", which comes after logging in.
  { id: 'login', label: 'Login prompt', re: /\blogin: ?(?:$|(?=\[))/ },
];

/** Lines longer than this are cut for matching; console lines are short. */
const MAX_LINE = 4096;

/**
 * Turns console output into boot marks with times. Output arrives in arbitrary chunks, so
 * text is matched per line, plus the unfinished last line (a login prompt never ends in a
 * newline). Each mark is given once per boot; `reset()` starts a new boot.
 */
export class BootTimeline {
  private marks: TimelineMark[] = [];
  private seen = new Set<TimelineMarkId>();
  private partial = '';
  private t0 = Date.now();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new boot began at `startedAt` (the hypervisor's start). */
  start(startedAt: number = this.now()): TimelineMark {
    this.marks = [];
    this.seen.clear();
    this.partial = '';
    this.t0 = startedAt;
    return this.add('start', 'VM started', startedAt);
  }

  /** The guest rebooted: firmware, kernel and the rest come again. */
  reset(at: number = this.now()): TimelineMark {
    for (const r of RULES) this.seen.delete(r.id);
    this.partial = '';
    return this.add('reset', 'Guest rebooted', at);
  }

  /** A mark seen before this process took over the VM (read back from the VM folder). */
  restore(mark: TimelineMark): void {
    this.seen.add(mark.id);
    this.marks.push(mark);
  }

  get list(): TimelineMark[] {
    return [...this.marks];
  }

  /** Feeds console text; returns the marks it produced. */
  push(text: string, at: number = this.now()): TimelineMark[] {
    const found: TimelineMark[] = [];
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE) this.partial = this.partial.slice(-MAX_LINE);
    for (const line of lines) this.match(line.slice(0, MAX_LINE), at, found);
    // The unfinished line may be a prompt; it is matched again when it completes, but a mark is given once.
    this.match(this.partial, at, found);
    return found;
  }

  private match(raw: string, at: number, found: TimelineMark[]): void {
    if (!raw) return;
    const line = stripTerminal(raw).replace(/\r/g, '');
    for (const rule of RULES) {
      if (this.seen.has(rule.id) || !rule.re.test(line)) continue;
      found.push(this.add(rule.id, rule.label, at, line));
    }
  }

  private add(id: TimelineMarkId, label: string, at: number, text?: string): TimelineMark {
    this.seen.add(id);
    const mark: TimelineMark = { id, label, atMs: Math.max(0, at - this.t0), at: new Date(at).toISOString() };
    const t = text?.trim();
    if (t) mark.text = t.slice(0, 200);
    this.marks.push(mark);
    return mark;
  }
}
