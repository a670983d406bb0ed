import { useEffect, useState } from 'react';
import type { TimelineMark, TimelineMarkId, VmView } from '../../../../shared/vm';
import { seconds } from './common';

/**
 * The boot as a picture: a track from the hypervisor's start to the login prompt, coloured
 * by phase (firmware, bootloader, kernel, init), with a pin for each milestone the console
 * gave away. While the VM boots a cursor shows how long it has been going.
 */

/** The milestones a boot goes through, in order; `start` and `reset` are not stages. */
const STAGES: { id: TimelineMarkId; label: string; phase: string }[] = [
  { id: 'firmware', label: 'Firmware', phase: 'firmware' },
  { id: 'bootloader', label: 'Bootloader', phase: 'bootloader' },
  { id: 'kernel', label: 'Linux version', phase: 'kernel' },
  { id: 'init', label: 'Init', phase: 'init' },
  { id: 'login', label: 'Login prompt', phase: 'login' },
];

const PHASE_OF: Record<TimelineMarkId, string> = {
  start: 'firmware',
  firmware: 'firmware',
  bootloader: 'bootloader',
  kernel: 'kernel',
  init: 'init',
  login: 'login',
  reset: 'firmware',
};

const PHASE_WORDS: Record<string, string> = {
  firmware: 'firmware',
  bootloader: 'bootloader',
  kernel: 'kernel',
  init: 'init',
};

/** Only the marks of the current boot: after a guest reboot the earlier ones are history. */
function currentBoot(marks: TimelineMark[]): { marks: TimelineMark[]; rebooted: number } {
  let from = 0;
  let rebooted = 0;
  marks.forEach((m, i) => {
    if (m.id === 'reset') {
      from = i;
      rebooted++;
    }
  });
  return { marks: marks.slice(from), rebooted };
}

export function BootTimeline({ vm, marks: all }: { vm: VmView; marks: TimelineMark[] }) {
  const { marks: raw, rebooted } = currentBoot(all);
  const marks = [...raw].sort((a, b) => a.atMs - b.atMs);
  const t0 = marks[0]?.id === 'reset' ? marks[0].atMs : 0;
  const login = marks.find((m) => m.id === 'login');
  const booting = (vm.state === 'starting' || vm.state === 'running') && !login && !!vm.startedAt;
  const startedAt = vm.startedAt ? Date.parse(vm.startedAt) : undefined;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!booting) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [booting]);

  if (!marks.length) {
    return (
      <section className="boot-timeline boot-timeline-empty" aria-label="Boot timeline" data-testid="timeline">
        <span className="boot-timeline-title">Boot timeline</span>
        <span className="muted small">Start the VM to see how long each stage of its boot takes.</span>
      </section>
    );
  }

  const last = marks[marks.length - 1]!.atMs;
  const elapsed = booting && startedAt ? Math.max(last, now - startedAt) : last;
  // The login prompt ends the track; while booting the track runs a little ahead of the cursor.
  const span = Math.max(booting ? elapsed * 1.08 : elapsed, t0 + 500) - t0;
  const x = (ms: number) => Math.min(100, Math.max(0, ((ms - t0) / span) * 100));

  // Segments: from each mark to the next, in the colour of the stage that mark begins.
  const segs: { from: number; to: number; phase: string; label: string }[] = [];
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i]!;
    if (m.id === 'login') break;
    const to = marks[i + 1]?.atMs ?? (booting ? elapsed : m.atMs);
    if (to <= m.atMs) continue;
    const next = marks[i + 1];
    // Stages the kernel did not print (quiet boots) fold into the segment before them.
    const phase = PHASE_OF[m.id];
    const skipped = next ? STAGES.slice(STAGES.findIndex((s) => s.phase === phase) + 1, STAGES.findIndex((s) => s.id === next.id)).map((s) => PHASE_WORDS[s.phase]).filter(Boolean) : [];
    segs.push({ from: m.atMs, to, phase, label: [PHASE_WORDS[phase], ...skipped].join(' + ') });
  }

  // Pins: labels take the first of three rows where they do not run into the one before.
  const pins = marks.filter((m) => m.id !== 'start');
  const rowsEnd = [-100, -100, -100];
  const placed = pins.map((m) => {
    const px = x(m.atMs);
    let row = rowsEnd.findIndex((end) => px - end > 15);
    if (row < 0) row = rowsEnd.indexOf(Math.min(...rowsEnd));
    rowsEnd[row] = px;
    return { m, px, row };
  });
  const rows = Math.max(1, ...placed.map((p) => p.row + 1));
  const missing = STAGES.filter((s) => !marks.some((m) => m.id === s.id));
  const summary =
    marks
      .filter((m) => m.id !== 'start')
      .map((m) => `${m.label} at ${seconds(m.atMs - t0)}`)
      .join(', ') || 'no milestone yet';

  return (
    <section className="boot-timeline" aria-label="Boot timeline" data-testid="timeline">
      <div className="boot-timeline-head">
        <span className="boot-timeline-title">Boot timeline</span>
        {login ? (
          <span className="boot-timeline-total" data-testid="timeline-total">
            login prompt after <strong>{seconds(login.atMs - t0)}</strong>
          </span>
        ) : booting ? (
          <span className="boot-timeline-total muted">booting… {seconds(elapsed - t0)}</span>
        ) : (
          <span className="boot-timeline-total muted">no login prompt seen</span>
        )}
        {rebooted > 0 && <span className="boot-timeline-reboot small">guest rebooted{rebooted > 1 ? ` ${rebooted}×` : ''}; this boot only</span>}
      </div>
      <div className="boot-track-area" role="img" aria-label={`Boot timeline: ${summary}`} style={{ paddingTop: `${rows * 34 + 4}px` }}>
        {placed.map(({ m, px, row }) => (
          <div
            key={`${m.id}-${m.at}`}
            className={`boot-pin boot-pin-${m.id}${px > 80 ? ' boot-pin-end' : ''}`}
            style={{ left: `${px}%`, top: `${(rows - 1 - row) * 34}px`, height: `${row * 34 + 40}px` }}
            data-testid={`timeline-mark-${m.id}`}
            title={`${m.label}: ${seconds(m.atMs - t0)} after the start (${new Date(m.at).toLocaleTimeString()})${m.text ? `\n${m.text}` : ''}`}
          >
            <span className="boot-pin-label">
              <span className="boot-pin-name">{m.id === 'kernel' ? 'Linux' : m.label}</span>
              <span className="boot-pin-time">{seconds(m.atMs - t0)}</span>
            </span>
          </div>
        ))}
        <div className="boot-track">
          {segs.map((s) => (
            <div
              key={`${s.phase}-${s.from}`}
              className={`boot-seg boot-seg-${s.phase}`}
              style={{ left: `${x(s.from)}%`, width: `${Math.max(0.4, x(s.to) - x(s.from))}%` }}
              title={`${s.label}: ${seconds(s.to - s.from)}`}
            >
              {x(s.to) - x(s.from) > 14 && <span className="boot-seg-label">{s.label}</span>}
            </div>
          ))}
          {booting && <div className="boot-now" style={{ left: `${x(elapsed)}%` }} aria-hidden="true" />}
        </div>
        <div className="boot-axis" aria-hidden="true">
          <span>0 s</span>
          <span>{seconds(span)}</span>
        </div>
      </div>
      {missing.length > 0 && (
        <div className="boot-timeline-missing small muted">
          {login ? 'Not printed' : 'Not seen yet'}: {missing.map((s) => s.label).join(', ')}
          {login && missing.some((s) => s.id === 'kernel' || s.id === 'init') && <> (quiet kernel, e.g. <code>loglevel=3</code>)</>}
        </div>
      )}
    </section>
  );
}
