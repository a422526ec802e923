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

here=$(cd "$(dirname "$0")" && pwd)
. "$here/initramfs-lib.sh"

ir_inputs "$img"
[ -f "$init" ] || die "$init: no such file"
ir_compressor "$compress"
command -v cpio >/dev/null 2>&1 || die "cpio not found"

tmp=$out.tmp.d
rm -rf "$tmp"
trap 'rm -rf "$tmp" "$out.tmp"' EXIT
root=$tmp/root
mkdir -p "$root"
ir_skeleton "$root" "$ver"
ir_busybox "$root" "$busybox" "$tmp"
ir_dev_nodes "$root"
install -m 0755 "$init" "$root/init"
install -D -m 0755 "$here/udhcpc.script" "$root/usr/share/udhcpc/default.script"

# Minimal /etc.
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$root/etc/group"
printf 'basalt-domu\n' >"$root/etc/hostname"
: >"$root/etc/modules"
# CPUs and memory blocks the toolstack adds to a running guest (xl vcpu-set,
# xl mem-set above what it booted with) arrive offline: /init's mdev puts
# them online, as a udev rule does on a full system.
cat >"$root/etc/mdev.conf" <<'EOF'
SUBSYSTEM=cpu;cpu[0-9]+ 0:0 0600 @echo 1 >/sys$DEVPATH/online
SUBSYSTEM=memory;memory[0-9]+ 0:0 0600 @echo online >/sys$DEVPATH/state
EOF

# Modules: the closure of the requested ones over modules.dep.
if [ $# -gt 0 ]; then
    printf '%s\n' "$@" >"$root/etc/modules"
    ir_modules "$root" "$mods" "$ver" "$tmp" "$@"
    ir_depmod "$root" "$ver" "$busybox"
fi

ir_pack "$root" "$out"
