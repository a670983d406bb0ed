import { runDoctor } from '../doctor/report';
import type { EventHandler, LabContext, RequestHandler } from '../rpc/types';

export const labInfo: RequestHandler<'lab.info'> = async (_args, ctx) => ({
  name: 'ISO Lab',
  version: ctx.version,
  configDir: ctx.paths.configDir,
  dataDir: ctx.paths.dataDir,
  platform: `${process.platform}-${process.arch}`,
});

export async function doctorFor(ctx: LabContext) {
  const settings = await ctx.settings.get();
  return runDoctor({ settingHost: settings.docker.host, env: ctx.env, paths: ctx.paths });
}

export const labDoctor: RequestHandler<'lab.doctor'> = async (_args, ctx) => doctorFor(ctx);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** A fresh report now and then every interval, so the status screen follows the machine. */
export const labStatus: EventHandler<'lab.status'> = async (args, emit, signal, ctx) => {
  while (!signal.aborted) {
    emit(await doctorFor(ctx));
    const seconds = args.intervalSeconds ?? (await ctx.settings.get()).ui.statusRefreshSeconds;
    await sleep(seconds * 1000, signal);
  }
};
