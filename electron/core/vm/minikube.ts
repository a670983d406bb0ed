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
