import type { LabErrorShape } from '../../../shared/errors';
import { parseDockerHost } from '../docker/endpoint';

/**
 * A remote engine (tcp:// or ssh:// to another machine, directly or through a docker context)
 * builds the image fine, since the context travels as a tar, but bind-mounts paths of its
 * own host: the checkout on this machine is not there, and the daemon would quietly create
 * an empty folder in its place (it does that for a missing bind source).
 */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|0:0:0:0:0:0:0:1|::ffff:127(?:\.\d{1,3}){3})$/i;

export function endpointHost(url: string): string | undefined {
  const parsed = parseDockerHost(url);
  if (!parsed.ok || (parsed.scheme !== 'tcp' && parsed.scheme !== 'ssh')) return undefined;
  try {
    return new URL(parsed.url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

export function isRemoteEndpoint(url: string): boolean {
  const host = endpointHost(url);
  return host !== undefined && !LOOPBACK.test(host);
}

export function remoteCheckoutError(url: string, checkout: string): LabErrorShape {
  const host = endpointHost(url) ?? url;
  return {
    code: 'BUILD_REMOTE_CHECKOUT',
    message: `The Docker engine at ${url} runs on ${host}, not on this machine: it cannot mount the checkout ${checkout} from here, and would build in an empty folder instead`,
    hint: `clone the checkout on ${host} and run "isolab build" there, or use a local engine (unset DOCKER_HOST, "docker context use default", or set the endpoint in Settings)`,
  };
}
