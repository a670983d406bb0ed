import { describe, expect, it } from 'vitest';
import { EventBatcher } from '../../electron/core/stream/batcher';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventBatcher', () => {
  it('merges text chunks within one interval into one flush', async () => {
    const flushed: unknown[][] = [];
    const b = new EventBatcher('text', (batch) => flushed.push(batch), { intervalMs: 20 });
    b.push('a');
    b.push(Buffer.from('b'));
    b.push('c');
    expect(flushed).toEqual([]);
    await wait(40);
    expect(flushed).toEqual([['abc']]);
  });

  it('never splits a multi-byte character across flushes', async () => {
    const flushed: string[] = [];
    const b = new EventBatcher('text', (batch) => flushed.push(batch[0] as string), { intervalMs: 5 });
    const euro = Buffer.from('€'); // 3 bytes
    b.push(euro.subarray(0, 1));
    await wait(15);
    b.push(euro.subarray(1));
    b.close();
    expect(flushed.join('')).toBe('€');
    expect(flushed.every((s) => !s.includes('\uFFFD'))).toBe(true);
  });

  it('flushes at once when the size limit is reached', () => {
    const flushed: unknown[][] = [];
    const b = new EventBatcher('text', (batch) => flushed.push(batch), { intervalMs: 10_000, maxBytes: 1024 });
    b.push('x'.repeat(600));
    expect(flushed).toHaveLength(0);
    b.push('y'.repeat(600));
    expect(flushed).toHaveLength(1);
    expect((flushed[0]![0] as string).length).toBe(1200);
    b.close();
  });

  it('keeps JSON events as an ordered array and flushes the rest on close', () => {
    const flushed: unknown[][] = [];
    const b = new EventBatcher('json', (batch) => flushed.push(batch), { intervalMs: 10_000 });
    b.push({ n: 1 });
    b.push({ n: 2 });
    b.close();
    b.push({ n: 3 });
    expect(flushed).toEqual([[{ n: 1 }, { n: 2 }]]);
  });
});
