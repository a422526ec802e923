#!/bin/sh
# mk-dom0-root.sh APTSTATE KVER ZFSDEB PACKAGES CACHEDIR OUT
#
# Makes sure CACHEDIR holds the Debian Dom0's root file system image and
# writes its path to OUT (rewritten only when it changes).
#
# The image is a raw ext4 file system (label basalt-dom0, no partition
# table, sparse) made by mmdebstrap from Debian's packages: the `required`
# variant (Essential, Priority required, apt), the packages listed in the
# file PACKAGES, linux-image-KVER (Dom0's kernel: its modules, and dpkg
# knows them) and the local package ZFSDEB (zfs-modules-KVER, from
# mk-zfs-modules.sh). Nothing of Basalt is in it: Basalt's Dom0 programs,
# the demo guest and the init script change with every commit and come
# with the small boot initramfs (dom0-init's `root=` stage), so this image is
# built once and reused until one of its inputs changes.
#
# Its name carries a key over: every package and version an install of that
# set resolves to (the private apt of debian-apt.sh, APTSTATE, lists already
# fresh), KVER, ZFSDEB's content, PACKAGES, this script and debian-apt.sh.
# The image is read-only in the cache; boots use a copy-on-write overlay
# (scripts/dom0-root-overlay.sh). Older images beyond the newest three are
# removed. Needs root. Prints the build time; otherwise quiet on success.
set -eu

me="images/mk-dom0-root.sh"
die() { echo "$me: error: $*" >&2; exit 1; }

[ $# -eq 6 ] || die "usage: mk-dom0-root.sh APTSTATE KVER ZFSDEB PACKAGES CACHEDIR OUT"
state=$1 kver=$2 zfsdeb=$3 pkglist=$4 cachedir=$5 out=$6
here=$(cd "$(dirname "$0")" && pwd)
. "$here/debian-apt.sh"

case $kver in *[!A-Za-z0-9.+_-]* | '') die "bad kernel version '$kver'" ;; esac
[ -f "$zfsdeb" ] || die "$zfsdeb: no such file"
# mmdebstrap's file-mirror-automount hook copies it into the chroot under
# the same absolute path, which apt hands to dpkg there.
zfsdeb=$(readlink -f "$zfsdeb")
[ -f "$pkglist" ] || die "$pkglist: no such file"
pkgs=$(sed 's/#.*//' "$pkglist" | tr -s ' \t' '\n\n' | sed '/^$/d' | tr '\n' ' ')
[ -n "$pkgs" ] || die "$pkglist lists no packages"
# The image's free space for what a user adds (apt install, guest files).
headroom_mb=${DOM0_ROOT_HEADROOM_MB:-2048}

# Fast path: same inputs, and apt's lists unchanged since they were resolved.
inputs=$(printf '%s\n' "$@" | cat - "$0" "$here/debian-apt.sh" "$pkglist" | sha256sum)
inputs_current "$state" "$out" && exit 0
apt_init "$state"
apt_refresh
# shellcheck disable=SC2086 # $pkgs is a list
closure=$(apt_closure '?essential' '?priority(required)' apt "linux-image-$kver" $pkgs)
key=$( { printf '%s\n' "$closure" "$kver" "$pkgs" "$headroom_mb"
         sha256sum <"$zfsdeb"; cat "$pkglist" "$0" "$here/debian-apt.sh"; } |
       sha256sum | cut -c1-16)
img=$cachedir/dom0-root-$key.img

if [ -f "$img" ]; then
    publish "$out" "$img"
    exit 0
fi

mke2fs=$(PATH=$PATH:/sbin:/usr/sbin command -v mke2fs) || die "mke2fs not found (e2fsprogs)"
build_begin "$cachedir" dom0-root
echo "images: building the Debian Dom0 root file system (once per package set; a few minutes)" >&2

# In the customize hooks $1 is the new root. The kernel package wants an
# initramfs tool (initramfs-tools comes along): Basalt boots Dom0 with its
# own initramfs, so the one it generates for /boot is removed. The apt
# sources are the build's (the host's archive, main and contrib), so
# `apt-get update && apt-get install PKG` works in Dom0. zfsutils-linux's
# postinst writes a random /etc/hostid, which ZFS records in each pool it
# imports: a pool would then need `zpool import -f` after every image
# rebuild, so the image has none (host id 0: pools record no host).
# shellcheck disable=SC2086
debian_bootstrap "$cachedir/debs" --variant=required \
    --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
    --include="linux-image-$kver $pkgs" --include="$zfsdeb" \
    --customize-hook='echo dom0 >"$1/etc/hostname"' \
    --customize-hook='printf "127.0.0.1\tlocalhost\n127.0.1.1\tdom0\n::1\tlocalhost ip6-localhost ip6-loopback\n" >"$1/etc/hosts"' \
    --customize-hook='printf "# Mounted by Basalt'"'"'s boot initramfs (images/dom0-init).\nLABEL=basalt-dom0\t/\text4\tnoatime\t0\t1\n" >"$1/etc/fstab"' \
    --customize-hook='rm -f "$1"/boot/initrd.img-* "$1"/initrd.img "$1"/initrd.img.old' \
    --customize-hook='mkdir -p "$1/etc/basalt" "$1/usr/lib/basalt"' \
    --customize-hook='rm -f "$1/etc/hostid"' \
    --customize-hook='printf "\$include /etc/inputrc\n# A serial console: no bracketed-paste escapes around each command.\nset enable-bracketed-paste off\n" >"$1/root/.inputrc"' \
    --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" >"$1/../packages"' \
    "$DEBIAN_SUITE" "$work/root" "$APT_SOURCES" ||
    die "mmdebstrap of the Dom0 root file system failed (log above)"

[ -d "$work/root/lib/modules/$kver/kernel" ] || die "the image has no modules for $kver"
[ -f "$work/root/lib/modules/$kver/updates/dkms/zfs.ko" ] || die "the image has no zfs.ko for $kver"
used_mb=$(du -sxm "$work/root" | cut -f1)
size_mb=$(( (used_mb * 115 / 100 + headroom_mb + 255) / 256 * 256 ))
# -d copies the tree (owners, modes, links, device nodes, xattrs).
truncate -s "${size_mb}M" "$work/img" || die "cannot create $work/img"
"$mke2fs" -q -F -t ext4 -L basalt-dom0 -E root_owner=0:0 -d "$work/root" "$work/img" </dev/null ||
    die "mke2fs -d failed"
chmod 0444 "$work/img"
mv -f "$work/packages" "$img.packages"
mv -f "$work/img" "$img"
publish "$out" "$img"
# Keep the three newest images (other worktrees may use older keys).
ls -t "$cachedir"/dom0-root-*.img 2>/dev/null | tail -n +4 | while read -r old; do
    rm -f "$old" "$old.packages"
done
echo "images: Dom0 root file system built in $(($(date +%s) - start)) s:" \
     "$(basename "$img"), ${used_mb} MiB used of ${size_mb} MiB," \
     "$(wc -l <"$img.packages") packages" >&2
