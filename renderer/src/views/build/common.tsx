import { Fragment, useEffect, useRef, useState, type RefObject } from 'react';
import type { BuildPhase } from '../../../../shared/build';
import { copyText } from '../../clipboard';

/** 75_000 → "1:15", 3_725_000 → "1:02:05". */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** 850 → "850 ms", 75_000 → "1 min 15 s", 3_725_000 → "1 h 2 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h} h ${m} min`;
  return `${m} min ${s % 60} s`;
}

/** A path that may wrap after its slashes rather than in the middle of a name. */
export function PathText({ path }: { path: string }) {
  const parts = path.split('/');
  return (
    <>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 && '/'}
          {i > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </>
  );
}

export function baseName(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t.slice(t.lastIndexOf('/') + 1) || '/';
}

export function dirName(p: string): string {
  const t = p.replace(/\/+$/, '');
  const i = t.lastIndexOf('/');
  return i <= 0 ? '/' : t.slice(0, i);
}

export const PHASE_WORDS: Record<BuildPhase, string> = {
  preflight: 'Pre-flight',
  image: 'Builder image',
  build: 'Build',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};


/** A Copy button that says "Copied" for a moment (or that it could not). */
export function Copy({ text, label = 'Copy', testId, title }: { text: string | (() => string); label?: string; testId?: string; title?: string }) {
  const [state, setState] = useState<'idle' | 'ok' | 'fail'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return (
    <button
      type="button"
      className="btn btn-small"
      data-testid={testId}
      title={title}
      onClick={() => {
        void copyText(typeof text === 'function' ? text() : text).then((ok) => {
          setState(ok ? 'ok' : 'fail');
          clearTimeout(timer.current);
          timer.current = setTimeout(() => setState('idle'), 1500);
        });
      }}
    >
      {state === 'ok' ? 'Copied' : state === 'fail' ? 'Copy failed' : label}
    </button>
  );
}

/** Width of an element, kept up to date (for the SVG chart, drawn in real pixels). */
export function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [w, setW] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setW(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return w;
}

/** Re-renders every `ms` while `on` (elapsed time between progress events). */
export function useTicker(on: boolean, ms = 1000): void {
  const [, setN] = useState(0);
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setN((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [on, ms]);
}

export function PhaseTag({ phase }: { phase: BuildPhase }) {
  return (
    <span className={`build-tag build-tag-${phase}`} data-phase={phase}>
      {PHASE_WORDS[phase]}
    </span>
  );
}
