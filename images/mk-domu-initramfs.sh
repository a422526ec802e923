#!/bin/sh
# mk-domu-initramfs.sh IMG OUT COMPRESS INIT MODULE...
#
# Builds the DomU initramfs OUT (a newc cpio, compressed with COMPRESS: gzip
# or xz) from what unpack-kernel.sh and the Makefile left in IMG:
#   IMG/busybox          static busybox (Debian busybox-static)
#   IMG/modules/         the kernel's lib/modules/<ver> with modules.dep
#   IMG/kernel-version   <ver>
# The image holds busybox and its applet links, INIT as /init, the mount
# points, /dev/console, the named MODULEs plus everything they depend on (per
# modules.dep) with a modules.dep for just those (busybox modprobe reads it),
# and /etc/modules listing the MODULEs for /init to load. Quiet on success.
set -eu

me="images/mk-domu-initramfs.sh"
die() { echo "$me: error: $*" >&2; exit 1; }

[ $# -ge 4 ] || die "usage: mk-domu-initramfs.sh IMG OUT gzip|xz INIT [MODULE...]"
img=$1
out=$2
compress=$3
init=$4
shift 4

busybox=$img/busybox
mods=$img/modules
[ -x "$busybox" ] || die "$busybox missing (build it first)"
[ -f "$mods/modules.dep" ] || die "$mods/modules.dep missing (build the kernel first)"
[ -f "$img/kernel-version" ] || die "$img/kernel-version missing"
[ -f "$init" ] || die "$init: no such file"
ver=$(cat "$img/kernel-version")
case $compress in
gzip) zcmd="gzip -9n" ;;
xz) zcmd="xz -9 --check=crc32" ;;   # the kernel's XZ decoder wants CRC32
*) die "unknown compression '$compress' (gzip or xz)" ;;
esac
command -v cpio >/dev/null 2>&1 || die "cpio not found"

tmp=$out.tmp.d
rm -rf "$tmp"
trap 'rm -rf "$tmp" "$out.tmp"' EXIT
root=$tmp/root
mkdir -p "$root"
for d in bin sbin usr/bin usr/sbin dev proc sys tmp etc run root var/log \
         lib/modules/"$ver"; do
    mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

# busybox and its applets, where busybox itself puts them.
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
"$busybox" --list-full >"$tmp/applets" || die "$busybox does not run on this host"
while read -r a; do
    case $a in
    bin/busybox|'') continue ;;
    bin/*) target=busybox ;;
    sbin/*) target=../bin/busybox ;;
    usr/bin/*|usr/sbin/*) target=../../bin/busybox ;;
    *) continue ;;   # linuxrc: we have our own /init
    esac
    [ -e "$root/$a" ] || ln -s "$target" "$root/$a"
done <"$tmp/applets"

# /dev/console, so the kernel can open init's stdin/out/err before /init
# mounts devtmpfs (needs root; /init copes without it).
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true

install -m 0755 "$init" "$root/init"

# Minimal /etc.
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$root/etc/group"
printf 'basalt-domu\n' >"$root/etc/hostname"
: >"$root/etc/modules"

# Modules: the closure of the requested ones over modules.dep. Names match
# file names with '-' and '_' treated alike, as modprobe does.
if [ $# -gt 0 ]; then
    printf '%s\n' "$@" >"$root/etc/modules"
    awk -v want="$*" '
        function norm(s) { gsub(/-/, "_", s); return s }
        BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) wanted[norm(w[i])] = 1 }
        {
            key = $1; sub(/:$/, "", key)
            base = key; sub(/.*\//, "", base); sub(/\.ko(\.(xz|gz|zst))?$/, "", base)
            base = norm(base)
            if (base in wanted) {
                found[base] = 1; print key
                for (i = 2; i <= NF; i++) print $i
            }
        }
        END {
            for (b in wanted) if (!(b in found)) { print "missing " b > "/dev/stderr"; bad = 1 }
            exit bad
        }' "$mods/modules.dep" | sort -u >"$tmp/modlist" ||
        die "module(s) not found in $mods/modules.dep"
    while read -r m; do
        mkdir -p "$root/lib/modules/$ver/$(dirname "$m")"
        case $m in
        *.ko) cp "$mods/$m" "$root/lib/modules/$ver/$m" ;;
        *.ko.xz) xz -dc "$mods/$m" >"$root/lib/modules/$ver/${m%.xz}" ;;
        *.ko.gz) gzip -dc "$mods/$m" >"$root/lib/modules/$ver/${m%.gz}" ;;
        *.ko.zst) zstd -qdc "$mods/$m" >"$root/lib/modules/$ver/${m%.zst}" ;;
        *) die "unexpected module file $m" ;;
        esac
    done <"$tmp/modlist"
    "$busybox" depmod -b "$root" "$ver" || die "busybox depmod failed"
fi

# Reproducible archive: fixed order, owner and timestamps.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet) | $zcmd >"$out.tmp" ||
    die "cpio/$compress failed"
mv -f "$out.tmp" "$out"
