#!/usr/bin/env bash
# Make the big ISO that bench/remaster.bench.mjs remasters: the minikube ISO layout
# (isolinux + /boot/bzImage + a gzip -6 newc /boot/initrd, El Torito with a boot info table,
# Rock Ridge and Joliet, boot.catalog, the same xorriso line as make-fixture-iso.sh) around a
# ~450 MB rootfs: the debootstrap bookworm rootfs of the base image (make-base-image.sh),
# filled up with an even sample of this machine's /usr/lib and /usr/share files (files the
# rootfs already has are kept as they are).
#
# Usage: bash scripts/make-bench-iso.sh [OUT_DIR]
#   OUT_DIR defaults to <project>/.cache/bench. Produces OUT_DIR/remaster-<hash>/ with
#   bench.iso, rootfs.cpio (the initrd uncompressed) and info.json, and prints that folder as
#   the last line of stdout. <hash> is the hash of every input (this script, the rootfs
#   source, the filler's file list with sizes and times, the kernel, the isolinux files, the
#   tools' versions, the size); when it matches, nothing is rebuilt. Other remaster-* folders
#   are removed when a new one is built.
# Env:
#   BENCH_ROOTFS_MB   rootfs size to aim at, in MB (default 450)
#   BASE_TARBALL      the rootfs as a tar (default: .cache/base/rootfs-bookworm-*.tar, the one
#                     make-base-image.sh imported), else
#   BASE_IMAGE        a Docker image whose `docker export` is the rootfs
#                     (default isolab-test-base:bookworm)
#   SOURCE_DATE_EPOCH mtime of the ISO's own files (default fixed)
# Needs root (the rootfs has device nodes and files of several owners).
set -euo pipefail
umask 022

SELF="${BASH_SOURCE[0]}"
[[ $SELF == */* ]] || SELF="./$SELF"
SCRIPT_DIR="$(cd "${SELF%/*}" && pwd)"
SCRIPT_PATH="$SCRIPT_DIR/${SELF##*/}"
PROJECT_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
OUT_DIR="${1:-$PROJECT_ROOT/.cache/bench}"
ROOTFS_MB="${BENCH_ROOTFS_MB:-450}"
BASE_IMAGE="${BASE_IMAGE:-isolab-test-base:bookworm}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1704067200}"
ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32
ISOLINUX_CFG="$SCRIPT_DIR/fixture/isolinux.cfg"
FIXTURE_DIR="$PROJECT_ROOT/.cache/fixture"

die() {
  echo "make-bench-iso: $*" >&2
  exit 1
}
log() { echo "make-bench-iso: $*" >&2; }

for c in xorriso:xorriso cpio:cpio gzip:gzip tar:tar sha256sum:coreutils flock:util-linux; do
  command -v "${c%%:*}" >/dev/null 2>&1 || die "${c%%:*} not found: apt-get install ${c#*:}"
done
[[ -f $ISOLINUX_BIN ]] || die "$ISOLINUX_BIN not found: apt-get install isolinux"
[[ -f $LDLINUX_C32 ]] || die "$LDLINUX_C32 not found: apt-get install syslinux-common"
[[ $ROOTFS_MB =~ ^[0-9]+$ ]] || die "BENCH_ROOTFS_MB='$ROOTFS_MB' is not a number"
[[ $(id -u) -eq 0 ]] || die "needs root: the rootfs has device nodes and files owned by other users"

# ------------------------------------------------------------- the inputs
# The kernel: the fixture's (any bzImage does; nothing boots it here).
if [[ ! -s $FIXTURE_DIR/bzImage ]]; then
  log "no $FIXTURE_DIR/bzImage: making the fixture ISO first"
  bash "$SCRIPT_DIR/make-fixture-iso.sh" "$FIXTURE_DIR" >/dev/null
fi
KERNEL="$FIXTURE_DIR/bzImage"

# The rootfs: the base image's tarball, else a docker export of the image.
BASE_TARBALL="${BASE_TARBALL:-$(ls -1 "$PROJECT_ROOT"/.cache/base/rootfs-bookworm-*.tar 2>/dev/null | head -n1 || true)}"
if [[ -n $BASE_TARBALL && -s $BASE_TARBALL ]]; then
  ROOTFS_SRC="tarball $(basename "$BASE_TARBALL") $(stat -c '%s %Y' "$BASE_TARBALL")"
else
  BASE_TARBALL=""
  command -v docker >/dev/null 2>&1 || die "no .cache/base/rootfs-bookworm-*.tar and no docker CLI: run bash scripts/make-base-image.sh"
  IMAGE_ID="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE" 2>/dev/null)" ||
    die "no .cache/base/rootfs-bookworm-*.tar and no image $BASE_IMAGE: run bash scripts/make-base-image.sh"
  ROOTFS_SRC="image $BASE_IMAGE $IMAGE_ID"
fi

# The filler: every k-th file of /usr/lib and /usr/share (under 16 MB), k chosen so the
# rootfs comes to ROOTFS_MB; an even sample, so it is libraries, binaries, Python, data and
# docs in the proportions this machine has, not whichever tree sorts first.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/isolab-bench-iso.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [[ -n $BASE_TARBALL ]]; then
  BASE_BYTES="$(tar -tvf "$BASE_TARBALL" | awk '$1 ~ /^-/ { s += $3 } END { print s + 0 }')"
else
  BASE_BYTES=$((140 * 1000 * 1000)) # an estimate until the export is unpacked; the hash does not use it
fi
(cd / && find usr/lib usr/share -xdev -type f -size -16M -printf '%s %T@ %p\n' 2>/dev/null || true) |
  LC_ALL=C sort -k3 >"$WORK/candidates"
WANT=$((ROOTFS_MB * 1000 * 1000 - BASE_BYTES))
awk -v want="$WANT" '
  { size[NR] = $1; line[NR] = $0; total += $1 }
  END {
    if (want <= 0) exit
    p = want / total; if (p > 1) p = 1
    for (i = 1; i <= NR; i++) if (int(i * p) != int((i - 1) * p)) print line[i]
  }' "$WORK/candidates" >"$WORK/filler"
FILLER_BYTES="$(awk '{ s += $1 } END { print s + 0 }' "$WORK/filler")"

inputs_hash() {
  {
    echo "rootfs-mb=$ROOTFS_MB"
    echo "source-date-epoch=$SOURCE_DATE_EPOCH"
    echo "rootfs=$ROOTFS_SRC"
    echo "xorriso=$(xorriso -version 2>/dev/null | head -n1)"
    echo "cpio=$(cpio --version | head -n1)"
    echo "gzip=$(gzip --version | head -n1)"
    sha256sum "$SCRIPT_PATH" "$KERNEL" "$ISOLINUX_BIN" "$LDLINUX_C32" "$ISOLINUX_CFG" "$WORK/filler" | awk '{print $1}'
  } | sha256sum | cut -c1-16
}
HASH="$(inputs_hash)"
DEST="$OUT_DIR/remaster-$HASH"
mkdir -p "$OUT_DIR"
exec 9>"$OUT_DIR/.remaster-iso.lock"
flock 9
if [[ -f $DEST/.done && -s $DEST/bench.iso && -s $DEST/rootfs.cpio ]]; then
  log "up to date ($DEST)"
  echo "$DEST"
  exit 0
fi

# ------------------------------------------------------------- the rootfs
ROOT="$WORK/rootfs"
mkdir -p "$ROOT"
if [[ -n $BASE_TARBALL ]]; then
  log "unpacking $(basename "$BASE_TARBALL")"
  tar -C "$ROOT" --numeric-owner -xf "$BASE_TARBALL"
else
  log "docker export of $BASE_IMAGE"
  CID="$(docker create "$BASE_IMAGE" /bin/true)"
  docker export "$CID" | tar -C "$ROOT" --numeric-owner -xf - || {
    docker rm -f "$CID" >/dev/null 2>&1 || true
    die "docker export of $BASE_IMAGE failed"
  }
  docker rm -f "$CID" >/dev/null
fi
[[ -f $ROOT/etc/motd ]] || die "the rootfs has no /etc/motd (the file the bench changes)"
log "adding $(wc -l <"$WORK/filler") files ($((FILLER_BYTES / 1000000)) MB) from /usr/lib and /usr/share"
cut -d' ' -f3- "$WORK/filler" >"$WORK/filler.paths"
tar -C / --numeric-owner -cf - -T "$WORK/filler.paths" | tar -C "$ROOT" --numeric-owner --skip-old-files -xf -

# ------------------------------------------------------------- the initrd
# As buildroot makes a cpio rootfs: find . | sort | cpio -o -H newc (names as "./etc/motd").
log "cpio newc + gzip -6"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet) >"$WORK/rootfs.cpio"
gzip -6 -n -c "$WORK/rootfs.cpio" >"$WORK/initrd"
ENTRIES="$(cd "$ROOT" && find . | wc -l)"

# ------------------------------------------------------------- the ISO
ISO_ROOT="$WORK/iso"
mkdir -p "$ISO_ROOT/boot" "$ISO_ROOT/isolinux"
cp "$KERNEL" "$ISO_ROOT/boot/bzImage"
mv "$WORK/initrd" "$ISO_ROOT/boot/initrd"
cp "$ISOLINUX_BIN" "$ISO_ROOT/isolinux/isolinux.bin"
cp "$LDLINUX_C32" "$ISO_ROOT/isolinux/ldlinux.c32"
cp "$ISOLINUX_CFG" "$ISO_ROOT/isolinux/isolinux.cfg"
chmod 0644 "$ISO_ROOT"/boot/* "$ISO_ROOT"/isolinux/*
find "$ISO_ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
log "xorriso"
if ! xorriso -as mkisofs -quiet -J -R -uid 0 -gid 0 -V ISOLAB_BENCH \
  -b isolinux/isolinux.bin -c boot.catalog \
  -no-emul-boot -boot-load-size 4 -boot-info-table \
  -o "$WORK/bench.iso" "$ISO_ROOT" >"$WORK/xorriso.log" 2>&1; then
  cat "$WORK/xorriso.log" >&2
  die "xorriso failed to write the ISO (messages above)"
fi

# ------------------------------------------------------------- publish
INITRD_BYTES="$(stat -c %s "$ISO_ROOT/boot/initrd")"
CPIO_BYTES="$(stat -c %s "$WORK/rootfs.cpio")"
ISO_BYTES="$(stat -c %s "$WORK/bench.iso")"
ROOTFS_BYTES="$(cd "$ROOT" && find . -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')"
for d in "$OUT_DIR"/remaster-*/; do
  [[ -d $d && ${d%/} != "$DEST" ]] && rm -rf "$d"
done
rm -rf "$DEST"
mkdir -p "$DEST"
mv "$WORK/rootfs.cpio" "$DEST/rootfs.cpio"
mv "$WORK/bench.iso" "$DEST/bench.iso"
cat >"$DEST/info.json" <<EOF
{
  "hash": "$HASH",
  "rootfs": "$ROOTFS_SRC",
  "entries": $ENTRIES,
  "rootfsFileBytes": $ROOTFS_BYTES,
  "fillerFiles": $(wc -l <"$WORK/filler"),
  "cpioBytes": $CPIO_BYTES,
  "initrdBytes": $INITRD_BYTES,
  "isoBytes": $ISO_BYTES
}
EOF
touch "$DEST/.done"
log "built $DEST/bench.iso ($((ISO_BYTES / 1000000)) MB; initrd $((INITRD_BYTES / 1000000)) MB gzip of a $((CPIO_BYTES / 1000000)) MB cpio, $ENTRIES entries)"
echo "$DEST"
