#!/bin/sh
# Installs the Debian packages the build and the tests need, if any is missing.
# Called by `make`; a no-op once everything is there. Needs root (or sudo) only
# when something is missing.
set -eu

PACKAGES="
build-essential
binutils
python3
qemu-system-x86
qemu-utils
busybox-static
cpio
xz-utils
libxen-dev
xenstore-utils
e2fsprogs
liblzma-dev
clang
llvm
libclang-rt-14-dev
mmdebstrap
debian-archive-keyring
iperf3
grub-common
xorriso
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
