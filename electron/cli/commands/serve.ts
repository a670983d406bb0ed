import type { Command } from 'commander';
import path from 'node:path';
import { createLab } from '../../core/lab';
import { isLoopback } from '../../server/auth';
import { startServer } from '../../server/serve';
import { usageError } from '../output';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw usageError(`--port must be a whole number from 0 to 65535, not "${value}".`, 'Use --port 0 for any free port.');
  }
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the ISO Lab UI to a browser on this machine (token-protected)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 7420)
    .action(async (opts: { host: string; port: number }) => {
      const lab = createLab();
      // Shell containers of a serve that was killed outright go before anyone opens a new one.
      void lab.ctx.shells.init();
      const server = await startServer({
        dispatcher: lab,
        rendererDir: path.resolve(__dirname, '..', 'renderer'),
        host: opts.host,
        port: opts.port,
      });
      if (!isLoopback(opts.host)) {
        process.stderr.write(`isolab: warning: listening on ${opts.host}, reachable from other machines; anyone with the token controls Docker and VMs here.\n`);
      }
      process.stdout.write(`ISO Lab is serving its UI. Open this address (it carries the access token):\n${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      // Builds started from the browser belong to this process: end them cleanly with it.
      const cancelled = await lab.ctx.builds.cancelAll().catch(() => []);
      if (cancelled.length) process.stderr.write(`isolab: cancelled ${cancelled.length} running build(s); their logs are kept.\n`);
      // Nobody is left to ask, so the default of the app's quit question applies: stop them.
      const vms = lab.ctx.vms.running();
      if (vms.length) {
        process.stderr.write(`isolab: stopping ${vms.length} running VM(s): ${vms.map((v) => v.name).join(', ')}\n`);
        await lab.ctx.vms.stopAll({ timeoutSeconds: 10 }).catch(() => undefined);
      }
      await lab.ctx.shells.dispose().catch(() => undefined);
      await server.close();
    });
}
