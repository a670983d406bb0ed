/**
 * Bounds that keep a hostile or corrupt archive from exhausting memory, disk or time. The
 * kernel has its own (PATH_MAX for names and symlink targets); the rest are far above what
 * any real initrd needs.
 */
export const LIMITS = {
  /** Longest name or symlink target, like the kernel's PATH_MAX. */
  pathMax: 4096,
  /** Most entries in one archive (all segments together). */
  maxEntries: 2_000_000,
  /** Sum of all entry names, so 2 million 4 KiB names cannot take 8 GB of memory. */
  maxNameBytes: 256 * 1024 * 1024,
  /** Deepest path, counted in components. */
  maxDepth: 1024,
  /** Decompressed bytes per archive: anything beyond is treated as a decompression bomb. */
  maxOutput: 8 * 1024 * 1024 * 1024,
  /** Symlinks followed while resolving one path. */
  maxSymlinkHops: 40,
  /** Total size of the archive cache folder before the oldest entries are evicted. */
  cacheBytes: 2 * 1024 * 1024 * 1024,
};
