/**
 * lz4-napi (lz4_flex, Rust, prebuilt per platform): decodes blocks at ~1.5 GB/s here where
 * our TypeScript decoder does ~700 MB/s. Its block API wants the output size up front, in a
 * 4-byte prefix; an upper bound works (it returns the real length). Where the native module
 * cannot load, the TypeScript decoder does the work.
 */
export interface Lz4Native {
  uncompressSync(data: Uint8Array, dict?: Uint8Array | null): Buffer;
}

let native: Promise<Lz4Native | undefined> | undefined;

export function loadLz4Native(): Promise<Lz4Native | undefined> {
  native ??= (import('lz4-napi') as Promise<unknown>).then(
    (m) => {
      const mod = ((m as { default?: Lz4Native }).default ?? m) as Lz4Native;
      return typeof mod.uncompressSync === 'function' ? mod : undefined;
    },
    () => undefined,
  );
  return native;
}

/** Tests run the TypeScript fallback too: `false` forces it, `true` goes back to native. */
export function setLz4Native(enabled: boolean): void {
  native = enabled ? undefined : Promise.resolve(undefined);
}
