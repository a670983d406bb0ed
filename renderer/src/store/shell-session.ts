import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import type { LabErrorShape } from '../../../shared/errors';
import type { ShellOpened } from '../../../shared/shell';
import { api } from '../api/lab-api';
import { copyText } from '../clipboard';
import { inputQueue, TERMINAL_FONT, TERMINAL_THEME } from '../components/terminal-kit';
import { shape } from './inspect-store';

/**
 * One rootfs shell in the page: its xterm and its shell.output subscription, kept outside
 * React so that leaving Inspect (which unmounts the view) neither ends the shell (the stream
 * going removes the container) nor loses its screen. The view moves `element` in and out.
 */

export interface ShellSessionEvents {
  /** The stream ended: the shell exited (no error) or the core ended it (error). */
  onEnd(error?: LabErrorShape): void;
  /** Keys did not reach the shell (it ended meanwhile, the connection dropped). */
  onInputError(error?: LabErrorShape): void;
}

/** The app's own shortcuts (Ctrl+1…9, Ctrl+B, Ctrl+,) switch screens even from a shell. */
function isAppShortcut(e: KeyboardEvent): boolean {
  return e.ctrlKey && !e.shiftKey && !e.altKey && !e.metaKey && /^[1-9b,]$/i.test(e.key);
}

export class ShellSession {
  /** Where the terminal lives; the view appends it to its host. */
  readonly element: HTMLDivElement;
  private readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly input: ReturnType<typeof inputQueue>;
  private readonly unsubscribe: () => void;
  private opened = false;
  private observer: ResizeObserver | undefined;
  private frame = 0;
  private resizeTimer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;

  constructor(
    readonly info: ShellOpened,
    private readonly events: ShellSessionEvents,
  ) {
    const shellId = info.shellId;
    this.element = document.createElement('div');
    this.element.className = 'shell-term';
    this.element.dataset.testid = 'shell-terminal';
    this.term = new Terminal({ fontFamily: TERMINAL_FONT, fontSize: 13, lineHeight: 1.1, scrollback: 10_000, cursorBlink: true, theme: TERMINAL_THEME });
    this.term.loadAddon(this.fit);
    this.input = inputQueue(
      (data) => api.request('shell.input', { shellId, data }),
      (err) => events.onInputError(err === undefined ? undefined : shape(err)),
    );
    this.term.onData((d) => !this.ended && this.input.push(d));
    this.term.onBinary((d) => !this.ended && this.input.push(d));
    this.term.onResize(() => this.sendSize());
    this.term.attachCustomKeyEventHandler((e) => {
      if (isAppShortcut(e)) return false;
      if (!(e.ctrlKey && e.shiftKey) || e.altKey || e.metaKey) return true;
      const k = e.key.toLowerCase();
      if (k === 'c') {
        if (e.type === 'keydown' && this.term.hasSelection()) void copyText(this.term.getSelection());
        return false;
      }
      // The browser's own paste (a paste event on xterm's textarea) needs no clipboard permission.
      return k !== 'v';
    });
    // Keys typed in the shell are the shell's: Inspect's own shortcuts (Ctrl+O …) must not see them.
    this.element.addEventListener('keydown', (e) => {
      if (!isAppShortcut(e)) e.stopPropagation();
    });
    // Subscribing starts the container: the shell runs from now on, shown or not.
    this.unsubscribe = api.subscribe('shell.output', { shellId }, {
      onData: (batch) => this.term.write(batch.join('')),
      onEnd: (error) => {
        this.ended = true;
        this.input.close();
        events.onEnd(error);
      },
    });
  }

  /** Puts the terminal into `host` (opened there the first time: xterm measures its font in the page). */
  attach(host: HTMLElement): void {
    host.appendChild(this.element);
    const first = !this.opened;
    if (first) {
      this.term.open(this.element);
      this.opened = true;
    }
    this.observer?.disconnect();
    this.observer = new ResizeObserver(() => {
      cancelAnimationFrame(this.frame);
      this.frame = requestAnimationFrame(() => this.refit());
    });
    this.observer.observe(this.element);
    this.refit();
    // The TTY starts at the engine's default size; a fit that happens to keep 80×24 fires no resize.
    if (first) this.sendSize();
    this.term.focus();
  }

  detach(): void {
    this.observer?.disconnect();
    this.observer = undefined;
    cancelAnimationFrame(this.frame);
    this.element.remove();
  }

  focus(): void {
    this.term.focus();
  }

  /** Presenter mode's larger type, as the Boot console has it. */
  setFontSize(px: number): void {
    if (this.term.options.fontSize === px) return;
    this.term.options.fontSize = px;
    this.refit();
  }

  /** Removes the container (resolves once it is gone) and frees the terminal. */
  async dispose(): Promise<void> {
    this.detach();
    clearTimeout(this.resizeTimer);
    this.input.close();
    const wasEnded = this.ended;
    this.ended = true;
    const closing = wasEnded ? Promise.resolve() : api.request('shell.close', { shellId: this.info.shellId }).then(() => undefined);
    this.unsubscribe();
    this.term.dispose();
    await closing.catch(() => undefined);
  }

  /** The TTY follows the terminal's size; a drag of the window sends one resize, not fifty. */
  private sendSize(): void {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      const { cols, rows } = this.term;
      if (!this.ended) api.request('shell.resize', { shellId: this.info.shellId, cols, rows }).catch(() => undefined);
    }, 80);
  }

  private refit(): void {
    try {
      if (this.element.clientWidth > 0 && this.element.clientHeight > 0) this.fit.fit();
    } catch {
      // Not rendered yet; the next resize fits it.
    }
  }
}
