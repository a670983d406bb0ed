import { useEffect, useState, type RefObject } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { EntryView } from '../../../../shared/image';

/** 1536 → "1.5 KB" (binary units, as ls -h and du -h print them). */
export function human(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

export function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

export function hex(n: number, width = 0): string {
  return '0x' + n.toString(16).toUpperCase().padStart(width, '0');
}

export const TYPE_WORDS: Record<EntryView['type'], string> = {
  file: 'File',
  dir: 'Folder',
  symlink: 'Symbolic link',
  char: 'Character device',
  block: 'Block device',
  fifo: 'Named pipe (FIFO)',
  socket: 'Socket',
};

export function typeWords(e: EntryView): string {
  if (e.archive) return `Archive (${e.archive}), opens as a folder`;
  return TYPE_WORDS[e.type];
}

/** Shows what failed and what to do, inline: never an alert box, never a blank pane. */
export function ErrorNote({ error, onRetry, compact, testId }: { error: LabErrorShape; onRetry?: () => void; compact?: boolean; testId?: string }) {
  return (
    <div className={`ins-error${compact ? ' ins-error-compact' : ''}`} role="alert" data-testid={testId ?? 'inspect-error'} data-code={error.code}>
      <div className="ins-error-text">
        <strong>{error.message}</strong>
        {error.hint && <div className="ins-error-hint">{error.hint}</div>}
      </div>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export type IconKind = 'dir' | 'dir-open' | 'file' | 'text' | 'symlink' | 'archive' | 'device' | 'fifo' | 'kernel' | 'disc';

export function iconFor(e: EntryView, open = false): IconKind {
  if (e.archive) return 'archive';
  switch (e.type) {
    case 'dir':
      return open ? 'dir-open' : 'dir';
    case 'symlink':
      return 'symlink';
    case 'char':
    case 'block':
      return 'device';
    case 'fifo':
    case 'socket':
      return 'fifo';
    default:
      if (/^(bzImage|vmlinuz.*|bzimage)$/.test(e.name)) return 'kernel';
      if (/\.(cfg|conf|txt|sh|md)$/i.test(e.name)) return 'text';
      return 'file';
  }
}

/** Small line icons (the UI has no emoji font to rely on). */
export function Icon({ kind }: { kind: IconKind }) {
  const common = { width: 16, height: 16, viewBox: '0 0 16 16', 'aria-hidden': true, className: `ins-icon ins-icon-${kind}` } as const;
  switch (kind) {
    case 'dir':
      return (
        <svg {...common}>
          <path d="M1.5 3.5h4.2l1.5 1.6h7.3v8.4H1.5z" fill="currentColor" fillOpacity="0.25" stroke="currentColor" strokeLinejoin="round" />
        </svg>
      );
    case 'dir-open':
      return (
        <svg {...common}>
          <path d="M1.5 3.5h4.2l1.5 1.6h6.3v2H4l-2.5 6.4z" fill="currentColor" fillOpacity="0.15" stroke="currentColor" strokeLinejoin="round" />
          <path d="M4 7.1h11l-2.4 6.4H1.5z" fill="currentColor" fillOpacity="0.3" stroke="currentColor" strokeLinejoin="round" />
        </svg>
      );
    case 'archive':
      return (
        <svg {...common}>
          <rect x="2" y="2.5" width="12" height="11" rx="1.5" fill="currentColor" fillOpacity="0.2" stroke="currentColor" />
          <path d="M8 2.5v2M8 5.5v1.2M8 7.7v1.2" stroke="currentColor" strokeWidth="1.6" />
          <rect x="6.7" y="9.5" width="2.6" height="2.5" rx="0.5" fill="currentColor" />
        </svg>
      );
    case 'symlink':
      return (
        <svg {...common}>
          <path d="M3 2.5h6.5l3 3v8H3z" fill="none" stroke="currentColor" strokeLinejoin="round" />
          <path d="M5.2 11.5c0-2.6 1.3-3.7 4-3.7M8 6.2l1.7 1.6L8 9.4" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      );
    case 'device':
      return (
        <svg {...common}>
          <rect x="3" y="3" width="10" height="10" rx="1.5" fill="currentColor" fillOpacity="0.15" stroke="currentColor" />
          <path d="M5 1v2M8 1v2M11 1v2M5 13v2M8 13v2M11 13v2" stroke="currentColor" />
        </svg>
      );
    case 'fifo':
      return (
        <svg {...common}>
          <path d="M2 8h12M10.5 5l3 3-3 3" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      );
    case 'kernel':
      return (
        <svg {...common}>
          <path d="M3 1.5h6.5l3.5 3.5v9.5H3z" fill="currentColor" fillOpacity="0.18" stroke="currentColor" strokeLinejoin="round" />
          <path d="M8.6 5.2 5.8 9h2.4l-.9 3.3 3-4.1H7.9z" fill="currentColor" />
        </svg>
      );
    case 'disc':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.5" fill="currentColor" fillOpacity="0.15" stroke="currentColor" />
          <circle cx="8" cy="8" r="1.8" fill="none" stroke="currentColor" />
        </svg>
      );
    case 'text':
      return (
        <svg {...common}>
          <path d="M3 1.5h6.5l3.5 3.5v9.5H3z" fill="none" stroke="currentColor" strokeLinejoin="round" />
          <path d="M5 7h6M5 9.2h6M5 11.4h4" stroke="currentColor" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <path d="M3 1.5h6.5l3.5 3.5v9.5H3z" fill="none" stroke="currentColor" strokeLinejoin="round" />
          <path d="M9.5 1.5V5H13" fill="none" stroke="currentColor" strokeLinejoin="round" />
        </svg>
      );
  }
}

/** base64 → bytes, without going through a string per byte twice. */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Text if there is no NUL in the first 8 KB and those bytes are valid UTF-8. */
export function looksLikeText(head: Uint8Array, complete: boolean): boolean {
  const probe = head.subarray(0, 8192);
  if (probe.includes(0)) return false;
  try {
    // stream: a multi-byte character cut at the end of the probe is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(probe, { stream: !complete || head.length > 8192 });
    return true;
  } catch {
    return false;
  }
}

/** The viewport of a scrolling element, kept up to date. */
export function useViewport(ref: RefObject<HTMLElement | null>): { width: number; height: number; fontSize: number } {
  const [vp, setVp] = useState({ width: 0, height: 400, fontSize: 14 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const fontSize = parseFloat(getComputedStyle(el).fontSize) || 14;
      const { clientWidth: width, clientHeight: height } = el;
      setVp((old) => (old.width === width && old.height === height && old.fontSize === fontSize ? old : { width, height, fontSize }));
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    // Presenter mode changes the font size without resizing the element.
    const mo = new MutationObserver(measure);
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-presenter'] });
    return () => {
      ro.disconnect();
      mo.disconnect();
    };
  }, [ref]);
  return vp;
}

/**
 * Maps a scroll position to rows when there are more rows than a browser can make tall
 * (Chrome stops near 33 million pixels): past MAX_PX the scrollbar is scaled.
 */
const MAX_PX = 8_000_000;
export function virtualWindow(rowCount: number, rowHeight: number, scrollTop: number, viewport: number) {
  // Never more rows than a tall screen holds, even if a layout glitch makes the box huge.
  viewport = Math.min(viewport, 4000);
  const full = rowCount * rowHeight;
  const visible = Math.ceil(viewport / rowHeight) + 1;
  if (full <= MAX_PX) {
    const first = Math.max(0, Math.floor(scrollTop / rowHeight));
    return { spacer: full, first, count: Math.min(visible + 1, Math.max(0, rowCount - first)), top: first * rowHeight, scaled: false };
  }
  const maxScroll = Math.max(1, MAX_PX - viewport);
  const ratio = Math.min(1, scrollTop / maxScroll);
  const lastFirst = Math.max(0, rowCount - visible + 1);
  const first = Math.round(ratio * lastFirst);
  return { spacer: MAX_PX, first, count: Math.min(visible + 1, rowCount - first), top: scrollTop, scaled: true };
}

/** The scrollTop that shows row `index` (the inverse of virtualWindow). */
export function scrollTopFor(rowCount: number, rowHeight: number, viewport: number, index: number): number {
  viewport = Math.min(viewport, 4000);
  const full = rowCount * rowHeight;
  if (full <= MAX_PX) return index * rowHeight;
  const visible = Math.ceil(viewport / rowHeight) + 1;
  const lastFirst = Math.max(1, rowCount - visible + 1);
  return (Math.min(index, lastFirst) / lastFirst) * Math.max(1, MAX_PX - viewport);
}
