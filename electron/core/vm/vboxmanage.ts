import { execFile } from 'node:child_process';
import { LabError } from '../../../shared/errors';
import { sleep } from './process';
import { parseVBoxError } from './vbox-parse';

export interface VBoxResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs VBoxManage with an argv (never through a shell). Tests pass a fake that records argv. */
export type VBoxRunner = (args: string[]) => Promise<VBoxResult>;

export function execRunner(file: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): VBoxRunner {
  return (args) =>
    new Promise((resolve) => {
      execFile(file, args, { env, timeout: timeoutMs, windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        const code = !e ? 0 : typeof e.code === 'number' ? e.code : 1;
        resolve({ stdout: String(stdout), stderr: String(stderr || (e && typeof e.code === 'string' ? e.message : '')), code });
      });
    });
}

const NOT_READY = /error: The object is not ready/;
const RETRIES = 5;
const RETRY_DELAY_MS = 100;

/**
 * minikube's VBoxManage wrapper (vbm.go): a run fails when the exit status is not 0 or when
 * stderr says `error:` (VBoxManage sometimes exits 0 after an error), and "The object is not
 * ready" — a query during a state change — is retried 5 times, 100 ms apart.
 */
export class VBoxManage {
  constructor(private readonly runner: VBoxRunner, private readonly retryDelayMs = RETRY_DELAY_MS) {}

  async run(args: string[]): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.runner(args);
      if (r.code === 0 && !/error:/.test(r.stderr)) return r.stdout;
      if (NOT_READY.test(r.stderr) && attempt < RETRIES) {
        await sleep(this.retryDelayMs);
        continue;
      }
      throw vboxError(args, r);
    }
  }

  /** Like run, but a missing machine is `undefined` instead of an error. */
  async runMaybeMissing(args: string[]): Promise<string | undefined> {
    try {
      return await this.run(args);
    } catch (err) {
      if (err instanceof LabError && err.code === 'VBOX_NOT_FOUND') return undefined;
      throw err;
    }
  }
}

export function vboxError(args: string[], r: VBoxResult): LabError {
  const parsed = parseVBoxError(r.stderr);
  const what = `VBoxManage ${args.slice(0, 2).join(' ')}`;
  if (r.code === 2 && !parsed) {
    return new LabError('VBOX_USAGE', `${what} rejected its arguments: ${r.stderr.trim().split('\n')[0] ?? ''}`, 'this VirtualBox may be too old or too new for ISO Lab; isolab doctor shows its version');
  }
  const message = parsed?.message ?? (r.stderr.trim().split('\n').pop() || `exit status ${r.code}`);
  const byCode: Record<string, [string, string | undefined]> = {
    VBOX_E_OBJECT_NOT_FOUND: ['VBOX_NOT_FOUND', 'the VM is not registered in VirtualBox (any more); isolab vm rm removes ISO Lab\'s record of it'],
    VBOX_E_INVALID_OBJECT_STATE: ['VBOX_LOCKED', 'the VM is running or being changed; stop it first, or wait a moment'],
    VBOX_E_INVALID_VM_STATE: ['VBOX_NOT_RUNNING', undefined],
    VBOX_E_FILE_ERROR: ['VBOX_FILE_EXISTS', 'a VM folder of that name is left over; remove it or choose another name'],
    E_ACCESSDENIED: ['VBOX_NOT_READY', 'VirtualBox is busy with this VM; try again in a moment'],
  };
  let [code, hint] = byCode[parsed?.code ?? ''] ?? ['VBOX_FAILED', 'see VirtualBox\'s message above; VBox.log in the VM folder has details'];
  if (/Could not find a registered machine/.test(message)) [code, hint] = byCode.VBOX_E_OBJECT_NOT_FOUND!;
  if (/is not currently running|Invalid machine state: PoweredOff/.test(message)) code = 'VBOX_NOT_RUNNING';
  return new LabError(code, `${what} failed: ${message}`, hint);
}
