// Mutation fuzzing of the ISO reader: small real images with bytes changed where the reader
// looks (descriptors, directory sectors with their SUSP areas, continuation blocks, the boot
// catalog, the system area) or cut short. Every failure must be a LabError of a known code,
// nothing may hang, and memory must stay bounded. Repeatable: ISO_FUZZ_SEED and
// ISO_FUZZ_ITERATIONS override the defaults, and a failure prints the iteration to replay.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferSource } from '../../electron/core/image/byte-source';
import type { NodeEntry } from '../../electron/core/image/entry';
import { walkRecords } from '../../electron/core/iso/directory';
import { IsoImage } from '../../electron/core/iso/iso-image';
import { readKernelCard } from '../../electron/core/kernel/bzimage';
import { LabError } from '../../shared/errors';
import { makeRichTree, requireTools, tmp, xorrisoReport } from '../helpers/iso-tools';
import { simpleIso, su } from '../helpers/iso-synth';

const SEED = Number(process.env.ISO_FUZZ_SEED ?? 0x1501ab);
const ITERATIONS = Number(process.env.ISO_FUZZ_ITERATIONS ?? 25_000);
const ALLOWED = new Set(['BAD_ISO', 'NOT_AN_ISO', 'NOT_FOUND', 'NOT_A_DIRECTORY']);
const ITERATION_TIMEOUT_MS = 3000;
/** The base images hold < 100 entries; a walk this long means a directory loop got through. */
const WALK_LIMIT = 5_000;
const READ_LIMIT = 1 << 20;

/** mulberry32: small, fast and the same everywhere. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Base {
  name: string;
  bytes: Buffer;
  /** [start, end) byte ranges where mutations land. */
  regions: [number, number][];
  /** Single bytes the parser decides on: record and SUSP entry lengths, flags, identifier lengths. */
  hot: number[];
}

let work: string;
const bases: Base[] = [];

/** Where the reader looks in `bytes`: found by reading the pristine image with the reader itself. */
async function regionsOf(bytes: Buffer): Promise<{ regions: [number, number][]; hot: number[] }> {
  const iso = await IsoImage.open(new BufferSource(bytes, 'base', 'base'));
  const regions: [number, number][] = [
    [0, 0x8000], // system area: MBR, GPT
    [0x8000, 0x8000 + 4 * 2048], // volume descriptors
  ];
  const dirs: NodeEntry[] = [await iso.stat('/')];
  const walk = async (p: string): Promise<void> => {
    for (const e of await iso.readdir(p)) {
      if (e.type !== 'dir') continue;
      dirs.push(e);
      await walk(p === '/' ? `/${e.name}` : `${p}/${e.name}`);
    }
  };
  await walk('/');
  for (const d of dirs) for (const x of d.extents ?? []) regions.push([x.offset, x.offset + Math.max(x.length, 2048)]);
  // Continuation areas and path tables sit between the descriptors and the first file.
  const firstDir = Math.min(...regions.slice(2).map(([a]) => a));
  regions.push([0x8000 + 2048, Math.max(firstDir, 0x8000 + 4096)]);
  const cat = iso.info.elTorito;
  if (cat) {
    regions.push([cat.catalogLba * 2048, cat.catalogLba * 2048 + 256]);
    for (const e of cat.entries) regions.push([e.lba * 2048, e.lba * 2048 + 64]);
  }
  const hot: number[] = [];
  for (const d of dirs) {
    for (const x of d.extents ?? []) {
      walkRecords('base', bytes.subarray(x.offset, x.offset + x.length), x.offset, (rec) => {
        for (const f of [0, 1, 2, 5, 10, 13, 25, 26, 32]) hot.push(rec.abs + f);
        // SUSP entry lengths and the first byte of each entry's data (flags, component lengths).
        const su = bytes.subarray(x.offset, x.offset + x.length);
        for (let p = rec.suAt; p + 4 <= rec.suEnd && su[p + 2]! >= 4; p += su[p + 2]!) hot.push(x.offset + p + 2, x.offset + p + 4, x.offset + p + 5, x.offset + p + 6);
      });
    }
  }
  return {
    regions: regions.filter(([a, b]) => a < bytes.length && b > a).map(([a, b]) => [a, Math.min(b, bytes.length)]),
    hot: hot.filter((p) => p < bytes.length),
  };
}

beforeAll(async () => {
  requireTools('xorriso', 'genisoimage');
  work = tmp('iso-fuzz');
  const rich = makeRichTree(work);
  // Keep the images small so each iteration is quick.
  rmSync(path.join(rich.root, 'binary.bin'));
  mkdirSync(path.join(rich.root, 'isolinux'));
  copyFileSync('/usr/lib/ISOLINUX/isolinux.bin', path.join(rich.root, 'isolinux', 'isolinux.bin'));
  writeFileSync(path.join(rich.root, 'efi.img'), Buffer.alloc(64 * 1024, 1));
  const make = (name: string, cmd: string, args: string[]) => {
    const out = path.join(work, name);
    execFileSync(cmd, [...args, '-o', out, rich.root], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(out);
  };
  const images: [string, Buffer][] = [
    [
      'xorriso-rr-joliet-eltorito-hybrid',
      make('a.iso', 'xorriso', [
        '-as', 'mkisofs', '-quiet', '-R', '-J',
        '-b', 'isolinux/isolinux.bin', '-c', 'boot.catalog', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
        '-eltorito-alt-boot', '-e', 'efi.img', '-no-emul-boot',
        '-isohybrid-mbr', '/usr/lib/ISOLINUX/isohdpfx.bin', '-isohybrid-gpt-basdat',
      ]),
    ],
    ['genisoimage-rr-relocated', make('b.iso', 'genisoimage', ['-quiet', '-R', '-J', '-joliet-long'])],
    ['genisoimage-plain', make('c.iso', 'genisoimage', ['-quiet'])],
  ];
  const joliet = path.join(work, 'd.iso');
  xorrisoReport(['-outdev', joliet, '-rockridge', 'off', '-joliet', 'on', '-map', rich.root, '/']);
  images.push(['xorriso-joliet-only', readFileSync(joliet)]);
  images.push([
    'synthetic-multi-extent-ce',
    simpleIso({
      rr: true,
      children: [
        { id: 'M.;1', lba: 30, size: 2048, flags: 0x80, su: Buffer.concat([su.px(0o100644), su.nm('multi')]) },
        { id: 'M.;1', lba: 31, size: 100, su: Buffer.concat([su.px(0o100644), su.ce(33, 0, 30)]) },
        { id: 'L.;1', lba: 0, size: 0, su: Buffer.concat([su.px(0o120777), su.sl([[8, ''], [0, 'x']], 1), su.ce(33, 100, 20)]) },
      ],
      extra: [[33, Buffer.concat([su.nm('from-ce'), su.st(), Buffer.alloc(100 - 16), su.sl([[0, 'tail']])])]],
    }),
  ]);
  for (const [name, bytes] of images) bases.push({ name, bytes, ...(await regionsOf(bytes)) });
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const INTERESTING = [0x00, 0x01, 0x02, 0x21, 0x22, 0x7f, 0x80, 0xff, 0xfe, 0x55, 0xaa, 0x88];

function mutate(base: Base, r: () => number): { bytes: Buffer; what: string } {
  const int = (n: number) => Math.floor(r() * n);
  const bytes = Buffer.from(base.bytes);
  const [a, b] = base.regions[int(base.regions.length)]!;
  const at = () => a + int(b - a);
  const kind = int(8);
  let what: string;
  if (kind >= 6) {
    const n = 1 + int(3);
    for (let i = 0; i < n; i++) bytes[base.hot[int(base.hot.length)]!] = int(2) ? INTERESTING[int(INTERESTING.length)]! : int(256);
    what = `${n} hot bytes`;
  } else if (kind === 0) {
    const n = 1 + int(8);
    for (let i = 0; i < n; i++) bytes[at()] = int(256);
    what = `${n} random bytes in ${a}-${b}`;
  } else if (kind === 1) {
    const n = 1 + int(4);
    for (let i = 0; i < n; i++) bytes[at()] = INTERESTING[int(INTERESTING.length)]!;
    what = `${n} interesting bytes in ${a}-${b}`;
  } else if (kind === 2) {
    // A both-endian 32-bit field (LBA, size) set to something large or small.
    const p = at();
    const v = [0, 1, 0xffffffff, 0x7fffffff, 0x10000, int(2 ** 32)][int(6)]!;
    if (p + 8 <= bytes.length) {
      bytes.writeUInt32LE(v >>> 0, p);
      bytes.writeUInt32BE(v >>> 0, p + 4);
    }
    what = `u32 ${v} at ${p}`;
  } else if (kind === 3) {
    const p = at();
    const n = 1 + int(64);
    bytes.fill(int(2) ? 0 : 0xff, p, Math.min(bytes.length, p + n));
    what = `fill ${n} at ${p}`;
  } else if (kind === 4) {
    const cut = int(bytes.length);
    return { bytes: bytes.subarray(0, cut), what: `truncate at ${cut}` };
  } else {
    for (let i = 0; i < 3; i++) {
      const p = at();
      bytes[p] = bytes[p]! ^ (1 << int(8));
    }
    const cut = bytes.length - int(Math.min(bytes.length, 256 * 1024));
    return { bytes: bytes.subarray(0, cut), what: `3 bit flips in ${a}-${b}, truncate at ${cut}` };
  }
  return { bytes, what };
}

/** Everything a user of the reader can do to an image; throws only what the reader throws. */
async function exercise(bytes: Buffer, tally: Map<string, number>): Promise<number> {
  const check = (err: unknown): void => {
    if (err instanceof LabError && ALLOWED.has(err.code) && err.message.length > 0) {
      tally.set(err.code, (tally.get(err.code) ?? 0) + 1);
      return;
    }
    throw err;
  };
  const src = new BufferSource(bytes, `fuzz:${bytes.length}`, 'fuzz.iso');
  const iso = await IsoImage.open(src);
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    let list: NodeEntry[];
    try {
      list = await iso.readdir(dir);
    } catch (err) {
      check(err);
      return;
    }
    for (const e of list) {
      if (++seen > WALK_LIMIT) throw new Error(`walk passed ${WALK_LIMIT} entries: a directory loop got through`);
      const p = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      try {
        const st = await iso.stat(p);
        if (st.type === 'file') {
          const f = iso.open(st);
          await f.read(0, Math.min(f.size, READ_LIMIT));
          if (f.size > 16) await f.read(f.size - 16, 32);
          try {
            await readKernelCard(f);
          } catch (err) {
            if (!(err instanceof LabError && err.code === 'NOT_A_KERNEL')) throw err;
          }
        }
      } catch (err) {
        check(err);
      }
      if (e.type === 'dir') await walk(p);
    }
  };
  await walk('/');
  return seen;
}

describe('ISO reader fuzz', () => {
  it(`survives ${ITERATIONS} mutated images (seed ${SEED})`, async () => {
    console.log(`iso-fuzz: seed 0x${SEED.toString(16)}, ${ITERATIONS} iterations over ${bases.map((b) => b.name).join(', ')}`);
    const r = rng(SEED);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const outcomes = { ok: 0, labError: 0 };
    /** Refusals at open() and, within walks that went on, of single directories and files. */
    const codes = new Map<string, number>();
    const failures: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < ITERATIONS; i++) {
      const base = bases[Math.floor(r() * bases.length)]!;
      const { bytes, what } = mutate(base, r);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ITERATION_TIMEOUT_MS} ms`)), ITERATION_TIMEOUT_MS);
      });
      try {
        await Promise.race([exercise(bytes, codes), timeout]);
        outcomes.ok++;
      } catch (err) {
        if (err instanceof LabError && ALLOWED.has(err.code)) {
          outcomes.labError++;
          codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        } else {
          const e = err as Error;
          failures.push(`iteration ${i} (${base.name}: ${what}): ${e?.name}: ${e?.message}\n${e?.stack?.split('\n').slice(1, 4).join('\n')}`);
        }
      } finally {
        clearTimeout(timer);
      }
      if (i % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMb = (peak - rss0) / 1048576;
    console.log(
      `iso-fuzz: ${ITERATIONS} iterations in ${Date.now() - t0} ms: ${outcomes.ok} opened and walked, ${outcomes.labError} refused at open; errors by code ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}; ` +
        `${failures.length} bad; rss growth ${growthMb.toFixed(0)} MB`,
    );
    expect(failures.slice(0, 5)).toEqual([]);
    expect(growthMb).toBeLessThan(300);
    // The mutations must actually reach the parser's error paths, and leave some images readable.
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(ITERATIONS / 10);
    expect(outcomes.ok).toBeGreaterThan(ITERATIONS / 10);
  }, 120_000);
});
