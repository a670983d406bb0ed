import zlib from 'node:zlib';

let table: Int32Array | undefined;

/** CRC-32 (IEEE) in TypeScript, for Node before 20.15, which lacks zlib.crc32. */
function crc32Js(data: Uint8Array, value = 0): number {
  const t = (table ??= Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  }));
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** zlib's (SIMD) CRC-32 where Node has it. */
export const crc32: (data: Uint8Array, value?: number) => number = typeof zlib.crc32 === 'function' ? zlib.crc32 : crc32Js;
