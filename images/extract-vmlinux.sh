#!/bin/sh
# extract-vmlinux.sh BZIMAGE OUT
#
# Extracts the ELF vmlinux from an x86 bzImage whose payload is XZ (Debian's
# kernels: CONFIG_KERNEL_XZ, CRC32 + x86 BCJ), and checks that it is what PVH
# boot loads: an x86-64 ELF64 with a PT_NOTE segment holding the Xen
# PHYS32_ENTRY note (type 18). Writes OUT atomically; fails loudly otherwise.
#
# The payload is located through the boot-protocol setup header (see
# Documentation/x86/boot.rst): setup_sects at 0x1F1, "HdrS" at 0x202, protocol
# version at 0x206 (payload fields exist from 2.08), payload_offset and
# payload_length at 0x248/0x24C, counted from the start of the protected-mode
# code at (setup_sects + 1) * 512. The decompressed stream is vmlinux.bin
# (objcopy -S of vmlinux) followed by the relocation table; the relocations
# are cut off so OUT is exactly the ELF file.
set -eu

me="images/extract-vmlinux.sh"
die() { echo "$me: error: $*" >&2; rm -f "${tmp:-}"; exit 1; }

[ $# -eq 2 ] || die "usage: extract-vmlinux.sh BZIMAGE OUT"
in=$1
out=$2
[ -f "$in" ] || die "$in: no such file"
for t in od xz readelf head tail; do
    command -v $t >/dev/null 2>&1 || die "$t not found (binutils, xz-utils, coreutils)"
done

# u8/u16/u32/u64 FILE OFFSET -> unsigned little-endian integer (host is x86)
rd() { od -An -t"u$1" -j "$3" -N "$1" "$2" | tr -d ' \n'; }

magic=$(od -An -c -j 0x202 -N 4 "$in" | tr -d ' \n')
[ "$magic" = "HdrS" ] || die "$in: not a bzImage (no HdrS setup header)"
proto=$(rd 2 "$in" 0x206)
[ "$proto" -ge $((0x208)) ] || die "$in: boot protocol $(printf '%#x' "$proto") has no payload_offset (need >= 2.08)"
setup_sects=$(rd 1 "$in" 0x1F1)
[ "$setup_sects" -ne 0 ] || setup_sects=4
poff=$(rd 4 "$in" 0x248)
plen=$(rd 4 "$in" 0x24C)
start=$(( (setup_sects + 1) * 512 + poff ))
fsize=$(wc -c <"$in")
[ "$plen" -gt 0 ] && [ $((start + plen)) -le "$fsize" ] ||
    die "$in: payload ($start + $plen) lies outside the file ($fsize bytes)"

head6=$(tail -c +$((start + 1)) "$in" | head -c 6 | od -An -tx1 | tr -d ' \n')
case $head6 in
fd377a585a00) ;;
1f8b*) die "$in: payload is gzip, not XZ (unsupported kernel build)" ;;
28b52ffd*) die "$in: payload is zstd, not XZ (unsupported kernel build)" ;;
*) die "$in: payload at offset $start is not XZ (magic $head6)" ;;
esac

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
tail -c +$((start + 1)) "$in" | head -c "$plen" | xz -dc --single-stream >"$tmp" 2>"$tmp.err" || {
    cat "$tmp.err" >&2; rm -f "$tmp.err"; die "$in: XZ payload does not decompress"; }
rm -f "$tmp.err"

# ELF64, little-endian, x86-64, executable.
[ "$(od -An -tx1 -N 6 "$tmp" | tr -d ' \n')" = "7f454c460201" ] ||
    die "$in: decompressed payload is not a little-endian ELF64"
[ "$(rd 2 "$tmp" 18)" = 62 ] || die "$in: vmlinux is not x86-64 (e_machine $(rd 2 "$tmp" 18))"

# Cut the relocation table after the ELF: the end is the furthest of the
# section header table and the program segments' file images.
shoff=$(rd 8 "$tmp" 0x28)
shentsize=$(rd 2 "$tmp" 0x3A)
shnum=$(rd 2 "$tmp" 0x3C)
end=$((shoff + shentsize * shnum))
LC_ALL=C readelf -lW "$tmp" 2>/dev/null | awk '$1 ~ /^(LOAD|NOTE)$/ { print $2, $5 }' >"$tmp.ph"
while read -r o s; do
    e=$((o + s))
    [ "$e" -le "$end" ] || end=$e
done <"$tmp.ph"
rm -f "$tmp.ph"
size=$(wc -c <"$tmp")
[ "$end" -le "$size" ] || die "$in: vmlinux is truncated (ELF ends at $end, file has $size bytes)"
if [ "$end" -lt "$size" ]; then
    head -c "$end" "$tmp" >"$tmp.cut"
    mv -f "$tmp.cut" "$tmp"
fi

# PT_NOTE segment present, and a Xen note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY).
LC_ALL=C readelf -lW "$tmp" 2>/dev/null | grep -q '^ *NOTE ' ||
    die "$in: vmlinux has no PT_NOTE segment"
entry=$(LC_ALL=C readelf -nW "$tmp" 2>/dev/null | awk '
    $1 == "Xen" && (/\(0x0*12\)/ || /PHYS32_ENTRY/) { want = 1 }
    want && /description data:/ {
        sub(/.*description data: */, ""); n = split($0, b, " ")
        v = ""; for (i = n; i >= 1; i--) v = v b[i]; print "0x" v; exit }
    $1 == "Xen" && !(/\(0x0*12\)/ || /PHYS32_ENTRY/) { want = 0 }')
[ -n "$entry" ] || die "$in: vmlinux has no Xen PHYS32_ENTRY note (type 18): not PVH-bootable"

mv -f "$tmp" "$out"
trap - EXIT
