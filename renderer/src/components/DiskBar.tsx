import type { DiskStatus } from '../../../shared/doctor';
import { formatBytes } from '../../../shared/format';

/** Buildroot wants tens of GB; the marker shows where that need sits on this disk. */
export function DiskBar({ disk, needBytes = 20e9 }: { disk: DiskStatus; needBytes?: number }) {
  const used = disk.totalBytes - disk.freeBytes;
  const usedPct = disk.totalBytes ? (used / disk.totalBytes) * 100 : 0;
  const needPct = disk.totalBytes ? Math.min(100, (needBytes / disk.totalBytes) * 100) : 0;
  return (
    <div className="disk">
      <div className="disk-bar" role="meter" aria-valuenow={Math.round(usedPct)} aria-valuemin={0} aria-valuemax={100} aria-label={`${disk.label} used`}>
        <div className="disk-used" style={{ width: `${usedPct}%` }} />
        <div className="disk-need" style={{ left: `${Math.max(0, 100 - needPct)}%` }} title="space a minikube build needs" />
      </div>
      <div className="disk-legend">
        <span>{formatBytes(disk.freeBytes)} free of {formatBytes(disk.totalBytes)}</span>
        <span className="muted">{disk.path}</span>
      </div>
    </div>
  );
}
