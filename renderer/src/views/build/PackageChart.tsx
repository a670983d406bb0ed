import { useMemo, useRef, useState } from 'react';
import type { PackageTime } from '../../../../shared/build';
import { useViewport } from '../inspect/common';
import { duration, useWidth } from './common';

type Order = 'duration' | 'build';

/** A round step for the time axis: at most `maxTicks` (and six) ticks. */
function tickStep(maxMs: number, maxTicks: number): number {
  const steps = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000];
  const ticks = Math.min(6, maxTicks);
  return steps.find((s) => maxMs / s <= ticks) ?? Math.ceil(maxMs / ticks / 3_600_000) * 3_600_000;
}

function axisLabel(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${ms / 1000} s`;
  if (ms < 3_600_000) return `${Math.round((ms / 60_000) * 10) / 10} min`;
  return `${Math.round((ms / 3_600_000) * 10) / 10} h`;
}

/**
 * Time per buildroot package, the picture `make graph-build` draws: one horizontal bar per
 * package, longest first or in build order.
 */
export function PackageChart({ times }: { times: PackageTime[] }) {
  const [order, setOrder] = useState<Order>('duration');
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  // Sizes follow the type (presenter mode makes it larger).
  const { fontSize } = useViewport(box);
  const rows = useMemo(() => (order === 'duration' ? [...times].sort((a, b) => b.ms - a.ms) : times), [times, order]);
  const total = times.reduce((n, t) => n + t.ms, 0);
  const max = Math.max(1, ...times.map((t) => t.ms));
  const fs = fontSize * 0.86;
  const rowH = Math.round(fs * 1.75);
  const labelW = Math.min(fs * 16, Math.max(fs * 8, Math.min(26, Math.max(...times.map((t) => t.name.length))) * fs * 0.58 + 16));
  const valueW = fs * 5.5;
  const top = Math.round(fs * 1.8);
  const plotW = Math.max(80, width - labelW - valueW - 8);
  // As many ticks as their labels have room for.
  const step = tickStep(max, Math.max(2, Math.floor(plotW / (fs * 5.5))));
  const axisMax = Math.ceil(max / step) * step;

  const height = top + rows.length * rowH + 4;
  const x = (ms: number) => labelW + (ms / axisMax) * plotW;
  const ticks: number[] = [];
  for (let t = 0; t <= axisMax + 1e-9; t += step) ticks.push(t);
  const longest = rows.reduce((a, b) => (b.ms > a.ms ? b : a), rows[0]!);

  return (
    <section className="card package-chart" aria-labelledby="chart-title" data-testid="package-chart">
      <div className="package-chart-head">
        <div>
          <h2 id="chart-title">Time per package</h2>
          <div className="muted small">
            {times.length} {times.length === 1 ? 'package' : 'packages'} · {duration(total)} in all · the picture buildroot’s <code>make graph-build</code> draws
          </div>
        </div>
        <div className="seg-toggle" role="radiogroup" aria-label="Order of the bars">
          {(
            [
              ['duration', 'Longest first'],
              ['build', 'Build order'],
            ] as const
          ).map(([id, label]) => (
            <button key={id} type="button" role="radio" aria-checked={order === id} className={`seg${order === id ? ' active' : ''}`} onClick={() => setOrder(id)} data-testid={`chart-order-${id}`}>
              {label}
            </button>
          ))}
        </div>
      </div>
      <div ref={box} className="package-chart-box">
        {width > 0 && (
          <svg width={width} height={height} style={{ fontSize: fs }} role="img" aria-label={`Time per package, ${order === 'duration' ? 'longest first' : 'in build order'}; the longest is ${longest?.name} (${duration(longest?.ms ?? 0)})`} className="package-chart-svg">
            {ticks.map((t) => (
              <g key={t}>
                <line x1={x(t)} x2={x(t)} y1={top - 4} y2={height - 2} className="chart-grid" />
                <text x={x(t)} y={top - 8} textAnchor="middle" className="chart-axis">
                  {axisLabel(t)}
                </text>
              </g>
            ))}
            {rows.map((t, i) => {
              const y = top + i * rowH;
              const w = Math.max(1.5, x(t.ms) - labelW);
              return (
                <g key={t.name} data-testid="chart-bar" data-name={t.name} data-ms={t.ms}>
                  <title>
                    {t.name}: {duration(t.ms)}
                    {t.startMs !== undefined ? `, started ${duration(t.startMs)} into the build` : ''}
                  </title>
                  <text x={labelW - 8} y={y + rowH / 2} textAnchor="end" dominantBaseline="central" className="chart-label">
                    {t.name.length > 26 ? `${t.name.slice(0, 25)}…` : t.name}
                  </text>
                  <rect x={labelW} y={y + 3} width={w} height={rowH - 6} rx={3} className={`chart-bar${t === longest ? ' chart-bar-max' : ''}`} />
                  <text x={labelW + w + 6} y={y + rowH / 2} dominantBaseline="central" className="chart-value">
                    {duration(t.ms)}
                  </text>
                </g>
              );
            })}
          </svg>
        )}
      </div>
    </section>
  );
}
