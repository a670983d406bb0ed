import type { Command } from 'commander';
import path from 'node:path';
import { LabError } from '../../../shared/errors';
import { imageInfo } from '../../core/image/inspect';
import { createLab } from '../../core/lab';
import { ExitCode, paint } from '../output';

/** Ctrl-] — as for `isolab console`: every other key, Ctrl-C and Ctrl-D included, goes to the shell. */
const DETACH = 0x1d;

async function defaultRootfs(lab: ReturnType<typeof createLab>, file: string): Promise<string> {
  const info = await imageInfo(await lab.ctx.images.get(file));
  const initrd = info.initrds[0];
  if (!initrd) throw new LabError('NOT_A_ROOTFS', `${info.name} has no initrd in the usual folders.`, 'Name the archive to open: isolab shell <image> /path/to/initrd');
  return initrd.path;
}

export function registerShell(program: Command): void {
  program
    .command('shell')
    .description("a shell in an initrd's root filesystem, in a Docker container (no sudo, no network; removed on exit)")
    .argument('<image>', 'an ISO file or an initrd / cpio archive')
    .argument('[path]', 'the archive, or a folder inside it (default: the first initrd)')
    .action(async (image: string, p: string | undefined) => {
      const lab = createLab({ adoptVms: false });
      const shells = lab.ctx.shells;
      const file = path.resolve(image);
      const stdin = process.stdin;
      const raw = stdin.isTTY === true;
      const ctrl = new AbortController();
      let code: number | undefined;
      const onData = (d: Buffer) => {
        const at = d.indexOf(DETACH);
        const keys = at >= 0 ? d.subarray(0, at) : d;
        if (keys.length) shellInput(keys.toString('utf8'));
        if (at >= 0) ctrl.abort();
      };
      let shellInput = (_keys: string) => {};
      let onEnd = () => {};
      try {
        const where = p ?? (await defaultRootfs(lab, file));
        process.stderr.write(paint.dim(`isolab: opening a shell in ${where} (the first time, its tree is imported into Docker)…`) + '\n');
        // Commands piped in get `docker run -i`: no prompts, and their end is the shell's.
        const opened = await shells.open(file, where, { tty: raw });
        const { shellId } = opened;
        if (raw) process.stderr.write(paint.dim(`isolab: Ctrl-] closes the shell and removes its container`) + '\n');
        shellInput = (keys) => {
          try {
            shells.input(shellId, keys);
          } catch {
            // Exited meanwhile: the output stream ends by itself.
          }
        };
        onEnd = () => {
          try {
            shells.endInput(shellId);
          } catch {
            // Exited already.
          }
        };
        const fit = () => {
          if (raw && process.stdout.columns && process.stdout.rows) void shells.resize(shellId, process.stdout.columns, process.stdout.rows).catch(() => undefined);
        };
        fit();
        process.stdout.on('resize', fit);
        if (raw) stdin.setRawMode(true);
        stdin.on('data', onData);
        stdin.once('end', onEnd);
        stdin.resume();
        try {
          code = await shells.output(
            shellId,
            (chunk) => process.stdout.write(chunk),
            ctrl.signal,
            // What ISO Lab says is not the shell's output: stderr, so a pipe gets only the latter.
            (text) => process.stderr.write(process.stderr.isTTY ? text : text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '')),
          );
        } finally {
          process.stdout.off('resize', fit);
        }
      } finally {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        if (raw) stdin.setRawMode(false);
        stdin.pause();
        await shells.dispose();
        await lab.ctx.images.closeAll();
      }
      // Like `docker run`: the shell's own status (a detach counts as success).
      if (code) throw new ExitCode(code);
    });
}
