// Compare's look inside a changed file (issue 10 item 6): a unified text diff with line numbers,
// and for binary (or too big) files the first differing bytes in hex.
import { describe, expect, it } from 'vitest';
import { asText, contentDiff, firstDifference, hexRows, TEXT_LIMIT, textHunks } from '../../renderer/src/views/compare/content-diff';

const enc = (s: string) => new TextEncoder().encode(s);
const sizes = (a: Uint8Array, b: Uint8Array) => ({ a: a.length, b: b.length });

describe('text', () => {
  it('a one-line change: the line before and after, with both sides’ line numbers', () => {
    const a = enc('isolab-fixture 1\n');
    const b = enc('isolab-fixture 2\n');
    const d = contentDiff(a, b, sizes(a, b));
    expect(d).toEqual({
      kind: 'text',
      added: 1,
      removed: 1,
      hunks: [{ header: '@@ -1,1 +1,1 @@', lines: [{ kind: '-', a: 1, text: 'isolab-fixture 1' }, { kind: '+', b: 1, text: 'isolab-fixture 2' }] }],
    });
  });

  it('numbers lines through context and hunks, and drops the "no newline" marker', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    const b = a.replace('line 3', 'line three').replace('line 18', 'line 18\nline 18b');
    const { hunks, added, removed } = textHunks(a, b);
    expect([added, removed]).toEqual([2, 1]);
    expect(hunks.map((h) => h.header)).toEqual(['@@ -1,6 +1,6 @@', '@@ -16,5 +16,6 @@']);
    expect(hunks[0]!.lines.slice(1, 4)).toEqual([
      { kind: ' ', a: 2, b: 2, text: 'line 2' },
      { kind: '-', a: 3, text: 'line 3' },
      { kind: '+', b: 3, text: 'line three' },
    ]);
    expect(hunks[1]!.lines.find((l) => l.kind === '+')).toEqual({ kind: '+', b: 19, text: 'line 18b' });
    expect(hunks.flatMap((h) => h.lines).some((l) => l.text.includes('No newline'))).toBe(false);
  });

  it('is text only as NUL-free UTF-8', () => {
    expect(asText(enc('grüß\n'))).toBe('grüß\n');
    expect(asText(new Uint8Array([0x41, 0, 0x42]))).toBeUndefined();
    expect(asText(new Uint8Array([0xff, 0xfe, 0x41]))).toBeUndefined();
  });
});

describe('binary and big files', () => {
  it('binary: the first differing offset and the 16-byte rows there, both sides', () => {
    const a = new Uint8Array(40).map((_, i) => i);
    const b = a.slice();
    b[21] = 0xff;
    b[0] = 0; // same as a
    const d = contentDiff(a, b, sizes(a, b));
    expect(d).toMatchObject({ kind: 'binary', offset: 21, why: 'binary' });
    if (d.kind !== 'binary') throw new Error('not binary');
    expect(d.a[0]).toMatchObject({ offset: 16, hex: ['10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '1a', '1b', '1c', '1d', '1e', '1f'] });
    expect(d.b[0]!.hex[5]).toBe('ff');
    expect(d.a[1]).toMatchObject({ offset: 32, ascii: ' !"#$%&\'' });
  });

  it('a text file over the limit gets the hex summary of what was read; equal prefixes say so', () => {
    const a = enc('x'.repeat(100));
    const b = enc('x'.repeat(99) + 'y');
    expect(contentDiff(a, b, { a: TEXT_LIMIT + 1, b: TEXT_LIMIT + 1 })).toMatchObject({ kind: 'binary', offset: 99, why: 'too big' });
    expect(contentDiff(a, a, { a: TEXT_LIMIT + 5, b: TEXT_LIMIT + 9 })).toEqual({ kind: 'same', why: 'the first 100 bytes are the same' });
  });

  it('firstDifference counts one side ending first; hexRows starts at the row', () => {
    expect(firstDifference(enc('abc'), enc('abc'))).toBe(-1);
    expect(firstDifference(enc('abc'), enc('abcd'))).toBe(3);
    expect(hexRows(enc('abc'), 2)).toEqual([{ offset: 0, hex: ['61', '62', '63'], ascii: 'abc' }]);
  });
});
