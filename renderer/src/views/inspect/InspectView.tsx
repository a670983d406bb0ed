import { useCallback, useEffect, useState } from 'react';
import type { EntryView } from '../../../../shared/image';
import { hostPathOf, useEdit } from '../../store/edit-store';
import { useEditSave } from '../../store/edit-save-store';
import { useInspect } from '../../store/inspect-store';
import '../../styles/edit.css';
import '../../styles/inspect.css';
import { Breadcrumb } from './Breadcrumb';
import { ErrorNote, Icon } from './common';
import { DetailsPane } from './DetailsPane';
import { BootSettings } from './edit/BootSettings';
import { ChangesPanel } from './edit/ChangesPanel';
import { EditBar, EditToggle } from './edit/EditBar';
import { EditDialogs } from './edit/EditDialogs';
import { EntryMenu } from './edit/EntryMenu';
import { RemasterResultCard } from './edit/ResultCard';
import { ExtractDialog } from './ExtractDialog';
import { HostPicker, OpenImageDialog } from './OpenImageDialog';
import { ShellDock } from './RootfsShell';
import { SizeMap } from './SizeMap';
import { SummaryHeader } from './SummaryHeader';
import { TreePane } from './TreePane';

/** `?image=/abs/path.iso` opens that image once, at start (demos, tests). */
let startImageUsed = false;
function startImage(): string | undefined {
  if (startImageUsed) return undefined;
  startImageUsed = true;
  const p = new URLSearchParams(location.search).get('image');
  return p && p.startsWith('/') ? p : undefined;
}

function Welcome({ onOpen }: { onOpen: () => void }) {
  const recent = useInspect((s) => s.recent).filter((r) => r.kind === 'iso' || r.kind === 'initrd');
  const recentError = useInspect((s) => s.recentError);
  const { openImage } = useInspect.getState();
  return (
    <div className="grid">
      <section className="card welcome" aria-labelledby="welcome-title">
        <h2 id="welcome-title">Look inside an ISO</h2>
        <p>
          Browse a bootable ISO and the root filesystem inside its initrd like folders: the bootloader (<code>isolinux/</code>), the kernel (<code>boot/bzImage</code>), and the
          initrd (<code>boot/initrd</code>) with <code>/etc</code>, <code>/bin</code> and the rest, without mounting or unpacking anything.
        </p>
        <div className="view-actions">
          <button type="button" className="btn btn-primary" onClick={onOpen} data-testid="open-button-welcome" aria-keyshortcuts="Control+O">
            Open an ISO or initrd…
          </button>
          <span className="muted small">or drop one on this window · Ctrl+O</span>
        </div>
      </section>
      <section className="card" aria-labelledby="recent-title">
        <h2 id="recent-title">Recent</h2>
        {recentError && <ErrorNote error={recentError} compact />}
        {recent.length === 0 ? (
          <p className="muted">Images you open show up here.</p>
        ) : (
          <ul className="recent-list" data-testid="recent-list">
            {recent.slice(0, 8).map((r) => (
              <li key={r.kind + r.path}>
                <button type="button" className="recent-item" onClick={() => void openImage(r.path)} title={r.path}>
                  <Icon kind={r.kind === 'iso' ? 'disc' : 'archive'} />
                  <span className="recent-name">{r.path.slice(r.path.lastIndexOf('/') + 1)}</span>
                  <span className="muted small recent-dir">{r.path.slice(0, r.path.lastIndexOf('/')) || '/'}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

export function InspectView() {
  const image = useInspect((s) => s.image);
  const opening = useInspect((s) => s.opening);
  const openError = useInspect((s) => s.openError);
  const notice = useInspect((s) => s.notice);
  const recent = useInspect((s) => s.recent);
  const { openImage, closeImage, loadRecent, setNotice } = useInspect.getState();
  const [picker, setPicker] = useState(false);
  const [extractFor, setExtractFor] = useState<EntryView>();
  const [extractJob, setExtractJob] = useState<{ path: string; dest: string }>();
  const [dragging, setDragging] = useState(false);
  const [sizeMap, setSizeMap] = useState(false);
  const editOn = useEdit((s) => s.on);
  const editPanel = useEdit((s) => s.panel);
  const dropTarget = useEdit((s) => s.dropTarget);
  const saved = useEditSave((s) => s.result);
  const savedFrom = useEditSave((s) => s.request?.input);
  const dialogOpen = picker || !!extractFor || !!extractJob;

  useEffect(() => {
    void loadRecent();
    const start = startImage();
    if (start) void openImage(start);
  }, [loadRecent, openImage]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'o' && !dialogOpen) {
        e.preventDefault();
        setPicker(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dialogOpen]);

  // Drag and drop onto the window.
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) {
        setDragging(false);
        useEdit.getState().setDropTarget(undefined);
      }
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      // A tree row keeps its dragover to itself: one that reaches the window is over no row.
      useEdit.getState().setDropTarget(undefined);
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    // Any drop ends the drag, also one a tree row took in Edit mode (it stops the event there).
    const ended = () => {
      depth = 0;
      setDragging(false);
      useEdit.getState().setDropTarget(undefined);
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      if (useEdit.getState().on) {
        // Rows of the tree take drops in Edit mode; anywhere else, say where to drop.
        setNotice(`To add “${file.name}” to the ISO, drop it on a folder in the tree (or on a file, to put it next to that file).`);
        return;
      }
      const real = hostPathOf(file);
      if (real) {
        void openImage(real);
        return;
      }
      setNotice(
        `Your browser does not tell ISO Lab where “${file.name}” is on disk, so a dropped file cannot be opened here. Use Open… (Ctrl+O) to pick it from the machine the lab runs on.`,
      );
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    window.addEventListener('drop', ended, true);
    window.addEventListener('dragend', ended, true);
    return () => {
      window.removeEventListener('drop', ended, true);
      window.removeEventListener('dragend', ended, true);
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [openImage, setNotice]);

  const onOpen = useCallback(async (path: string) => {
    const ok = await useInspect.getState().openImage(path);
    return ok ? undefined : useInspect.getState().openError;
  }, []);
  const closePicker = useCallback(() => {
    setPicker(false);
    // A failed attempt was shown in the dialog; it is not worth a banner once it is closed.
    useInspect.setState({ openError: undefined });
  }, []);

  return (
    <div className="view inspect-view" data-testid="inspect">
      <header className="view-head">
        <div>
          <h1>Inspect</h1>
          <p className="lede">Browse an ISO and the root filesystem in its initrd like folders.</p>
        </div>
        <div className="view-actions">
          {opening && !picker && <span className="muted" aria-busy="true">Opening {opening.slice(opening.lastIndexOf('/') + 1)}…</span>}
          {image?.info.kind === 'iso' && <EditToggle disabled={dialogOpen} />}
          {image && (
            <button type="button" className="btn" aria-pressed={sizeMap} onClick={() => setSizeMap((on) => !on)} data-testid="size-map-toggle" title="Show the current folder as a size map">
              Size map
            </button>
          )}
          {image && (
            <button type="button" className="btn" onClick={closeImage}>
              Close
            </button>
          )}
          <button type="button" className="btn btn-primary" onClick={() => setPicker(true)} data-testid="open-button" aria-keyshortcuts="Control+O">
            Open…
          </button>
        </div>
      </header>

      {notice && (
        <div className="banner banner-warn ins-banner" role="alert" data-testid="inspect-notice">
          <span>{notice}</span>
          <span className="view-actions">
            <button type="button" className="btn btn-small" onClick={() => { setNotice(undefined); setPicker(true); }}>
              Open…
            </button>
            <button type="button" className="btn btn-small" aria-label="Dismiss" onClick={() => setNotice(undefined)}>
              ✕
            </button>
          </span>
        </div>
      )}
      {openError && !picker && <ErrorNote error={openError} testId="open-error" />}

      {!image ? (
        <Welcome onOpen={() => setPicker(true)} />
      ) : (
        <>
          <SummaryHeader info={image.info} />
          {saved && savedFrom === image.file && <RemasterResultCard result={saved} input={savedFrom} />}
          {editOn && <EditBar />}
          <Breadcrumb />
          <div className="inspect-panes">
            <TreePane />
            {sizeMap ? (
              <SizeMap onClose={() => setSizeMap(false)} />
            ) : editOn && editPanel === 'changes' ? (
              <ChangesPanel />
            ) : editOn && editPanel === 'boot' ? (
              <BootSettings />
            ) : (
              <DetailsPane onExtract={setExtractFor} />
            )}
          </div>
        </>
      )}
      <ShellDock />

      {picker && <OpenImageDialog recent={recent} onOpen={onOpen} onClose={closePicker} />}
      {extractFor && image && (
        <HostPicker
          mode="folder"
          title={`Extract ${extractFor.path === '/' ? image.info.name : extractFor.path.slice(1)} to…`}
          chooseLabel="Extract here"
          onClose={() => setExtractFor(undefined)}
          onChoose={(dest) => {
            setExtractJob({ path: extractFor.path, dest });
            setExtractFor(undefined);
          }}
        />
      )}
      {editOn && <EditDialogs />}
      {editOn && <EntryMenu />}
      {extractJob && image && <ExtractDialog file={image.file} path={extractJob.path} dest={extractJob.dest} onClose={() => setExtractJob(undefined)} />}
      {dragging && (
        <div className={`drop-overlay${editOn ? ' drop-overlay-edit' : ''}`} aria-hidden="true">
          <div data-testid="drop-hint">
            {!editOn ? 'Drop an ISO or initrd to open it' : dropTarget ? `Drop to add it to ${dropTarget}` : 'Drop on a folder in the tree to add it to the ISO'}
          </div>
        </div>
      )}
    </div>
  );
}
