import { spawn } from 'node:child_process';
import { LabError } from '../../../shared/errors';
import type { MinikubeCommand } from '../../../shared/vm';
import { which } from '../doctor/tools';

/** Percent-encodes a path segment, quotes included, so the URL needs no shell quoting. */
function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The file URL minikube's --iso-url wants: file:///home/me/out/minikube.iso, and on Windows
 * file:///C:/Users/me/minikube.iso (forward slashes, the drive letter kept, three slashes).
 */
export function isoFileUrl(iso: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const p = iso.replace(/\\/g, '/');
    const drive = /^([A-Za-z]):\//.exec(p);
    if (drive) return `file:///${drive[1]!.toUpperCase()}:/${p.slice(3).split('/').map(encodeSegment).join('/')}`;
    // UNC: \\server\share\x.iso → file://server/share/x.iso
    if (p.startsWith('//')) return `file://${p.slice(2).split('/').map(encodeSegment).join('/')}`;
  }
  return `file://${iso.split('/').map(encodeSegment).join('/')}`;
}

export async function minikubeCommand(iso: string, opts: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {}): Promise<MinikubeCommand> {
  const platform = opts.platform ?? process.platform;
  const fileUrl = isoFileUrl(iso, platform);
  const found = await which('minikube', { env: opts.env ?? process.env, platform });
  const out: MinikubeCommand = { command: `minikube start --iso-url=${fileUrl}`, fileUrl, minikubeOnPath: !!found };
  if (found) out.minikubePath = found;
  return out;
}

/**
 * Runs `minikube start --iso-url=…` and streams what it prints, for the hand-off button.
 * Leaving the stream interrupts minikube (SIGINT, as Ctrl-C in a terminal would).
 */
export async function runMinikube(
  iso: string,
  emit: (text: string) => void,
  signal: AbortSignal,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const env = opts.env ?? process.env;
  const cmd = await minikubeCommand(iso, { env });
  if (!cmd.minikubePath) {
    throw new LabError('MINIKUBE_MISSING', 'minikube is not on PATH.', 'Install minikube (minikube.sigs.k8s.io), or copy the command and run it where minikube is.');
  }
  emit(`$ ${cmd.command}\n`);
  const child = spawn(cmd.minikubePath, ['start', `--iso-url=${cmd.fileUrl}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => child.kill('SIGINT');
  signal.addEventListener('abort', stop, { once: true });
  child.stdout.on('data', (d: Buffer) => emit(d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => emit(d.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => signal.removeEventListener('abort', stop));
  if (signal.aborted) return;
  if (code !== 0) {
    throw new LabError('MINIKUBE_FAILED', `minikube start exited with ${code ?? 'a signal'}.`, 'Its output above says why; `minikube logs` has more.');
  }
}
