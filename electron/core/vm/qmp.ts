import { EventEmitter } from 'node:events';
import net from 'node:net';
import { LabError } from '../../../shared/errors';

/**
 * A small QMP client over a unix socket: greeting, `qmp_capabilities`, then commands matched
 * to replies by `id`, and events. Messages are JSON objects ending in CRLF; an event may
 * arrive before the reply of the command that caused it.
 */

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpStatus {
  status: string;
  running: boolean;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  /** `quit` may end in EOF before its reply: that is success. */
  eofOk: boolean;
}

export interface QmpConnectOptions {
  timeoutMs?: number;
}

export declare interface QmpClient {
  on(event: 'event', listener: (e: QmpEvent) => void): this;
  on(event: 'close', listener: (hadError: boolean) => void): this;
  once(event: 'close', listener: (hadError: boolean) => void): this;
  once(event: 'greeting', listener: (greeting: unknown) => void): this;
}

export class QmpClient extends EventEmitter {
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  greeting: unknown;

  private constructor(private readonly sock: net.Socket) {
    super();
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', () => undefined);
    sock.on('close', (hadError) => this.onClose(hadError));
  }

  /** Connects and negotiates capabilities; fails with LabError QMP_UNAVAILABLE within timeoutMs. */
  static connect(path: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(path);
      let client: QmpClient | undefined;
      const fail = (why: string) => {
        clearTimeout(timer);
        sock.destroy();
        reject(new LabError('QMP_UNAVAILABLE', `QEMU's monitor at ${path} ${why}`, 'the VM is probably not running; isolab vm ls shows its state'));
      };
      // A second client of a busy monitor connects but is never greeted: the timeout covers that.
      const timer = setTimeout(() => fail(`did not answer within ${timeoutMs} ms`), timeoutMs);
      sock.once('error', (err: NodeJS.ErrnoException) => fail(`cannot be reached (${err.code ?? err.message})`));
      sock.once('connect', () => {
        client = new QmpClient(sock);
        client.once('greeting', () => {
          client!
            .execute('qmp_capabilities')
            .then(() => {
              clearTimeout(timer);
              resolve(client!);
            })
            .catch((err: Error) => fail(`refused capabilities negotiation: ${err.message}`));
        });
        client.once('close', () => fail('closed the connection'));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new LabError('QMP_CLOSED', `QMP connection closed before ${command}`));
    const id = `isolab-${this.nextId++}`;
    const msg: Record<string, unknown> = { execute: command, id };
    if (args) msg.arguments = args;
    return new Promise<T>((resolve, reject) => {
      const timer = opts.timeoutMs
        ? setTimeout(() => {
            this.pending.delete(id);
            reject(new LabError('QMP_TIMEOUT', `QEMU did not answer ${command} within ${opts.timeoutMs} ms`));
          }, opts.timeoutMs)
        : undefined;
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        eofOk: command === 'quit',
      });
      this.sock.write(`${JSON.stringify(msg)}\n`);
    });
  }

  queryStatus(timeoutMs = 2000): Promise<QmpStatus> {
    return this.execute<QmpStatus>('query-status', undefined, { timeoutMs });
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if ('QMP' in msg) {
      this.greeting = msg.QMP;
      this.emit('greeting', msg.QMP);
      return;
    }
    if (typeof msg.event === 'string') {
      this.emit('event', msg as unknown as QmpEvent);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return;
    this.pending.delete(id);
    if ('error' in msg) {
      const e = (msg.error ?? {}) as { class?: string; desc?: string };
      p.reject(new LabError('QMP_ERROR', `QEMU refused: ${e.desc ?? 'unknown error'}${e.class ? ` (${e.class})` : ''}`));
    } else p.resolve(msg.return);
  }

  private onClose(hadError: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.eofOk) p.resolve({});
      else p.reject(new LabError('QMP_CLOSED', 'QEMU closed the monitor connection before answering'));
    }
    this.emit('close', hadError);
  }
}
