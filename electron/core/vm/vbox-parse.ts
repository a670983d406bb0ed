import type { VmState } from '../../../shared/vm';
import { parseVBoxVersion } from '../doctor/virtualbox';

/**
 * Parsers for VBoxManage output in its documented formats (VBoxManageInfo.cpp,
 * VBoxManageMisc.cpp): `showvminfo --machinereadable`, `list vms`, `--version`, the
 * three-line error block, and the UUID lines of createvm / createmedium.
 */

/**
 * `key=value` per line; string values in double quotes with `\"` and `\\` escaped, numbers
 * bare; keys made from controller names are quoted too (`"SATA-0-0"="…"`). Lines that are
 * not key=value (7.0 prints a bare `Encryption:     disabled`) are skipped.
 */
export function parseMachineReadable(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (!line) continue;
    let key: string;
    let rest: string;
    if (line.startsWith('"')) {
      const k = readQuoted(line, 0);
      if (!k || line[k.end] !== '=') continue;
      key = k.value;
      rest = line.slice(k.end + 1);
    } else {
      const eq = line.indexOf('=');
      if (eq <= 0 || /\s/.test(line.slice(0, eq))) continue;
      key = line.slice(0, eq);
      rest = line.slice(eq + 1);
    }
    if (rest.startsWith('"')) {
      const v = readQuoted(rest, 0);
      out.set(key, v ? v.value : rest.slice(1));
    } else out.set(key, rest);
  }
  return out;
}

function readQuoted(s: string, at: number): { value: string; end: number } | undefined {
  let value = '';
  for (let i = at + 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      value += s[++i];
    } else if (c === '"') {
      return { value, end: i + 1 };
    } else value += c;
  }
  return undefined;
}

/**
 * What ISO Lab makes of a VMState. minikube maps running→Running, paused→Paused,
 * saved→Saved, poweroff/aborted→Stopped; here paused counts as running (the VM holds its
 * resources), saved as stopped, and the transitional states as starting/stopping.
 */
export function vboxStateToVmState(vmState: string | undefined): VmState {
  switch (vmState) {
    case 'running':
    case 'paused':
    case 'livesnapshotting':
    case 'onlinesnapshotting':
    case 'teleporting':
    case 'deletingsnapshotlive':
    case 'deletingsnapshotlivepaused':
      return 'running';
    case 'starting':
    case 'restoring':
    case 'teleportingin':
      return 'starting';
    case 'stopping':
    case 'saving':
      return 'stopping';
    case 'poweroff':
    case 'aborted':
    case 'aborted-saved':
    case 'saved':
    case 'teleported':
      return 'stopped';
    case 'gurumeditation':
      return 'error';
    case undefined:
      return 'absent';
    default:
      // settingup, snapshotting, restoringsnapshot, deletingsnapshot, unknown …: the VM is not running.
      return 'stopped';
  }
}

export interface ShowVmInfo {
  name?: string;
  uuid?: string;
  vmState?: string;
  vmStateChangeTime?: string;
  memoryMb?: number;
  cpus?: number;
  /** `server,/path` → { mode: 'server', path: '/path' } */
  uart1?: { mode: string; path?: string };
  /** Attached media by `Controller-port-device`. */
  media: Record<string, string>;
  raw: Map<string, string>;
}

export function parseShowVmInfo(text: string): ShowVmInfo {
  const raw = parseMachineReadable(text);
  const info: ShowVmInfo = { raw, media: {} };
  const s = (k: string) => raw.get(k);
  if (s('name') !== undefined) info.name = s('name');
  if (s('UUID') !== undefined) info.uuid = s('UUID');
  if (s('VMState') !== undefined) info.vmState = s('VMState');
  if (s('VMStateChangeTime') !== undefined) info.vmStateChangeTime = s('VMStateChangeTime');
  const mem = Number(s('memory'));
  if (Number.isFinite(mem) && s('memory') !== undefined) info.memoryMb = mem;
  const cpus = Number(s('cpus'));
  if (Number.isFinite(cpus) && s('cpus') !== undefined) info.cpus = cpus;
  const uartmode = s('uartmode1');
  if (uartmode !== undefined) {
    const comma = uartmode.indexOf(',');
    info.uart1 = comma < 0 ? { mode: uartmode } : { mode: uartmode.slice(0, comma), path: uartmode.slice(comma + 1) };
  }
  for (const [k, v] of raw) {
    if (/^[^=]+-\d+-\d+$/.test(k) && !/-(ImageUUID|tempeject|IsEjected|hot-pluggable|nonrotational|discard)-/.test(k)) info.media[k] = v;
  }
  return info;
}

/** `"<name>" {<uuid>}` per line; the name is not escaped, so the braces at the end anchor it. */
export function parseListVms(text: string): { name: string; uuid: string }[] {
  const out: { name: string; uuid: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^"(.*)" \{([0-9a-fA-F-]{36})\}\s*$/.exec(line);
    if (m) out.push({ name: m[1]!, uuid: m[2]!.toLowerCase() });
  }
  return out;
}

/** "6.1.50r161033", "7.0.14_Ubuntur161095" → { major, minor, build, text }. */
export function parseVBoxVersionNumber(output: string): { major: number; minor: number; build: number; text: string } | undefined {
  const text = parseVBoxVersion(output).version;
  const m = text ? /^(\d+)\.(\d+)\.(\d+)/.exec(text) : null;
  if (!text || !m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]), text };
}

/**
 * The error block: `VBoxManage: error: <message>`, then `Details: code NAME (0x…), …`
 * and `Context: "…"` lines (`VBoxManage.exe:` on Windows).
 */
export function parseVBoxError(stderr: string): { message: string; code?: string; hex?: string; context?: string } | undefined {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => /^\S*VBoxManage(?:\.exe)?: error: (.*)$/i.exec(l.trim())?.[1])
    .filter((l): l is string => l !== undefined);
  if (lines.length === 0) return undefined;
  const details = lines.find((l) => l.startsWith('Details: '));
  const context = lines.find((l) => l.startsWith('Context: '));
  const message = lines.filter((l) => l !== details && l !== context).join(' ').trim();
  const out: { message: string; code?: string; hex?: string; context?: string } = { message: message || (details ?? '') };
  const cm = details && /\bcode (\w+) \((0x[0-9a-fA-F]+)\)/.exec(details);
  if (cm) {
    out.code = cm[1]!;
    out.hex = cm[2]!;
  }
  if (context) out.context = context.slice('Context: '.length);
  return out;
}

/** `UUID: <uuid>` (createvm) or `Medium created. UUID: <uuid>` (createmedium). */
export function parseUuid(stdout: string): string | undefined {
  return /UUID: ([0-9a-fA-F-]{36})/.exec(stdout)?.[1]?.toLowerCase();
}
