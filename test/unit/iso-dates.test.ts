import { describe, expect, it } from 'vitest';
import { isoString, longDate, shortDate } from '../../electron/core/iso/dates';

describe('ISO 9660 dates', () => {
  it('reads the 7-byte form with its GMT offset (local time minus offset)', () => {
    // Observed in xorriso output: 7E 0B 1B 05 0E 1F 00 = 2026-11-27 05:14:31 +00:00.
    expect(isoString(shortDate(Buffer.from([0x7e, 0x0b, 0x1b, 0x05, 0x0e, 0x1f, 0x00]), 0))).toBe('2026-11-27T05:14:31.000Z');
    // 12:00 at GMT+2 (offset 8 quarters) is 10:00 UTC; at GMT-5 (-20) it is 17:00 UTC.
    expect(isoString(shortDate(Buffer.from([124, 1, 2, 12, 0, 0, 8]), 0))).toBe('2024-01-02T10:00:00.000Z');
    expect(isoString(shortDate(Buffer.from([124, 1, 2, 12, 0, 0, 0xec]), 0))).toBe('2024-01-02T17:00:00.000Z');
  });

  it('treats all-zero and out-of-range dates as unknown', () => {
    expect(shortDate(Buffer.alloc(7), 0)).toBeUndefined();
    expect(shortDate(Buffer.from([124, 13, 1, 0, 0, 0, 0]), 0)).toBeUndefined();
    expect(shortDate(Buffer.from([124, 1]), 0)).toBeUndefined();
  });

  it('reads the 17-byte form, and sixteen zeros as unknown', () => {
    const d = Buffer.concat([Buffer.from('2024010203040599', 'latin1'), Buffer.from([0xfc])]); // GMT-1
    expect(isoString(longDate(d, 0))).toBe('2024-01-02T04:04:05.990Z');
    expect(longDate(Buffer.concat([Buffer.from('0000000000000000'), Buffer.from([0])]), 0)).toBeUndefined();
    expect(longDate(Buffer.from('20240102xx040599\0', 'latin1'), 0)).toBeUndefined();
  });
});
