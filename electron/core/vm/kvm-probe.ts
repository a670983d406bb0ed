import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkKvm } from '../doctor/qemu';
import { writeFileAtomic } from '../fs/atomic-write';

/**
 * Whether QEMU may use KVM here. /dev/kvm being openable is not enough: under some nested
 * hypervisors KVM initialises and then stops the guest with "KVM internal error" as soon as
 * a bootloader switches to protected mode. So a tiny guest that does exactly that is booted
 * once per host boot; the answer is kept in the data folder.
 *
 * The guest is one boot sector (GNU as, `.code16`, linked at 0):
 *   cli; ds=ss=0; sp=0x7c00; lgdt gdtr; cr0 |= PE; ljmpl $8, pm
 *   pm: ds=ss=es=0x10; esp=0x7000; pushfl; push $8; push $after; iret
 *   after: out "OK\n" to 0x3f8; outw 0x2000 → 0x604 (PIIX4 ACPI S5: power off); hlt
 *   gdt: null, code 0x00cf9a000000ffff, data 0x00cf92000000ffff
 */
const BOOT_SECTOR_CODE =
  'fa31c08ed88ed0bc007c0f0116707c0f20c06683c8010f22c066ea217c0000080066b810008ed88ed08ec0bc007000009c6a0868397c0000cf66baf803b04feeb04beeb00aee66ba040666b8002066eff4ebfd8d742600900000000000000000ffff0000009acf00ffff00000092cf001700587c';

export function probeBootSector(): Buffer {
  const b = Buffer.alloc(512);
  Buffer.from(BOOT_SECTOR_CODE, 'hex').copy(b, 0);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  /** Set when the VM runs without acceleration: why, for people. */
  note?: string;
}

interface ProbeResult {
  ok: boolean;
  detail: string;
}

interface CacheEntry extends ProbeResult {
  key: string;
  at: string;
}

/**
 * A healthy KVM runs the probe in well under a second. One that needs longer just to get
 * through the BIOS is slower than emulation (TCG boots a whole ISO in about 5 s).
 */
const PROBE_TIMEOUT_MS = 4000;
const memo = new Map<string, Promise<ProbeResult>>();

/** Boots the probe sector under `-accel kvm`; ok when it prints OK on the serial port. */
export function runKvmProbe(qemu: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const file = path.join(os.tmpdir(), `isolab-kvm-probe-${process.pid}-${randomBytes(4).toString('hex')}.img`);
  fs.writeFileSync(file, probeBootSector());
  return new Promise<ProbeResult>((resolve) => {
    const child = spawn(
      qemu,
      ['-accel', 'kvm', '-nodefaults', '-display', 'none', '-m', '16', '-no-reboot', '-drive', `file=${file},format=raw,if=floppy`, '-boot', 'a', '-serial', 'stdio'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fs.rmSync(file, { force: true });
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, detail: `KVM did not run a test guest within ${timeoutMs / 1000} s, slower than emulation` }), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes('OK')) finish({ ok: true, detail: '/dev/kvm is usable and ran a test guest' });
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('latin1');
      if (/KVM internal error/.test(err)) finish({ ok: false, detail: 'KVM stopped a test guest with "KVM internal error" (common under nested virtualization)' });
    });
    child.on('error', (e) => finish({ ok: false, detail: `cannot run ${qemu}: ${e.message}` }));
    child.on('exit', (code) => {
      const said = err.split('\n').map((l) => l.trim()).filter((l) => l && !/warning:/i.test(l)).pop();
      if (out.includes('OK')) finish({ ok: true, detail: '/dev/kvm is usable and ran a test guest' });
      else finish({ ok: false, detail: `QEMU could not run a guest with KVM${said ? `: ${said}` : ` (exit ${code})`}` });
    });
  });
}

function hostKey(qemu: string): string {
  let bootId = '';
  try {
    bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    bootId = String(Math.round(Date.now() / 1000 - os.uptime()));
  }
  let qemuStamp = '';
  try {
    qemuStamp = String(fs.statSync(qemu).mtimeMs);
  } catch {
    /* keyed by path only */
  }
  return `${bootId}|${qemu}|${qemuStamp}`;
}

async function readCache(cacheFile: string, key: string): Promise<ProbeResult | undefined> {
  try {
    const e = JSON.parse(await fs.promises.readFile(cacheFile, 'utf8')) as CacheEntry;
    return e.key === key && typeof e.ok === 'boolean' ? { ok: e.ok, detail: e.detail } : undefined;
  } catch {
    return undefined;
  }
}

async function writeCache(cacheFile: string, key: string, r: ProbeResult): Promise<void> {
  const entry: CacheEntry = { key, ok: r.ok, detail: r.detail, at: new Date().toISOString() };
  await writeFileAtomic(cacheFile, `${JSON.stringify(entry, null, 2)}\n`, 0o644).catch(() => undefined);
}

const slow = (why: string) => `slow: no hardware acceleration (${why})`;

/**
 * KVM when /dev/kvm is usable and the probe guest ran, else TCG with the reason.
 * ISOLAB_ACCEL=tcg|kvm overrides (tests, and hosts where the probe guesses wrong).
 */
export async function chooseAccel(opts: { qemu: string; cacheFile: string; guestArch: string; env?: NodeJS.ProcessEnv }): Promise<AccelChoice> {
  const forced = opts.env?.ISOLAB_ACCEL;
  if (forced === 'tcg') return { accel: 'tcg', note: slow('ISOLAB_ACCEL=tcg') };
  if (forced === 'kvm') return { accel: 'kvm' };
  const hostArch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  if (opts.guestArch !== hostArch) return { accel: 'tcg', note: slow(`an ${opts.guestArch} guest on an ${hostArch} host is emulated`) };
  const kvm = await checkKvm();
  if (!kvm.usable) return { accel: 'tcg', note: slow(kvm.detail.replace(/: VMs run.*$/, '')) };
  const key = hostKey(opts.qemu);
  let pending = memo.get(key);
  if (!pending) {
    pending = (async () => {
      const cached = await readCache(opts.cacheFile, key);
      if (cached) return cached;
      const r = await runKvmProbe(opts.qemu);
      await writeCache(opts.cacheFile, key, r);
      return r;
    })();
    memo.set(key, pending);
  }
  const r = await pending;
  return r.ok ? { accel: 'kvm' } : { accel: 'tcg', note: slow(r.detail) };
}

/** A VM hit "KVM internal error" after all: later VMs go straight to TCG. */
export async function recordKvmFailure(qemu: string, cacheFile: string, detail: string): Promise<void> {
  const key = hostKey(qemu);
  const r = { ok: false, detail };
  memo.set(key, Promise.resolve(r));
  await writeCache(cacheFile, key, r);
}
