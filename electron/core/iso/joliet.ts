// Joliet (Microsoft, 1995): a supplementary volume descriptor whose escape sequences name
// UCS-2 level 1/2/3, and a second directory tree with UCS-2 big-endian identifiers that
// points at the same file extents as the primary tree.

/** `%/@`, `%/C` or `%/E` at the start of the SVD's 32-byte escape-sequence field. */
export function isJolietEscape(buf: Buffer, off: number): boolean {
  if (off + 3 > buf.length || buf[off] !== 0x25 || buf[off + 1] !== 0x2f) return false;
  const level = buf[off + 2];
  return level === 0x40 || level === 0x43 || level === 0x45;
}

/** UTF-16BE, so names beyond UCS-2 that writers store as surrogate pairs come out whole. */
export function decodeUcs2(buf: Buffer, off: number, len: number): string {
  let s = '';
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) s += String.fromCharCode((buf[i]! << 8) | buf[i + 1]!);
  return s;
}

/** genisoimage appends `;1` to Joliet file names and xorriso does not; show neither. */
export function jolietName(raw: string, isDir: boolean): string {
  if (isDir) return raw;
  const semi = raw.lastIndexOf(';');
  const base = semi >= 0 && /^\d*$/.test(raw.slice(semi + 1)) ? raw.slice(0, semi) : raw;
  return base.endsWith('.') && semi >= 0 && base.length > 1 ? base.slice(0, -1) : base;
}
