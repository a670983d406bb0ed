// El Torito 1.0 (Phoenix/IBM, 1995) §2: the boot catalog the boot record points to, made of
// 32-byte entries — validation entry, initial/default entry, then sections.
import { badIso, hex } from './bad-iso';

export type Emulation = 'none' | 'floppy-1.2' | 'floppy-1.44' | 'floppy-2.88' | 'hdd';

export interface BootEntry {
  platform: 'bios' | 'efi' | 'ppc' | 'mac' | string;
  bootable: boolean;
  emulation: Emulation;
  loadSegment: number;
  /** 512-byte virtual sectors the firmware loads; xorriso writes 0 for images ≥ 32 MiB. */
  sectorCount: number;
  /** 2048-byte sector of the boot image. */
  lba: number;
  /** Absolute path of the file whose extent starts at lba, when one does. */
  file?: string;
  /** 'default' | 'section N' */
  kind: string;
}

export interface BootCatalog {
  catalogLba: number;
  catalogFile?: string;
  validation: { platform: string; idString: string; checksumOk: boolean };
  entries: BootEntry[];
  /** The no-emulation image carries the table `-boot-info-table` patches into bytes 8–63. */
  bootInfoTable?: boolean;
}

export const ENTRY = 32;
/** 8 KiB holds 255 entries after the validation entry; no real catalog comes close. */
export const CATALOG_READ = 4 * 2048;
const MAX_ENTRIES = 255;

const EMULATION: Emulation[] = ['none', 'floppy-1.2', 'floppy-1.44', 'floppy-2.88', 'hdd'];

export function platformName(id: number): string {
  switch (id) {
    case 0x00:
      return 'bios';
    case 0x01:
      return 'ppc';
    case 0x02:
      return 'mac';
    case 0xef:
      return 'efi';
    default:
      return hex(id);
  }
}

function bootEntry(desc: string, b: Buffer, at: number, abs: number, platform: string, kind: string): BootEntry {
  const indicator = b[at]!;
  if (indicator !== 0x88 && indicator !== 0x00) {
    throw badIso(desc, `El Torito ${kind} entry at offset ${hex(abs + at)} has boot indicator ${hex(indicator)}, expected 0x88 or 0x00`);
  }
  const media = b[at + 1]! & 0x0f;
  const emulation = EMULATION[media];
  if (!emulation) throw badIso(desc, `El Torito ${kind} entry at offset ${hex(abs + at)} has media type ${media}, expected 0–4`);
  return {
    platform,
    bootable: indicator === 0x88,
    emulation,
    loadSegment: b.readUInt16LE(at + 2),
    sectorCount: b.readUInt16LE(at + 6),
    lba: b.readUInt32LE(at + 8),
    kind,
  };
}

/**
 * Parses the catalog read from image offset `abs`; file names are filled in by the caller.
 * Returns undefined when `b` ends before the catalog does and `more` says a longer read is
 * possible (catalogs are one sector in practice, so that is read first).
 */
export function parseCatalog(desc: string, b: Buffer, abs: number, catalogLba: number, more = false): BootCatalog | undefined {
  if (b.length < 2 * ENTRY) throw badIso(desc, `El Torito boot catalog at offset ${hex(abs)} is cut short by the end of the image`);
  if (b[0] !== 0x01 || b[30] !== 0x55 || b[31] !== 0xaa) {
    throw badIso(desc, `El Torito validation entry at offset ${hex(abs)} should start with 0x01 and end with 55 AA; found ${hex(b[0]!)} … ${b.subarray(30, 32).toString('hex')}`);
  }
  let sum = 0;
  for (let i = 0; i < ENTRY; i += 2) sum = (sum + b.readUInt16LE(i)) & 0xffff;
  const platform = platformName(b[1]!);
  const entries = [bootEntry(desc, b, ENTRY, abs, platform, 'default')];
  let pos = 2 * ENTRY;
  let section = 0;
  // A header of 0x90 announces more sections, 0x91 the last; anything else ends the catalog.
  while (pos + ENTRY <= b.length) {
    const header = b[pos]!;
    if (header !== 0x90 && header !== 0x91) break;
    section++;
    const sectionPlatform = platformName(b[pos + 1]!);
    const count = b.readUInt16LE(pos + 2);
    pos += ENTRY;
    for (let i = 0; i < count; i++) {
      if (pos + ENTRY > b.length && more) return undefined;
      if (pos + ENTRY > b.length) {
        throw badIso(desc, `El Torito section ${section} at offset ${hex(abs + pos)} announces ${count} entries, more than the catalog's ${b.length} bytes hold`);
      }
      if (entries.length >= MAX_ENTRIES) throw badIso(desc, `El Torito boot catalog at offset ${hex(abs)} has more than ${MAX_ENTRIES} entries`);
      const e = bootEntry(desc, b, pos, abs, sectionPlatform, `section ${section}`);
      let extended = (b[pos + 1]! & 0x20) !== 0;
      pos += ENTRY;
      // Extension entries (0x44) carry only selection criteria; bit 5 chains them.
      while (extended && pos + ENTRY <= b.length && b[pos] === 0x44) {
        extended = (b[pos + 1]! & 0x20) !== 0;
        pos += ENTRY;
      }
      entries.push(e);
    }
    if (header === 0x91) break;
    if (pos + ENTRY > b.length && more) return undefined;
  }
  return {
    catalogLba,
    validation: { platform, idString: b.toString('latin1', 4, 28).replace(/[\s\0]+$/, ''), checksumOk: sum === 0 },
    entries,
  };
}

/**
 * Whether bytes 8–23 of a boot image hold the boot info table: the PVD's LBA, the image's
 * own LBA and a plausible length (ISOLINUX needs it to load the rest of itself).
 */
export function hasBootInfoTable(head: Buffer, pvdLba: number, imageLba: number): boolean {
  if (head.length < 24) return false;
  const length = head.readUInt32LE(16);
  return head.readUInt32LE(8) === pvdLba && head.readUInt32LE(12) === imageLba && length > 0;
}
