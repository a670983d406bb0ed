import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { create } from 'zustand';
import type { EntryView } from '../../../../../shared/image';
import { askEdit, type EditAction } from './EditDialogs';

/**
 * The context menu of a tree entry in Edit mode (right click, the Menu key or Shift+F10, or the
 * Details pane's Change ▾ button): what can be done to it, with the keys that do it directly.
 */

interface MenuAt {
  entry: EntryView;
  x: number;
  y: number;
  /** Where the keyboard goes back to when the menu closes. */
  returnTo?: HTMLElement | null;
}

export const useEntryMenu = create<{ at?: MenuAt }>(() => ({}));

export function openEntryMenu(entry: EntryView, x: number, y: number, returnTo?: HTMLElement | null): void {
  useEntryMenu.setState({ at: { entry, x, y, returnTo: returnTo ?? (document.activeElement as HTMLElement | null) } });
}

interface Item {
  action: EditAction;
  label: string;
  keys?: string;
}

export function menuItems(e: EntryView): Item[] {
  const holder = e.type === 'dir' || !!e.archive;
  const items: Item[] = [];
  if (holder) {
    items.push({ action: 'add-file', label: 'Add a file from this machine…' }, { action: 'add-folder', label: 'Add a folder from this machine…' }, { action: 'mkdir', label: 'New folder…' });
  }
  if (e.type === 'file') items.push({ action: 'replace', label: 'Replace with a file from this machine…' });
  if (e.path !== '/') {
    items.push({ action: 'rename', label: 'Rename…', keys: 'F2' }, { action: 'chmod', label: 'Permissions…' }, { action: 'chown', label: 'Owner…' }, { action: 'delete', label: 'Delete…', keys: 'Delete' });
  }
  return items;
}

export function EntryMenu() {
  const at = useEntryMenu((s) => s.at);
  const ref = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const items = at ? menuItems(at.entry) : [];

  useEffect(() => {
    if (!at) return;
    setActive(0);
    ref.current?.focus();
    const away = (ev: MouseEvent) => {
      if (!ref.current?.contains(ev.target as Node)) useEntryMenu.setState({ at: undefined });
    };
    window.addEventListener('mousedown', away, true);
    return () => window.removeEventListener('mousedown', away, true);
  }, [at]);

  if (!at || !items.length) return null;

  const closeMenu = (refocus: boolean) => {
    useEntryMenu.setState({ at: undefined });
    if (refocus) at.returnTo?.focus();
  };
  const choose = (item: Item) => {
    closeMenu(true);
    askEdit(item.action, at.entry);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    switch (e.key) {
      case 'ArrowDown':
        setActive((i) => (i + 1) % items.length);
        break;
      case 'ArrowUp':
        setActive((i) => (i - 1 + items.length) % items.length);
        break;
      case 'Home':
        setActive(0);
        break;
      case 'End':
        setActive(items.length - 1);
        break;
      case 'Enter':
      case ' ':
        choose(items[active]!);
        break;
      case 'Escape':
      case 'Tab':
        closeMenu(true);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  // Kept inside the window: a menu opened near the bottom or right edge opens up or left.
  const width = 290;
  const height = items.length * 32 + 40;
  const left = Math.max(4, Math.min(at.x, window.innerWidth - width - 4));
  const top = Math.max(4, Math.min(at.y, window.innerHeight - height - 4));
  return (
    <div
      ref={ref}
      className="entry-menu"
      role="menu"
      aria-label={`Change ${at.entry.name}`}
      aria-activedescendant={`entry-menu-${active}`}
      tabIndex={-1}
      style={{ left, top, width }}
      data-testid="entry-menu"
      onKeyDown={onKeyDown}
    >
      <div className="entry-menu-head small muted">{at.entry.path}</div>
      {items.map((item, i) => (
        <div
          key={item.action}
          id={`entry-menu-${i}`}
          role="menuitem"
          className={`entry-menu-item${i === active ? ' active' : ''}${item.action === 'delete' ? ' danger' : ''}`}
          data-action={item.action}
          onMouseEnter={() => setActive(i)}
          onClick={() => choose(item)}
        >
          <span>{item.label}</span>
          {item.keys && <kbd>{item.keys}</kbd>}
        </div>
      ))}
    </div>
  );
}
