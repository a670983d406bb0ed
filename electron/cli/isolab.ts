import { Command, CommanderError } from 'commander';
import { VERSION } from '../core/lab';
import { registerBoot } from './commands/boot';
import { registerBuild } from './commands/build';
import { registerCat } from './commands/cat';
import { registerDiff } from './commands/diff';
import { registerDoctor } from './commands/doctor';
import { registerExtract } from './commands/extract';
import { registerInfo } from './commands/info';
import { registerLs } from './commands/ls';
import { registerRemaster } from './commands/remaster';
import { registerSample } from './commands/sample';
import { registerServe } from './commands/serve';
import { registerShell } from './commands/shell';
import { registerConsole, registerVm } from './commands/vm';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, ExitCode, printError } from './output';

function buildProgram(): Command {
  const program = new Command('isolab')
    .description('ISO Lab: build, inspect and boot minikube-style Linux ISOs')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--debug', 'print stack traces on errors')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`isolab: ${str.replace(/^error: /, '')}`) });
  registerDoctor(program);
  registerInfo(program);
  registerLs(program);
  registerCat(program);
  registerExtract(program);
  registerDiff(program);
  registerRemaster(program);
  registerBuild(program);
  registerSample(program);
  registerServe(program);
  registerShell(program);
  registerBoot(program);
  registerVm(program);
  registerConsole(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof ExitCode) return err.code;
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    printError(err, debug);
    return (err as { exitCode?: number }).exitCode ?? EXIT_FAIL;
  }
}

if (require.main === module) {
  // `isolab ls … | head` closes the pipe early: that is the reader being done, not a failure.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      printError(err, process.argv.includes('--debug'));
      process.exitCode = EXIT_FAIL;
    },
  );
}
