import type { Check, DoctorReport } from '../../../shared/doctor';
import { CheckBadge } from '../components/CheckBadge';
import { CopyButton } from '../components/CopyButton';
import { DiskBar } from '../components/DiskBar';
import { ReadinessMap } from '../components/ReadinessMap';
import { useStream } from '../hooks';
import { useLab } from '../store/lab-store';
import { TourStartCard } from './tour/TourEntry';

const SOURCE_WORDS: Record<DoctorReport['docker']['endpoint']['source'], string> = {
  setting: 'your setting',
  DOCKER_HOST: 'DOCKER_HOST',
  'docker-context': 'Docker context',
  'default-socket': 'default socket',
  'podman-rootless': 'Podman (rootless)',
  'podman-rootful': 'Podman (rootful)',
};

function CheckRow({ check }: { check: Check }) {
  return (
    <li className={`check check-${check.level}`} data-check={check.id}>
      <CheckBadge level={check.level} />
      <div className="check-body">
        <div className="check-head">
          <span className="check-label">{check.label}</span>
          <span className="check-detail">{check.detail}</span>
        </div>
        {check.hint && check.level !== 'ok' && (
          <div className="hint">
            <span className="hint-label">Fix</span>
            <code>{check.hint}</code>
            <CopyButton text={check.hint} />
          </div>
        )}
      </div>
    </li>
  );
}

function DockerCard({ docker }: { docker: DoctorReport['docker'] }) {
  return (
    <section className="card" aria-labelledby="docker-title" data-testid="docker-card">
      <h2 id="docker-title">
        Docker engine <CheckBadge level={docker.answering ? 'ok' : 'error'} />
      </h2>
      <dl className="facts">
        <dt>Endpoint</dt>
        <dd>
          <code data-testid="docker-endpoint">{docker.endpoint.url}</code>
        </dd>
        <dt>Chosen by</dt>
        <dd title={docker.endpoint.detail}>
          {SOURCE_WORDS[docker.endpoint.source]} <span className="muted">({docker.endpoint.detail})</span>
        </dd>
        {docker.answering ? (
          <>
            <dt>Version</dt>
            <dd data-testid="docker-version">
              {docker.version} <span className="muted">API {docker.apiVersion} · {docker.os}/{docker.arch}{docker.engine && docker.engine !== 'docker' ? ` · ${docker.engine}` : ''}</span>
            </dd>
          </>
        ) : (
          <>
            <dt>Problem</dt>
            <dd className="error-text" data-testid="docker-error">{docker.error?.message ?? 'not answering'}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

export function LabStatus() {
  const { report, statusError, refreshing, refresh, setReport, setStatusError } = useLab();
  useStream(
    'lab.status',
    undefined,
    (batch) => {
      const last = batch[batch.length - 1];
      if (last) setReport(last);
    },
    setStatusError,
  );

  return (
    <div className="view" data-testid="lab-status">
      <header className="view-head">
        <div>
          <h1>Lab status</h1>
          <p className="lede">What this machine has for building, inspecting and booting ISOs. Refreshed live.</p>
        </div>
        <div className="view-actions">
          {report && <span className="muted" data-testid="checked-at">checked {new Date(report.generatedAt).toLocaleTimeString()}</span>}
          <button type="button" className="btn" onClick={() => void refresh()} disabled={refreshing} aria-keyshortcuts="F5">
            {refreshing ? 'Checking…' : 'Check again'}
          </button>
        </div>
      </header>

      <TourStartCard />

      {statusError && (
        <div className="banner banner-error" role="alert">
          <strong>{statusError.message}</strong>
          {statusError.hint && <div>{statusError.hint}</div>}
        </div>
      )}

      {!report ? (
        <p className="muted" aria-busy="true">Checking Docker, QEMU, VirtualBox and disk space…</p>
      ) : (
        <>
          <ReadinessMap report={report} />
          <div className="grid">
            <DockerCard docker={report.docker} />
            <section className="card" aria-labelledby="disk-title">
              <h2 id="disk-title">Disk space</h2>
              {report.disks.map((d) => (
                <div key={d.path}>
                  <div className="muted small">{d.label}</div>
                  <DiskBar disk={d} />
                </div>
              ))}
            </section>
          </div>
          <section className="card" aria-labelledby="checks-title">
            <h2 id="checks-title">All checks</h2>
            <ul className="checks">
              {report.checks.map((c) => (
                <CheckRow key={c.id} check={c} />
              ))}
            </ul>
          </section>
        </>
      )}
    </div>
  );
}
