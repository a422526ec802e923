# initramfs-lib.sh: shell functions shared by mk-domu-initramfs.sh and
# mk-dom0-initramfs.sh (sourced, not run). The caller defines die() and runs
# under `set -eu`. All functions work on an image tree ROOT that becomes the
# initramfs, and on what unpack-kernel.sh and the Makefile left in IMG.

# ir_inputs IMG: checks what the kernel and busybox steps left in IMG and
# sets busybox, mods (the modules tree) and ver (the kernel version).
ir_inputs() {
    busybox=$1/busybox
    mods=$1/modules
    [ -x "$busybox" ] || die "$busybox missing (build it first)"
    [ -f "$mods/modules.dep" ] || die "$mods/modules.dep missing (build the kernel first)"
    [ -f "$1/kernel-version" ] || die "$1/kernel-version missing"
    ver=$(cat "$1/kernel-version")
}

# ir_skeleton ROOT VER DIR...: the standard directories (plus DIRs), with
# /tmp sticky and /root private.
ir_skeleton() {
    _r=$1 _v=$2
    shift 2
    for _d in bin sbin usr/bin usr/sbin dev proc sys tmp etc run root var/log \
              lib/modules/"$_v" "$@"; do
        mkdir -p "$_r/$_d"
    done
    chmod 1777 "$_r/tmp"
    chmod 0700 "$_r/root"
}

# ir_busybox ROOT BUSYBOX SCRATCH: busybox as /bin/busybox and its applet
# links where busybox itself puts them (never replacing an existing file).
ir_busybox() {
    _r=$1 _bb=$2 _s=$3
    cp "$_bb" "$_r/bin/busybox"
    chmod 0755 "$_r/bin/busybox"
    "$_bb" --list-full >"$_s/applets" || die "$_bb does not run on this host"
    while read -r _a; do
        case $_a in
        bin/busybox|'') continue ;;
        bin/*) _t=busybox ;;
        sbin/*) _t=../bin/busybox ;;
        usr/bin/*|usr/sbin/*) _t=../../bin/busybox ;;
        *) continue ;;   # linuxrc: we have our own /init
        esac
        [ -e "$_r/$_a" ] || ln -s "$_t" "$_r/$_a"
    done <"$_s/applets"
}

# ir_dev_nodes ROOT: /dev/console and /dev/null, so the kernel can open init's
# stdin/out/err before /init mounts devtmpfs (needs root; /init copes
# without them).
ir_dev_nodes() {
    mknod -m 600 "$1/dev/console" c 5 1 2>/dev/null || true
    mknod -m 666 "$1/dev/null" c 1 3 2>/dev/null || true
}

# ir_modules ROOT MODS VER SCRATCH MODULE...: the MODULEs and everything they
# depend on per MODS/modules.dep, copied (uncompressed) under
# ROOT/lib/modules/VER, with a modules.dep for just those (busybox modprobe
# reads it). Names match file names with '-' and '_' alike, as modprobe does.
ir_modules() {
    _r=$1 _m=$2 _v=$3 _s=$4
    shift 4
    [ $# -gt 0 ] || return 0
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
        }' "$_m/modules.dep" | sort -u >"$_s/modlist" ||
        die "module(s) not found in $_m/modules.dep"
    while read -r _k; do
        mkdir -p "$_r/lib/modules/$_v/$(dirname "$_k")"
        case $_k in
        *.ko) cp "$_m/$_k" "$_r/lib/modules/$_v/$_k" ;;
        *.ko.xz) xz -dc "$_m/$_k" >"$_r/lib/modules/$_v/${_k%.xz}" ;;
        *.ko.gz) gzip -dc "$_m/$_k" >"$_r/lib/modules/$_v/${_k%.gz}" ;;
        *.ko.zst) zstd -qdc "$_m/$_k" >"$_r/lib/modules/$_v/${_k%.zst}" ;;
        *) die "unexpected module file $_k" ;;
        esac
    done <"$_s/modlist"
}

# ir_depmod ROOT VER BUSYBOX: modules.dep for the modules under ROOT.
ir_depmod() {
    "$3" depmod -b "$1" "$2" || die "busybox depmod failed"
}

# ir_compressor gzip|xz: sets ir_zcmd.
ir_compressor() {
    case $1 in
    gzip) ir_zcmd="gzip -9n" ;;
    xz) ir_zcmd="xz -9 --check=crc32" ;;   # the kernel's XZ decoder wants CRC32
    *) die "unknown compression '$1' (gzip or xz)" ;;
    esac
}

# ir_pack ROOT OUT: the reproducible archive (fixed order, owner and
# timestamps) compressed with $ir_zcmd, written atomically.
ir_pack() {
    find "$1" -exec touch -h -d @0 {} +
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --reproducible --quiet) | $ir_zcmd >"$2.tmp" ||
        die "cpio/compression failed"
    mv -f "$2.tmp" "$2"
}
