#!/bin/sh
# `make run`: boots Basalt in QEMU with the Debian Dom0 (Debian's kernel,
# its root file system built by images/ from Debian's packages, booted by the
# small Dom0 initramfs that brings this build's xl, xenstored, xenconsoled
# and demo guest), which starts the demo guest with `xl create
# /etc/basalt/demo.cfg` once it is up, with the serial line on this
# terminal, raw: Ctrl-A and Ctrl-C reach Basalt and its guests, not QEMU.
#
# Dom0's shell is on the terminal. `xl console demo` attaches to the guest
# (Ctrl-] comes back); `xl list`, `xl shutdown demo`, `xl create -c
# /etc/basalt/demo.cfg` work as with Xen. Ctrl-A three times moves serial
# input to the hypervisor (keys h help, d domains, q power off, r reboot)
# and back. `poweroff` in Dom0 ends it.
#
# Disks: Dom0's root (build/dom0-root.qcow2, a copy-on-write overlay of the
# cached image, so what you install or change in Dom0 stays until the image
# is rebuilt) and the ZFS pool `tank` (build/dom0-tank.img, 8 GiB sparse,
# serial basalt-tank: Dom0 creates the pool on first boot, imports it
# afterwards). A NIC on QEMU's user-mode network (10.0.2.15, gateway 10.0.2.2).
#
# BASALT_DOM0=busybox boots the busybox Dom0 initramfs instead (no root disk;
# its persistent ext4 disk build/dom0-disk.img is mounted on /persist).
# BASALT_QEMU names another QEMU binary than qemu-system-x86_64 on PATH.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
IMG=$BUILD/images
CMD="basalt.run=xl\${IFS}create\${IFS}/etc/basalt/demo.cfg"

case ${BASALT_DOM0:-debian} in
debian)
    [ -f "$IMG/dom0-root" ] || { echo "run.sh: no $IMG/dom0-root: run 'make images'" >&2; exit 1; }
    "$ROOT/scripts/dom0-overlay.sh" "$(cat "$IMG/dom0-root")" "$BUILD/dom0-root.qcow2"
    TANK=$BUILD/dom0-tank.img
    [ -e "$TANK" ] || truncate -s 8G "$TANK"
    # basalt.run: a command for Dom0's init (no spaces or commas: ${IFS}).
    DOM0="$IMG/vmlinux console=hvc0 pci=nomsi quiet root=LABEL=basalt-dom0 $CMD"
    DOM0="$DOM0,$IMG/dom0-debian-initramfs.cpio.gz"
    set -- -drive "file=$BUILD/dom0-root.qcow2,if=none,id=d0,format=qcow2" \
        -device ide-hd,drive=d0,bus=ide.0,serial=basalt-root \
        -drive "file=$TANK,if=none,id=d1,format=raw" \
        -device ide-hd,drive=d1,bus=ide.1,serial=basalt-tank
    ;;
busybox)
    DISK=$BUILD/dom0-disk.img
    "$ROOT/scripts/mkdisk.sh" "$DISK" 256M
    DOM0="$IMG/vmlinux console=hvc0 pci=nomsi quiet $CMD,$IMG/dom0-initramfs.cpio.gz"
    set -- -drive "file=$DISK,if=none,id=d0,format=raw" -device ide-hd,drive=d0,bus=ide.0
    ;;
*)
    echo "run.sh: BASALT_DOM0 is debian or busybox, not '$BASALT_DOM0'" >&2
    exit 1
    ;;
esac

echo "Basalt under QEMU (TCG). Dom0's shell follows, and it starts the demo guest:" >&2
echo "'xl console demo' attaches (Ctrl-] back), 'xl list', 'poweroff' ends. Ctrl-A x3: hypervisor keys." >&2
# guest_cpus=1-3: no guest on CPU 0, whose state QEMU's multi-threaded TCG
# corrupts from the other CPUs' threads (docs/architecture.md).
exec "${BASALT_QEMU:-qemu-system-x86_64}" -accel tcg -M q35 -cpu max -smp 4 -m 2G \
    -display none -vga none -nodefaults \
    -chardev stdio,id=s0,mux=off,signal=off -serial chardev:s0 \
    "$@" -nic user,model=e1000e \
    -kernel "$BUILD/basalt.elf" -append "${BASALT_CMDLINE:-loglvl=info dom0_mem=768M guest_cpus=1-3}" \
    -initrd "$DOM0"
