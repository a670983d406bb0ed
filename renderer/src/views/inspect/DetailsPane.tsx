import { Fragment, useEffect, useRef, useState, type ReactNode } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { EntryView, ImageInfo } from '../../../../shared/image';
import { api } from '../../api/lab-api';
import { baseName, shape, useInspect } from '../../store/inspect-store';
import { CopyButton } from '../../components/CopyButton';
import { editedEntry } from '../../store/edit-overlay';
import { useEdit } from '../../store/edit-store';
import { openEntryMenu } from './edit/EntryMenu';
import { FileEditor } from './edit/FileEditor';
import { BootCatalogCard } from './BootCatalogCard';
import { ErrorNote, fromBase64, grouped, hex, human, Icon, iconFor, looksLikeText, typeWords } from './common';
import { explain } from './explain';
import { HexViewer, type ViewerHandle } from './HexViewer';
import { IndexProgressBar } from './IndexProgress';
import { KernelCardView } from './KernelCardView';
import { bootLoaders, describeLoaders, isIpxeKernel } from './boot-equipment';
import { TextViewer } from './TextViewer';

/** Renders `code` spans written with backticks. */
export function RichText({ text }: { text: string }) {
  const parts = text.split('`');
  return (
    <>
      {parts.map((p, i) => (i % 2 ? <code key={i}>{p}</code> : <Fragment key={i}>{p}</Fragment>))}
    </>
  );
}

function owner(id: number): string {
  return id === 0 ? `${id} (root)` : String(id);
}

function relInside(e: EntryView): string | undefined {
  const inside = e.inside?.filter((a) => a !== '/');
  if (!inside?.length) return undefined;
  return inside[inside.length - 1]!.slice(1);
}

/** linkOf is a path inside the archive the entry lies in; the tree needs the whole path. */
function linkOfPath(e: EntryView): string {
  const base = e.inside?.filter((a) => a !== '/').pop();
  const link = e.linkOf!;
  return base && !link.startsWith(base + '/') ? base + link : link;
}

function samePath(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const norm = (p: string) => (p.startsWith('/') ? p : '/' + p);
  return norm(a) === norm(b);
}

function Facts({ e, info }: { e: EntryView; info: ImageInfo }) {
  const { followLink, revealPath } = useInspect.getState();
  const inside = relInside(e);
  const rows: [string, ReactNode][] = [];
  rows.push(['Type', typeWords(e)]);
  if (e.type === 'file') {
    rows.push([
      'Size',
      <span data-testid="detail-size">
        {human(e.size)} <span className="muted">({grouped(e.size)} bytes)</span>
      </span>,
    ]);
  }
  rows.push([
    'Mode',
    <span>
      <code data-testid="detail-mode">{e.modeString}</code> <span className="muted">{e.mode.toString(8).padStart(4, '0')}</span>
    </span>,
  ]);
  rows.push(['Owner', `${owner(e.uid)} : ${owner(e.gid)}`]);
  if (e.mtime) rows.push(['Modified', <time dateTime={e.mtime} title={e.mtime}>{new Date(e.mtime).toLocaleString()}</time>]);
  if (e.type === 'symlink') {
    rows.push([
      'Points to',
      <span>
        <button type="button" className="link-btn" data-testid="follow-link" onClick={() => void followLink(e.path)} title="Resolve the link and show where it goes">
          {e.target ?? '?'} →
        </button>
      </span>,
    ]);
  }
  if (e.linkOf) {
    const other = linkOfPath(e);
    rows.push([
      'Hard link',
      <span>
        same data as{' '}
        <button type="button" className="link-btn" data-testid="hardlink" onClick={() => void revealPath(other)}>
          {other}
        </button>
      </span>,
    ]);
  }
  if (e.rdev) rows.push(['Device', `major ${e.rdev.major}, minor ${e.rdev.minor}`]);
  if (e.archive) rows.push(['Archive', <span className="ins-tag ins-tag-archive">{e.archive}</span>]);
  if (e.offset !== undefined) {
    rows.push([
      'Position',
      <span data-testid="detail-position">
        byte {hex(e.offset)} <span className="muted">({grouped(e.offset)})</span>{' '}
        {inside ? (
          <>
            of <strong>{inside}</strong>'s unpacked data
          </>
        ) : (
          <>of {info.name}</>
        )}
        {!inside && e.offset % 2048 === 0 && <span className="muted"> · sector {grouped(e.offset / 2048)}</span>}
      </span>,
    ]);
  }
  if (inside) rows.push(['Inside', <span data-testid="detail-inside">inside {inside}</span>]);
  rows.push([
    'Path',
    <span className="path-line">
      <code>{e.path}</code> <CopyButton text={e.path} />
    </span>,
  ]);
  return (
    <dl className="facts details-facts" data-testid="details-facts">
      {rows.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

type Mode = 'text' | 'hex' | 'kernel' | 'catalog';
const MODE_LABEL: Record<Mode, string> = { text: 'Text', hex: 'Hex', kernel: 'Kernel', catalog: 'Boot catalog' };

function isKernelHead(head: Uint8Array): boolean {
  return head.length > 0x206 && head[0x202] === 0x48 && head[0x203] === 0x64 && head[0x204] === 0x72 && head[0x205] === 0x53; // "HdrS"
}

/** Chooses how to show a file (text, hex, kernel card, boot catalog) from its name and first bytes. */
function Viewer({ e, image }: { e: EntryView; image: { file: string; info: ImageInfo } }) {
  const focusViewer = useInspect((s) => s.focusViewer);
  const { revealPath } = useInspect.getState();
  const [modes, setModes] = useState<Mode[]>();
  const [mode, setMode] = useState<Mode>();
  const [error, setError] = useState<LabErrorShape>();
  const [attempt, setAttempt] = useState(0);
  const viewer = useRef<ViewerHandle>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const catalog = image.info.iso?.elTorito;
  const isCatalog = !!catalog && (samePath(catalog.catalogFile, e.path) || (!catalog.catalogFile && e.path === '/boot.catalog'));
  const knownKernel = image.info.kernel && samePath(image.info.kernel.path, e.path) ? image.info.kernel.card : undefined;

  useEffect(() => {
    let alive = true;
    setError(undefined);
    setModes(undefined);
    const decide = (m: Mode[]) => {
      if (!alive) return;
      setModes(m);
      setMode(m[0]);
    };
    if (isCatalog) return decide(['catalog', 'hex']);
    if (knownKernel) return decide(['kernel', 'hex']);
    if (e.archive) return decide(['hex']);
    if (e.size === 0) return decide(['text']);
    // Wait a moment, so arrowing through the tree does not read every file on the way.
    const t = setTimeout(() => {
      api
        .request('image.read', { file: image.file, path: e.path, offset: 0, length: Math.min(e.size, 8192) })
        .then((res) => {
          const head = fromBase64(res.base64);
          if (isKernelHead(head)) decide(['kernel', 'hex']);
          else if (looksLikeText(head, e.size <= 8192)) decide(['text', 'hex']);
          else decide(['hex']);
        })
        .catch((err) => alive && setError(shape(err)));
    }, 120);
    return () => {
      alive = false;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [image.file, e.path, attempt]);

  // Enter in the tree moves the focus here (once the viewer is there, if it is still loading).
  const lastFocus = useRef(focusViewer);
  const wantFocus = useRef(false);
  useEffect(() => {
    if (focusViewer !== lastFocus.current) {
      lastFocus.current = focusViewer;
      wantFocus.current = true;
    }
    if (!wantFocus.current || !mode) return;
    wantFocus.current = false;
    if (viewer.current) viewer.current.focus();
    else wrap.current?.querySelector<HTMLElement>('[tabindex="0"], button, a')?.focus();
  }, [focusViewer, mode]);

  if (error) return <ErrorNote error={error} onRetry={() => setAttempt((n) => n + 1)} testId="viewer-error" />;
  if (!modes || !mode) return <p className="muted viewer-wait" aria-busy="true">Reading {e.name}…</p>;

  return (
    <div className={`viewer${mode === 'kernel' || mode === 'catalog' ? ' viewer-cards' : ''}`} ref={wrap} data-testid="viewer" data-mode={mode}>
      {modes.length > 1 && (
        <div className="viewer-tabs" role="tablist" aria-label="View as">
          {modes.map((m) => (
            <button key={m} type="button" role="tab" aria-selected={m === mode} className={`viewer-tab${m === mode ? ' active' : ''}`} data-testid={`viewer-tab-${m}`} onClick={() => setMode(m)}>
              {MODE_LABEL[m]}
            </button>
          ))}
        </div>
      )}
      {mode === 'text' && <TextViewer ref={viewer} file={image.file} path={e.path} size={e.size} />}
      {mode === 'hex' && <HexViewer ref={viewer} file={image.file} path={e.path} size={e.size} />}
      {mode === 'kernel' && (
        <div className="viewer-card-scroll" tabIndex={0}>
          <KernelCardView file={image.file} path={e.path} known={knownKernel} />
        </div>
      )}
      {mode === 'catalog' && catalog && (
        <div className="viewer-card-scroll" tabIndex={0}>
          <BootCatalogCard catalog={catalog} onReveal={(p) => void revealPath(p)} />
        </div>
      )}
    </div>
  );
}

function ArchiveStatus({ e }: { e: EntryView }) {
  const n = useInspect((s) => s.nodes.get(e.path));
  useInspect((s) => s.rev);
  const { expand, cancelIndex, retry } = useInspect.getState();
  if (!n) return null;
  if (n.index) return <IndexProgressBar progress={n.index} name={e.path === '/' ? e.name : e.path.slice(1)} onCancel={() => cancelIndex(e.path)} />;
  if (n.error) return <ErrorNote error={n.error} onRetry={() => retry(e.path)} />;
  const summary = n.indexed?.summary;
  if (n.indexed) {
    return (
      <div className="archive-summary small" data-testid="archive-summary">
        <strong>Opened</strong>
        {summary ? (
          <>
            {' '}
            · {grouped(summary.entryCount)} entries · {summary.format}
            {summary.segments.map((s, i) => (
              <div key={i} className="muted">
                part {i + 1}: {s.format} {s.compression !== 'none' ? `compressed with ${s.compression}` : 'uncompressed'}, {human(s.compressedSize)} → {human(s.uncompressedSize)},{' '}
                {grouped(s.entries)} entries
              </div>
            ))}
            {summary.warnings.map((w) => (
              <div key={w} className="warn-text">
                {w}
              </div>
            ))}
          </>
        ) : (
          <> · {grouped(n.indexed.entries)} entries</>
        )}
        {n.indexed.fromCache && <span className="muted"> (from the index cache)</span>}
      </div>
    );
  }
  return (
    <div className="archive-summary small">
      It opens as a folder.{' '}
      <button type="button" className="link-btn" onClick={() => void expand(e.path)}>
        Open it in the tree
      </button>{' '}
      <span className="muted">(or press → on it)</span>
    </div>
  );
}

function Overview({ info }: { info: ImageInfo }) {
  const { revealPath } = useInspect.getState();
  const link = (p: string, label?: string) => (
    <button type="button" className="link-btn" onClick={() => void revealPath(p)}>
      {label ?? p.slice(1)}
    </button>
  );
  if (info.kind === 'archive') {
    return (
      <div className="details-empty" data-testid="details-empty">
        <h2>A root filesystem</h2>
        <p>
          <strong>{info.name}</strong> is an initrd: a {info.format} archive holding a whole Linux root filesystem. The kernel unpacks it into memory at boot and runs{' '}
          <code>/init</code>. Select a file or folder on the left to see what it is.
        </p>
      </div>
    );
  }
  const initrd = info.initrds[0];
  const loaders = bootLoaders(info);
  const catalog = info.iso?.elTorito?.catalogFile;
  const kernel = info.kernel?.path;
  return (
    <div className="details-empty" data-testid="details-empty">
      <h2>What is on this disc</h2>
      <p data-testid="disc-overview">
        {loaders.length ? (
          <>
            The firmware starts {describeLoaders(loaders)}, through the El Torito boot catalog{catalog ? <> ({link(catalog, baseName(catalog))})</> : null}.{' '}
          </>
        ) : (
          <>This disc has no El Torito boot catalog: firmware will not boot it as a CD. </>
        )}
        {kernel && isIpxeKernel(kernel) ? (
          <>
            {link(kernel)} is iPXE, network boot firmware built in the Linux kernel's format so bootloaders load it like one; it fetches what it boots over the network.
          </>
        ) : kernel ? (
          <>The bootloader loads the Linux kernel ({link(kernel)}){initrd ? <> and the root filesystem ({link(initrd.path)}), which the kernel unpacks into RAM</> : null}.</>
        ) : initrd ? (
          <>The root filesystem is {link(initrd.path)}, which the kernel unpacks into RAM.</>
        ) : (
          <>No Linux kernel was found at the usual places (boot/, isolinux/, casper/, live/, images/pxeboot/ or the top).</>
        )}
      </p>
      <p className="muted">Select an entry on the left to see what it is{initrd ? '; expand the initrd to browse the root filesystem inside it' : ''}. Type a name to find it.</p>
    </div>
  );
}

/** The right pane: what the selected entry is, then its contents. */
/** Edit mode edits text files up to this size in the editor (edit.read gives 4 MiB at most). */
const EDITABLE_BYTES = 4 << 20;

export function DetailsPane({ onExtract }: { onExtract: (e: EntryView) => void }) {
  const image = useInspect((s) => s.image);
  const selected = useInspect((s) => s.selectedEntry);
  const editing = useEdit((s) => s.on && !!s.state);
  const overlay = useEdit((s) => (s.on ? s.overlay : undefined));
  const nodes = useInspect((s) => s.nodes);
  // In Edit mode the facts are the edit's: a new size, mode or owner, or nothing when deleted.
  const e = selected && overlay ? editedEntry(overlay, selected.path, (p) => (p === selected.path ? (nodes.get(p)?.entry ?? selected) : nodes.get(p)?.entry)) : selected;
  const mark = selected ? overlay?.marks.get(selected.path) : undefined;
  const inTree = useInspect((s) => (s.selectedEntry ? s.nodes.has(s.selectedEntry.path) : false));
  const children = useInspect((s) => (s.selectedEntry ? s.nodes.get(s.selectedEntry.path)?.children?.length : undefined));
  useInspect((s) => s.rev);
  const { followLink, revealPath } = useInspect.getState();
  if (!image) return null;
  if (!e) {
    return (
      <section className="details-pane" data-testid="details-pane">
        {selected ? (
          <div className="details-empty" data-testid="details-deleted">
            <h2>{selected.name}</h2>
            <p>Deleted in this edit: the new ISO will not have it. Undo the change in Changes to bring it back.</p>
          </div>
        ) : (
          <Overview info={image.info} />
        )}
      </section>
    );
  }
  const ex = explain(e, image.info);
  const showViewer = e.type === 'file';
  const kernel = !!image.info.kernel && samePath(image.info.kernel.path, e.path);
  const inEditor = editing && showViewer && !e.archive && !kernel && !(e.size > EDITABLE_BYTES);
  return (
    <section className="details-pane" data-testid="details-pane" aria-label={`Details of ${e.name}`}>
      <div className="details-scroll">
        <header className="details-head">
          <Icon kind={iconFor(e)} />
          <h2 data-testid="details-name">{e.name}</h2>
          <div className="view-actions">
            {!inTree && (
              <button type="button" className="btn btn-small" onClick={() => void revealPath(e.path, { entry: e })}>
                Show in tree
              </button>
            )}
            {e.type === 'symlink' && (
              <button type="button" className="btn btn-small" onClick={() => void followLink(e.path)}>
                Follow link
              </button>
            )}
            {editing && (
              <button
                type="button"
                className="btn btn-small"
                data-testid="change-entry"
                aria-haspopup="menu"
                onClick={(ev) => {
                  const box = ev.currentTarget.getBoundingClientRect();
                  openEntryMenu(e, box.right - 290, box.bottom + 4, ev.currentTarget);
                }}
              >
                Change ▾
              </button>
            )}
            {!(editing && mark === 'added') && (
              <button type="button" className="btn btn-small" data-testid="extract-button" onClick={() => onExtract(e)}>
                Extract…
              </button>
            )}
          </div>
        </header>
        {ex && (
          <aside className="explain" data-testid="explain">
            <strong>{ex.title}.</strong> <RichText text={ex.text} />
          </aside>
        )}
        <Facts e={e} info={image.info} />
        {e.archive && <ArchiveStatus e={e} />}
        {e.type === 'dir' && (
          <p className="muted small" data-testid="folder-note">
            {children !== undefined
              ? `A folder with ${grouped(children)} ${children === 1 ? 'entry' : 'entries'}.`
              : `A folder.${inTree ? ' Expand it in the tree (→) to see inside.' : ''}`}
          </p>
        )}
        {(e.type === 'char' || e.type === 'block' || e.type === 'fifo' || e.type === 'socket') && (
          <p className="muted small">A special file: it has no contents in the image; the kernel provides them on a running system.</p>
        )}
      </div>
      {editing && mark && (
        <p className="ins-note small edit-mark-note" data-testid="details-mark">
          {mark === 'added' ? 'Added in this edit.' : mark === 'renamed' ? 'Renamed in this edit.' : 'Changed in this edit.'} The input ISO stays as it is; Save as new ISO… writes the change.
        </p>
      )}
      {inEditor ? <FileEditor key={e.path} path={e.path} /> : showViewer && !(editing && mark) && <Viewer key={e.path} e={e} image={image} />}
    </section>
  );
}
