/**
 * What every decompressor adapter looks like to the segment walker: it is fed the source
 * bytes from the start of one compressed member and says where that member ends, because
 * an initrd keeps going after it (another member, zero padding, an uncompressed cpio).
 */
export interface MemberDecoder {
  /**
   * Feeds the next bytes. A decoder may look ahead past the end of its member; once `done`,
   * `consumed` says where the member really ended and the walker goes on from there.
   */
  push(chunk: Buffer): Promise<void> | void;
  /** The source ended: throws if the member is incomplete. */
  finish(): Promise<void> | void;
  readonly done: boolean;
  /** Length of the member in source bytes; meaningful once `done`. */
  readonly consumed: number;
  /** Releases native or WebAssembly resources when the walk stops early. */
  dispose?(): void;
}

/**
 * Receives decompressed bytes in order. Unless `owned`, it must be done with `out` before
 * returning (the decoder reuses the buffer); an owned buffer is the sink's to keep.
 */
export type Sink = (out: Buffer, owned?: boolean) => void;

/** Thrown by a decoder for corrupt or truncated input; the walker adds where. */
export class CodecError extends Error {
  constructor(
    message: string,
    /** Bytes of this member's input consumed when it failed, when known. */
    readonly inputOffset?: number,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}
