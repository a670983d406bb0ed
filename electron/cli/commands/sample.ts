import type { Command } from 'commander';
import path from 'node:path';
import { createSample } from '../../core/sample/sample';
import { printJson } from '../output';

export function registerSample(program: Command): void {
  program
    .command('sample')
    .description('copy the Hello ISO sample project (a small ISO with minikube\'s layout, built in minutes) into a new folder')
    .argument('<dir>', 'a folder that does not exist yet, or an empty one')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const made = await createSample(path.resolve(dir));
      if (opts.json) return printJson(made);
      process.stdout.write(
        `Hello ISO sample in ${made.checkout} (${made.files} files).\n` +
          `Build it:  isolab build ${made.checkout}\n` +
          `Boot it:   isolab boot ${path.join(made.checkout, 'out', 'hello.iso')} --login root\n` +
          `Then change overlay/etc/VERSION, build again, and: isolab diff ${path.join(made.checkout, 'out', 'hello.previous.iso')} ${path.join(made.checkout, 'out', 'hello.iso')}\n`,
      );
    });
}
