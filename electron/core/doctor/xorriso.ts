import type { ToolStatus } from '../../../shared/doctor';
import { XORRISO_INSTALL } from '../remaster/xorriso';
import { probe, which, type ToolCheckOptions } from './tools';

/** xorriso writes remastered ISOs; "xorriso 1.5.4 : RockRidge filesystem manipulator" → "1.5.4". */
export async function checkXorriso(opts: ToolCheckOptions = {}): Promise<ToolStatus> {
  const name = 'xorriso';
  const file = await which(opts.env?.ISOLAB_XORRISO || name, { env: opts.env, platform: opts.platform });
  if (!file) return { name, error: { code: 'XORRISO_MISSING', message: 'xorriso was not found on PATH: Save as new ISO (remaster) needs it', hint: XORRISO_INSTALL } };
  const r = await probe(file, ['-version'], { env: opts.env, timeoutMs: opts.timeoutMs });
  if (!r.ok) return { name, path: file, error: { ...r.error, hint: XORRISO_INSTALL } };
  const version = /xorriso\s+(\d+\.\d+(?:\.\d+)?)/.exec(r.output)?.[1];
  if (!version) return { name, path: file, error: { code: 'TOOL_VERSION_UNKNOWN', message: `xorriso -version printed no version: ${r.output.trim().slice(0, 200)}` } };
  return { name, path: file, version };
}
