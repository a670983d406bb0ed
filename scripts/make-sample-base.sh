#!/usr/bin/env bash
# Make the local image the Hello ISO sample's builder starts from where no registry is
# reachable: isolab-test-base:bookworm (scripts/make-base-image.sh) plus a Debian kernel
# in /boot, taken from the linux-image .deb that scripts/make-fixture-iso.sh keeps in
# .cache/debs. Online, the sample's builder/Dockerfile installs the same from Debian.
#
# Usage: bash scripts/make-sample-base.sh      Env: SAMPLE_BASE_IMAGE (default isolab-sample-base:bookworm)
# Prints the image name as the last line of stdout. Nothing happens when the image exists.
set -euo pipefail
umask 022

SELF="${BASH_SOURCE[0]}"
[[ $SELF == */* ]] || SELF="./$SELF"
PROJECT_ROOT="$(cd "${SELF%/*}/.." && pwd)"
IMAGE="${SAMPLE_BASE_IMAGE:-isolab-sample-base:bookworm}"
log() { echo "make-sample-base: $*" >&2; }
die() {
  log "$*"
  exit 1
}

docker version >/dev/null 2>&1 || die "Docker does not answer: bash scripts/ensure-dockerd.sh"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE exists"
  echo "$IMAGE"
  exit 0
fi

BASE="$(bash "$PROJECT_ROOT/scripts/make-base-image.sh" | tail -n1)"
DEB="$(ls -1 "$PROJECT_ROOT"/.cache/debs/linux-image-[0-9]*-amd64_*_amd64.deb 2>/dev/null | sort -V | tail -n1 || true)"
if [[ -z $DEB ]]; then
  bash "$PROJECT_ROOT/scripts/make-fixture-iso.sh" >/dev/null
  DEB="$(ls -1 "$PROJECT_ROOT"/.cache/debs/linux-image-[0-9]*-amd64_*_amd64.deb 2>/dev/null | sort -V | tail -n1 || true)"
fi
[[ -n $DEB ]] || die "no kernel .deb in .cache/debs: run bash scripts/make-fixture-iso.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/isolab-sample-base.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# Only the kernel image: the sample boots without modules.
dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$WORK" --wildcards './boot/vmlinuz-*'
KFILE="$(basename "$(ls -1 "$WORK"/boot/vmlinuz-* | head -n1)")"
printf 'FROM %s\nCOPY %s /boot/%s\n' "$BASE" "$KFILE" "$KFILE" >"$WORK/Dockerfile"
mv "$WORK/boot/$KFILE" "$WORK/$KFILE"
rmdir "$WORK/boot"
log "building $IMAGE from $BASE with $(basename "$DEB")"
docker build -q -t "$IMAGE" "$WORK" >/dev/null
echo "$IMAGE"
