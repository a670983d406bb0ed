import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon, type ISearchOptions } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useCallback, useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import type { VmView } from '../../../../shared/vm';
import { api } from '../../api/lab-api';
import { inputQueue, TERMINAL_FONT, TERMINAL_THEME } from '../../components/terminal-kit';
import { shape, useBoot } from '../../store/boot-store';
import { useLab } from '../../store/lab-store';
import { copyText, downloadText, ErrorNote, openWebLink } from './common';
import { LoginButton } from './LoginButton';

/**
 * The VM's serial console in an xterm. The lab core holds the console: on each subscribe it
 * replays its ring buffer (the boot so far) and then streams live output, across restarts
 * of the VM. So a remount (switching views, a reconnect) starts from a reset terminal and
 * lets the replay redraw it; nothing of the screen needs keeping here.
 */

const SEARCH: ISearchOptions = {
  incremental: true,
  decorations: {
    matchBackground: '#5a4a14',
    matchBorder: '#d19a2a',
    matchOverviewRuler: '#d19a2a',
    activeMatchBackground: '#b07a10',
    activeMatchBorder: '#ffcc00',
    activeMatchColorOverviewRuler: '#ffcc00',
  },
};

/**
 * What a terminal answers by itself to queries in the output (cursor position, device
 * attributes, status). Answers to a replayed screen would reach a guest that asked long ago.
 */
const TERMINAL_REPORT = /^(?:\x1b\[\??[\d;]*R|\x1b\[[?>][\d;]*c|\x1b\[\d*n|\x1b\[[IO])+$/;

/** The transcript as plain text: no escape sequences, Unix line ends. */
export function plainText(raw: string): string {
  let s = raw
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[()][A-Za-z0-9]/g, '')
    .replace(/\x1b[@-Z\\-_]/g, '');
  // Backspaces as the screen showed them: the character before is gone.
  for (let i = 0; i < 64 && /[^\n\x08]\x08/.test(s); i++) s = s.replace(/[^\n\x08]\x08/g, '');
  return s
    .replace(/\r+\n/g, '\n')
    .replace(/^[^\n]*\r(?!\n)/gm, (line) => line.slice(line.lastIndexOf('\r') + 1))
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

interface Note {
  kind: 'error' | 'info';
  error: LabErrorShape;
}

export function ConsoleTerminal({ vm }: { vm: VmView }) {
  const name = vm.name;
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal>(undefined);
  const fitRef = useRef<FitAddon>(undefined);
  const searchRef = useRef<SearchAddon>(undefined);
  const stateRef = useRef(vm.state);
  stateRef.current = vm.state;
  const [size, setSize] = useState<{ cols: number; rows: number }>();
  const [note, setNote] = useState<Note>();
  const [inputError, setInputError] = useState<LabErrorShape>();
  const [ended, setEnded] = useState(false);
  const [searchOpen, setSearchOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<{ index: number; count: number }>();
  const [saving, setSaving] = useState(false);
  const [hasSelection, setHasSelection] = useState(false);
  const searchInput = useRef<HTMLInputElement>(null);
  const focusConsole = useBoot((s) => s.focusConsole);
  const presenter = useLab((s) => s.settings?.settings.ui.presenter ?? false);

  const openSearch = useCallback(() => {
    setSearchOpen(true);
    // Already open: take the focus back to the field and select what is there.
    requestAnimationFrame(() => {
      searchInput.current?.focus();
      searchInput.current?.select();
    });
  }, []);

  const copySelection = useCallback(async () => {
    const text = termRef.current?.getSelection() ?? '';
    if (!text) return;
    const ok = await copyText(text);
    setNote(
      ok
        ? undefined
        : { kind: 'error', error: { code: 'CLIPBOARD', message: 'Could not copy the selection', hint: 'select it again and press Ctrl+Shift+C, or use your browser’s Copy' } },
    );
    termRef.current?.focus();
  }, []);

  const paste = useCallback(async () => {
    const term = termRef.current;
    if (!term) return;
    try {
      const text = await navigator.clipboard.readText();
      if (text) term.paste(text);
      setNote(undefined);
    } catch {
      setNote({
        kind: 'info',
        error: { code: 'CLIPBOARD', message: 'This window may not read the clipboard', hint: 'click in the console and press Ctrl+Shift+V to paste' },
      });
    }
    term.focus();
  }, []);

  // The terminal, for as long as this VM is shown.
  useEffect(() => {
    const host = hostRef.current!;
    const term = new Terminal({
      fontFamily: TERMINAL_FONT,
      fontSize: presenter ? 19 : 13,
      lineHeight: 1.1,
      scrollback: 10_000,
      cursorBlink: true,
      theme: TERMINAL_THEME,
      // The search addon's match highlighting uses decorations, still a "proposed" API.
      allowProposedApi: true,
      linkHandler: { activate: (_e, uri) => openWebLink(uri), allowNonHttpProtocols: false },
    });
    const fit = new FitAddon();
    const search = new SearchAddon({ highlightLimit: 2000 });
    term.loadAddon(fit);
    term.loadAddon(search);
    term.loadAddon(new WebLinksAddon((_e, uri) => openWebLink(uri)));
    term.open(host);
    termRef.current = term;
    fitRef.current = fit;
    searchRef.current = search;

    const refit = () => {
      try {
        if (host.clientWidth > 0 && host.clientHeight > 0) fit.fit();
      } catch {
        // Not rendered yet; the next resize fits it.
      }
    };
    refit();
    let frame = 0;
    const ro = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(refit);
    });
    ro.observe(host);

    const disposers = [
      term.onResize((s) => setSize(s)),
      term.onSelectionChange(() => setHasSelection(term.hasSelection())),
      search.onDidChangeResults((r) => setResults({ index: r.resultIndex, count: r.resultCount })),
    ];
    setSize({ cols: term.cols, rows: term.rows });

    // Keystrokes.
    let replaying = 0;
    const input = inputQueue(
      (data) => api.request('vm.input', { name, data }),
      (err) => setInputError(err === undefined ? undefined : shape(err)),
    );
    const send = (data: string) => {
      if (replaying > 0 && TERMINAL_REPORT.test(data)) return;
      if (stateRef.current !== 'running') {
        // The terminal's own answers to a stopped VM's last queries are nobody's business.
        if (!TERMINAL_REPORT.test(data)) {
          setInputError({ code: 'VM_NOT_RUNNING', message: `${name} is not running: keystrokes go nowhere`, hint: 'start it first' });
        }
        return;
      }
      input.push(data);
    };
    disposers.push(term.onData(send), term.onBinary(send));

    term.attachCustomKeyEventHandler((e) => {
      // Ctrl+1…9 switch screens even from the console (they mean little to a shell).
      if (e.ctrlKey && !e.shiftKey && !e.altKey && !e.metaKey && /^[1-9]$/.test(e.key)) return false;
      if (!(e.ctrlKey && e.shiftKey) || e.altKey || e.metaKey) return true;
      const k = e.key.toLowerCase();
      if (k === 'f') {
        if (e.type === 'keydown') {
          e.preventDefault();
          openSearch();
        }
        return false;
      }
      if (k === 'c') {
        if (e.type === 'keydown') {
          e.preventDefault();
          void copySelection();
        }
        return false;
      }
      // The browser's own paste (a paste event on xterm's textarea) needs no clipboard permission.
      if (k === 'v') return false;
      return true;
    });

    const onContextMenu = (e: MouseEvent) => {
      e.preventDefault();
      if (term.hasSelection()) void copySelection();
      else void paste();
    };
    host.addEventListener('contextmenu', onContextMenu);

    // The console: the replay of the ring buffer first, then live output.
    let alive = true;
    let unsubscribe = () => {};
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      let first = true;
      unsubscribe = api.subscribe('vm.console', { name }, {
        onData: (batch) => {
          if (!alive) return;
          const text = batch.join('');
          if (first) {
            first = false;
            // A re-subscribe (the connection came back) replays the screen: start clean.
            term.reset();
            replaying++;
            term.write(text, () => {
              replaying--;
            });
            return;
          }
          term.write(text);
        },
        onEnd: (error) => {
          if (!alive) return;
          if (!error) {
            setEnded(true);
            return;
          }
          setNote({ kind: 'error', error });
          retry = setTimeout(() => {
            if (!alive) return;
            setNote(undefined);
            connect();
          }, 1500);
        },
      });
    };
    connect();

    return () => {
      alive = false;
      clearTimeout(retry);
      unsubscribe();
      input.close();
      ro.disconnect();
      cancelAnimationFrame(frame);
      host.removeEventListener('contextmenu', onContextMenu);
      disposers.forEach((d) => d.dispose());
      termRef.current = undefined;
      fitRef.current = undefined;
      searchRef.current = undefined;
      term.dispose();
    };
    // One terminal per VM shown; presenter mode is applied below without a new one.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [name]);

  useEffect(() => {
    const term = termRef.current;
    if (!term) return;
    term.options.fontSize = presenter ? 19 : 13;
    try {
      fitRef.current?.fit();
    } catch {
      /* not rendered */
    }
  }, [presenter]);

  // The keyboard goes to the console when it is shown, and when asked (a start, a click on the VM).
  useEffect(() => {
    termRef.current?.focus();
  }, [name, focusConsole]);

  useEffect(() => {
    if (vm.state === 'running') setInputError((e) => (e?.code === 'VM_NOT_RUNNING' ? undefined : e));
  }, [vm.state]);

  const find = (backwards: boolean) => {
    const s = searchRef.current;
    if (!s || !query) return;
    if (backwards) s.findPrevious(query, SEARCH);
    else s.findNext(query, { ...SEARCH, incremental: false });
  };

  const closeSearch = () => {
    setSearchOpen(false);
    searchRef.current?.clearDecorations();
    setResults(undefined);
    termRef.current?.focus();
  };

  const onSearchKey = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      closeSearch();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      find(e.shiftKey);
    } else if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === 'f') {
      e.preventDefault();
      searchInput.current?.select();
    }
  };

  const saveTranscript = async () => {
    setSaving(true);
    try {
      let { text } = await api.request('vm.transcript', { name });
      if (!text) {
        // No transcript on disk (never booted here): what the terminal shows is the next best thing.
        const buf = termRef.current?.buffer.active;
        const lines: string[] = [];
        if (buf) for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
        text = lines.join('\n').replace(/\n+$/, '\n');
      }
      downloadText(`${name}-console-${stamp()}.txt`, plainText(text));
      setNote(undefined);
    } catch (err) {
      setNote({ kind: 'error', error: shape(err) });
    } finally {
      setSaving(false);
    }
  };

  const running = vm.state === 'running';
  const status =
    vm.consoleHeldBy !== undefined
      ? `The console is open in another ISO Lab process (pid ${vm.consoleHeldBy}); it shows here once that one lets go.`
      : vm.state === 'stopped'
        ? `${name} is stopped${vm.stopReason ? `: ${vm.stopReason}` : ''}.`
        : vm.state === 'error'
          ? `${name} failed${vm.error ? `: ${vm.error.message}` : ''}.`
          : vm.state === 'stopping'
            ? `${name} is shutting down…`
            : undefined;

  return (
    <section className="boot-console" aria-label={`Serial console of ${name}`} data-testid="console">
      <div className="boot-console-bar" role="toolbar" aria-label="Console">
        <LoginButton vm={vm} size={size} />
        <button type="button" className="btn btn-small" onClick={() => void saveTranscript()} disabled={saving} data-testid="save-transcript">
          {saving ? 'Saving…' : 'Save transcript'}
        </button>
        <span className="boot-console-sep" aria-hidden="true" />
        <button type="button" className="btn btn-small" onClick={openSearch} data-testid="console-find" aria-keyshortcuts="Control+Shift+F" title="Find in the console (Ctrl+Shift+F)">
          Find
        </button>
        <button type="button" className="btn btn-small" onClick={() => void copySelection()} disabled={!hasSelection} data-testid="console-copy" aria-keyshortcuts="Control+Shift+C" title="Copy the selection (Ctrl+Shift+C, or right-click)">
          Copy
        </button>
        <button type="button" className="btn btn-small" onClick={() => void paste()} disabled={!running} data-testid="console-paste" aria-keyshortcuts="Control+Shift+V" title="Paste into the console (Ctrl+Shift+V, or right-click)">
          Paste
        </button>
        {size && (
          <span
            className="boot-console-size muted small"
            title={`The serial line does not carry the window size; for full-screen programs type: stty cols ${size.cols} rows ${size.rows}`}
            data-testid="console-size"
          >
            {size.cols}×{size.rows}
          </span>
        )}
      </div>
      {note && <ErrorNote error={note.error} compact testId={note.kind === 'error' ? 'console-error' : 'console-note'} />}
      {inputError && <ErrorNote error={inputError} compact testId="console-input-error" />}
      <div className="boot-term-wrap">
        <div ref={hostRef} className="boot-term" data-testid="terminal" onMouseDown={() => termRef.current?.focus()} />
        {searchOpen && (
          <div className="boot-search" role="search" aria-label="Find in the console">
            <input
              ref={searchInput}
              type="search"
              value={query}
              placeholder="Find"
              aria-label="Find in the console"
              data-testid="console-search"
              onChange={(e) => {
                setQuery(e.target.value);
                if (e.target.value) searchRef.current?.findNext(e.target.value, SEARCH);
                else {
                  searchRef.current?.clearDecorations();
                  setResults(undefined);
                }
              }}
              onKeyDown={onSearchKey}
              onBlur={() => searchRef.current?.clearActiveDecoration()}
            />
            <span className="boot-search-count" aria-live="polite" data-testid="console-search-count">
              {query && results ? (results.count === 0 ? 'no match' : results.index >= 0 ? `${results.index + 1} of ${results.count}` : `${results.count}+`) : ''}
            </span>
            <button type="button" className="btn btn-small" onClick={() => find(true)} aria-label="Previous match" title="Previous (Shift+Enter)">
              ↑
            </button>
            <button type="button" className="btn btn-small" onClick={() => find(false)} aria-label="Next match" title="Next (Enter)">
              ↓
            </button>
            <button type="button" className="btn btn-small" onClick={closeSearch} aria-label="Close search" title="Close (Esc)">
              ✕
            </button>
          </div>
        )}
        {(status || ended) && (
          <div className={`boot-term-status boot-term-status-${vm.state}`} data-testid="console-status">
            {ended ? `${name} was deleted.` : status}
          </div>
        )}
      </div>
    </section>
  );
}
