import { diffLines } from 'diff';

/** Lines around each change that are shown; longer unchanged runs fold to one line. */
const CONTEXT = 3;

export interface DiffLine {
  kind: 'same' | 'add' | 'del' | 'fold';
  text: string;
  /** Line numbers before and after (absent on the side that lacks the line). */
  a?: number;
  b?: number;
}

/** A line diff with a few lines of context, unchanged runs folded ("… 12 unchanged lines"). */
export function lineDiff(before: string, after: string, context = CONTEXT): DiffLine[] {
  const all: DiffLine[] = [];
  let a = 1;
  let b = 1;
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) {
      if (part.added) all.push({ kind: 'add', text, b: b++ });
      else if (part.removed) all.push({ kind: 'del', text, a: a++ });
      else all.push({ kind: 'same', text, a: a++, b: b++ });
    }
  }
  const near = all.map(() => false);
  all.forEach((l, i) => {
    if (l.kind === 'same') return;
    for (let j = Math.max(0, i - context); j <= Math.min(all.length - 1, i + context); j++) near[j] = true;
  });
  const out: DiffLine[] = [];
  let folded = 0;
  all.forEach((l, i) => {
    if (near[i]) {
      if (folded) out.push({ kind: 'fold', text: `${folded} unchanged ${folded === 1 ? 'line' : 'lines'}` });
      folded = 0;
      out.push(l);
    } else folded++;
  });
  if (folded) out.push({ kind: 'fold', text: `${folded} unchanged ${folded === 1 ? 'line' : 'lines'}` });
  return out;
}
