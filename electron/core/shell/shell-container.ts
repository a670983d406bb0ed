import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { LabError } from '../../../shared/errors';
import { daemonMessage, FrameDemuxer, OWNER_LABEL, removeContainer } from '../build/build-container';
import { SHELL_LABEL } from './rootfs-image';

/**
 * One shell's container, `docker run -it --rm --network none` split in its steps: created by
 * shell.open, attached before it starts (so the first prompt is not lost), resized as the
 * terminal is, removed when the tab goes. AutoRemove lets the engine remove it when the shell
 * exits by itself. A process killed outright leaves it running (a TTY never reads EOF when
 * the attach drops): ShellManager.init sweeps those.
 */

export interface ShellContainerSpec {
  shellId: string;
  image: string;
  shell: string;
  /** host:pid, like a build container's, for sweeping after a crash. */
  owner: string;
  hostname?: string;
  /** false: `docker run -i` without `-t`, for commands piped in (the CLI); stdin's end then ends the shell. */
  tty?: boolean;
}

export function shellContainerName(shellId: string): string {
  return `isolab-shell-${shellId}`;
}

export function shellContainerOptions(s: ShellContainerSpec): Docker.ContainerCreateOptions {
  return {
    name: shellContainerName(s.shellId),
    Image: s.image,
    // A login shell reads /etc/profile: the PATH and prompt the system itself would give.
    Cmd: [s.shell, '-l'],
    Env: ['TERM=xterm-256color', 'HOME=/root'],
    Hostname: s.hostname,
    Tty: s.tty !== false,
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Labels: { [SHELL_LABEL]: s.shellId, [OWNER_LABEL]: s.owner },
    HostConfig: { NetworkMode: 'none', AutoRemove: true },
  };
}

export class ShellContainer {
  private stream: Duplex | undefined;
  /** Keys typed between the subscription and the attach. */
  private pending: (string | null)[] = [];
  private started = false;
  private size: { cols: number; rows: number } | undefined;
  private removed: Promise<void> | undefined;

  private constructor(
    readonly id: string,
    private readonly container: Docker.Container,
    private readonly tty: boolean,
  ) {}

  static async create(docker: Docker, spec: ShellContainerSpec): Promise<ShellContainer> {
    try {
      const c = await docker.createContainer(shellContainerOptions(spec));
      return new ShellContainer(c.id, c, spec.tty !== false);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === undefined) throw err;
      throw new LabError('SHELL_CREATE_FAILED', `The engine refused to create the shell container: ${daemonMessage(err)}`, 'check the engine\'s log; `docker ps -a` shows what is there');
    }
  }

  /** Attaches, starts and relays the TTY until the shell exits or the container is removed; gives the exit status when there is one. */
  async run(onData: (data: Buffer) => void): Promise<number | undefined> {
    const stream = (await this.container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    this.stream = stream;
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    // Without a TTY, stdout and stderr come multiplexed, as for a build container.
    const demux = this.tty ? undefined : new FrameDemuxer(onData);
    stream.on('data', (chunk: Buffer) => (demux ? demux.push(chunk) : onData(chunk)));
    for (const data of this.pending.splice(0)) this.send(data);
    // Asked for before the start: with AutoRemove the container may be gone before a later ask.
    const exited = this.container.wait({ condition: 'next-exit' }).then(
      (r: { StatusCode?: number }) => r.StatusCode,
      () => undefined,
    );
    if (this.removed) return undefined;
    try {
      await this.container.start();
    } catch (err) {
      if (this.removed) return undefined;
      throw startFailure(err);
    }
    this.started = true;
    if (this.size) await this.resize(this.size.cols, this.size.rows);
    const code = await exited;
    // The last output may still be on its way when the exit is reported.
    await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]);
    return code;
  }

  write(data: string): void {
    if (this.removed) throw new LabError('SHELL_GONE', 'This shell has ended.', 'Open a new shell on the rootfs.');
    if (this.stream) this.send(data);
    else this.pending.push(data);
  }

  /** No more input: the shell reads EOF (without a TTY; with one, a Ctrl-D is what ends it). */
  endInput(): void {
    if (this.removed) return;
    if (this.stream) this.send(null);
    else this.pending.push(null);
  }

  private send(data: string | null): void {
    if (data === null) this.stream!.end();
    else this.stream!.write(data);
  }

  async resize(cols: number, rows: number): Promise<void> {
    this.size = { cols, rows };
    if (!this.started || this.removed) return;
    // A resize racing the shell's exit is of no interest.
    await this.container.resize({ h: rows, w: cols }).catch(() => undefined);
  }

  /** Idempotent; resolves once the engine no longer has the container. */
  remove(): Promise<void> {
    this.removed ??= (async () => {
      this.stream?.destroy();
      await removeContainer(this.container);
    })();
    return this.removed;
  }
}

function startFailure(err: unknown): unknown {
  if ((err as { statusCode?: number }).statusCode === undefined) return err;
  const msg = daemonMessage(err);
  const exec = /exec format error/i.test(msg);
  const missing = /no such file or directory|not found/i.test(msg);
  return new LabError(
    'SHELL_START_FAILED',
    `The shell did not start: ${msg}`,
    exec
      ? 'the rootfs is built for another CPU than the engine\'s; an engine with binfmt_misc and qemu-user-static runs it'
      : missing
        ? 'the shell needs a loader or libraries that this rootfs does not have (a dynamically linked shell from an incomplete initrd)'
        : 'check the engine\'s log',
  );
}
