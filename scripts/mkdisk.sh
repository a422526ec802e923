#!/bin/sh
# mkdisk.sh PATH SIZE
#
# Creates PATH as a raw disk image of SIZE (truncate's syntax: 256M, 2G, ...)
# holding an ext4 file system on the whole disk (no partition table), if PATH
# does not exist yet. Never touches an existing PATH: the disk is Dom0's
# persistent store, mounted on /persist by its /init. Needs e2fsprogs
# (mkfs.ext4), no root. Quiet on success.
set -eu

me="scripts/mkdisk.sh"
die() { echo "$me: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: mkdisk.sh PATH SIZE"
path=$1
size=$2

if [ -e "$path" ] || [ -L "$path" ]; then
    [ -f "$path" ] || [ -b "$path" ] || die "$path exists and is not a file or block device"
    exit 0
fi

mkfs=$(PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4) ||
    die "mkfs.ext4 not found (install e2fsprogs)"
dir=$(dirname "$path")
[ -d "$dir" ] || mkdir -p "$dir" || die "cannot create directory $dir"

tmp=$path.tmp.$$
trap 'rm -f "$tmp"' EXIT
truncate -s "$size" "$tmp" 2>/dev/null || die "cannot create $tmp of size '$size'"
[ "$(wc -c <"$tmp")" -ge $((8 * 1024 * 1024)) ] || die "size '$size' is too small (at least 8M)"
# -E root_owner: / owned by root even when built by another user.
"$mkfs" -q -F -L basalt-persist -E root_owner=0:0 "$tmp" </dev/null ||
    die "mkfs.ext4 failed on $tmp"
# Atomically, and only if nobody created PATH meanwhile.
ln "$tmp" "$path" 2>/dev/null || [ -e "$path" ] || mv -n "$tmp" "$path" ||
    die "cannot create $path"
rm -f "$tmp"
trap - EXIT
