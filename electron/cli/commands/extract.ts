import type { Command } from 'commander';
import { formatBytes } from '../../../shared/format';
import { extractPath } from '../../core/image/extract';
import { forTerminal } from '../output';
import { withImage } from './image-cli';

export function registerExtract(program: Command): void {
  program
    .command('extract')
    .description('write a file or a folder of an image under DEST (a trailing / on an archive extracts its contents)')
    .argument('<image>', 'an ISO file or an initrd / cpio archive')
    .argument('<path>', 'absolute path inside the image')
    .argument('<dest>', 'folder to write into (created if missing)')
    .option('--preserve-special', 'keep setuid/setgid bits and create device nodes (as root)')
    .action(async (image: string, p: string, dest: string, flags: { preserveSpecial?: boolean }) => {
      await withImage(image, async (session) => {
        const tty = process.stderr.isTTY;
        const controller = new AbortController();
        const onSigint = () => controller.abort();
        process.once('SIGINT', onSigint);
        try {
          const result = await extractPath(session, p, dest, {
            signal: controller.signal,
            preserveSpecial: flags.preserveSpecial,
            onProgress: (pr) => {
              if (tty && pr.phase === 'extracting') process.stderr.write(`\r${pr.files}/${pr.totalFiles ?? '?'} entries, ${formatBytes(pr.bytes)}   `);
            },
          });
          if (tty) process.stderr.write('\r\x1b[K');
          process.stdout.write(`extracted ${result.files} entries (${formatBytes(result.bytes)}) into ${result.dest}\n`);
          for (const s of result.skipped ?? []) process.stderr.write(`isolab: ${/^written without/.test(s.reason) ? 'note' : 'skipped'} ${forTerminal(s.path)}: ${forTerminal(s.reason)}\n`);
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
      });
    });
}
