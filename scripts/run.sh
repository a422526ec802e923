#!/bin/sh
# `make run`: boots Basalt in QEMU with Dom0 (Debian's kernel and our Dom0
# initramfs), which starts the demo guest with `xl create
# /etc/basalt/demo.cfg` once it is up, with the serial line on this
# terminal, raw: Ctrl-A and Ctrl-C reach Basalt and its guests, not QEMU.
#
# Dom0's shell is on the terminal. `xl console demo` attaches to the guest
# (Ctrl-] comes back); `xl list`, `xl shutdown demo`, `xl create -c
# /etc/basalt/demo.cfg` work as with Xen. Ctrl-A three times moves serial
# input to the hypervisor (keys h help, d domains, q power off, r reboot)
# and back. `poweroff` in Dom0 ends it.
# Dom0 gets a persistent ext4 disk (build/dom0-disk.img, mounted on /persist)
# and a NIC on QEMU's user-mode network (10.0.2.15, gateway 10.0.2.2).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
IMG=$BUILD/images
DISK=$BUILD/dom0-disk.img
"$ROOT/scripts/mkdisk.sh" "$DISK" 256M

# basalt.run: a command for Dom0's init (no spaces or commas: ${IFS}).
DOM0="$IMG/vmlinux console=hvc0 pci=nomsi quiet basalt.run=xl\${IFS}create\${IFS}/etc/basalt/demo.cfg"
DOM0="$DOM0,$IMG/dom0-initramfs.cpio.gz"

echo "Basalt under QEMU (TCG). Dom0's shell follows, and it starts the demo guest:" >&2
echo "'xl console demo' attaches (Ctrl-] back), 'xl list', 'poweroff' ends. Ctrl-A x3: hypervisor keys." >&2
exec qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 4 -m 2G \
    -display none -vga none -nodefaults \
    -chardev stdio,id=s0,mux=off,signal=off -serial chardev:s0 \
    -drive "file=$DISK,if=none,id=d0,format=raw" -device ide-hd,drive=d0,bus=ide.0 \
    -nic user,model=e1000e \
    -kernel "$BUILD/basalt.elf" -append "${BASALT_CMDLINE:-loglvl=info dom0_mem=768M}" \
    -initrd "$DOM0"
