// ECMA-119 keeps two date shapes: the 7-byte binary one of directory records (§9.1.5) and
// the 17-byte digit string of volume descriptors (§8.4.26.1). RRIP TF uses either. Both
// carry local time plus a GMT offset in 15-minute units. Writers leave fields zero when they
// mean "unknown", so anything out of range is treated as unknown rather than as an error.

const QUARTER_HOUR = 15 * 60 * 1000;

function utc(year: number, month: number, day: number, h: number, m: number, s: number, cs: number, offset: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  // Offsets outside −12h…+13h are junk; readers (Linux, libarchive) then ignore the offset.
  const tz = offset >= -48 && offset <= 52 ? offset : 0;
  return Date.UTC(year, month - 1, day, h, m, s, cs * 10) - tz * QUARTER_HOUR;
}

// Most records of an image share one date (the build time): remember the last one decoded.
let lastHi = -1;
let lastLo = -1;
let lastMs: number | undefined;

/** 7-byte directory-record date at `off`; milliseconds since the epoch, or undefined. */
export function shortDate(buf: Buffer, off: number): number | undefined {
  if (off + 7 > buf.length) return undefined;
  const hi = buf.readUInt32LE(off);
  const lo = buf[off + 4]! | (buf[off + 5]! << 8) | (buf[off + 6]! << 16);
  if (hi === lastHi && lo === lastLo) return lastMs;
  lastHi = hi;
  lastLo = lo;
  return (lastMs = decodeShort(buf, off));
}

function decodeShort(buf: Buffer, off: number): number | undefined {
  const y = buf[off]!;
  const mo = buf[off + 1]!;
  const d = buf[off + 2]!;
  if (y === 0 && mo === 0 && d === 0) return undefined;
  return utc(1900 + y, mo, d, buf[off + 3]!, buf[off + 4]!, buf[off + 5]!, 0, buf.readInt8(off + 6));
}

/** 17-byte volume-descriptor date at `off`; milliseconds since the epoch, or undefined. */
export function longDate(buf: Buffer, off: number): number | undefined {
  if (off + 17 > buf.length) return undefined;
  const digits = buf.toString('latin1', off, off + 16);
  if (!/^\d{16}$/.test(digits) || /^0+$/.test(digits)) return undefined;
  const n = (a: number, b: number) => Number(digits.slice(a, b));
  const year = n(0, 4);
  if (year === 0) return undefined;
  return utc(year, n(4, 6), n(6, 8), n(8, 10), n(10, 12), n(12, 14), n(14, 16), buf.readInt8(off + 16));
}

export function isoString(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}
