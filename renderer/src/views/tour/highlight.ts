import { useEffect } from 'react';

const LIT = 'data-tour-lit';
const EVERY_MS = 300;

/**
 * Marks the control the tour points at (tour.css draws the ring): the first of `selectors`
 * in the page. The mark is an attribute React does not manage, set on whatever matches now:
 * screens mount and unmount and virtualized rows come and go, so it is looked for again a
 * few times a second.
 */
export function useHighlight(selectors: readonly string[]): void {
  const key = selectors.join('\n');
  useEffect(() => {
    if (!key) return;
    const candidates = key.split('\n');
    let lit: Element | null = null;
    const look = () => {
      let el: Element | null = null;
      try {
        for (const c of candidates) if ((el = document.querySelector(c))) break;
      } catch {
        return;
      }
      if (el === lit) return;
      lit?.removeAttribute(LIT);
      lit = el;
      lit?.setAttribute(LIT, '');
    };
    look();
    const timer = setInterval(look, EVERY_MS);
    return () => {
      clearInterval(timer);
      lit?.removeAttribute(LIT);
    };
  }, [key]);
}
