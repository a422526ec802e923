#!/bin/sh
# `make run`: boots Basalt in QEMU with Dom0 (Debian's kernel and our Dom0
# initramfs) and a boot-time Linux guest beside it, with the serial line on
# this terminal, raw: Ctrl-A and Ctrl-C reach Basalt and its guests, not QEMU.
#
# Dom0 has the serial input first: its shell is on the terminal. Ctrl-A three
# times moves input on (the guest's console, then the hypervisor, whose keys
# are h help, d domains, q power off, r reboot). `poweroff` in Dom0 ends it.
# Dom0 gets a persistent ext4 disk (build/dom0-disk.img, mounted on /persist)
# and a NIC on QEMU's user-mode network (10.0.2.15, gateway 10.0.2.2).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
IMG=$BUILD/images
DISK=$BUILD/dom0-disk.img
"$ROOT/scripts/mkdisk.sh" "$DISK" 256M

DOM0="$IMG/vmlinux console=hvc0 pci=nomsi quiet"
DOM0="$DOM0,$IMG/dom0-initramfs.cpio.gz"
GUEST="$IMG/vmlinux domain name=guest vcpus=2 memory=256 -- console=hvc0 quiet"
GUEST="$GUEST,$IMG/domu-initramfs.cpio.gz initrd name=guest"

echo "Basalt under QEMU (TCG). Dom0's shell follows; Ctrl-A x3 switches consoles; 'poweroff' ends." >&2
exec qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 4 -m 2G \
    -display none -vga none -nodefaults \
    -chardev stdio,id=s0,mux=off,signal=off -serial chardev:s0 \
    -drive "file=$DISK,if=none,id=d0,format=raw" -device ide-hd,drive=d0,bus=ide.0 \
    -nic user,model=e1000e \
    -kernel "$BUILD/basalt.elf" -append "${BASALT_CMDLINE:-loglvl=info dom0_mem=768M}" \
    -initrd "$DOM0,$GUEST"
