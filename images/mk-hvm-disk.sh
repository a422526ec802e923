#!/bin/sh
# mk-hvm-disk.sh GRUBDEB KERNEL INITRD CACHEDIR OUT
#
# Makes sure CACHEDIR holds the BIOS-bootable disk image of the HVM guests
# (issue 13) and writes its path to OUT (rewritten only when it changes):
# a raw disk with an MBR partition table, GRUB for i386-pc from the Debian
# package GRUBDEB (grub-pc-bin) in the MBR and the gap behind it, and one
# ext2 partition (from sector 2048, bootable) holding /boot/vmlinuz
# (KERNEL, Debian's bzImage), /boot/initrd.gz (INITRD) and /boot/grub with
# GRUB's modules and a grub.cfg that boots them with the console on ttyS0.
# Also, beside it, the same system as an El Torito ISO (grub-mkrescue with
# xorriso): hvm-cd-KEY.iso.
#
# What grub-install does for a BIOS disk, done on a file without root or
# loop devices: grub-mkimage makes core.img (biosdisk, part_msdos, ext2 and
# the prefix (hd0,msdos1)/boot/grub); its first sector (diskboot.img) lists
# the sectors that follow it from sector 2 on, and boot.img, written over
# the MBR's first 440 bytes, loads core.img's first sector from sector 1
# (boot.img's defaults: grub-bios-setup would write the same numbers).
#
# The key (in the names) is a hash over GRUBDEB, KERNEL, INITRD and this
# script; the newest three of each are kept. Quiet on success.
set -eu

me="images/mk-hvm-disk.sh"
die() { echo "$me: error: $*" >&2; exit 1; }

[ $# -eq 5 ] || die "usage: mk-hvm-disk.sh GRUBDEB KERNEL INITRD CACHEDIR OUT"
grubdeb=$1 kernel=$2 initrd=$3 cachedir=$4 out=$5
for f in "$grubdeb" "$kernel" "$initrd"; do [ -f "$f" ] || die "$f: no such file"; done
for t in grub-mkimage grub-mkrescue xorriso; do
    command -v $t >/dev/null 2>&1 || die "$t not found (scripts/deps.sh installs grub-common and xorriso)"
done
mke2fs=$(PATH=$PATH:/sbin:/usr/sbin command -v mke2fs) || die "mke2fs not found (e2fsprogs)"

key=$(cat "$grubdeb" "$kernel" "$initrd" "$0" | sha256sum | cut -c1-16)
img=$cachedir/hvm-disk-$key.img
iso=$cachedir/hvm-cd-$key.iso
publish() {
    if [ ! -f "$out" ] || [ "$(cat "$out")" != "$img" ]; then
        printf '%s\n' "$img" >"$out.tmp" && mv -f "$out.tmp" "$out"
    fi
}
if [ -f "$img" ] && [ -f "$iso" ]; then
    publish
    exit 0
fi

mkdir -p "$cachedir" || die "cannot create $cachedir"
work=$cachedir/.hvm-disk.$$
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$work/deb" "$work/root/boot/grub"

dpkg-deb -x "$grubdeb" "$work/deb" || die "cannot unpack $grubdeb"
grubdir=$work/deb/usr/lib/grub/i386-pc
[ -f "$grubdir/boot.img" ] && [ -f "$grubdir/diskboot.img" ] || die "no i386-pc GRUB in $grubdeb"

cp "$kernel" "$work/root/boot/vmlinuz"
cp "$initrd" "$work/root/boot/initrd.gz"
mkdir -p "$work/root/boot/grub/i386-pc"
cp "$grubdir"/*.mod "$grubdir"/*.lst "$work/root/boot/grub/i386-pc/"
# The console on COM1 for GRUB and Linux. The markers the tests wait for:
# GRUB's line, then the DomU init's (images/domu-init), which runs
# basalt.run (the disks Linux sees: the emulated IDE disk through ata_piix,
# or blkfront's once the platform device unplugged it) and powers off.
cat >"$work/root/boot/grub/grub.cfg" <<'EOF'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
menuentry "Debian GNU/Linux (Basalt HVM guest)" {
    echo "basalt-hvm: GRUB loads Linux from $root"
    linux /boot/vmlinuz console=tty0 console=ttyS0,115200 quiet 'basalt.run=cat${IFS}/proc/partitions' basalt.poweroff=1
    initrd /boot/initrd.gz
}
EOF

# The partition: ext2 holding the tree, sized to it with some room.
used_kb=$(du -sk "$work/root" | cut -f1)
part_mb=$(( used_kb * 12 / 10 / 1024 + 4 ))
"$mke2fs" -q -F -t ext2 -L basalt-hvm -E root_owner=0:0 -d "$work/root" "$work/part" "${part_mb}M" \
    </dev/null >/dev/null || die "mke2fs -d failed"

grub-mkimage -O i386-pc -d "$grubdir" -o "$work/core.img" -p '(hd0,msdos1)/boot/grub' \
    biosdisk part_msdos ext2 || die "grub-mkimage failed"
core_sectors=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
[ "$core_sectors" -lt 2047 ] || die "core.img does not fit in the gap before sector 2048"

# le32 N: N as 4 little-endian bytes (octal escapes for printf).
le32() { printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 24 & 255)))"; }
part_sectors=$(( part_mb * 2048 ))
disk=$work/disk
truncate -s $(( (2048 + part_sectors) * 512 )) "$disk"
dd if="$grubdir/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$disk" bs=512 seek=1 conv=notrunc status=none
# Partition entry 1 (offset 446): active, CHS fields "beyond 1024
# cylinders" (LBA only), type 0x83, LBA start and length; then the signature.
{ printf '\200\376\377\377\203\376\377\377'; le32 2048; le32 "$part_sectors"; } |
    dd of="$disk" bs=1 seek=446 conv=notrunc status=none
printf '\125\252' | dd of="$disk" bs=1 seek=510 conv=notrunc status=none
dd if="$work/part" of="$disk" bs=1M seek=1 conv=notrunc status=none

# The same system on a CD: grub-mkrescue lays out GRUB's El Torito image,
# its modules and the tree (kernel, initrd, grub.cfg) in an ISO 9660 image.
rm -rf "$work/root/boot/grub/i386-pc"
grub-mkrescue -d "$grubdir" -o "$work/cd.iso" "$work/root" >"$work/mkrescue.log" 2>&1 ||
    { cat "$work/mkrescue.log" >&2; die "grub-mkrescue failed"; }

chmod 0444 "$disk" "$work/cd.iso"
mv -f "$work/cd.iso" "$iso"
mv -f "$disk" "$img"
publish
for pat in 'hvm-disk-*.img' 'hvm-cd-*.iso'; do
    # shellcheck disable=SC2012 # names are ours
    ls -t "$cachedir"/$pat 2>/dev/null | tail -n +4 | xargs -r rm -f
done
