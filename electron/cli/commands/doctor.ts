import type { Command } from 'commander';
import type { DoctorReport } from '../../../shared/doctor';
import { createLab } from '../../core/lab';
import { ExitCode, paint, printJson } from '../output';

const MARK = { ok: paint.green('✓'), warn: paint.yellow('!'), error: paint.red('✗') } as const;

export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.label.length));
  const lines = ['ISO Lab doctor', ''];
  for (const c of report.checks) {
    lines.push(`  ${MARK[c.level]} ${c.label.padEnd(width)}  ${c.detail}`);
    if (c.hint && c.level !== 'ok') lines.push(`    ${' '.repeat(width)}  ${paint.dim(`fix: ${c.hint}`)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check Docker, QEMU, KVM, VirtualBox and free disk space; exit 1 when Docker does not answer')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const lab = createLab();
      const outcome = await lab.request('lab.doctor', {});
      if (!outcome.ok) throw outcome.error;
      const report = outcome.result as DoctorReport;
      if (opts.json) printJson(report);
      else process.stdout.write(formatReport(report));
      if (!report.docker.answering) throw new ExitCode(1);
    });
}
