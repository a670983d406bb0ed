import type { Command } from 'commander';
import type { VmView } from '../../../shared/vm';
import { createLab } from '../../core/lab';
import { ExitCode, paint, printJson, usageError } from '../output';
import { attachTerminal } from './boot';

const STATE_COLOR: Record<VmView['state'], (s: string) => string> = {
  running: paint.green,
  starting: paint.yellow,
  stopping: paint.yellow,
  stopped: (s) => s,
  error: paint.red,
  absent: paint.dim,
};

function table(vms: VmView[]): string {
  if (vms.length === 0) return 'No VMs. Create one with: isolab boot <iso>\n';
  const rows = vms.map((v) => [v.name, v.state, v.driver, v.accel, String(v.spec.cpus), `${v.spec.memoryMb} MB`, `${v.spec.diskMb} MB`, v.spec.iso]);
  const head = ['NAME', 'STATE', 'DRIVER', 'ACCEL', 'CPUS', 'MEMORY', 'DISK', 'ISO'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], color = false) =>
    cells.map((c, i) => (i === 1 && color ? STATE_COLOR[c as VmView['state']](c.padEnd(widths[i]!)) : i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [line(head)];
  vms.forEach((v, i) => {
    out.push(line(rows[i]!, true));
    const notes = [
      v.state === 'error' && v.error ? `error: ${v.error.message}` : undefined,
      v.state === 'stopped' && v.stopReason ? `stopped: ${v.stopReason}` : undefined,
      v.consoleHeldBy !== undefined ? `console open in pid ${v.consoleHeldBy}` : undefined,
      v.note,
    ].filter(Boolean);
    for (const n of notes) out.push(`  ${paint.dim(n!)}`);
  });
  return `${out.join('\n')}\n`;
}

function secondsArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 600) throw usageError(`--timeout takes seconds (0–600), not "${value}"`);
  return n;
}

export function registerVm(program: Command): void {
  const vm = program.command('vm').description('list, start, stop and remove VMs');

  vm.command('ls')
    .description('list the VMs with their state')
    .option('--json', 'print a JSON array of the VMs')
    .action(async (o: { json?: boolean }) => {
      const vms = createLab({ adoptVms: false }).ctx.vms;
      const list = await vms.list();
      await vms.dispose();
      if (o.json) printJson(list);
      else process.stdout.write(table(list));
    });

  vm.command('start')
    .description('start a VM without attaching a console (isolab console NAME attaches)')
    .argument('<name>')
    .option('--serial-console', "boot the ISO's kernel and initrd directly with console=ttyS0 added (QEMU), for ISOs whose boot entry lacks it")
    .action(async (name: string, o: { serialConsole?: boolean }) => {
      const vms = createLab({ adoptVms: false }).ctx.vms;
      try {
        const v = await vms.start(name, o.serialConsole ? { serialConsole: true } : {});
        // Let go of the console: the VM runs on for the app or `isolab console` to take.
        await vms.release(name);
        process.stderr.write(`isolab: ${name} is ${v.state}${v.note ? ` (${v.note})` : ''}; attach: isolab console ${name}\n`);
      } finally {
        await vms.dispose();
      }
    });

  vm.command('stop')
    .description('stop a VM: ACPI power button, then power off after the timeout')
    .argument('<name>')
    .option('--force', 'power off at once')
    .option('--timeout <s>', 'seconds the guest gets to power off (default 20)', secondsArg)
    .action(async (name: string, o: { force?: boolean; timeout?: number }) => {
      const vms = createLab({ adoptVms: false }).ctx.vms;
      try {
        const v = await vms.stop(name, { ...(o.force ? { force: true } : {}), ...(o.timeout !== undefined ? { timeoutSeconds: o.timeout } : {}) });
        process.stderr.write(`isolab: ${name} stopped: ${v.stopReason ?? 'done'}\n`);
      } finally {
        await vms.dispose();
      }
    });

  vm.command('rm')
    .description('remove a VM (powering it off first): its folder, disk and VirtualBox registration')
    .argument('<name>')
    .action(async (name: string) => {
      const vms = createLab({ adoptVms: false }).ctx.vms;
      try {
        await vms.delete(name);
        process.stderr.write(`isolab: removed ${name}\n`);
      } finally {
        await vms.dispose();
      }
    });
}

export function registerConsole(program: Command): void {
  program
    .command('console')
    .description('attach the terminal to a running VM\'s serial console (Ctrl-] detaches)')
    .argument('<name>')
    .action(async (name: string) => {
      const vms = createLab({ adoptVms: false }).ctx.vms;
      try {
        await vms.attach(name);
        const { how, vm } = await attachTerminal(vms, name);
        if (how === 'detached') {
          await vms.release(name);
          process.stderr.write(`isolab: detached; ${name} keeps running (isolab vm stop ${name} stops it)\n`);
          return;
        }
        process.stderr.write(`isolab: ${name} ${vm.state === 'error' ? `failed: ${vm.error?.message}` : `stopped: ${vm.stopReason ?? ''}`}\n`);
        if (vm.state === 'error') throw new ExitCode(1);
      } finally {
        await vms.dispose();
      }
    });
}
