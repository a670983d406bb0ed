import { Option, type Command } from 'commander';
import path from 'node:path';
import { RecipeChoice, type BuildEvent, type BuildRecord, type BuildRequest, type CustomRecipe, type PreflightResult } from '../../../shared/build';
import { LabError } from '../../../shared/errors';
import { createLab } from '../../core/lab';
import type { Dispatcher } from '../../core/rpc/dispatcher';
import { ExitCode, paint, printJson, usageError } from '../output';

/** 128 + SIGINT, what a shell reports for a command stopped with Ctrl-C. */
const EXIT_CANCELLED = 130;

interface BuildOptions {
  recipe: RecipeChoice;
  arch?: 'x86_64' | 'aarch64';
  dockerfile?: string;
  context?: string;
  image?: string;
  command?: string;
  output?: string;
  env: string[];
  buildArg: string[];
  network?: 'default' | 'none' | 'host';
  rebuildImage?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function keyValues(flag: string, items: string[]): Record<string, string> | undefined {
  if (items.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(item);
    if (!m) throw usageError(`${flag} takes NAME=VALUE, not "${item}".`, `e.g. ${flag} FOO=bar`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

function requestFrom(checkout: string, o: BuildOptions): BuildRequest {
  const custom: CustomRecipe = {};
  if (o.dockerfile) custom.dockerfile = o.dockerfile;
  if (o.context) custom.context = o.context;
  if (o.image) custom.image = o.image;
  if (o.command) custom.command = o.command;
  if (o.output) custom.output = o.output;
  if (o.network) custom.network = o.network;
  const env = keyValues('--env', o.env);
  if (env) custom.env = env;
  const buildArgs = keyValues('--build-arg', o.buildArg);
  if (buildArgs) custom.buildArgs = buildArgs;
  const req: BuildRequest = { checkout: path.resolve(checkout), recipe: o.recipe };
  if (o.arch) req.arch = o.arch;
  if (Object.keys(custom).length) req.custom = custom;
  if (o.rebuildImage) req.rebuildImage = true;
  return req;
}

async function call<T>(lab: Dispatcher, channel: Parameters<Dispatcher['request']>[0], args: unknown): Promise<T> {
  const outcome = await lab.request(channel, args);
  if (!outcome.ok) throw new LabError(outcome.error.code, outcome.error.message, outcome.error.hint);
  return outcome.result as T;
}

function printWarnings(result: PreflightResult): void {
  for (const w of result.warnings) {
    process.stderr.write(`isolab: ${paint.yellow('warning')}: ${w.message}${w.hint ? ` Hint: ${w.hint}` : ''}\n`);
  }
}

/** Streams the logs to `out` until the build is over; resolves with the final record. */
function follow(lab: Dispatcher, buildId: string, out: NodeJS.WritableStream): Promise<BuildRecord> {
  return new Promise((resolve, reject) => {
    let record: BuildRecord | undefined;
    let lastChar = '\n';
    const write = (text: string) => {
      if (!text) return;
      out.write(text);
      lastChar = text[text.length - 1]!;
    };
    lab.subscribe('build.watch', { buildId }, {
      batch: (items) => {
        for (const e of items as BuildEvent[]) {
          if (e.kind === 'snapshot') {
            for (const log of ['image', 'build'] as const) if (e.tail[log].length) write(`${e.tail[log].join('\n')}\n`);
          } else if (e.kind === 'log') write(e.text);
          else if (e.kind === 'done') record = e.record;
        }
      },
      end: (error) => {
        if (lastChar !== '\n') out.write('\n');
        if (error) reject(new LabError(error.code, error.message, error.hint));
        else if (record) resolve(record);
        else reject(new LabError('BUILD_WATCH_ENDED', 'Lost track of the build before it ended'));
      },
    });
  });
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build an ISO from a checkout in Docker; logs go to stdout, the ISO\'s path is the last line')
    .argument('<checkout>', 'the checkout to build (a minikube clone, or anything the custom recipe fits)')
    .addOption(new Option('--recipe <recipe>', 'how to build').choices(RecipeChoice.options).default('auto'))
    .addOption(new Option('--arch <arch>', 'target architecture (minikube today)').choices(['x86_64', 'aarch64']))
    .option('--dockerfile <file>', 'Dockerfile of the builder image (relative to the checkout)')
    .option('--context <dir>', 'build context of the builder image (default: the Dockerfile\'s folder)')
    .option('--image <tag>', 'tag of the builder image')
    .option('--command <cmd>', 'command run in /mnt inside the builder (through /bin/sh -c)')
    .option('--output <glob>', 'where the ISO appears, relative to the checkout (a glob)')
    .option('--env <NAME=VALUE>', 'environment variable for the build container (repeatable)', collect, [])
    .option('--build-arg <NAME=VALUE>', 'build argument for the builder image (repeatable)', collect, [])
    .addOption(new Option('--network <mode>', 'network of the image build and the build container').choices(['default', 'none', 'host']))
    .option('--rebuild-image', 'build the builder image again even when an identical one exists')
    .option('--json', 'print the final build record as JSON (the logs then go to stderr)')
    .action(async (checkout: string, o: BuildOptions) => {
      const lab = createLab();
      const req = requestFrom(checkout, o);
      const logOut = o.json ? process.stderr : process.stdout;

      const pre = await call<PreflightResult>(lab, 'build.preflight', req);
      printWarnings(pre);
      if (!pre.ok) {
        // One line per blocker, the first being the main one.
        pre.errors.forEach((e, i) => process.stderr.write(`isolab: ${i ? 'also: ' : ''}${e.message}${e.hint ? ` Hint: ${e.hint}` : ''}\n`));
        throw new ExitCode(1);
      }
      if (pre.autoWhy && pre.recipe) process.stderr.write(`isolab: recipe ${pre.recipe.id}: ${pre.autoWhy}\n`);

      const { buildId } = await call<{ buildId: string }>(lab, 'build.start', req);
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts > 1) {
          process.stderr.write('isolab: stopping without waiting; "isolab build" removes the container next time\n');
          process.exit(EXIT_CANCELLED);
        }
        process.stderr.write('\nisolab: cancelling the build (Ctrl-C again to stop waiting)…\n');
        void lab.request('build.cancel', { buildId });
      };
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigint);
      let record: BuildRecord;
      try {
        record = await follow(lab, buildId, logOut);
      } finally {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigint);
      }

      if (o.json) printJson(record);
      if (record.phase === 'done' && record.output) {
        if (!o.json) process.stdout.write(`${record.output.path}\n`);
        return;
      }
      const err = record.error;
      if (record.phase === 'cancelled') {
        process.stderr.write(`isolab: ${err?.message ?? 'The build was cancelled'}; logs kept in ${path.dirname(record.logs.build)}\n`);
        throw new ExitCode(EXIT_CANCELLED);
      }
      process.stderr.write(`isolab: ${err?.message ?? 'The build failed'}${err?.hint ? ` Hint: ${err.hint}` : ''}\n`);
      process.stderr.write(`isolab: logs: ${record.logs.image} ${record.logs.build}\n`);
      throw new ExitCode(record.exitCode !== undefined && record.exitCode !== 0 ? record.exitCode : 1);
    });
}
