import { spawn } from 'node:child_process';
import { LabError } from '../../../shared/errors';
import { which } from '../doctor/tools';

/**
 * xorriso, the tool buildroot itself makes ISOs with, run as `-indev IN -outdev OUT`: it
 * loads the input's tree, applies the edit's commands in order, and `-boot_image any replay`
 * reproduces the input's boot equipment (El Torito BIOS and EFI entries, the isolinux boot
 * info table, hybrid MBR/GPT) exactly as `-report_el_torito as_mkisofs` describes it.
 */

export const XORRISO_INSTALL = 'Install xorriso: apt install xorriso (Debian/Ubuntu), dnf install xorriso (Fedora), brew install xorriso (macOS).';

export async function findXorriso(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const exe = await which(env.ISOLAB_XORRISO || 'xorriso', { env });
  if (!exe) {
    const where = env.ISOLAB_XORRISO ? ` (ISOLAB_XORRISO=${env.ISOLAB_XORRISO} is not an executable file)` : '';
    throw new LabError('XORRISO_MISSING', `xorriso is not installed${where}; it writes the new ISO.`, XORRISO_INSTALL);
  }
  return exe;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(exe: string, args: string[], opts: { signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-64_000);
      const lines = (partial + d).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onLine?.(l);
    });
    const abort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (err) => {
      opts.signal?.removeEventListener('abort', abort);
      reject(err);
    });
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', abort);
      if (opts.signal?.aborted) reject(opts.signal.reason);
      else resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr });
    });
  });
}

/** The input's boot equipment, as the mkisofs options xorriso would replay. */
export async function bootEquipment(exe: string, iso: string): Promise<{ options: string[]; summary: string[] }> {
  const r = await run(exe, ['-report_about', 'SORRY', '-indev', iso, '-report_el_torito', 'as_mkisofs']);
  const options = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const summary: string[] = [];
  const has = (re: RegExp) => options.some((o) => re.test(o));
  const bios = options.find((o) => o.startsWith('-b '));
  if (bios) summary.push(`El Torito BIOS (${bios.slice(3).replace(/^'|'$/g, '')}${has(/^-boot-info-table/) ? ', boot info table' : ''})`);
  const efi = options.filter((o) => /^(-e|--efi-boot) /.test(o));
  for (const e of efi) summary.push(`El Torito EFI (${e.replace(/^(-e|--efi-boot) /, '').replace(/^'|'$/g, '')})`);
  if (has(/^(-isohybrid-mbr|--grub2-mbr|-G |--mbr-force-bootable|-part_like_isohybrid)/)) summary.push('hybrid MBR (boots from a USB stick)');
  if (has(/^(-isohybrid-gpt-basdat|-append_partition|--gpt|-appended_part_as_gpt)/)) summary.push('GPT / appended partitions');
  return { options, summary };
}

/** What a failed run said, made into one sentence with a hint. */
function failure(r: RunResult, out: string): LabError {
  const lines = r.stderr.split('\n').filter((l) => /FAILURE|SORRY|FATAL|ABORT/.test(l) && !/aborting : -abort_on/.test(l));
  const said = (lines[0] ?? r.stderr.trim().split('\n').pop() ?? '').replace(/^xorriso : (FAILURE|SORRY|FATAL) : /, '');
  if (/No space left|ENOSPC|Disk full|Failed to write|exceeds free space/i.test(r.stderr)) {
    return new LabError('NO_SPACE', `No space left on the disk of ${out} while writing the new ISO.`, 'Free some space there or choose another folder; nothing was written.');
  }
  return new LabError('XORRISO_FAILED', `xorriso could not write the new ISO (exit ${r.code}): ${said || 'no message'}.`, 'Run the same change with `isolab remaster --debug` to see xorriso\'s whole output.');
}

export interface XorrisoWrite {
  input: string;
  output: string;
  /** The edit's commands (-map, -rm_r, -mv, -chmod …), each a complete xorriso command. */
  commands: string[][];
  /** Write a Joliet tree too: xorriso keeps it only when asked, and the input has one. */
  joliet: boolean;
  signal?: AbortSignal;
  onPercent?: (percent: number) => void;
}

export async function xorrisoWrite(exe: string, w: XorrisoWrite): Promise<void> {
  const args = [
    '-report_about', 'UPDATE',
    '-abort_on', 'FAILURE',
    '-return_with', 'SORRY', '32',
    '-indev', w.input,
    '-outdev', w.output,
    // A file is "overwriteable media" to xorriso, which would start the image at block 32
    // behind an emulated table of contents; a plain image starts at block 0 like the input.
    '-compliance', 'no_emul_toc',
    '-boot_image', 'any', 'replay',
    '-joliet', w.joliet ? 'on' : 'off',
    '-iso_rr_pattern', 'off',
    '-disk_pattern', 'off',
    ...w.commands.flat(),
    '-commit',
  ];
  const r = await run(exe, args, {
    signal: w.signal,
    onLine: (l) => {
      // "xorriso : UPDATE :  45.12% done, estimate finish …" and "Writing: …s 45.1% fifo …"
      const m = /(\d+(?:\.\d+)?)% (?:done|fifo)/.exec(l);
      if (m) w.onPercent?.(Number(m[1]));
    },
  });
  if (r.code !== 0) throw failure(r, w.output);
}
