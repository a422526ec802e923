#!/bin/sh
# mk-dom0-initramfs.sh [OPTIONS] IMG OUT
#
# Builds the Dom0 initramfs OUT (a newc cpio) from what unpack-kernel.sh and
# the Makefile left in IMG (busybox, modules/ with modules.dep,
# kernel-version) and from Debian packages:
#   -z gzip|xz   compressor (default gzip)
#   -i INIT      the /init script (required)
#   -s SCRIPT    udhcpc event script, installed as /usr/share/udhcpc/default.script
#   -g GROUP:MODULE  a module /init loads, listed in /etc/basalt/modules-GROUP
#                (repeatable; the groups /init knows: xen, net, disk)
#   -G GROUP:MODULE  as -g, but only listed, not copied into the image: the
#                Debian Dom0's root file system has it (repeatable)
#   -d DEB       a Debian package to take programs and libraries from
#                (repeatable; all of them are unpacked into one scratch tree)
#   -p PATH      a program to install from the -d packages, e.g. usr/bin/xenstore
#                (same path in the image; a hard link of an earlier -p becomes
#                a symlink to it)
#   -l SONAME    a library to install although nothing links it (dlopen'ed,
#                e.g. libgcc_s.so.1, which glibc's pthread_cancel loads)
#   -b DIR       copy every executable file in DIR (if DIR exists) to /usr/sbin,
#                their names listed in /etc/basalt/dom0-programs
#   -f SRC:DEST  install the file SRC as DEST in the image, e.g. a guest's
#                kernel (repeatable)
#
# Every dynamically linked program in the image (the -p ones, and any in
# -b DIR) gets its interpreter and the closure of its DT_NEEDED libraries
# from the -d packages, never from the build host, in /lib/x86_64-linux-gnu
# (the interpreter's path, /lib64/ld-linux-x86-64.so.2, is a symlink there).
# A library no -d package has is an error. The result is checked with the
# image's own loader (in a chroot when root). Quiet on success.
set -eu

me="images/mk-dom0-initramfs.sh"
die() { echo "$me: error: $*" >&2; exit 1; }
usage="usage: mk-dom0-initramfs.sh [-z gzip|xz] -i INIT [-s SCRIPT] [-g|-G GROUP:MOD]... [-d DEB]... [-p PATH]... [-l SONAME]... [-b DIR] [-f SRC:DEST]... IMG OUT"

compress=gzip init="" dhcp="" bindir=""
groups="" listed="" allmods="" debs="" progs="" extralibs="" files=""
while getopts z:i:s:g:G:d:p:l:b:f: opt; do
    case $opt in
    z) compress=$OPTARG ;;
    i) init=$OPTARG ;;
    s) dhcp=$OPTARG ;;
    g) case $OPTARG in
       [a-z]*:?*) ;;
       *) die "-g $OPTARG: want GROUP:MODULE" ;;
       esac
       groups="$groups $OPTARG" allmods="$allmods ${OPTARG#*:}" ;;
    G) case $OPTARG in
       [a-z]*:?*) ;;
       *) die "-G $OPTARG: want GROUP:MODULE" ;;
       esac
       listed="$listed $OPTARG" ;;
    d) debs="$debs $OPTARG" ;;
    p) progs="$progs $OPTARG" ;;
    l) extralibs="$extralibs $OPTARG" ;;
    b) bindir=$OPTARG ;;
    f) case $OPTARG in
       ?*:?*) ;;
       *) die "-f $OPTARG: want SRC:DEST" ;;
       esac
       files="$files $OPTARG" ;;
    *) die "$usage" ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || die "$usage"
img=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/initramfs-lib.sh"

ir_inputs "$img"
[ -n "$init" ] || die "no -i INIT given"
[ -f "$init" ] || die "$init: no such file"
[ -z "$dhcp" ] || [ -f "$dhcp" ] || die "$dhcp: no such file"
for d in $debs; do [ -f "$d" ] || die "$d: no such file"; done
[ -z "$progs" ] || [ -n "$debs" ] || die "-p given without any -d package"
ir_compressor "$compress"
for t in cpio dpkg-deb readelf; do
    command -v $t >/dev/null 2>&1 || die "$t not found (cpio, dpkg, binutils)"
done

tmp=$out.tmp.d
rm -rf "$tmp"
trap 'rm -rf "$tmp" "$out.tmp"' EXIT
root=$tmp/root
sysroot=$tmp/sysroot
mkdir -p "$root" "$sysroot"
libdir=lib/x86_64-linux-gnu
ir_skeleton "$root" "$ver" mnt persist var etc/basalt/init.d "$libdir" lib64 \
    usr/share/udhcpc etc/udhcpc
ln -s ../run "$root/var/run"
ir_busybox "$root" "$busybox" "$tmp"
ir_dev_nodes "$root"
install -m 0755 "$init" "$root/init"

# /etc.
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$root/etc/group"
printf 'dom0\n' >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tdom0\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"
if [ -n "$dhcp" ]; then
    install -m 0755 "$dhcp" "$root/usr/share/udhcpc/default.script"
    ln -s ../../usr/share/udhcpc/default.script "$root/etc/udhcpc/default.script"
fi

# Modules: the closure of all groups over modules.dep, and one list a group.
for gm in $groups $listed; do
    printf '%s\n' "${gm#*:}" >>"$root/etc/basalt/modules-${gm%%:*}"
done
# shellcheck disable=SC2086
ir_modules "$root" "$mods" "$ver" "$tmp" $allmods
ir_depmod "$root" "$ver" "$busybox"

# Debian packages, unpacked together.
for d in $debs; do
    dpkg-deb -x "$d" "$sysroot" || die "$d: dpkg-deb -x failed"
done

# is_elf FILE
is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# Programs from the packages.
for p in $progs; do
    p=${p#/}
    src=$sysroot/$p
    [ -f "$src" ] || die "$p is in none of the packages:$(for d in $debs; do printf ' %s' "${d##*/}"; done)"
    mkdir -p "$root/$(dirname "$p")"
    first=""
    for q in $progs; do
        q=${q#/}
        [ "$q" = "$p" ] && break
        if [ "$(dirname "$q")" = "$(dirname "$p")" ] && [ "$(stat -L -c %d:%i "$sysroot/$q")" = "$(stat -L -c %d:%i "$src")" ]; then
            first=$q
            break
        fi
    done
    if [ -n "$first" ]; then
        ln -s "$(basename "$first")" "$root/$p"
    else
        cp -L "$src" "$root/$p"
        chmod 0755 "$root/$p"
    fi
done

# Dom0 programs built by dom0/ (static, or dynamic against the packages'
# libraries): they replace busybox applets of the same name.
: >"$root/etc/basalt/dom0-programs"
if [ -n "$bindir" ] && [ -d "$bindir" ]; then
    for f in "$bindir"/*; do
        [ -f "$f" ] && [ -x "$f" ] || continue
        printf '%s ' "${f##*/}" >>"$root/etc/basalt/dom0-programs"
        rm -f "$root/usr/sbin/${f##*/}"
        cp -L "$f" "$root/usr/sbin/${f##*/}"
        chmod 0755 "$root/usr/sbin/${f##*/}"
    done
fi

# Other files (guest kernels, configuration).
for f in $files; do
    src=${f%%:*} dest=${f#*:}
    [ -f "$src" ] || die "-f $f: no file $src"
    mkdir -p "$root/$(dirname "${dest#/}")"
    cp -L "$src" "$root/${dest#/}"
done

# find_lib SONAME: its path in the packages (the multiarch directories; the
# symlinks there are relative), or nothing.
find_lib() {
    for dir in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib usr/lib; do
        if [ -e "$sysroot/$dir/$1" ]; then
            printf '%s\n' "$sysroot/$dir/$1"
            return 0
        fi
    done
    return 1
}

# add_lib SONAME WHO: copies the library into $libdir unless it is there.
add_lib() {
    [ -e "$root/$libdir/$1" ] && return 0
    src=$(find_lib "$1") ||
        die "$2 needs $1, which none of the Debian packages has (add its package to DOM0_DEBS in images/Makefile)"
    cp -L "$src" "$root/$libdir/$1"
    chmod 0755 "$root/$libdir/$1"
    changed=1
}

for l in $extralibs; do add_lib "$l" "-l"; done

# The interpreters and the DT_NEEDED closure, to a fixed point.
changed=1
while [ "$changed" = 1 ]; do
    changed=0
    for f in "$root"/bin/* "$root"/sbin/* "$root"/usr/bin/* "$root"/usr/sbin/* \
             "$root/$libdir"/*; do
        [ -f "$f" ] && [ ! -L "$f" ] && is_elf "$f" || continue
        who=${f#"$root"}
        interp=$(LC_ALL=C readelf -lW "$f" 2>/dev/null |
                 sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
        if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
            base=${interp##*/}
            add_lib "$base" "$who"
            if [ "${interp%/*}" != "/$libdir" ]; then
                # relative, so that it also resolves from outside a chroot
                up=$(printf '%s\n' "${interp%/*}" | sed 's|/[^/]*|../|g')
                mkdir -p "$root${interp%/*}"
                ln -sf "$up$libdir/$base" "$root$interp"
            fi
        fi
        for n in $(LC_ALL=C readelf -dW "$f" 2>/dev/null |
                   sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
            add_lib "$n" "$who"
        done
    done
done

# Check: every dynamic program resolves all its libraries inside the image.
for f in "$root"/bin/* "$root"/sbin/* "$root"/usr/bin/* "$root"/usr/sbin/*; do
    [ -f "$f" ] && [ ! -L "$f" ] && is_elf "$f" || continue
    interp=$(LC_ALL=C readelf -lW "$f" 2>/dev/null |
             sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
    [ -n "$interp" ] || continue
    who=${f#"$root"}
    if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null 2>&1; then
        res=$(chroot "$root" "$interp" --list "$who" 2>&1) ||
            die "$who does not load in the image: $res"
    else
        res=$("$root$interp" --inhibit-cache --library-path "$root/$libdir" --list "$f" 2>&1) ||
            die "$who does not load in the image: $res"
        res=$(printf '%s\n' "$res" | grep '=>' | grep -v "=> $root/" || true)
        [ -z "$res" ] || die "$who does not load from the image alone: $res"
    fi
    case $res in *"not found"*) die "$who: library missing in the image: $res" ;; esac
done

ir_pack "$root" "$out"
