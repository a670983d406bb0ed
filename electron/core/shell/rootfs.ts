import { LabError } from '../../../shared/errors';
import { FileSource, type ByteSource } from '../image/byte-source';
import type { Container } from '../image/container';
import type { ImageSession } from '../image/image-session';
import { fileSource } from '../image/inspect';
import { joinImagePath } from '../image/paths';

/** Tried in this order; symlinks inside the rootfs are followed (busybox's /bin/sh → busybox). */
export const SHELLS = ['/bin/sh', '/bin/bash'];

export interface Rootfs {
  /** The archive's path in the image; '/' when the image file itself is the archive. */
  path: string;
  /** Its merged tree. */
  container: Container;
}

export interface FoundShell {
  shell: string;
  /** Path of the file it resolves to, inside the rootfs. */
  target: string;
  /** The CPU its ELF header names, in Docker's words (amd64, arm64 …); undefined for a script or an unknown machine. */
  arch?: string;
}

/** The innermost archive at or above `imagePath`: /boot/initrd, /boot/initrd/etc and /boot/initrd/bin/sh all give /boot/initrd. */
export async function locateRootfs(session: ImageSession, imagePath: string): Promise<Rootfs> {
  const loc = await session.locate(imagePath, { followLast: true, descendLast: true });
  if (loc.inside.length === 0 && session.kind !== 'archive') {
    throw new LabError(
      'NOT_A_ROOTFS',
      `${imagePath} is not an archive or inside one, so there is no root filesystem to open a shell in.`,
      'Choose the initrd (e.g. /boot/initrd) or a folder inside it.',
    );
  }
  return { path: loc.base || '/', container: loc.container };
}

/** The archive's bytes as stored (compressed): what the image is keyed by. */
export async function rootfsBytes(session: ImageSession, rootfs: Rootfs): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  if (rootfs.path === '/') {
    const src = await FileSource.open(session.file, session.name);
    return { source: src, close: () => src.close() };
  }
  const { source } = await fileSource(session, rootfs.path);
  return { source, close: async () => undefined };
}

export async function findShell(session: ImageSession, rootfs: Rootfs): Promise<FoundShell> {
  for (const shell of SHELLS) {
    const outer = rootfs.path === '/' ? shell : rootfs.path + shell;
    const loc = await session.locate(outer, { followLast: true }).catch((err: unknown) => {
      if (err instanceof LabError && ['NOT_FOUND', 'NOT_A_DIRECTORY', 'LINK_LOOP'].includes(err.code)) return undefined;
      throw err;
    });
    // Through an archive lying in the rootfs is not the rootfs's own shell.
    if (!loc || loc.container !== rootfs.container) continue;
    if (loc.entry.type !== 'file' || (loc.entry.mode & 0o111) === 0 || loc.entry.size === 0) continue;
    const head = await loc.container.open(loc.entry).read(0, 20);
    return { shell, target: joinImagePath(loc.inner), arch: elfArch(head) };
  }
  const where = rootfs.path === '/' ? session.name : `${rootfs.path} of ${session.name}`;
  throw new LabError(
    'SHELL_NOT_FOUND',
    `The root filesystem in ${where} has no shell: neither ${SHELLS.join(' nor ')} is an executable file there (symlinks followed).`,
    'This initrd only runs its /init (a minimal or early-boot initramfs); browse it instead, or open the rootfs of the full system.',
  );
}

const MACHINES: Record<number, string> = { 0x03: '386', 0x08: 'mips', 0x14: 'ppc', 0x15: 'ppc64', 0x16: 's390x', 0x28: 'arm', 0x3e: 'amd64', 0xb7: 'arm64', 0xf3: 'riscv64' };

/** e_machine of an ELF header, as Docker names architectures. */
export function elfArch(head: Buffer): string | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
  const arch = MACHINES[machine];
  if (arch === 'ppc64' && head[5] === 1) return 'ppc64le';
  return arch;
}
