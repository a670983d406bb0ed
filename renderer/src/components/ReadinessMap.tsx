import type { DoctorReport } from '../../../shared/doctor';

type Ready = 'ready' | 'partly' | 'blocked';

function boot(report: DoctorReport): { state: Ready; why: string } {
  const qemu = !report.qemu.system.error;
  const vbox = !report.virtualbox.error;
  if (!qemu && !vbox) return { state: 'blocked', why: 'needs QEMU or VirtualBox' };
  const drivers = [qemu && 'QEMU', vbox && 'VirtualBox'].filter(Boolean).join(' + ');
  if (qemu && !report.qemu.kvm.usable && !vbox) return { state: 'partly', why: `${drivers}, no KVM: slow` };
  return { state: 'ready', why: drivers };
}

/**
 * The three things ISO Lab does, and whether this machine can do each right now: the
 * answer most people want from a status screen, before any detail.
 */
export function ReadinessMap({ report }: { report: DoctorReport }) {
  const steps: { name: string; state: Ready; why: string }[] = [
    {
      name: 'Build',
      state: report.docker.answering ? 'ready' : 'blocked',
      why: report.docker.answering ? `Docker ${report.docker.version ?? ''}`.trim() : 'needs a Docker engine',
    },
    { name: 'Inspect', state: 'ready', why: 'no tools needed' },
    { name: 'Boot', ...boot(report) },
  ];
  return (
    <ol className="readiness" aria-label="What this machine can do">
      {steps.map((s, i) => (
        <li key={s.name} className={`step step-${s.state}`} data-step={s.name.toLowerCase()} data-state={s.state}>
          <span className="step-index">{i + 1}</span>
          <span className="step-name">{s.name}</span>
          <span className="step-why">{s.why}</span>
        </li>
      ))}
    </ol>
  );
}
