// Variants of the fixture ISO that differ from it in known ways, for comparing images. The
// fixture is unpacked once (xorriso, cpio), a copy is edited, then packed again the way
// scripts/make-fixture-iso.sh packs it (newc cpio, bzip2, xorriso with isolinux).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
/** The fixture script's SOURCE_DATE_EPOCH. */
export const FIXTURE_EPOCH = 1704067200;

/** Builds (or finds cached) .cache/fixture/isolab-fixture.iso; returns its path. */
export function fixtureIso(): string {
  return execFileSync('bash', [path.join(root, 'scripts', 'make-fixture-iso.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
}

function sh(script: string, args: string[] = []): void {
  execFileSync('bash', ['-euo', 'pipefail', '-c', script, 'sh', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Unpacked {
  /** The ISO's tree without boot.catalog (xorriso writes a new one). */
  iso: string;
  /** The initrd's rootfs. */
  rootfs: string;
}

/** The fixture ISO's files and its initrd's rootfs under `dir`. As root, dev/console is a real node, as in the fixture. */
export function unpackFixture(iso: string, dir: string): Unpacked {
  const out = { iso: path.join(dir, 'iso'), rootfs: path.join(dir, 'rootfs') };
  mkdirSync(out.rootfs, { recursive: true });
  execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out.iso], { stdio: 'ignore' });
  sh('chmod -R u+w "$1" && rm -f "$1/boot.catalog"', [out.iso]);
  sh('bzip2 -dc "$1/boot/initrd" | (cd "$2" && cpio -idm --quiet)', [out.iso, out.rootfs]);
  return out;
}

export interface Variant {
  iso: string;
  /** The variant's initrd as a file of its own (a bare cpio+bzip2). */
  initrd: string;
}

/**
 * Copies `base` to `dir/<name>`, lets `edit` change the copy, and packs it into
 * `dir/<name>.iso` (and `dir/<name>.initrd`). Every file gets `epoch` as its mtime; the
 * ISO's own files get `isoEpoch` when given, so only ISO-level mtimes differ.
 */
export function buildVariant(base: Unpacked, dir: string, name: string, edit?: (u: Unpacked) => void, opts: { epoch?: number; isoEpoch?: number } = {}): Variant {
  const work = path.join(dir, name);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  sh('cp -a "$1" "$2/iso" && cp -a "$3" "$2/rootfs"', [base.iso, work, base.rootfs]);
  const copy = { iso: path.join(work, 'iso'), rootfs: path.join(work, 'rootfs') };
  edit?.(copy);
  const epoch = String(opts.epoch ?? FIXTURE_EPOCH);
  const isoEpoch = String(opts.isoEpoch ?? opts.epoch ?? FIXTURE_EPOCH);
  sh(
    `find "$1" -exec touch -h -d "@$3" {} +
     (cd "$1" && find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) | bzip2 -9 >"$2/boot/initrd"
     find "$2" -exec touch -h -d "@$4" {} +`,
    [copy.rootfs, copy.iso, epoch, isoEpoch],
  );
  const iso = path.join(dir, `${name}.iso`);
  execFileSync(
    'xorriso',
    ['-as', 'mkisofs', '-quiet', '-J', '-R', '-uid', '0', '-gid', '0', '-V', 'ISOLAB_FIXTURE', '-b', 'isolinux/isolinux.bin', '-c', 'boot.catalog', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', '-o', iso, copy.iso],
    // xorriso stamps boot.catalog and the volume with SOURCE_DATE_EPOCH when set, with now otherwise.
    { stdio: 'ignore', env: { ...process.env, SOURCE_DATE_EPOCH: isoEpoch } },
  );
  const initrd = path.join(dir, `${name}.initrd`);
  copyFileSync(path.join(copy.iso, 'boot', 'initrd'), initrd);
  return { iso, initrd };
}
