// Hybrid images put an MBR and possibly a GPT into the ISO's system area (sectors 0–15),
// so the same file boots from a USB stick. All LBAs here are 512-byte sectors. The system
// area is outside ECMA-119, so anything odd in it means "not hybrid", never a bad ISO.

export interface HybridPartition {
  index: number;
  /** MBR: the type byte as '0x17'; GPT: the type's name when well known, else its GUID. */
  type: string;
  startLba: number;
  sectors: number;
  bootable?: boolean;
  name?: string;
  /** Which table the row comes from; both are listed when both exist. */
  scheme?: 'mbr' | 'gpt';
}

export interface HybridInfo {
  mbr: boolean;
  gpt: boolean;
  partitions: HybridPartition[];
}

const GPT_TYPES: Record<string, string> = {
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'EFI System',
  'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7': 'Basic data',
  '21686148-6449-6E6F-744E-656564454649': 'BIOS boot',
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'Linux filesystem',
  '48465300-0000-11AA-AA11-00306543ECAC': 'Apple HFS+',
};

/** GUIDs store their first three fields little-endian. */
function guid(b: Buffer, at: number): string {
  const h = (from: number, to: number) => b.subarray(at + from, at + to).toString('hex');
  const le = (from: number, to: number) => Buffer.from(b.subarray(at + from, at + to)).reverse().toString('hex');
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${h(8, 10)}-${h(10, 16)}`.toUpperCase();
}

function mbrPartitions(area: Buffer): HybridPartition[] {
  const parts: HybridPartition[] = [];
  for (let i = 0; i < 4; i++) {
    const at = 446 + i * 16;
    const type = area[at + 4]!;
    const start = area.readUInt32LE(at + 8);
    const sectors = area.readUInt32LE(at + 12);
    // isohybrid GPT layouts keep a type-0 entry that covers the ISO, so "empty" means no sectors.
    if (sectors === 0 && type === 0) continue;
    parts.push({ index: i + 1, type: `0x${type.toString(16).padStart(2, '0')}`, startLba: start, sectors, bootable: area[at] === 0x80, scheme: 'mbr' });
  }
  return parts;
}

function gptPartitions(area: Buffer): HybridPartition[] | undefined {
  if (area.length < 1024 || area.toString('latin1', 512, 520) !== 'EFI PART') return undefined;
  const h = 512;
  const headerSize = area.readUInt32LE(h + 12);
  const entriesLba = Number(area.readBigUInt64LE(h + 72));
  const count = area.readUInt32LE(h + 80);
  const size = area.readUInt32LE(h + 84);
  if (headerSize < 92 || headerSize > 512 || size < 128 || size % 8 !== 0 || size > 4096 || count > 1024) return undefined;
  const parts: HybridPartition[] = [];
  for (let i = 0; i < count; i++) {
    const at = entriesLba * 512 + i * size;
    // The entry array must lie in the system area we were given (xorriso: LBA 2–63).
    if (at + size > area.length) break;
    const typeGuid = guid(area, at);
    if (typeGuid === '00000000-0000-0000-0000-000000000000') continue;
    const first = Number(area.readBigUInt64LE(at + 32));
    const last = Number(area.readBigUInt64LE(at + 40));
    const name = area.toString('utf16le', at + 56, at + 128).replace(/\0[\s\S]*$/, '');
    const p: HybridPartition = { index: i + 1, type: GPT_TYPES[typeGuid] ?? typeGuid, startLba: first, sectors: last >= first ? last - first + 1 : 0, scheme: 'gpt' };
    if (name) p.name = name;
    parts.push(p);
  }
  return parts;
}

/** Reads the MBR and GPT from the first 32 KiB of the image; undefined when neither is there. */
export function readHybrid(area: Buffer): HybridInfo | undefined {
  const mbr = area.length >= 512 && area[510] === 0x55 && area[511] === 0xaa ? mbrPartitions(area) : [];
  const gpt = gptPartitions(area);
  if (mbr.length === 0 && !gpt) return undefined;
  return { mbr: mbr.length > 0, gpt: !!gpt, partitions: [...mbr, ...(gpt ?? [])] };
}
