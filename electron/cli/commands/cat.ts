import type { Command } from 'commander';
import { pipeline } from 'node:stream/promises';
import { fileSource } from '../../core/image/inspect';
import { withImage } from './image-cli';

export function registerCat(program: Command): void {
  program
    .command('cat')
    .description("write a file's bytes to stdout (through archives; a hardlink gives its data)")
    .argument('<image>', 'an ISO file or an initrd / cpio archive')
    .argument('<path>', 'absolute path inside the image, e.g. /boot/initrd/etc/VERSION')
    .action(async (image: string, p: string) => {
      await withImage(image, async (session) => {
        const { source } = await fileSource(session, p);
        try {
          await pipeline(source.stream(), process.stdout);
        } catch (err) {
          // `isolab cat … | head` closes the pipe early: that is not a failure.
          if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
        }
      });
    });
}
