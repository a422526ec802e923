#!/bin/sh
# dom0-overlay.sh BASE OVERLAY
#
# Makes OVERLAY a qcow2 copy-on-write overlay of the Debian Dom0's root file
# system image BASE (the read-only cached image images/ builds, whose path
# is in build/images/dom0-root), so that Dom0 writes to OVERLAY and BASE stays
# as built. An existing OVERLAY on the same BASE is kept (what Dom0 wrote
# survives across boots). One on another base (the image was rebuilt: new
# packages, another kernel) is moved to OVERLAY.old with a message, and a new
# one made: qcow2 cannot rebase Dom0's changes onto a different file system.
# Needs qemu-img (qemu-utils). Quiet otherwise.
set -eu

me="scripts/dom0-overlay.sh"
die() { echo "$me: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: dom0-overlay.sh BASE OVERLAY"
base=$(readlink -f "$1") || die "$1: no such file"
overlay=$2
[ -f "$base" ] || die "$1: no such file (make images builds it)"
command -v qemu-img >/dev/null 2>&1 || die "qemu-img not found (install qemu-utils)"

if [ -e "$overlay" ]; then
    backing=$(qemu-img info -U --output=json "$overlay" 2>/dev/null |
              sed -n 's/^ *"full-backing-filename": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
    [ "$backing" = "$base" ] && exit 0
    mv -f "$overlay" "$overlay.old" || die "cannot move $overlay aside"
    echo "$me: Dom0's root image changed; its old overlay (Dom0's own changes) is now $overlay.old" >&2
fi
mkdir -p "$(dirname "$overlay")"
qemu-img create -q -f qcow2 -F raw -b "$base" "$overlay.tmp.$$" ||
    die "qemu-img create of $overlay failed"
mv -f "$overlay.tmp.$$" "$overlay"
