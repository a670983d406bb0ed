#!/usr/bin/env bash
# Build the ISO Lab test fixture: a small bootable ISO with the minikube ISO
# layout (isolinux + /boot/bzImage + bzip2 newc /boot/initrd, Rock Ridge and
# Joliet, boot.catalog). The kernel comes from Debian's linux-image-amd64,
# the rootfs is busybox-static with a getty on ttyS0 and a passwordless root.
#
# Usage: bash scripts/make-fixture-iso.sh [OUT_DIR]
#   OUT_DIR defaults to <project>/.cache/fixture. Produces
#   OUT_DIR/isolab-fixture.iso, OUT_DIR/initrd.cpio.bz2 and OUT_DIR/bzImage,
#   and prints the ISO path as the last line of stdout.
# Env:
#   FIXTURE_VERSION   goes into /etc/VERSION as "isolab-fixture <v>" (default 1)
#   SOURCE_DATE_EPOCH mtime for every file in the initrd and ISO (default fixed)
#
# Cached: if OUT_DIR/.inputs-hash matches the hash of all inputs, nothing is
# rebuilt. The kernel .deb is kept in <project>/.cache/debs.
set -euo pipefail
umask 022

SELF="${BASH_SOURCE[0]}"
[[ $SELF == */* ]] || SELF="./$SELF"
SCRIPT_DIR="$(cd "${SELF%/*}" && pwd)"
SCRIPT_PATH="$SCRIPT_DIR/${SELF##*/}"
PROJECT_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
FIXTURE_DIR="$SCRIPT_DIR/fixture"
DEB_CACHE="$PROJECT_ROOT/.cache/debs"
OUT_DIR="${1:-$PROJECT_ROOT/.cache/fixture}"
FIXTURE_VERSION="${FIXTURE_VERSION:-1}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1704067200}" # 2024-01-01T00:00:00Z

ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32
BUSYBOX=/bin/busybox
ISO_NAME=isolab-fixture.iso
KERNEL_META=linux-image-amd64

die() {
  echo "make-fixture-iso: $*" >&2
  exit 1
}
log() { echo "make-fixture-iso: $*" >&2; }

# ---------------------------------------------------------------- tool checks
need_cmd() { # need_cmd CMD DEBIAN_PACKAGE
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: apt-get install $2"
}
need_cmd xorriso xorriso
need_cmd cpio cpio
need_cmd bzip2 bzip2
need_cmd sha256sum coreutils
need_cmd apt-get apt
need_cmd apt-cache apt
need_cmd dpkg-deb dpkg
need_cmd tar tar
need_cmd flock util-linux
[[ -f $ISOLINUX_BIN ]] || die "$ISOLINUX_BIN not found: apt-get install isolinux"
[[ -f $LDLINUX_C32 ]] || die "$LDLINUX_C32 not found: apt-get install syslinux-common"
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found: apt-get install busybox-static"
# The rootfs has no libc, so busybox must be the static build.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
  die "busybox-static is not installed ($BUSYBOX may be dynamically linked): apt-get install busybox-static"
fi
[[ -d $FIXTURE_DIR/rootfs ]] || die "$FIXTURE_DIR/rootfs missing: restore scripts/fixture/ from the repository"
[[ $FIXTURE_VERSION =~ ^[A-Za-z0-9._+~-]+$ ]] || die "FIXTURE_VERSION='$FIXTURE_VERSION' is invalid: use letters, digits and . _ + ~ -"

# ------------------------------------------------------ resolve kernel package
# Prints "<package> <version>" of the concrete linux-image-<abi>-amd64 that the
# candidate linux-image-amd64 depends on, or nothing.
resolve_kernel_from_apt() {
  local dep pkg ver
  # e.g. "Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)"
  dep="$(apt-cache show --no-all-versions "$KERNEL_META" 2>/dev/null |
    sed -n 's/^Depends: .*\(linux-image-[0-9][^ ,]*-amd64\)\( *([^)]*)\)\{0,1\}.*$/\1\2/p' | head -n1)" || true
  pkg="${dep%% *}"
  [[ -n $pkg ]] || return 0
  ver="$(sed -n 's/^.*(= *\([^)]*\)).*$/\1/p' <<<"$dep")"
  [[ -n $ver ]] ||
    ver="$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)" || true
  [[ -n $ver ]] || return 0
  echo "$pkg $ver"
}

# Offline fallback: the newest kernel .deb already in the cache.
resolve_kernel_from_cache() {
  local deb base
  deb="$(ls -1 "$DEB_CACHE"/linux-image-[0-9]*-amd64_*_amd64.deb 2>/dev/null | sort -V | tail -n1)" || true
  [[ -n $deb ]] || return 0
  base="$(basename "$deb" _amd64.deb)"
  echo "${base%%_*} $(echo "${base#*_}" | sed 's/%3a/:/g')"
}

KERNEL="$(resolve_kernel_from_apt)"
if [[ -z $KERNEL ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    log "apt-cache does not know $KERNEL_META; running apt-get update"
    apt-get update -qq >&2 || log "apt-get update failed"
    KERNEL="$(resolve_kernel_from_apt)"
  fi
fi
[[ -n $KERNEL ]] || KERNEL="$(resolve_kernel_from_cache)"
[[ -n $KERNEL ]] || die "cannot resolve the kernel package behind $KERNEL_META: run apt-get update (as root)"
KERNEL_PKG="${KERNEL%% *}"
KERNEL_VER="${KERNEL#* }"
KERNEL_DEB="$DEB_CACHE/${KERNEL_PKG}_${KERNEL_VER//:/%3a}_amd64.deb"

# ------------------------------------------------------------------ input hash
inputs_hash() {
  {
    echo "fixture-version=$FIXTURE_VERSION"
    echo "source-date-epoch=$SOURCE_DATE_EPOCH"
    echo "kernel=$KERNEL_PKG $KERNEL_VER"
    echo "busybox=$("$BUSYBOX" 2>&1 | head -n1)"
    echo "xorriso=$(xorriso -version 2>/dev/null | head -n1)"
    sha256sum "$SCRIPT_PATH" "$BUSYBOX" "$ISOLINUX_BIN" "$LDLINUX_C32" | awk '{print $1}'
    (cd "$FIXTURE_DIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | awk '{print $1}'
}
HASH="$(inputs_hash)"

mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
ISO_OUT="$OUT_DIR/$ISO_NAME"

# Serialise concurrent runs on the same OUT_DIR.
exec 9>"$OUT_DIR/.lock"
flock 9

if [[ -f $OUT_DIR/.inputs-hash && $(cat "$OUT_DIR/.inputs-hash") == "$HASH" &&
  -f $ISO_OUT && -f $OUT_DIR/initrd.cpio.bz2 && -f $OUT_DIR/bzImage ]]; then
  log "up to date ($KERNEL_PKG $KERNEL_VER, FIXTURE_VERSION=$FIXTURE_VERSION)"
  echo "$ISO_OUT"
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/isolab-fixture.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# -------------------------------------------------------------- kernel (.deb)
deb_ok() { # deb_ok FILE: exists, and matches apt's SHA256 when apt knows it
  [[ -s $1 ]] || return 1
  local want
  want="$(apt-cache show "$KERNEL_PKG=$KERNEL_VER" 2>/dev/null | sed -n 's/^SHA256: //p' | head -n1)" || true
  if [[ -n $want ]]; then
    [[ $(sha256sum "$1" | awk '{print $1}') == "$want" ]]
  else
    dpkg-deb --info "$1" >/dev/null 2>&1
  fi
}

if ! deb_ok "$KERNEL_DEB"; then
  log "downloading $KERNEL_PKG $KERNEL_VER"
  mkdir -p "$WORK/dl" "$DEB_CACHE"
  (cd "$WORK/dl" && apt-get download -q "$KERNEL_PKG=$KERNEL_VER" >&2) ||
    die "apt-get download $KERNEL_PKG=$KERNEL_VER failed: check the Debian mirror (apt-get update)"
  dl="$(ls -1 "$WORK/dl"/*.deb 2>/dev/null | head -n1)" || true
  [[ -n $dl ]] || die "apt-get download produced no .deb for $KERNEL_PKG"
  mv -f "$dl" "$KERNEL_DEB.tmp.$$"
  mv -f "$KERNEL_DEB.tmp.$$" "$KERNEL_DEB"
  deb_ok "$KERNEL_DEB" || die "$KERNEL_DEB is corrupt: delete it and rerun"
else
  log "using cached $(basename "$KERNEL_DEB")"
fi

mkdir -p "$WORK/kernel"
# Fast path: stream only ./boot/vmlinuz-<abi> out of the package and stop
# there (it is near the start of data.tar); "dpkg-deb -x" would unpack the
# ~400 MB of modules too. The early stop makes dpkg-deb die of SIGPIPE, so
# its status is ignored and the extracted file is checked instead.
VMLINUZ="$WORK/kernel/boot/vmlinuz-${KERNEL_PKG#linux-image-}"
{ dpkg-deb --fsys-tarfile "$KERNEL_DEB" 2>/dev/null || true; } |
  tar -x -C "$WORK/kernel" --occurrence=1 "./boot/vmlinuz-${KERNEL_PKG#linux-image-}" 2>/dev/null || true
if [[ ! -s $VMLINUZ ]]; then
  dpkg-deb -x "$KERNEL_DEB" "$WORK/kernel"
  VMLINUZ="$(ls -1 "$WORK/kernel"/boot/vmlinuz-* 2>/dev/null | head -n1)" || true
fi
[[ -n $VMLINUZ && -s $VMLINUZ ]] || die "no boot/vmlinuz-* in $KERNEL_DEB: delete it and rerun"
[[ $(od -An -c -j 514 -N 4 "$VMLINUZ" | tr -d ' ') == HdrS ]] ||
  die "$VMLINUZ is not an x86 bzImage: delete $KERNEL_DEB and rerun"

# ------------------------------------------------------------- busybox rootfs
ROOT="$WORK/rootfs"
mkdir -p "$ROOT"
(
  cd "$ROOT"
  mkdir -p bin sbin etc/init.d usr/bin usr/sbin dev proc sys tmp root run var/log var/tmp mnt home
  chmod 1777 tmp var/tmp
  chmod 0700 root
  ln -s ../run var/run
)
cp -R "$FIXTURE_DIR/rootfs/." "$ROOT/"
chmod 0755 "$ROOT/init" "$ROOT/etc/init.d/rcS"
chmod 0644 "$ROOT"/etc/{passwd,group,inittab,hostname,issue,profile,fstab}
chmod 0600 "$ROOT/etc/shadow"
echo "isolab-fixture $FIXTURE_VERSION" >"$ROOT/etc/VERSION"
ln "$ROOT/etc/issue" "$ROOT/etc/issue.net" # a hardlink, as some real rootfs have

install -m 0755 "$BUSYBOX" "$ROOT/bin/busybox"
# Applet symlinks, relative like busybox's own "make install".
while IFS= read -r applet; do
  [[ $applet == */* ]] || continue # skip /linuxrc
  [[ -e $ROOT/$applet || -L $ROOT/$applet ]] && continue
  dir="$(dirname "$applet")"
  up=""
  IFS=/ read -ra parts <<<"$dir"
  for ((i = 1; i < ${#parts[@]}; i++)); do up="../$up"; done
  if [[ $dir == bin ]]; then target=busybox; else target="${up}../bin/busybox"; fi
  mkdir -p "$ROOT/$dir"
  ln -s "$target" "$ROOT/$applet"
done < <("$BUSYBOX" --list-full | LC_ALL=C sort)
[[ -L $ROOT/sbin/init && -L $ROOT/bin/sh && -L $ROOT/sbin/getty && -L $ROOT/bin/login ]] ||
  die "busybox lacks init/sh/getty/login applets: apt-get install busybox-static"

find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# ---------------------------------------------------------------- initrd
# dev/console must be in the initramfs, or PID 1 may start without stdio. A
# device node needs root (mknod), so "dev" and "dev/console" are written as
# hand-made newc entries at the head of the archive instead: the same bytes
# whoever runs the script. (Entries before cpio's own are fine; the kernel
# and cpio -i read entries in order until TRAILER!!!; the kernel does not
# create parent directories, hence "dev" first.)
newc_entry() { # newc_entry NAME MODE NLINK RDEVMAJOR RDEVMINOR INO
  local name=$1
  # magic ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    "$6" "$2" 0 0 "$3" "$SOURCE_DATE_EPOCH" 0 0 0 "$4" "$5" $((${#name} + 1)) 0
  printf '%s\0' "$name"
  # header (110 bytes) + name + NUL, padded to a multiple of 4; no data
  head -c $(((4 - (110 + ${#name} + 1) % 4) % 4)) /dev/zero
}
(
  newc_entry dev $((0040755)) 2 0 0 $((0xFFFFFF00))
  newc_entry dev/console $((0020600)) 1 5 1 $((0xFFFFFF01))
  cd "$ROOT"
  find . -mindepth 1 -printf '%P\n' | grep -v '^dev$' | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet
) >"$WORK/initrd.cpio"
bzip2 -9 -c "$WORK/initrd.cpio" >"$WORK/initrd.cpio.bz2"

# ----------------------------------------------------------------- ISO tree
ISO_ROOT="$WORK/iso"
mkdir -p "$ISO_ROOT/boot" "$ISO_ROOT/isolinux"
cp "$VMLINUZ" "$ISO_ROOT/boot/bzImage"
cp "$WORK/initrd.cpio.bz2" "$ISO_ROOT/boot/initrd"
cp "$ISOLINUX_BIN" "$ISO_ROOT/isolinux/isolinux.bin"
cp "$LDLINUX_C32" "$ISO_ROOT/isolinux/ldlinux.c32"
cp "$FIXTURE_DIR/isolinux.cfg" "$ISO_ROOT/isolinux/isolinux.cfg"
chmod 0644 "$ISO_ROOT"/boot/* "$ISO_ROOT"/isolinux/*
find "$ISO_ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

if ! xorriso -as mkisofs -quiet -J -R -uid 0 -gid 0 -V ISOLAB_FIXTURE \
  -b isolinux/isolinux.bin -c boot.catalog \
  -no-emul-boot -boot-load-size 4 -boot-info-table \
  -o "$WORK/$ISO_NAME" "$ISO_ROOT" >"$WORK/xorriso.log" 2>&1; then
  cat "$WORK/xorriso.log" >&2
  die "xorriso failed to write the ISO (messages above)"
fi

# ------------------------------------------------------------------ publish
rm -f "$OUT_DIR/.inputs-hash"
mv -f "$WORK/initrd.cpio.bz2" "$OUT_DIR/initrd.cpio.bz2"
cp "$VMLINUZ" "$OUT_DIR/bzImage.tmp" && mv -f "$OUT_DIR/bzImage.tmp" "$OUT_DIR/bzImage"
mv -f "$WORK/$ISO_NAME" "$ISO_OUT"
echo "$HASH" >"$OUT_DIR/.inputs-hash"
log "built $ISO_OUT ($KERNEL_PKG $KERNEL_VER, FIXTURE_VERSION=$FIXTURE_VERSION)"
echo "$ISO_OUT"
