import { useEffect, useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { KernelCard } from '../../../../shared/image';
import { api } from '../../api/lab-api';
import { shape } from '../../store/inspect-store';
import { ErrorNote, hex, human } from './common';
import { isIpxeKernel } from './boot-equipment';

/** What the x86 boot header of a bzImage says: the kernel version and how it wants to be loaded. */
export function KernelCardView({ file, path, known }: { file: string; path: string; known?: KernelCard }) {
  const [card, setCard] = useState<KernelCard | undefined>(known);
  const [error, setError] = useState<LabErrorShape>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (known) {
      setCard(known);
      return;
    }
    let alive = true;
    setCard(undefined);
    setError(undefined);
    api
      .request('image.kernel', { file, path })
      .then((c) => alive && setCard(c))
      .catch((err) => alive && setError(shape(err)));
    return () => {
      alive = false;
    };
  }, [file, path, known, attempt]);

  if (error) return <ErrorNote error={error} onRetry={() => setAttempt((n) => n + 1)} testId="kernel-error" />;
  if (!card) return <p className="muted" aria-busy="true">Reading the kernel's boot header…</p>;

  const setupBytes = (card.setupSectors + 1) * 512;
  return (
    <section className="card ins-card kernel-card" data-testid="kernel-card" aria-labelledby="kernel-card-title">
      <h3 id="kernel-card-title">
        {isIpxeKernel(path) ? 'iPXE in the kernel format' : 'Linux kernel'}{' '}
        <span className="kernel-version" data-testid="kernel-version">{card.version ? card.version.split(' ')[0] : 'version not found'}</span>
      </h3>
      <p className="muted small ins-card-lede">
        A bzImage is a boot sector and {card.setupSectors} setup sectors of 16-bit code ({human(setupBytes)}) that the bootloader runs first, followed by the compressed kernel
        {card.payloadCompression ? ` (${card.payloadCompression})` : ''}, which unpacks itself into memory.
      </p>
      <dl className="facts">
        <dt>Version string</dt>
        <dd className="kernel-version-string">{card.version ?? <span className="muted">not found in the image</span>}</dd>
        <dt>Boot protocol</dt>
        <dd>
          {card.bootProtocol} <span className="muted small">(what the bootloader and kernel agree on)</span>
        </dd>
        <dt>Setup</dt>
        <dd>
          {card.setupSectors} sectors <span className="muted small">({human(setupBytes)} with the boot sector)</span>
        </dd>
        {card.protectedModeSize !== undefined && (
          <>
            <dt>Kernel part</dt>
            <dd>{human(card.protectedModeSize)}</dd>
          </>
        )}
        <dt>Compression</dt>
        <dd data-testid="kernel-compression">{card.payloadCompression ?? 'unknown'}</dd>
        <dt>Relocatable</dt>
        <dd>{card.relocatable === undefined ? '—' : card.relocatable ? 'yes: it can run from any suitably aligned address' : 'no: it must load at its preferred address'}</dd>
        {card.kernelAlignment !== undefined && (
          <>
            <dt>Alignment</dt>
            <dd>
              {hex(card.kernelAlignment)} <span className="muted small">({human(card.kernelAlignment)})</span>
            </dd>
          </>
        )}
        {card.preferredAddress && (
          <>
            <dt>Preferred address</dt>
            <dd>
              <code>{card.preferredAddress}</code>
            </dd>
          </>
        )}
        {card.initrdAddrMax && (
          <>
            <dt>Highest initrd address</dt>
            <dd>
              <code>{card.initrdAddrMax}</code>
            </dd>
          </>
        )}
        {card.xloadflags && card.xloadflags.length > 0 && (
          <>
            <dt>Load flags</dt>
            <dd className="tag-list">
              {card.xloadflags.map((f) => (
                <span key={f} className="ins-tag">
                  {f}
                </span>
              ))}
            </dd>
          </>
        )}
        {card.cmdlineMax !== undefined && (
          <>
            <dt>Command line</dt>
            <dd>up to {card.cmdlineMax.toLocaleString('en-US')} bytes</dd>
          </>
        )}
        {card.handoverOffset !== undefined && card.handoverOffset > 0 && (
          <>
            <dt>EFI handover</dt>
            <dd>
              at {hex(card.handoverOffset)} <span className="muted small">(UEFI firmware can start it directly)</span>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
