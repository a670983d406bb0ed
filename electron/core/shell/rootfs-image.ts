import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LabError } from '../../../shared/errors';
import { daemonMessage } from '../build/build-container';
import { isNotFound } from '../build/builder-image';
import type { ByteSource } from '../image/byte-source';

/**
 * Rootfs images: `docker import` of an archive's tree, tagged and labelled by a hash of the
 * archive's bytes, so the same initrd (whichever ISO or path it comes from) is imported once.
 * The few most recent are kept; older ones go when a new one comes in.
 */

/** On images: the content key. On containers: the shell id. */
export const SHELL_LABEL = 'io.isolab.shell';
export const ROOTFS_REPO = 'isolab-rootfs';
/** Part of the key: a change to how the tree becomes a tar must not reuse images made the old way. */
const TAR_FORMAT = 'rootfs-tar-1';
const KEEP_IMAGES = 4;

export async function contentKey(src: ByteSource, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<string> {
  const h = createHash('sha256').update(TAR_FORMAT).update('\0');
  let n = 0;
  for await (const chunk of src.stream()) {
    if (signal?.aborted) throw new LabError('CANCELLED', 'Opening the shell was cancelled.');
    h.update(chunk as Buffer);
    onBytes?.((n += (chunk as Buffer).length));
  }
  return h.digest('hex');
}

export function rootfsRef(key: string): string {
  return `${ROOTFS_REPO}:${key.slice(0, 24)}`;
}

/** The image of this content, if the engine has it. */
export async function findRootfsImage(docker: Docker, key: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(rootfsRef(key)).inspect();
    return info.Config?.Labels?.[SHELL_LABEL] === key ? info.Id : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

interface ImportMessage {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

type AbortableImport = (file: Readable, opts: Record<string, unknown>) => Promise<NodeJS.ReadableStream>;

export async function importRootfs(docker: Docker, key: string, tar: Readable, signal?: AbortSignal): Promise<void> {
  const [repo, tag] = rootfsRef(key).split(':') as [string, string];
  let response: NodeJS.ReadableStream;
  try {
    response = await (docker.importImage.bind(docker) as unknown as AbortableImport)(tar, {
      repo,
      tag,
      changes: [`LABEL ${SHELL_LABEL}=${key}`],
      message: 'ISO Lab rootfs shell',
      abortSignal: signal,
    });
  } catch (err) {
    tar.destroy();
    throw importFailure(err);
  }
  const messages = (await readAll(response))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l) as ImportMessage;
      } catch {
        return { status: l };
      }
    });
  const failed = messages.find((m) => m.error || m.errorDetail);
  if (failed) throw importFailure(new Error(failed.errorDetail?.message ?? failed.error));
}

function importFailure(err: unknown): unknown {
  if (err instanceof LabError) return err;
  const e = err as { statusCode?: number; code?: string };
  // Transport failures (ENOENT, ECONNREFUSED …) are told apart by the caller, like every Docker error.
  if (e.statusCode === undefined && e.code !== undefined) return err;
  const msg = daemonMessage(err);
  const mknod = /mknod|operation not permitted/i.test(msg);
  return new LabError(
    'SHELL_IMPORT_FAILED',
    `Docker could not import the rootfs: ${msg}`,
    mknod
      ? 'the engine may not create device nodes (rootless Docker or Podman): use a rootful engine, or set one in Settings'
      : 'check free space on the engine (docker system df) and its log',
  );
}

/** Removes all but the newest few rootfs images; one still used by a container stays. */
export async function pruneRootfsImages(docker: Docker, keep = KEEP_IMAGES): Promise<void> {
  const list = await docker.listImages({ filters: { label: [SHELL_LABEL] } });
  const old = list.sort((a, b) => b.Created - a.Created).slice(keep);
  for (const img of old) await docker.getImage(img.Id).remove().catch(() => undefined);
}
