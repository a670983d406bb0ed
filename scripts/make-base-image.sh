#!/usr/bin/env bash
# Make the local base image the build tests use instead of a registry image:
# a minimal Debian bookworm (debootstrap) with the ISO tools the fixture recipe
# needs, imported into the local Docker engine as isolab-test-base:bookworm.
#
# Usage: bash scripts/make-base-image.sh
# Env:
#   BASE_IMAGE   image to create (default isolab-test-base:bookworm)
#   MIRROR       Debian mirror (default: the first bookworm deb.debian.org-like
#                URI in this machine's apt sources, else http://deb.debian.org/debian)
#   DOCKER_HOST  the engine to import into (default: the local socket)
#
# Nothing happens when the image exists. The rootfs tarball is kept in
# <project>/.cache/base/, so after a Docker reset the import alone is redone.
# Prints the image name as the last line of stdout.
set -euo pipefail
umask 022

SELF="${BASH_SOURCE[0]}"
[[ $SELF == */* ]] || SELF="./$SELF"
SCRIPT_DIR="$(cd "${SELF%/*}" && pwd)"
PROJECT_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CACHE_DIR="$PROJECT_ROOT/.cache/base"
BASE_IMAGE="${BASE_IMAGE:-isolab-test-base:bookworm}"
SUITE=bookworm
INCLUDE=xorriso,isolinux,syslinux-common,cpio,busybox-static,make,bzip2,ca-certificates
# The package list is part of the tarball's name: changing it makes a new rootfs.
TARBALL="$CACHE_DIR/rootfs-$SUITE-$(echo "$INCLUDE" | sha256sum | cut -c1-12).tar"

die() {
  echo "make-base-image: $*" >&2
  exit 1
}
log() { echo "make-base-image: $*" >&2; }

command -v docker >/dev/null 2>&1 || die "docker CLI not found: apt-get install docker.io"
docker version >/dev/null 2>&1 || die "Docker does not answer: bash scripts/ensure-dockerd.sh"

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "$BASE_IMAGE exists"
  echo "$BASE_IMAGE"
  exit 0
fi

# The mirror this machine already uses, from deb822 .sources or one-line .list files.
machine_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
  done | head -n1
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { print $i; exit } }' "$f"
  done | head -n1
}
MIRROR="${MIRROR:-$(machine_mirror | head -n1)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
flock 9

if [[ ! -s $TARBALL ]]; then
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found: apt-get install debootstrap"
  [[ $(id -u) -eq 0 ]] || die "debootstrap needs root (it creates device nodes and chroots)"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/isolab-base.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  log "debootstrap $SUITE from $MIRROR (a few minutes)"
  if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$WORK/root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2
    [[ -f $WORK/root/debootstrap/debootstrap.log ]] && tail -n 30 "$WORK/root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (messages above); check the mirror $MIRROR or set MIRROR="
  fi
  # What an image does not need: package lists and caches only make it bigger.
  rm -rf "$WORK/root/var/cache/apt/archives/"*.deb "$WORK/root/var/lib/apt/lists/"* "$WORK/root/debootstrap"
  tar -C "$WORK/root" --numeric-owner -cf "$TARBALL.tmp" .
  mv -f "$TARBALL.tmp" "$TARBALL"
  rm -rf "$WORK"
  trap - EXIT
else
  log "using cached $(basename "$TARBALL")"
fi

log "importing into $BASE_IMAGE"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  --message "isolab test base: debootstrap $SUITE minbase + $INCLUDE" \
  "$TARBALL" "$BASE_IMAGE" >/dev/null
echo "$BASE_IMAGE"
