#!/bin/sh
# mk-tools-disk.sh IMAGE PROGRAM...
#
# Run in Dom0: puts Dom0's own programs (Debian's, as installed) with the
# libraries they load into an ext4 image that a DomU mounts read-only as
# /tools, so a guest whose busybox initramfs lacks a tool (mkfs.ext4, fio)
# runs Debian's: /tools/run /tools/bin/PROGRAM ARGS (the image's own
# dynamic loader and libraries; nothing of the guest's is used).
set -eu
[ $# -ge 2 ] || { echo "usage: mk-tools-disk.sh IMAGE PROGRAM..." >&2; exit 2; }
img=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/lib"
for p in "$@"; do
    path=$(command -v "$p") || { echo "mk-tools-disk.sh: no $p in Dom0" >&2; exit 1; }
    cp -L "$path" "$dir/bin/"
    for lib in $(ldd "$path" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
        cp -L "$lib" "$dir/lib/"
    done
done
printf '#!/bin/sh\nexec /tools/lib/ld-linux-x86-64.so.2 --library-path /tools/lib "$@"\n' >"$dir/run"
chmod 0755 "$dir/run"
mb=$(du -sm "$dir" | cut -f1)
rm -f "$img"
truncate -s $((mb + mb / 4 + 16))M "$img"
mkfs.ext4 -q -L tools -d "$dir" "$img"
echo "tools disk $img: $* ($mb MiB)"
