/** The kinds of node an image can hold, as `ls -l` and cpio know them. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface Extent {
  /** Byte offset within the container (the ISO file, or the archive's decompressed stream). */
  offset: number;
  length: number;
}

/**
 * One node of an ISO or an archive, whatever the format. Readers fill what their format
 * knows; the rest keeps the documented default.
 */
export interface NodeEntry {
  /** Base name; '' for the root. */
  name: string;
  type: EntryType;
  /** Bytes of content (for a hardlink, the size of the shared data). */
  size: number;
  /** Permission bits only (mode & 0o7777); the type is in `type`. */
  mode: number;
  uid: number;
  gid: number;
  /** Milliseconds since the epoch; undefined when the format has none. */
  mtime?: number;
  /** Symlink target, as stored. */
  target?: string;
  /** Device numbers of a char or block node. */
  rdev?: { major: number; minor: number };
  nlink?: number;
  /** For a hardlink: the absolute path of the entry whose data it shares. */
  linkOf?: string;
  /** Where the content lies in the container; several for ISO multi-extent files. */
  extents?: Extent[];
}

/** `rwxr-xr-x` with the type letter in front, like `ls -l`. */
export function modeString(type: EntryType, mode: number): string {
  const letter = { file: '-', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', socket: 's' }[type];
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (mode & (1 << (8 - i)) ? c : '-'));
  if (mode & 0o4000) bits[2] = bits[2] === 'x' ? 's' : 'S';
  if (mode & 0o2000) bits[5] = bits[5] === 'x' ? 's' : 'S';
  if (mode & 0o1000) bits[8] = bits[8] === 'x' ? 't' : 'T';
  return letter + bits.join('');
}
