import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { LabError } from '../../../shared/errors';
import type { Compression } from '../archive/sniff';
import { which } from '../doctor/tools';

/**
 * Compressors for initrd segments, each writing one member the kernel's decompressor takes
 * (Documentation/driver-api/early-userspace/buffer-format.rst and lib/decompress_*.c): gzip
 * through zlib; xz with CRC32 checks (the kernel's xz reads only None/CRC32), lzma-alone,
 * bzip2, zstd and lz4's legacy format through their command-line tools. Where a tool is
 * missing the segment is gzip, and the note says so.
 */

export interface Encoder {
  /** What the member is actually compressed with. */
  compression: Compression;
  /** Set when that is not what was asked for. */
  note?: string;
  /** Compresses `input` into `file`; one member, whole. */
  encode(input: Readable, file: string, signal?: AbortSignal): Promise<void>;
}

const TOOL_ARGS: Partial<Record<Compression, { tool: string; args: string[]; pkg: string }>> = {
  xz: { tool: 'xz', args: ['--check=crc32', '-6', '-T1', '-c'], pkg: 'xz-utils' },
  lzma: { tool: 'xz', args: ['--format=lzma', '-6', '-c'], pkg: 'xz-utils' },
  bzip2: { tool: 'bzip2', args: ['-9', '-c'], pkg: 'bzip2' },
  zstd: { tool: 'zstd', args: ['-q', '-3', '-c'], pkg: 'zstd' },
  'lz4-legacy': { tool: 'lz4', args: ['-l', '-q', '-c'], pkg: 'lz4' },
  lz4: { tool: 'lz4', args: ['-q', '-c'], pkg: 'lz4' },
};

const gzipEncoder = (note?: string): Encoder => ({
  compression: 'gzip',
  note,
  encode: (input, file, signal) => pipeline(input, zlib.createGzip({ level: 6 }), createWriteStream(file), { signal }),
});

const plainEncoder: Encoder = {
  compression: 'none',
  encode: (input, file, signal) => pipeline(input, createWriteStream(file), { signal }),
};

function toolEncoder(compression: Compression, exe: string, args: string[]): Encoder {
  return {
    compression,
    encode: async (input, file, signal) => {
      const child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
      const exited = new Promise<number>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
      });
      const abort = () => child.kill('SIGKILL');
      signal?.addEventListener('abort', abort, { once: true });
      try {
        await Promise.all([
          pipeline(input, child.stdin as Writable, { signal }),
          pipeline(child.stdout as Readable, createWriteStream(file), { signal }),
        ]);
        const code = await exited;
        if (code !== 0) throw new LabError('ENCODE_FAILED', `${exe} ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no message'}.`);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    },
  };
}

/** The encoder for `compression`, or gzip with a note when its tool is not installed. */
export async function encoderFor(compression: Compression, env: NodeJS.ProcessEnv = process.env): Promise<Encoder> {
  if (compression === 'none') return plainEncoder;
  if (compression === 'gzip') return gzipEncoder();
  const spec = TOOL_ARGS[compression]!;
  const exe = await which(spec.tool, { env });
  if (exe) return toolEncoder(compression, exe, spec.args);
  return gzipEncoder(`${compression} needs \`${spec.tool}\`, which is not installed (apt install ${spec.pkg}): written with gzip instead, which needs a kernel with CONFIG_RD_GZIP.`);
}

/** A readable made of buffers pushed as they come (the cpio writer's output). */
export function bufferStream(): PassThrough {
  return new PassThrough({ highWaterMark: 4 << 20 });
}
