#!/usr/bin/env bash
# Make the local image the Hello ISO sample's builder starts from where no registry is
# reachable: isolab-test-base:bookworm (scripts/make-base-image.sh) plus a Debian kernel
# in /boot, taken from the linux-image .deb that scripts/make-fixture-iso.sh keeps in
# .cache/debs. Online, the sample's builder/Dockerfile installs the same from Debian.
#
# Usage: bash scripts/make-sample-base.sh      Env: SAMPLE_BASE_IMAGE (default isolab-sample-base:bookworm)
# Prints the image name as the last line of stdout. Nothing happens when the image exists
# with this script's CONTENT label (change it when what goes in changes).
set -euo pipefail
umask 022

SELF="${BASH_SOURCE[0]}"
[[ $SELF == */* ]] || SELF="./$SELF"
PROJECT_ROOT="$(cd "${SELF%/*}/.." && pwd)"
IMAGE="${SAMPLE_BASE_IMAGE:-isolab-sample-base:bookworm}"
CONTENT="vmlinuz+button,evdev"
log() { echo "make-sample-base: $*" >&2; }
die() {
  log "$*"
  exit 1
}

docker version >/dev/null 2>&1 || die "Docker does not answer: bash scripts/ensure-dockerd.sh"
have="$(docker image inspect -f '{{ index .Config.Labels "io.isolab.sample-base" }}' "$IMAGE" 2>/dev/null || true)"
if [[ $have == "$CONTENT" ]]; then
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
# The kernel image, and the two modules the sample loads for the ACPI power button: what
# builder/Dockerfile keeps of linux-image-amd64 when it installs it online.
# Debian's /lib is a link to usr/lib: a lib/ folder in the COPY would replace the link.
mkdir -p "$WORK/root"
dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$WORK/root" --transform 's,^\./lib/,./usr/lib/,' --wildcards './boot/vmlinuz-*' \
  './lib/modules/*/kernel/drivers/acpi/button.ko' './lib/modules/*/kernel/drivers/input/evdev.ko'
printf 'FROM %s\nCOPY root/ /\nLABEL io.isolab.sample-base="%s"\n' "$BASE" "$CONTENT" >"$WORK/Dockerfile"
log "building $IMAGE from $BASE with $(basename "$DEB")"
docker build -q -t "$IMAGE" "$WORK" >/dev/null
echo "$IMAGE"
