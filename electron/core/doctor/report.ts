import type { Check, DiskStatus, DockerStatus, DoctorReport, KvmStatus, ToolStatus } from '../../../shared/doctor';
import { toErrorShape } from '../../../shared/errors';
import { pingDocker } from '../docker/client';
import { resolveDockerEndpoint } from '../docker/endpoint';
import { labPaths, type LabPaths } from '../paths';
import { formatBytes } from '../../../shared/format';
import { checkDisk } from './disk';
import path from 'node:path';
import { chooseAccel } from '../vm/kvm-probe';
import { checkKvm, checkQemuImg, checkQemuSystem } from './qemu';
import { which } from './tools';
import { checkVirtualBox } from './virtualbox';
import { checkXorriso } from './xorriso';

export interface DoctorOptions {
  /** settings.docker.host */
  settingHost?: string;
  env?: NodeJS.ProcessEnv;
  paths?: LabPaths;
  dockerTimeoutMs?: number;
  toolTimeoutMs?: number;
}

const DISK_LABEL = 'builds and VMs';

/**
 * /dev/kvm can be there and openable while KVM still cannot run a guest (nested setups that
 * fail with "KVM internal error"). The VM driver finds that out with a tiny test guest and
 * remembers it; the report says what VMs will really get, not just what the device allows.
 */
async function kvmThatRuns(paths: LabPaths, env: NodeJS.ProcessEnv): Promise<KvmStatus> {
  const kvm = await checkKvm();
  if (!kvm.usable) return kvm;
  const qemu = await which('qemu-system-x86_64', { env });
  if (!qemu) return kvm;
  const hostArch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  const choice = await chooseAccel({ qemu, cacheFile: path.join(paths.dataDir, 'vms', '.accel-probe.json'), guestArch: hostArch, env });
  if (choice.accel === 'kvm') return kvm;
  return {
    usable: false,
    detail: `/dev/kvm is present, but ${choice.note?.replace(/^slow: no hardware acceleration \((.*)\)$/, '$1') ?? 'KVM did not run a test guest'}: VMs run without hardware acceleration (slow)`,
    hint: 'Nested virtualization or the host CPU does not let KVM run guests here; VMs use QEMU\'s emulation (TCG). Set ISOLAB_ACCEL=kvm to force KVM.',
  };
}

/** Every check runs at once and none can fail the report: a broken check becomes a line in it. */
export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const paths = opts.paths ?? labPaths(env);
  const tools = { env, timeoutMs: opts.toolTimeoutMs };
  const endpoint = resolveDockerEndpoint({ settingHost: opts.settingHost, env });

  const [docker, system, img, kvm, virtualbox, disk, xorriso] = await Promise.all([
    pingDocker(endpoint, opts.dockerTimeoutMs ?? 3000, { env }),
    checkQemuSystem(tools).catch((err: unknown) => brokenTool('qemu-system-x86_64', err)),
    checkQemuImg(tools).catch((err: unknown) => brokenTool('qemu-img', err)),
    kvmThatRuns(paths, env).catch((err: unknown): KvmStatus => ({ usable: false, detail: `checking /dev/kvm failed: ${toErrorShape(err).message}` })),
    checkVirtualBox(tools).catch((err: unknown) => brokenTool('VBoxManage', err)),
    checkDisk(paths.dataDir, DISK_LABEL).catch((err: unknown) => toErrorShape(err)),
    checkXorriso(tools).catch((err: unknown) => brokenTool('xorriso', err)),
  ]);

  const disks: DiskStatus[] = 'freeBytes' in disk ? [disk] : [];
  const checks: Check[] = [
    dockerCheck(docker),
    toolCheck('qemu-system', 'QEMU', system),
    toolCheck('qemu-img', 'qemu-img', img),
    kvmCheck(kvm),
    toolCheck('virtualbox', 'VirtualBox', virtualbox),
    toolCheck('xorriso', 'xorriso (remaster)', xorriso),
    'freeBytes' in disk
      ? diskCheck(disk)
      : withHint({ id: 'disk', label: `Disk space (${DISK_LABEL})`, level: 'warn', detail: `cannot measure free space at ${paths.dataDir}: ${disk.message}` }, disk.hint),
  ];

  return {
    generatedAt: new Date().toISOString(),
    docker,
    qemu: { system, img, kvm },
    virtualbox,
    xorriso,
    disks,
    checks,
  };
}

function brokenTool(name: string, err: unknown): ToolStatus {
  return { name, error: toErrorShape(err) };
}

function withHint(check: Check, hint: string | undefined): Check {
  return hint === undefined ? check : { ...check, hint };
}

function dockerCheck(s: DockerStatus): Check {
  const where = `${s.endpoint.url} (${s.endpoint.detail})`;
  const base = { id: 'docker', label: 'Docker engine' };
  if (!s.answering) {
    return withHint({ ...base, level: 'error', detail: s.error?.message ?? `not answering at ${where}` }, s.error?.hint);
  }
  const engine = s.engine === 'podman' ? 'Podman' : 'Docker';
  const platform = s.os && s.arch ? `, ${s.os}/${s.arch}` : '';
  const api = s.apiVersion ? ` (API ${s.apiVersion}${platform})` : '';
  const detail = `${engine} ${s.version ?? '(version unknown)'}${api} at ${where}`;
  if (s.error) return withHint({ ...base, level: 'warn', detail: `${detail}; but ${s.error.message}` }, s.error.hint);
  const problem = s.endpoint.problems?.[0];
  if (problem) return withHint({ ...base, level: 'warn', detail: `${detail}; skipped on the way: ${problem.message}` }, problem.hint);
  return { ...base, level: 'ok', detail };
}

function toolCheck(id: string, label: string, t: ToolStatus): Check {
  if (t.version && !t.error) return { id, label, level: 'ok', detail: `${t.name} ${t.version} at ${t.path}` };
  if (t.version && t.error) {
    return withHint({ id, label, level: 'warn', detail: `${t.name} ${t.version} at ${t.path}; ${t.error.message}` }, t.error.hint);
  }
  return withHint({ id, label, level: 'warn', detail: t.error?.message ?? `${t.name} is not usable` }, t.error?.hint);
}

function kvmCheck(k: KvmStatus): Check {
  return withHint({ id: 'kvm', label: 'KVM acceleration', level: k.usable ? 'ok' : 'warn', detail: k.detail }, k.hint);
}

function diskCheck(d: DiskStatus): Check {
  const detail = `${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)} at ${d.path}`;
  return withHint({ id: 'disk', label: `Disk space (${d.label})`, level: d.hint ? 'warn' : 'ok', detail }, d.hint);
}
