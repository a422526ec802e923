#!/bin/sh
# fetch-xen-reference.sh OUT: the reference `make bench` compares Dom0's boot
# with: Debian's own Xen 4.17 hypervisor (package xen-hypervisor-4.17-amd64),
# unpacked to the multiboot ELF that QEMU boots. Only for measuring: nothing
# of it is part of Basalt. OUT is written once and then reused.
set -eu
out=$1
[ -s "$out" ] && exit 0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
cache=$BUILD/cache
mkdir -p "$cache"
"$ROOT/images/fetch-deb.sh" "$cache" xen-hypervisor-4.17-amd64 "$cache/xen-hypervisor.path"
deb=$(cat "$cache/xen-hypervisor.path")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
gz=$(ls "$tmp"/boot/xen-4.17*-amd64.gz | head -n 1)
[ -n "$gz" ] || { echo "fetch-xen-reference: no xen-4.17 image in $deb" >&2; exit 1; }
gunzip -c "$gz" > "$out.tmp"
mv "$out.tmp" "$out"
