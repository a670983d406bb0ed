import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput } from '@codemirror/language';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { EditorState, type Extension } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers } from '@codemirror/view';

/**
 * The text editor of Edit mode: CodeMirror 6 with line numbers, search (Ctrl+F), undo/redo and
 * Ctrl+S for "Save change". Its colours come from the app's CSS variables, so the themes and
 * presenter mode apply to it as to the rest.
 */

const theme = EditorView.theme({
  '&': { height: '100%', backgroundColor: 'var(--panel)', color: 'var(--text)', fontSize: '1em' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-gutters': { backgroundColor: 'var(--panel)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 8%, transparent)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'color-mix(in srgb, var(--accent) 30%, transparent)' },
  '.cm-panels': { backgroundColor: 'var(--sidebar)', color: 'var(--text)', borderBottom: '1px solid var(--border)' },
  '.cm-searchMatch': { backgroundColor: 'color-mix(in srgb, var(--warn) 35%, transparent)' },
  '.cm-searchMatch-selected': { backgroundColor: 'color-mix(in srgb, var(--warn) 65%, transparent)' },
  // The search panel's own fields and buttons are drawn for a light page: they take the app's colours.
  '.cm-textfield': { font: 'inherit', fontSize: '0.9em', backgroundColor: 'var(--bg)', color: 'var(--text)', border: '1px solid var(--border)', borderRadius: '5px' },
  '.cm-button': { font: 'inherit', fontSize: '0.9em', backgroundImage: 'none', backgroundColor: 'var(--panel)', color: 'var(--text)', border: '1px solid var(--border)', borderRadius: '5px' },
  '.cm-panel.cm-search label': { fontSize: '0.9em' },
});

export interface EditorHooks {
  /** Ctrl+S; returns true when it took the key. */
  onSave: () => boolean;
  onChange: (text: string) => void;
}

export function editorExtensions(hooks: EditorHooks, label: string): Extension[] {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    search({ top: true }),
    // Mod-s first: the browser's "Save page" is never what Ctrl+S means here.
    keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => hooks.onSave() }, ...searchKeymap, ...historyKeymap, ...defaultKeymap, indentWithTab]),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) hooks.onChange(u.state.doc.toString());
    }),
    EditorView.contentAttributes.of({ 'aria-label': label, 'data-testid': 'editor-content' }),
    // Config files keep their tabs; a tab is shown as wide as in a terminal.
    EditorState.tabSize.of(8),
    theme,
  ];
}
