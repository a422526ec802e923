#!/bin/sh
# mk-zfs-modules.sh APTSTATE KVER CACHEDIR OUT
#
# Makes sure CACHEDIR holds a Debian package `zfs-modules-KVER` with the ZFS
# kernel modules built by DKMS from Debian's `zfs-dkms` (contrib) for the
# kernel KVER (e.g. 6.1.0-57-amd64, Dom0's: build/images/kernel-version),
# and writes its path to OUT (rewritten only when it changes).
#
# The package is what `dkms mkbmdeb` would make, without debhelper:
# /lib/modules/KVER/updates/dkms/*.ko, `Provides: zfs-modules` (which
# zfsutils-linux recommends as the alternative to zfs-dkms), depending on
# linux-image-KVER, version that of zfs-dkms. Dom0's root file system
# installs it like any package, so `dpkg -l` lists it.
#
# Built in a throw-away chroot (mmdebstrap --variant=apt, zfs-dkms and
# linux-headers-KVER: the DKMS build runs in their postinst), then deleted.
# Cached under a name that carries the zfs-dkms version and a key over KVER,
# the headers' version, zfs-dkms's version and RECIPE below, so the slow
# DKMS build (minutes) runs once per kernel and ZFS release, not per Dom0
# image, nor per edit of this file's comments.
# APTSTATE is the private apt of debian-apt.sh (its lists already fresh).
# Needs root. Prints the build time; otherwise quiet on success.
set -eu

# Bump when a change here changes the package built (its files or control
# data): that is what makes the cached one stale.
RECIPE=1

me="images/mk-zfs-modules.sh"
die() { echo "$me: error: $*" >&2; exit 1; }

[ $# -eq 4 ] || die "usage: mk-zfs-modules.sh APTSTATE KVER CACHEDIR OUT"
state=$1 kver=$2 cachedir=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/debian-apt.sh"

case $kver in *[!A-Za-z0-9.+_-]* | '') die "bad kernel version '$kver'" ;; esac
# Fast path: same inputs, and apt's lists unchanged since they were resolved.
inputs=$(printf '%s\n' "$@" | cat - "$0" "$here/debian-apt.sh" | sha256sum)
inputs_current "$state" "$out" && exit 0
apt_init "$state"
apt_refresh
zfsver=$(apt_version zfs-dkms)
[ -n "$zfsver" ] || die "apt knows no zfs-dkms (contrib missing from $APT_SOURCES?)"
hdrver=$(apt_version "linux-headers-$kver")
[ -n "$hdrver" ] || die "apt knows no linux-headers-$kver (is $kver still in the archive?)"
key=$(printf '%s\n' "$kver" "$hdrver" "$zfsver" "$RECIPE" | sha256sum | cut -c1-12)
pkg=zfs-modules-$kver
file=$cachedir/${pkg}_$(printf '%s' "$zfsver" | sed 's/:/%3a/g')_amd64-$key.deb

if [ -f "$file" ]; then
    publish "$out" "$file"
    exit 0
fi

build_begin "$cachedir" zfs-build
echo "images: building the ZFS modules for $kver (zfs-dkms $zfsver; once per kernel and ZFS version)" >&2

# The DKMS build happens in zfs-dkms's or the headers' postinst, whichever
# is configured last; `dkms install` afterwards is a no-op then and a
# diagnosis otherwise.
debian_bootstrap "$cachedir/debs" --variant=apt \
    --include="zfs-dkms=$zfsver,linux-headers-$kver=$hdrver" \
    --customize-hook="chroot \"\$1\" dkms install -m zfs -v ${zfsver%-*} -k $kver" \
    "$DEBIAN_SUITE" "$work/root" "$APT_SOURCES" || {
    tail -n 40 "$work/root/var/lib/dkms/zfs/${zfsver%-*}/build/make.log" >&2 2>/dev/null
    die "mmdebstrap/DKMS build of zfs-dkms $zfsver for $kver failed"; }
ko=$work/root/lib/modules/$kver/updates/dkms
ls "$ko/zfs.ko" "$ko/spl.ko" >/dev/null 2>&1 ||
    die "the DKMS build left no zfs.ko/spl.ko in /lib/modules/$kver/updates/dkms"
pk=$work/pkg
mkdir -p "$pk/DEBIAN" "$pk/lib/modules/$kver/updates/dkms"
cp "$ko"/*.ko "$pk/lib/modules/$kver/updates/dkms/"
# The module directory is the kernel package's; depmod makes the modules
# known (as dkms does after installing them).
cat >"$pk/DEBIAN/control" <<EOF
Package: $pkg
Version: $zfsver
Architecture: amd64
Maintainer: Basalt build <basalt@localhost>
Section: contrib/kernel
Priority: optional
Depends: linux-image-$kver
Provides: zfs-modules
Description: OpenZFS kernel modules for Linux $kver
 Built by Basalt's images/mk-zfs-modules.sh with DKMS from Debian's
 zfs-dkms $zfsver against linux-headers-$kver $hdrver.
EOF
cat >"$pk/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
[ "\$1" != configure ] || depmod -a $kver
EOF
cat >"$pk/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
[ "\$1" != remove ] || ! command -v depmod >/dev/null || depmod -a $kver
EOF
chmod 0755 "$pk/DEBIAN/postinst" "$pk/DEBIAN/postrm"
dpkg-deb --root-owner-group -Zxz --build "$pk" "$work/out.deb" >/dev/null ||
    die "dpkg-deb failed"
mv -f "$work/out.deb" "$file"
publish "$out" "$file"
echo "images: ZFS modules for $kver built in $(($(date +%s) - start)) s: $(basename "$file")" >&2
