import { Option, type Command } from 'commander';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import type { VmDriverName, VmEvent, VmView } from '../../../shared/vm';
import { createLab } from '../../core/lab';
import type { VmManager } from '../../core/vm/vm-manager';
import { ExitCode, paint, usageError } from '../output';

/** 128 + SIGINT, what a shell reports for a command stopped with Ctrl-C. */
const EXIT_CANCELLED = 130;
/** Ctrl-] — telnet's and virsh console's escape. */
const DETACH = 0x1d;
const TRANSCRIPT_TAIL_LINES = 25;

interface BootOptions {
  driver?: VmDriverName;
  cpus?: number;
  memory?: number;
  disk?: number;
  name?: string;
  login?: string;
  run?: string;
  timeout: number;
}

function intArg(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw usageError(`${flag} takes a whole number ≥ ${min}, not "${value}"`);
    return n;
  };
}

function secondsArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw usageError(`--timeout takes seconds (0 < S ≤ 3600), not "${value}"`);
  return n;
}

const say = (text: string) => process.stderr.write(`isolab: ${text}\n`);

/**
 * Ctrl-C (and SIGTERM/SIGHUP) while this command owns a VM: the VM is cleaned up as the
 * command promised (deleted for a smoke test, powered off otherwise) before exiting.
 */
function interrupts(onFirst: () => void): { signal: AbortSignal; dispose: () => void; interrupted: () => boolean } {
  const ctrl = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      say('interrupted: cleaning up the VM (Ctrl-C again to leave at once)…');
      ctrl.abort();
      onFirst();
    } else process.exit(EXIT_CANCELLED);
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, handler);
  return { signal: ctrl.signal, dispose: () => sigs.forEach((s) => process.off(s, handler)), interrupted: () => count > 0 };
}

async function printTranscriptTail(vms: VmManager, name: string): Promise<void> {
  const text = await vms.transcript(name).catch(() => '');
  const lines = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').split('\n');
  const tail = lines.slice(-TRANSCRIPT_TAIL_LINES).join('\n').trim();
  if (tail) process.stderr.write(`${paint.dim(`--- last lines of ${name}'s console ---`)}\n${tail}\n${paint.dim('---')}\n`);
  else say(`${name}'s console printed nothing`);
}

/**
 * The terminal becomes the VM's serial console: raw mode, every key to the guest (Ctrl-C
 * included), Ctrl-] detaches. Resolves when detached or when the VM stops.
 */
export async function attachTerminal(vms: VmManager, name: string): Promise<{ how: 'detached' | 'stopped'; vm: VmView }> {
  const stdin = process.stdin;
  const ctrl = new AbortController();
  let how: 'detached' | 'stopped' = 'detached';
  let last: VmView | undefined;
  const raw = stdin.isTTY === true;
  say(`console of ${name} (Ctrl-] to detach; the VM keeps running)`);
  const ended = new Promise<void>((resolve) => {
    ctrl.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  void vms.console(name, (chunk) => process.stdout.write(chunk), ctrl.signal);
  void vms.watch(
    name,
    (e: VmEvent) => {
      if (e.kind === 'mark') return;
      last = e.vm;
      if (e.vm.state === 'stopped' || e.vm.state === 'error' || e.vm.state === 'absent') {
        how = 'stopped';
        ctrl.abort();
      }
    },
    ctrl.signal,
  );
  const onData = (d: Buffer) => {
    const at = d.indexOf(DETACH);
    const keys = at >= 0 ? d.subarray(0, at) : d;
    if (keys.length) vms.input(name, keys.toString('utf8')).catch(() => undefined);
    if (at >= 0) ctrl.abort();
  };
  if (raw) stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.resume();
  // Without a terminal (stdin closed), only the VM stopping ends the session.
  try {
    await ended;
  } finally {
    stdin.off('data', onData);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    process.stdout.write('\r\n');
  }
  return { how, vm: last ?? (await vms.get(name)) };
}

function afterDetach(name: string): void {
  say(`detached; ${name} keeps running.`);
  say(`  reattach: isolab console ${name}`);
  say(`  stop:     isolab vm stop ${name}   (remove: isolab vm rm ${name})`);
}

async function smokeTest(vms: VmManager, iso: string, o: BootOptions): Promise<number> {
  const base = path.basename(iso).replace(/\.iso$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40) || 'vm';
  const name = o.name ?? `${base}-smoke-${randomBytes(3).toString('hex')}`;
  let created = false;
  const int = interrupts(() => undefined);
  try {
    const vm = await vms.create({ iso, name, ...specOf(o) });
    created = true;
    say(`booting ${name} (${vm.accel}${vm.note ? `; ${vm.note}` : ''})`);
    await vms.start(name, { signal: int.signal });
    say(`waiting up to ${o.timeout} s for the login prompt…`);
    let result;
    try {
      result = await vms.login(name, { user: o.login ?? 'root', command: o.run!, timeoutSeconds: o.timeout, signal: int.signal });
    } catch (err) {
      if (int.interrupted()) throw err;
      if (err instanceof LabError && err.code === 'VM_NO_LOGIN_PROMPT') {
        say(`no login prompt within ${o.timeout} s`);
        await printTranscriptTail(vms, name);
        return 1;
      }
      throw err;
    }
    process.stdout.write(result.output ?? '');
    say(`"${o.run}" exited with status ${result.exitCode}`);
    return result.exitCode ?? 1;
  } catch (err) {
    if (int.interrupted()) return EXIT_CANCELLED;
    throw err;
  } finally {
    if (created) {
      await vms.delete(name).catch((err: unknown) => {
        say(`could not remove ${name}: ${(err as Error).message}`);
      });
    }
    int.dispose();
    await vms.dispose();
  }
}

function specOf(o: BootOptions): { driver?: VmDriverName; cpus?: number; memoryMb?: number; diskMb?: number } {
  const s: { driver?: VmDriverName; cpus?: number; memoryMb?: number; diskMb?: number } = {};
  if (o.driver) s.driver = o.driver;
  if (o.cpus !== undefined) s.cpus = o.cpus;
  if (o.memory !== undefined) s.memoryMb = o.memory;
  if (o.disk !== undefined) s.diskMb = o.disk;
  return s;
}

/** One VM per ISO unless asked for more: a plain `isolab boot x.iso` reuses x's VM. */
async function reusable(vms: VmManager, iso: string, o: BootOptions): Promise<VmView | undefined> {
  if (o.name || o.driver || o.cpus !== undefined || o.memory !== undefined || o.disk !== undefined) return undefined;
  const mine = (await vms.list()).filter((v) => v.spec.iso === iso && v.state !== 'absent');
  return mine.find((v) => v.state === 'running' && v.consoleHeldBy === undefined) ?? mine.find((v) => v.state === 'stopped' || v.state === 'error');
}

async function interactive(vms: VmManager, iso: string, o: BootOptions): Promise<number> {
  let vm = await reusable(vms, iso, o);
  let createdHere = false;
  if (vm) say(`using the existing VM ${vm.name} for ${path.basename(iso)} (--name makes another)`);
  else {
    vm = await vms.create({ iso, ...(o.name ? { name: o.name } : {}), ...specOf(o) });
    createdHere = true;
  }
  const name = vm.name;
  if (vm.state !== 'running') {
    // Until the console is attached Ctrl-C is a signal: it cancels and leaves nothing behind.
    const int = interrupts(() => undefined);
    try {
      say(`starting ${name} (${vm.driver}, ${vm.accel}${vm.note ? `; ${vm.note}` : ''})`);
      await vms.start(name, { signal: int.signal });
    } catch (err) {
      if (createdHere) await vms.delete(name).catch(() => undefined);
      await vms.dispose();
      if (int.interrupted()) return EXIT_CANCELLED;
      throw err;
    } finally {
      int.dispose();
    }
  } else await vms.attach(name);

  // Attached: keys go to the guest; a signal from outside powers the VM off (no orphan).
  const off = interrupts(() => void vms.stop(name, { force: true }).catch(() => undefined));
  try {
    const { how, vm: end } = await attachTerminal(vms, name);
    if (off.interrupted()) {
      await vms.stop(name, { force: true }).catch(() => undefined);
      say(`${name} powered off; remove it with isolab vm rm ${name}`);
      return EXIT_CANCELLED;
    }
    if (how === 'detached') {
      await vms.release(name);
      afterDetach(name);
      return 0;
    }
    say(`${name} ${end.state === 'error' ? `failed: ${end.error?.message ?? 'unknown error'}` : `stopped: ${end.stopReason ?? 'no reason given'}`}`);
    say(`  start again: isolab boot ${JSON.stringify(iso)} · remove: isolab vm rm ${name}`);
    return end.state === 'error' ? 1 : 0;
  } finally {
    off.dispose();
    await vms.dispose();
  }
}

export function registerBoot(program: Command): void {
  program
    .command('boot')
    .description('create and start a VM from an ISO and attach the terminal to its serial console (Ctrl-] detaches); with --run, a smoke test')
    .argument('<iso>', 'the ISO to boot')
    .addOption(new Option('--driver <driver>', 'hypervisor (default: settings, qemu)').choices(['qemu', 'virtualbox']))
    .option('--cpus <n>', 'virtual CPUs (default: settings, 2)', intArg('--cpus', 0))
    .option('--memory <mb>', 'memory in MB (default: settings, 2000)', intArg('--memory', 0))
    .option('--disk <mb>', 'disk size in MB (default: settings, 20000)', intArg('--disk', 0))
    .option('--name <name>', 'VM name (default: from the ISO\'s file name)')
    .option('--login <user>', 'log in at the login prompt (root)')
    .option('--run <cmd>', 'smoke test: log in, run CMD, print its output, remove the VM and exit with CMD\'s status')
    .option('--timeout <s>', 'seconds to wait for the login prompt, and for CMD', secondsArg, 120)
    .action(async (isoArg: string, o: BootOptions) => {
      if (o.login !== undefined && o.login !== 'root') throw usageError(`--login supports root only, not "${o.login}"`, 'minikube-style ISOs let root log in without a password');
      if (o.run !== undefined && o.login === undefined) o.login = 'root';
      if (o.login !== undefined && o.run === undefined) throw usageError('--login needs --run CMD', "e.g. isolab boot x.iso --login root --run 'cat /etc/os-release'");
      const iso = path.resolve(isoArg);
      const lab = createLab({ adoptVms: false });
      const vms = lab.ctx.vms;
      const code = o.run !== undefined ? await smokeTest(vms, iso, o) : await interactive(vms, iso, o);
      if (code !== 0) throw new ExitCode(code);
    });
}
