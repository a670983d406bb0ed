// Hand-made ISO 9660 images for tests: every byte where the test says, so corruptions and
// rare layouts (multi-extent files, CE chains, relocated directories) need no external tool.
import { BufferSource } from '../../electron/core/image/byte-source';

export const SECTOR = 2048;

function both16(b: Buffer, at: number, v: number): void {
  b.writeUInt16LE(v, at);
  b.writeUInt16BE(v, at + 2);
}

function both32(b: Buffer, at: number, v: number): void {
  b.writeUInt32LE(v >>> 0, at);
  b.writeUInt32BE(v >>> 0, at + 4);
}

export interface RecordOptions {
  /** Raw identifier: a string is latin1, 0x00/0x01 as Buffers for '.' and '..'. */
  id: string | Buffer;
  lba: number;
  size: number;
  flags?: number;
  /** [years since 1900, month, day, hour, minute, second, gmt offset in 15 min] */
  date?: number[];
  su?: Buffer;
  xar?: number;
  unitSize?: number;
}

/** One directory record (ECMA-119 §9.1). */
export function record(o: RecordOptions): Buffer {
  const id = typeof o.id === 'string' ? Buffer.from(o.id, 'latin1') : o.id;
  const pad = id.length % 2 === 0 ? 1 : 0;
  const su = o.su ?? Buffer.alloc(0);
  let len = 33 + id.length + pad + su.length;
  len += len % 2;
  const b = Buffer.alloc(len);
  b[0] = len;
  b[1] = o.xar ?? 0;
  both32(b, 2, o.lba);
  both32(b, 10, o.size);
  const d = o.date ?? [124, 1, 2, 3, 4, 5, 0];
  for (let i = 0; i < 6; i++) b[18 + i] = d[i]!;
  b.writeInt8(d[6]!, 24);
  b[25] = o.flags ?? 0;
  b[26] = o.unitSize ?? 0;
  both16(b, 28, 1);
  b[32] = id.length;
  id.copy(b, 33);
  su.copy(b, 33 + id.length + pad);
  return b;
}

export const DOT = Buffer.from([0]);
export const DOTDOT = Buffer.from([1]);

/** Packs records into whole sectors, never letting one cross a sector boundary. */
export function directory(records: Buffer[]): Buffer {
  const sectors: Buffer[] = [];
  let cur = Buffer.alloc(SECTOR);
  let pos = 0;
  for (const r of records) {
    if (pos + r.length > SECTOR) {
      sectors.push(cur);
      cur = Buffer.alloc(SECTOR);
      pos = 0;
    }
    r.copy(cur, pos);
    pos += r.length;
  }
  sectors.push(cur);
  return Buffer.concat(sectors);
}

export interface PvdOptions {
  rootLba: number;
  rootSize: number;
  volumeBlocks: number;
  volumeId?: string;
  blockSize?: number;
  type?: number;
  /** Joliet escape sequence for a type-2 descriptor, e.g. '%/E'. */
  escape?: string;
}

export function pvd(o: PvdOptions): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[0] = o.type ?? 1;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  b.fill(0x20, 8, 72);
  b.write(o.volumeId ?? 'SYNTH', 40, 'latin1');
  both32(b, 80, o.volumeBlocks);
  if (o.escape) b.write(o.escape, 88, 'latin1');
  both16(b, 120, 1);
  both16(b, 124, 1);
  both16(b, 128, o.blockSize ?? SECTOR);
  record({ id: DOT, lba: o.rootLba, size: o.rootSize, flags: 2 }).copy(b, 156);
  b.fill(0x20, 190, 813);
  b.write('2024010203040500', 813, 'latin1');
  b[829] = 0;
  b.write('2024010203040500', 830, 'latin1');
  b.fill(0x30, 847, 863);
  b.fill(0x30, 864, 880);
  b[881] = 1;
  return b;
}

export function terminator(): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[0] = 255;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  return b;
}

export function bootRecord(catalogLba: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[0] = 0;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  b.write('EL TORITO SPECIFICATION', 7, 'latin1');
  b.writeUInt32LE(catalogLba, 71);
  return b;
}

// ------------------------------------------------------------------ SUSP / RRIP entries

function entry(sig: string, data: Buffer, version = 1): Buffer {
  const b = Buffer.alloc(4 + data.length);
  b.write(sig, 0, 'latin1');
  b[2] = b.length;
  b[3] = version;
  data.copy(b, 4);
  return b;
}

const u32both = (...vs: number[]) => {
  const b = Buffer.alloc(vs.length * 8);
  vs.forEach((v, i) => both32(b, i * 8, v));
  return b;
};

export const su = {
  sp: (skip = 0) => entry('SP', Buffer.from([0xbe, 0xef, skip])),
  er: (id = 'RRIP_1991A') => {
    const des = 'THE ROCK RIDGE INTERCHANGE PROTOCOL';
    return entry('ER', Buffer.concat([Buffer.from([id.length, des.length, 0, 1]), Buffer.from(id + des, 'latin1')]));
  },
  px: (mode: number, nlink = 1, uid = 0, gid = 0) => entry('PX', u32both(mode, nlink, uid, gid)),
  pn: (high: number, low: number) => entry('PN', u32both(high, low)),
  nm: (name: string | Buffer, flags = 0) => entry('NM', Buffer.concat([Buffer.from([flags]), typeof name === 'string' ? Buffer.from(name) : name])),
  /** components: [flags, text] pairs. */
  sl: (components: [number, string][], flags = 0) =>
    entry('SL', Buffer.concat([Buffer.from([flags]), ...components.map(([f, t]) => Buffer.concat([Buffer.from([f, Buffer.byteLength(t)]), Buffer.from(t)]))])),
  /** Modify time only, short (7-byte) or long (17-byte) form. */
  tf: (date: number[] | string, long = false) => {
    const flags = 0x02 | (long ? 0x80 : 0);
    const stamp = long ? Buffer.concat([Buffer.from((date as string).slice(0, 16), 'latin1'), Buffer.from([Number((date as string).slice(16)) & 0xff])]) : Buffer.from((date as number[]).map((v) => v & 0xff));
    return entry('TF', Buffer.concat([Buffer.from([flags]), stamp]));
  },
  ce: (lba: number, offset: number, length: number) => entry('CE', u32both(lba, offset, length)),
  cl: (lba: number) => entry('CL', u32both(lba)),
  pl: (lba: number) => entry('PL', u32both(lba)),
  re: () => entry('RE', Buffer.alloc(0)),
  st: () => entry('ST', Buffer.alloc(0)),
  raw: entry,
};

// ------------------------------------------------------------------ whole images

export class SynthImage {
  private readonly sectors = new Map<number, Buffer>();
  constructor(public totalSectors: number) {}

  put(lba: number, data: Buffer): this {
    for (let i = 0; i * SECTOR < data.length; i++) {
      const s = Buffer.alloc(SECTOR);
      data.copy(s, 0, i * SECTOR, Math.min(data.length, (i + 1) * SECTOR));
      this.sectors.set(lba + i, s);
    }
    return this;
  }

  toBuffer(): Buffer {
    const b = Buffer.alloc(this.totalSectors * SECTOR);
    for (const [lba, s] of this.sectors) if (lba < this.totalSectors) s.copy(b, lba * SECTOR);
    return b;
  }
}

export const source = (buf: Buffer, name = 'synth.iso') => new BufferSource(buf, `${name}:${buf.length}`, name);

export interface SynthChild {
  id: string;
  lba: number;
  size: number;
  flags?: number;
  su?: Buffer;
  unitSize?: number;
}

/**
 * PVD at 16, terminator at 17, root directory at 18 holding `children` (after `.`/`..`),
 * `extra` sectors placed as given. Rock Ridge when `rr` (SP + ER on the root's `.`).
 */
export function simpleIso(o: { children: SynthChild[]; extra?: [number, Buffer][]; totalSectors?: number; rr?: boolean; rootSize?: number }): Buffer {
  const total = o.totalSectors ?? 40;
  const rootSu = o.rr ? Buffer.concat([su.sp(), su.px(0o40755, 2), su.er()]) : undefined;
  const root = directory([
    record({ id: DOT, lba: 18, size: o.rootSize ?? SECTOR, flags: 2, su: rootSu }),
    record({ id: DOTDOT, lba: 18, size: o.rootSize ?? SECTOR, flags: 2 }),
    ...o.children.map((c) => record(c)),
  ]);
  const img = new SynthImage(total)
    .put(16, pvd({ rootLba: 18, rootSize: o.rootSize ?? root.length, volumeBlocks: total }))
    .put(17, terminator())
    .put(18, root);
  for (const [lba, data] of o.extra ?? []) img.put(lba, data);
  return img.toBuffer();
}
