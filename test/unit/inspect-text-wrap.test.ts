import { describe, expect, it } from 'vitest';
import { expandTabs, wrapRows } from '../../renderer/src/views/inspect/text-wrap';

describe('soft wrap of the text viewer', () => {
  it('cuts a long line into rows of the width, the number on the first', () => {
    const append = 'append initrd=/boot/initrd root=/dev/sr0 loglevel=3 console=ttyS0 noembed nomodeset norestore waitusb=10 random.trust_cpu=on hw_rng_model=virtio systemd.legacy_systemd_cgroup_controller=yes';
    const rows = wrapRows(['label 1', append, ''], 40);
    expect(rows[0]).toEqual({ line: 0, text: 'label 1', first: true });
    const cut = rows.filter((r) => r.line === 1);
    expect(cut.length).toBe(Math.ceil(append.length / 40));
    expect(cut.map((r) => r.text).join('')).toBe(append);
    expect(cut.every((r) => r.text.length <= 40)).toBe(true);
    expect(cut.map((r) => r.first)).toEqual([true, ...Array(cut.length - 1).fill(false)]);
    expect(rows[rows.length - 1]).toEqual({ line: 2, text: '', first: true });
  });

  it('expands tabs to the next multiple of 8 before cutting', () => {
    expect(expandTabs('a\tb')).toBe('a       b');
    expect(expandTabs('\t\tx')).toBe(' '.repeat(16) + 'x');
    expect(wrapRows(['\tabcdefghij'], 10).map((r) => r.text)).toEqual(['        ab', 'cdefghij']);
  });
});
