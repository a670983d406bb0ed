import path from 'node:path';
import type { ToolStatus } from '../../../shared/doctor';
import { probe, which, type ToolCheckOptions } from './tools';

const INSTALL_HINT = 'install VirtualBox from virtualbox.org; ISO Lab finds VBoxManage on PATH or in /usr/lib/virtualbox';

/** Installers put VBoxManage in these folders without always linking it onto PATH. */
function virtualBoxDirs(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  if (platform === 'win32') {
    const fromInstaller = [env.VBOX_MSI_INSTALL_PATH, env.VBOX_INSTALL_PATH].filter((d): d is string => !!d);
    return [...fromInstaller, path.win32.join(env.ProgramFiles ?? 'C:\\Program Files', 'Oracle', 'VirtualBox'), 'C:\\Program Files\\Oracle\\VirtualBox'];
  }
  if (platform === 'darwin') return ['/usr/local/bin', '/Applications/VirtualBox.app/Contents/MacOS'];
  return ['/usr/bin', '/usr/lib/virtualbox', '/opt/VirtualBox'];
}

/**
 * `VBoxManage --version` prints "7.0.14r161095" on its last line; when the kernel driver is
 * missing it first prints a WARNING block on stdout and still exits 0.
 */
export function parseVBoxVersion(output: string): { version?: string; warning?: string } {
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  const version = [...lines].reverse().find((l) => /^\d+\.\d+\.\d+\S*r\d+$/.test(l));
  const warning = lines.find((l) => l.startsWith('WARNING:'));
  const result: { version?: string; warning?: string } = {};
  if (version) result.version = version;
  if (warning) result.warning = warning.replace(/^WARNING:\s*/, '');
  return result;
}

export async function checkVirtualBox(opts: ToolCheckOptions = {}): Promise<ToolStatus> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const extraDirs = virtualBoxDirs(env, platform);
  const file =
    (await which('VBoxManage', { env, platform, extraDirs })) ??
    (platform === 'linux' ? await which('vboxmanage', { env, platform, extraDirs }) : undefined);
  const name = 'VBoxManage';
  if (!file) {
    return { name, error: { code: 'VIRTUALBOX_MISSING', message: 'VBoxManage was not found on PATH or in the usual install folders', hint: INSTALL_HINT } };
  }
  const result = await probe(file, ['--version'], { env, timeoutMs: opts.timeoutMs });
  if (!result.ok) return { name, path: file, error: { ...result.error, hint: `reinstall VirtualBox; ${INSTALL_HINT}` } };
  const parsed = parseVBoxVersion(result.output);
  const status: ToolStatus = { name, path: file };
  if (parsed.version) status.version = parsed.version;
  if (parsed.warning) {
    status.error = {
      code: 'VIRTUALBOX_DRIVER',
      message: `VBoxManage warns: ${parsed.warning}`,
      hint: 'load the VirtualBox kernel driver: sudo /sbin/vboxconfig (with the kernel headers installed)',
    };
  } else if (!parsed.version) {
    status.error = { code: 'TOOL_VERSION_UNKNOWN', message: `VBoxManage --version printed no version: ${result.output.trim().slice(0, 200)}` };
  }
  return status;
}
