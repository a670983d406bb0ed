import RFB from '@novnc/novnc';
import { useEffect, useRef, useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { VmView } from '../../../../shared/vm';
import { api } from '../../api/lab-api';
import { ScreenChannel, type ScreenTransport } from '../../store/screen-channel';
import '../../styles/screen.css';
import { ErrorNote } from './common';

/**
 * The VM's screen beside its serial console, as GNOME Boxes and virt-manager show it: noVNC
 * draws QEMU's display, whose RFB stream the lab core carries over the contract (`vm.screen`
 * and `vm.screenInput`), so it works alike in Electron and in the browser. Keyboard and mouse
 * go to the guest while the screen has the focus (click it); it is scaled to the pane.
 */

/** Notes, not failures: the pane says why there is no screen. */
const NOTE_CODES = new Set(['VM_SCREEN_NONE', 'VM_SCREEN_UNSUPPORTED', 'VM_NOT_RUNNING']);

type Phase = { kind: 'connecting' } | { kind: 'open' } | { kind: 'note'; error: LabErrorShape } | { kind: 'failed'; error: LabErrorShape } | { kind: 'closed' };

function transportFor(name: string): ScreenTransport {
  return {
    subscribe: (h) => api.subscribe('vm.screen', { name }, { onData: h.onData, onEnd: h.onEnd }),
    send: (screenId, b64) => api.request('vm.screenInput', { screenId, b64 }),
  };
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function download(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ScreenView({ vm }: { vm: VmView }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB>(undefined);
  const [phase, setPhase] = useState<Phase>({ kind: 'connecting' });
  const [size, setSize] = useState<{ w: number; h: number }>();
  const [focused, setFocused] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const running = vm.state === 'running';
  // A new boot (or a stop) is a new connection.
  const session = `${vm.name}|${running ? (vm.startedAt ?? 'running') : vm.state}|${attempt}`;

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    setPhase({ kind: 'connecting' });
    setSize(undefined);
    const channel = new ScreenChannel(transportFor(vm.name));
    let rfb: RFB | undefined;
    let gone = false;
    const onEnd = () => {
      if (gone) return;
      const error = channel.endError;
      if (error) setPhase(NOTE_CODES.has(error.code) ? { kind: 'note', error } : { kind: 'failed', error });
      else setPhase({ kind: 'closed' });
    };
    try {
      rfb = new RFB(host, channel, { shared: true });
    } catch (err) {
      channel.close();
      setPhase({ kind: 'failed', error: { code: 'SCREEN_FAILED', message: `The screen view could not start: ${(err as Error).message}` } });
      return;
    }
    rfbRef.current = rfb;
    rfb.scaleViewport = true;
    rfb.background = 'var(--term-bg)';
    rfb.focusOnClick = true;
    rfb.addEventListener('connect', () => {
      if (!gone) setPhase({ kind: 'open' });
    });
    rfb.addEventListener('disconnect', onEnd);
    // noVNC's canvas is the framebuffer's size; it tells no event when that changes.
    const sizer = setInterval(() => {
      const c = host.querySelector('canvas');
      if (c && c.width > 0) setSize((s) => (s && s.w === c.width && s.h === c.height ? s : { w: c.width, h: c.height }));
      // Bytes from the VM so far, for whoever measures (the e2e suite).
      host.dataset.bytesIn = String(channel.received);
    }, 500);
    const focusIn = () => setFocused(true);
    const focusOut = () => setFocused(false);
    host.addEventListener('focusin', focusIn);
    host.addEventListener('focusout', focusOut);
    return () => {
      gone = true;
      clearInterval(sizer);
      host.removeEventListener('focusin', focusIn);
      host.removeEventListener('focusout', focusOut);
      rfbRef.current = undefined;
      try {
        rfb?.disconnect();
      } catch {
        channel.close();
      }
      host.replaceChildren();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session]);

  const screenshot = () => {
    rfbRef.current?.toBlob((blob) => {
      if (blob) download(`${vm.name}-screen-${stamp()}.png`, blob);
    }, 'image/png');
  };

  const open = phase.kind === 'open';
  return (
    <section className="boot-screen" aria-label={`Screen of ${vm.name}`} data-testid="screen-view" data-phase={phase.kind}>
      <div className="boot-screen-bar">
        <strong className="boot-screen-title">Screen</strong>
        <span className="small muted boot-screen-state" data-testid="screen-state">
          {phase.kind === 'open'
            ? focused
              ? 'keyboard and mouse go to the VM'
              : 'click the screen to type into it'
            : phase.kind === 'connecting'
              ? running
                ? 'connecting…'
                : ''
              : phase.kind === 'closed'
                ? 'disconnected'
                : ''}
        </span>
        <span className="boot-screen-tools">
          {size && (
            <span className="small muted boot-screen-size" data-testid="screen-size">
              {size.w}×{size.h}
            </span>
          )}
          <button type="button" className="btn btn-small" disabled={!open} onClick={() => rfbRef.current?.sendCtrlAltDel()} title="Send Ctrl+Alt+Del to the VM">
            Ctrl+Alt+Del
          </button>
          <button type="button" className="btn btn-small" disabled={!open} onClick={screenshot} data-testid="screen-shot" title="Save the screen as a PNG">
            Screenshot
          </button>
          {(phase.kind === 'closed' || phase.kind === 'failed') && running && (
            <button type="button" className="btn btn-small" onClick={() => setAttempt((n) => n + 1)} data-testid="screen-reconnect">
              Reconnect
            </button>
          )}
        </span>
      </div>
      <div
        className={`boot-screen-frame${open ? ' open' : ''}${focused ? ' focused' : ''}`}
        // The frame takes the framebuffer's shape, so the screen fills the pane's width.
        style={open && size ? { aspectRatio: `${size.w} / ${size.h}` } : undefined}
      >
        <div ref={hostRef} className="boot-screen-canvas" data-testid="screen-canvas" />
        {phase.kind === 'note' && (
          <div className="boot-screen-note small" data-testid="screen-note" data-code={phase.error.code}>
            <p>{phase.error.message}</p>
            {phase.error.hint && <p className="muted">{phase.error.hint}</p>}
          </div>
        )}
        {phase.kind === 'failed' && (
          <div className="boot-screen-note">
            <ErrorNote error={phase.error} testId="screen-error" />
          </div>
        )}
      </div>
    </section>
  );
}
