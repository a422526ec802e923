#!/bin/sh
# `make run`: boots Basalt in QEMU with the serial line on this terminal,
# raw: Ctrl-A and Ctrl-C reach Basalt and its guests, not QEMU.
# Leave with the hypervisor's console key `q` (power off): switch serial
# input to the hypervisor first with Ctrl-A three times if a domain has it.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
G=$BUILD/guests
MODULES="$G/hello.elf domain name=hello memory=16 -- count=5 delay=500"
MODULES="$MODULES,$G/hostile.elf domain name=hostile memory=16 -- mode=probe"
echo "Basalt under QEMU (TCG). Keys for the hypervisor: h help, d domains, q power off." >&2
exec qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 4 -m 2G \
    -display none -vga none -nodefaults -no-reboot \
    -chardev stdio,id=s0,mux=off,signal=off -serial chardev:s0 \
    -kernel "$BUILD/basalt.elf" -append "${BASALT_CMDLINE:-loglvl=info}" \
    -initrd "$MODULES"
