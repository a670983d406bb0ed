#!/bin/bash
# Assembles out/hello.iso inside the builder image (`make out/hello.iso` runs it), in the
# steps a buildroot build goes through, printing buildroot's ">>> package version step"
# lines so ISO Lab can show progress:
#   1. a root filesystem: busybox and its applet links, then overlay/ on top
#   2. the initrd: that tree as a gzip-compressed newc cpio archive
#   3. the ISO: the kernel as boot/bzImage, the initrd, isolinux, an El Torito boot catalog
# Usage: build-iso.sh OUT_DIR
set -euo pipefail
umask 022

OUT=${1:-out}
WORK="$OUT/build"
ROOTFS="$WORK/rootfs"
ISO_ROOT="$WORK/iso"
# The same inputs give the same ISO, byte for byte: a rebuild after an overlay change
# differs from the last ISO in exactly that change.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}

ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32
BUSYBOX=/bin/busybox
KERNEL=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1 || true)

msg() { echo ">>> $1 $2 $3"; }
fail() {
  echo "ERROR: $*"
  exit 1
}

[[ -n $KERNEL ]] || fail "no kernel in /boot of the builder image: rebuild it (isolab build --rebuild-image) from builder/Dockerfile"
for f in "$ISOLINUX_BIN" "$LDLINUX_C32" "$BUSYBOX"; do
  [[ -e $f ]] || fail "$f is missing from the builder image: rebuild it (isolab build --rebuild-image)"
done

rm -rf "$WORK"
mkdir -p "$ROOTFS" "$ISO_ROOT/boot" "$ISO_ROOT/isolinux"

msg skeleton "" "Installing to target directory"
(
  cd "$ROOTFS"
  mkdir -p bin sbin etc/init.d usr/bin usr/sbin dev proc sys tmp root run var/log var/tmp mnt home
  chmod 1777 tmp var/tmp
  chmod 0700 root
  ln -s ../run var/run
)

# sed reads to the end: with `head` busybox could die of SIGPIPE, and pipefail would end the build.
BB_VER=$({ "$BUSYBOX" 2>&1 || true; } | sed -n '1s/^BusyBox v\([0-9.]*\).*/\1/p')
msg busybox "${BB_VER:-}" Extracting
msg busybox "${BB_VER:-}" "Installing to target directory"
install -m 0755 "$BUSYBOX" "$ROOTFS/bin/busybox"
# Relative links, so the tree also works where it is not mounted at / (ISO Lab's rootfs shell).
while IFS= read -r applet; do
  [[ $applet == */* && $applet != bin/busybox ]] || continue
  [[ -e $ROOTFS/$applet || -L $ROOTFS/$applet ]] && continue
  case $(dirname "$applet") in
    bin) target=busybox ;;
    sbin) target=../bin/busybox ;;
    *) target=../../bin/busybox ;;
  esac
  mkdir -p "$ROOTFS/$(dirname "$applet")"
  ln -s "$target" "$ROOTFS/$applet"
done < <("$BUSYBOX" --list-full | LC_ALL=C sort)

KVER=$(basename "$KERNEL" | sed 's/^vmlinuz-//')
msg linux "$KVER" "Installing to images directory"
cp "$KERNEL" "$ISO_ROOT/boot/bzImage"

# The ACPI power button (button.ko) and its input events (evdev.ko), so "Stop" (QEMU's
# system_powerdown, VirtualBox's acpipowerbutton) powers the system off through acpid.
for m in drivers/acpi/button.ko drivers/input/evdev.ko; do
  f=$(ls -1 /lib/modules/*/kernel/$m 2>/dev/null | head -n1 || true)
  if [[ -n $f ]]; then
    mkdir -p "$ROOTFS/lib/modules"
    cp "$f" "$ROOTFS/lib/modules/"
  fi
done

echo ">>>   Copying overlay overlay"
cp -R overlay/. "$ROOTFS/"
rm -f "$ROOTFS/root/.keep"
chmod 0755 "$ROOTFS/init" "$ROOTFS/etc/init.d/rcS"
chmod 0600 "$ROOTFS/etc/shadow"

echo ">>>   Finalizing target directory"
find "$ROOTFS" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

echo ">>>   Generating filesystem image rootfs.cpio.gz"
# The kernel needs /dev/console in the initramfs before devtmpfs is mounted, and mknod needs
# root: "dev" and "dev/console" are written as newc entries by hand, ahead of the rest.
newc_entry() { # NAME MODE NLINK RDEVMAJOR RDEVMINOR INO
  local name=$1
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    "$6" "$2" 0 0 "$3" "$SOURCE_DATE_EPOCH" 0 0 0 "$4" "$5" $((${#name} + 1)) 0
  printf '%s\0' "$name"
  head -c $(((4 - (110 + ${#name} + 1) % 4) % 4)) /dev/zero
}
(
  newc_entry dev $((0040755)) 2 0 0 $((0xFFFFFF00))
  newc_entry dev/console $((0020600)) 1 5 1 $((0xFFFFFF01))
  cd "$ROOTFS"
  find . -mindepth 1 -printf '%P\n' | grep -v '^dev$' | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet
) | gzip -9 -n >"$ISO_ROOT/boot/initrd"

msg syslinux 6.04 "Installing to images directory"
cp "$ISOLINUX_BIN" "$LDLINUX_C32" "$ISO_ROOT/isolinux/"
cp isolinux.cfg "$ISO_ROOT/isolinux/isolinux.cfg"
chmod 0644 "$ISO_ROOT"/boot/* "$ISO_ROOT"/isolinux/*
find "$ISO_ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

echo ">>>   Generating filesystem image hello.iso"
# The ISO before this build stays next to the new one, for "what did my change do".
[[ -f $OUT/hello.iso ]] && mv -f "$OUT/hello.iso" "$OUT/hello.previous.iso"
xorriso -as mkisofs -quiet -J -R -uid 0 -gid 0 -V HELLO_ISO \
  -b isolinux/isolinux.bin -c boot.catalog \
  -no-emul-boot -boot-load-size 4 -boot-info-table \
  -o "$OUT/hello.iso.tmp" "$ISO_ROOT"
mv -f "$OUT/hello.iso.tmp" "$OUT/hello.iso"
rm -rf "$WORK"
echo "hello.iso: $(stat -c %s "$OUT/hello.iso") bytes, $(cat overlay/etc/VERSION)"
