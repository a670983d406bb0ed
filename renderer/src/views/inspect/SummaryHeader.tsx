import type { ImageInfo } from '../../../../shared/image';
import { useBoot } from '../../store/boot-store';
import { useInspect } from '../../store/inspect-store';
import { useLab } from '../../store/lab-store';
import { platformWords } from './BootCatalogCard';
import { grouped, human, Icon } from './common';

/** The open image at a glance: volume, size, extensions, how it boots, kernel and initrd. */
export function SummaryHeader({ info }: { info: ImageInfo }) {
  const { revealPath } = useInspect.getState();
  const iso = info.iso;
  const boot = iso?.elTorito?.entries ?? [];
  const platforms = [...new Set(boot.map((b) => b.platform))];
  return (
    <section className="card summary" data-testid="image-summary" aria-label={`Summary of ${info.name}`}>
      <div className="summary-title">
        <Icon kind={info.kind === 'iso' ? 'disc' : 'archive'} />
        <div className="summary-name">
          <strong data-testid="image-name">{info.name}</strong>
          <span className="muted small summary-path" title={info.file}>
            {info.file}
          </span>
        </div>
        {iso && boot.length > 0 && (
          <button
            type="button"
            className="btn btn-primary summary-boot"
            data-testid="boot-this-iso"
            data-tour="boot-iso"
            title="Boot it in a VM with the default hypervisor and size (Settings), and show its serial console"
            onClick={() => {
              useLab.getState().setView('boot');
              void useBoot.getState().bootIso(info.file);
            }}
          >
            Boot this ISO
          </button>
        )}
      </div>
      <dl className="summary-facts">
        <div>
          <dt>Size</dt>
          <dd title={`${grouped(info.size)} bytes`}>{human(info.size)}</dd>
        </div>
        {iso ? (
          <>
            <div>
              <dt>Volume</dt>
              <dd data-testid="volume-id">{iso.volume.volumeId || <span className="muted">(none)</span>}</dd>
            </div>
            <div>
              <dt>Format</dt>
              <dd className="tag-list">
                <span className="ins-tag">ISO 9660</span>
                {iso.rockRidge && (
                  <span className="ins-tag ins-tag-ok" title="Rock Ridge: Unix names, permissions, owners and symlinks" data-testid="badge-rockridge">
                    Rock Ridge
                  </span>
                )}
                {iso.joliet && (
                  <span className="ins-tag ins-tag-ok" title="Joliet: long Unicode names for Windows" data-testid="badge-joliet">
                    Joliet
                  </span>
                )}
                {iso.hybrid && (iso.hybrid.mbr || iso.hybrid.gpt) && (
                  <span className="ins-tag" title="Also bootable when written to a USB stick">
                    hybrid {iso.hybrid.gpt ? 'GPT' : 'MBR'}
                  </span>
                )}
              </dd>
            </div>
            <div>
              <dt>Boots</dt>
              <dd className="tag-list" data-testid="boot-platforms">
                {platforms.length ? (
                  platforms.map((p) => (
                    <span key={p} className="ins-tag ins-tag-accent">
                      {platformWords(p)}
                    </span>
                  ))
                ) : (
                  <span className="muted">not bootable (no El Torito record)</span>
                )}
              </dd>
            </div>
          </>
        ) : (
          <div>
            <dt>Format</dt>
            <dd>
              <span className="ins-tag ins-tag-archive">{info.format}</span> <span className="muted small">initrd / root filesystem</span>
            </dd>
          </div>
        )}
        {info.kernel && (
          <div>
            <dt>Kernel</dt>
            <dd>
              <button type="button" className="link-btn" data-testid="summary-kernel" onClick={() => void revealPath(info.kernel!.path)} title={info.kernel.path}>
                {info.kernel.card.version ? info.kernel.card.version.split(' ')[0] : info.kernel.path.slice(1)}
              </button>
            </dd>
          </div>
        )}
        {iso && (
          <div>
            <dt>Initrd</dt>
            <dd className="tag-list" data-testid="summary-initrd">
              {info.initrds.length ? (
                info.initrds.map((r) => (
                  <span key={r.path} className="summary-initrd">
                    <button type="button" className="link-btn" onClick={() => void revealPath(r.path)} title={`${r.path}, ${human(r.size)}`}>
                      {r.path.slice(1)}
                    </button>
                    <span className="ins-tag ins-tag-archive">{r.format}</span>
                  </span>
                ))
              ) : (
                <span className="muted">none found</span>
              )}
            </dd>
          </div>
        )}
      </dl>
    </section>
  );
}
