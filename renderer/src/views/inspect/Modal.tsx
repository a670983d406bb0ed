import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog: focus moves in and is trapped there (Tab cycles), Esc closes it, and focus
 * goes back to where it was when it closes.
 */
export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  testId?: string;
  /** Selector of the element to focus first; the first focusable one otherwise. */
  initialFocus?: string;
  wide?: boolean;
  /** While true, Esc does nothing (e.g. an extraction is running and needs Cancel). */
  locked?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(props.onClose);
  onCloseRef.current = props.onClose;
  const lockedRef = useRef(props.locked);
  lockedRef.current = props.locked;

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const el = ref.current!;
    const first = (props.initialFocus && el.querySelector<HTMLElement>(props.initialFocus)) || el.querySelector<HTMLElement>(FOCUSABLE) || el;
    first.focus();
    return () => {
      if (before && document.contains(before)) before.focus();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      e.preventDefault();
      if (!lockedRef.current) onCloseRef.current();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = Array.from(ref.current!.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((n) => n.offsetParent !== null || n === document.activeElement);
    if (!items.length) {
      e.preventDefault();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !ref.current!.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !ref.current!.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  };

  const titleId = `modal-title-${props.testId ?? 'dialog'}`;
  return (
    <div className="ins-modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !props.locked && props.onClose()}>
      <div
        ref={ref}
        className={`ins-modal card${props.wide ? ' ins-modal-wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={props.testId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <div className="ins-modal-head">
          <h2 id={titleId}>{props.title}</h2>
          <button type="button" className="btn btn-small" aria-label="Close" onClick={props.onClose} disabled={props.locked}>
            ✕
          </button>
        </div>
        {props.children}
      </div>
    </div>
  );
}
