import type { CheckLevel } from '../../../shared/doctor';

const LABEL: Record<CheckLevel, string> = { ok: 'OK', warn: 'Warning', error: 'Problem' };
const GLYPH: Record<CheckLevel, string> = { ok: '✓', warn: '!', error: '✕' };

export function CheckBadge({ level }: { level: CheckLevel }) {
  return (
    <span className={`badge badge-${level}`} role="img" aria-label={LABEL[level]} title={LABEL[level]}>
      {GLYPH[level]}
    </span>
  );
}
