import type { BootCatalog } from '../../../../shared/image';
import { hex, human } from './common';

const PLATFORM: Record<string, string> = { bios: 'BIOS (PC)', efi: 'UEFI', ppc: 'PowerPC', mac: 'Mac' };
const EMULATION: Record<string, string> = {
  none: 'none: the image is loaded as is',
  'floppy-1.2': '1.2 MB floppy',
  'floppy-1.44': '1.44 MB floppy',
  'floppy-2.88': '2.88 MB floppy',
  hdd: 'hard disk',
};

export function platformWords(p: string): string {
  return PLATFORM[p] ?? p;
}

/** The El Torito boot catalog: how the firmware finds what to boot on this disc. */
export function BootCatalogCard({ catalog, onReveal }: { catalog: BootCatalog; onReveal: (path: string) => void }) {
  const v = catalog.validation;
  return (
    <section className="card ins-card" data-testid="boot-catalog-card" aria-labelledby="boot-catalog-title">
      <h3 id="boot-catalog-title">El Torito boot catalog</h3>
      <p className="muted small ins-card-lede">
        The firmware reads this table (at sector {catalog.catalogLba}) to find the boot image. Each entry says for which platform, whether it is bootable, and how
        many 512-byte sectors to load where.
      </p>
      <h4>Validation entry</h4>
      <dl className="facts">
        <dt>Platform</dt>
        <dd>{platformWords(v.platform)}</dd>
        <dt>Made by</dt>
        <dd>{v.idString ? <code>{v.idString}</code> : <span className="muted">(empty)</span>}</dd>
        <dt>Checksum</dt>
        <dd className={v.checksumOk ? 'ok-text' : 'error-text'}>{v.checksumOk ? 'correct' : 'wrong: some firmware will refuse to boot'}</dd>
        {catalog.bootInfoTable !== undefined && (
          <>
            <dt>Boot info table</dt>
            <dd>{catalog.bootInfoTable ? 'yes (patched in by -boot-info-table)' : 'no'}</dd>
          </>
        )}
      </dl>
      <h4>Boot entries</h4>
      <div className="table-wrap">
        <table className="ins-table" data-testid="boot-entries">
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Platform</th>
              <th scope="col">Bootable</th>
              <th scope="col">Emulation</th>
              <th scope="col">Load segment</th>
              <th scope="col">Sectors</th>
              <th scope="col">Boot image</th>
            </tr>
          </thead>
          <tbody>
            {catalog.entries.map((e, i) => (
              <tr key={i}>
                <td>{e.kind}</td>
                <td>{platformWords(e.platform)}</td>
                <td>{e.bootable ? 'yes' : 'no'}</td>
                <td>{EMULATION[e.emulation] ?? e.emulation}</td>
                <td>{e.loadSegment === 0 ? <span title="0 means the default, 0x07C0">{hex(0x7c0, 4)} (default)</span> : hex(e.loadSegment, 4)}</td>
                <td>
                  {e.sectorCount}
                  <span className="muted small"> × 512 B = {human(e.sectorCount * 512)}</span>
                </td>
                <td>
                  {e.file ? (
                    <button type="button" className="link-btn" data-testid="boot-image-link" onClick={() => onReveal(e.file!)}>
                      {e.file}
                    </button>
                  ) : (
                    <span className="muted">sector {e.lba} (no file)</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
