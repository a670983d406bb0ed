import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../electron/core/archive/codec';
import { createDecoder } from '../../electron/core/archive/decompress';
import { setLz4Native } from '../../electron/core/archive/lz4-native';
import type { Compression } from '../../electron/core/archive/sniff';
import { run } from '../helpers/archive-tools';

// Each decoder against the reference CLI's output, fed in awkward chunks, followed by
// unrelated bytes: the output must match and the decoder must say exactly where it ended.

type C = Exclude<Compression, 'none'>;

function sample(): Buffer {
  const text = Buffer.from(Array.from({ length: 6000 }, (_, i) => `line ${i} of some fairly repetitive text ${i % 17}\n`).join(''));
  return Buffer.concat([text, randomBytes(150_000), Buffer.alloc(200_000, 0x41), text]);
}

const tools: Record<C, string[][]> = {
  gzip: [['gzip', '-c', '-n']],
  bzip2: [['bzip2', '-c'], ['bzip2', '-1', '-c']],
  xz: [['xz', '--check=crc32', '-c'], ['xz', '--check=crc64', '--block-size=65536', '-c'], ['xz', '-T2', '--block-size=100000', '-c'], ['xz', '--check=none', '--x86', '--lzma2', '-c']],
  lzma: [['xz', '--format=lzma', '-c'], ['xz', '--format=lzma', '-9', '-c']],
  'lz4-legacy': [['lz4', '-l', '-c', '-q']],
  lz4: [['lz4', '-c', '-q'], ['lz4', '-BD', '-B4', '-c', '-q'], ['lz4', '-B4', '--content-size', '-BX', '-c', '-q']],
  zstd: [['zstd', '-c', '-q'], ['zstd', '-19', '--check', '-c', '-q']],
};

async function decode(c: C, input: Buffer, chunkSizes: () => number) {
  const out: Buffer[] = [];
  const dec = createDecoder(c, (b) => out.push(Buffer.from(b)));
  for (let i = 0; i < input.length && !dec.done; ) {
    const n = chunkSizes();
    await dec.push(input.subarray(i, i + n));
    i += n;
  }
  if (!dec.done) await dec.finish();
  dec.dispose?.();
  return { out: Buffer.concat(out), consumed: dec.consumed };
}

const data = sample();
const after = Buffer.concat([Buffer.from('07070100000000'), Buffer.alloc(64, 0x30)]);

describe.each(Object.keys(tools) as C[])('%s decoder', (c) => {
  it.each(tools[c].map((t) => [t.join(' '), t] as const))('matches `%s` and finds the member end', async (_, cmd) => {
    const compressed = run(cmd[0]!, cmd.slice(1), { input: data });
    for (const sizes of [() => 1 << 20, () => 1 + Math.floor(Math.random() * 70_000), () => 4093]) {
      const r = await decode(c, Buffer.concat([compressed, after]), sizes);
      expect(r.out.equals(data)).toBe(true);
      // A legacy lz4 member has no end marker: the word after it cannot be a block size.
      expect(r.consumed).toBe(compressed.length);
    }
  });

  it('reports a truncated member', async () => {
    const compressed = run(tools[c][0]![0]!, tools[c][0]!.slice(1), { input: data });
    const cut = compressed.subarray(0, Math.floor(compressed.length * 0.6));
    await expect(decode(c, cut, () => 65536)).rejects.toBeInstanceOf(CodecError);
  });

  it('does not crash on corruption', async () => {
    const compressed = run(tools[c][0]![0]!, tools[c][0]!.slice(1), { input: data });
    for (let k = 0; k < 5; k++) {
      const bad = Buffer.from(compressed);
      for (let j = 0; j < 8; j++) {
        const at = 20 + Math.floor(Math.random() * (bad.length - 20));
        bad[at] = bad[at]! ^ (1 << j);
      }
      try {
        const r = await decode(c, bad, () => 65536);
        // Formats without checksums (lz4) may decode garbage: only the length is bounded.
        expect(r.out.length).toBeLessThan(data.length * 4 + (8 << 20));
      } catch (err) {
        expect(err).toBeInstanceOf(CodecError);
      }
    }
  });
});

describe('lz4 without the native module', () => {
  afterAll(() => setLz4Native(true));
  it.each([...tools['lz4-legacy'], ...tools.lz4].map((t) => [t.join(' '), t] as const))('the TypeScript decoder matches `%s`', async (_, cmd) => {
    setLz4Native(false);
    const compressed = run(cmd[0]!, cmd.slice(1), { input: data });
    const c: C = cmd.includes('-l') ? 'lz4-legacy' : 'lz4';
    for (const sizes of [() => 1 << 20, () => 1 + Math.floor(Math.random() * 70_000)]) {
      const r = await decode(c, Buffer.concat([compressed, after]), sizes);
      expect(r.out.equals(data)).toBe(true);
      expect(r.consumed).toBe(compressed.length);
    }
    const bad = Buffer.from(compressed);
    bad.fill(0xff, 40, 60);
    await decode(c, bad, () => 65536).catch((err) => expect(err).toBeInstanceOf(CodecError));
  });
});

describe('member boundaries', () => {
  it('ends a legacy lz4 member at a zero word or another magic', async () => {
    const m = run('lz4', ['-l', '-c', '-q'], { input: data });
    const twice = Buffer.concat([m, m.subarray(4)]);
    // A repeated legacy magic continues the member (concatenated legacy frames).
    const concat = await decode('lz4-legacy', Buffer.concat([m, m, Buffer.alloc(8)]), () => 100_000);
    expect(concat.out.equals(Buffer.concat([data, data]))).toBe(true);
    expect(concat.consumed).toBe(m.length * 2);
    const zstd = run('zstd', ['-c', '-q'], { input: data });
    const next = await decode('lz4-legacy', Buffer.concat([m, zstd]), () => 100_000);
    expect(next.consumed).toBe(m.length);
    expect(twice.length).toBeGreaterThan(m.length);
  });

  it('treats each gzip, bzip2, xz and zstd stream as its own member', async () => {
    for (const [c, cmd] of [['gzip', ['gzip', '-c']], ['bzip2', ['bzip2', '-c']], ['xz', ['xz', '-c']], ['zstd', ['zstd', '-c', '-q']]] as const) {
      const m = run(cmd[0], cmd.slice(1), { input: data });
      const r = await decode(c, Buffer.concat([m, m]), () => 300_000);
      expect(r.consumed).toBe(m.length);
      expect(r.out.equals(data)).toBe(true);
    }
  });
});

describe('lz4 frame checksums', () => {
  it('Xxh32 over pieces equals xxhash32 of the whole', async () => {
    const { Xxh32, xxhash32 } = await import('../../electron/core/archive/xxhash32');
    for (const len of [0, 1, 15, 16, 17, 1000, 65_537]) {
      const b = randomBytes(len);
      const h = new Xxh32();
      for (let i = 0; i < len; ) {
        const n = 1 + Math.floor(Math.random() * 40);
        h.update(b.subarray(i, i + n));
        i += n;
      }
      expect(h.digest(), `length ${len}`).toBe(xxhash32(b));
    }
  });

  // One flipped bit in a block's data: `lz4 -d` refuses it, and so must the decoder, for the
  // content checksum (lz4's default) and for the block checksum (-BX); never as good bytes.
  it.each([
    ['content checksum', ['lz4', '-c', '-q']],
    ['block checksum', ['lz4', '-BX', '--no-frame-crc', '-c', '-q']],
  ])('a corrupt frame fails on its %s', async (what, cmd) => {
    const compressed = run(cmd[0]!, cmd.slice(1), { input: data });
    // Inside a literal run of the random part (stored as it is): it decodes fine, to wrong bytes.
    const random = data.indexOf(Buffer.alloc(200_000, 0x41)) - 50_000;
    const at = compressed.indexOf(data.subarray(random, random + 32));
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(compressed);
    bad[at + 16]! ^= 0x01;
    await expect(decode('lz4', bad, () => 65536)).rejects.toThrow(what === 'block checksum' ? /lz4 block checksum mismatch/ : /lz4 frame content checksum mismatch/);
    expect(() => run('lz4', ['-d', '-c', '-q'], { input: bad })).toThrow();
  });
});

describe('bzip2 block CRC', () => {
  it('a corrupt block is refused before any of its bytes are passed on', async () => {
    const compressed = run('bzip2', ['-9', '-c'], { input: data });
    let refused = 0;
    for (let k = 0; k < 8; k++) {
      const bad = Buffer.from(compressed);
      const at = 100 + Math.floor(((k + 1) / 10) * (bad.length - 200));
      bad[at]! ^= 0x10;
      const out: Buffer[] = [];
      const dec = createDecoder('bzip2', (b) => out.push(Buffer.from(b)));
      try {
        await dec.push(bad);
        if (!dec.done) await dec.finish();
      } catch (err) {
        expect(err).toBeInstanceOf(CodecError);
        refused++;
      }
      // One block (-9, under 900 kB): nothing of it reached the sink, whatever failed.
      if (!dec.done) expect(Buffer.concat(out).length).toBe(0);
    }
    expect(refused).toBeGreaterThan(0);
  });
});
