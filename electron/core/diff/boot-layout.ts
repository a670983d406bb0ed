import type { ImageSession } from '../image/image-session';
import type { NodeEntry } from '../image/entry';
import type { BootCatalog } from '../iso/el-torito';

/** Boot images with a boot info table are small (isolinux.bin: ~40 KB); past this, compare bytes as they are. */
const TABLE_IMAGE_MAX = 4 << 20;

const meaning = (c: BootCatalog) =>
  JSON.stringify(c.entries.map((e) => ({ platform: e.platform, bootable: e.bootable, emulation: e.emulation, loadSegment: e.loadSegment, sectorCount: e.sectorCount, file: e.file, kind: e.kind })));

/**
 * Every ISO writer lays files out anew, so two ISOs that boot the same still differ in the El
 * Torito boot catalog (it names its images by block address) and in the boot info table that
 * `-boot-info-table` patches into bytes 8–63 of an isolinux-style image (the PVD's and the
 * image's block, its length and a checksum). True when `path` differs only in those.
 */
export async function sameBootMeaning(a: ImageSession, b: ImageSession, path: string, ea: NodeEntry, eb: NodeEntry): Promise<boolean> {
  const ca = a.iso?.info.elTorito;
  const cb = b.iso?.info.elTorito;
  if (!ca || !cb) return false;
  if (ca.catalogFile === path && cb.catalogFile === path) return meaning(ca) === meaning(cb);
  const isImage = (c: BootCatalog) => c.bootInfoTable && c.entries.some((e) => e.file === path);
  if (!isImage(ca) || !isImage(cb) || ea.size !== eb.size || ea.size > TABLE_IMAGE_MAX || ea.size < 64) return false;
  const [ba, bb] = await Promise.all([a.iso!.open(ea).read(0, ea.size), b.iso!.open(eb).read(0, eb.size)]);
  ba.fill(0, 8, 64);
  bb.fill(0, 8, 64);
  return ba.equals(bb);
}
