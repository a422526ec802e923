#!/bin/bash
# boot-direct.sh [--print-seconds] [--timeout SEC] [--append ARGS] [--smp N] [--mem M]
#
# Boots the extracted Debian vmlinux with the DomU initramfs directly in QEMU
# (PVH entry through QEMU's -kernel ELF loader, no hypervisor) and measures the
# wall time from starting QEMU to the guest's "basalt-guest: init reached"
# line. This is the baseline `make bench` compares Basalt against: same kernel,
# same initramfs, booted directly by QEMU.
#
#   default          guest console on stdout, then a summary line
#   --print-seconds  print only the seconds (e.g. 2.84) on stdout; the console
#                    log goes to $BUILD/boot-direct.log
#   --timeout SEC    give up after SEC seconds (default 120): exit 1
#   --append ARGS    extra kernel command line arguments
#   --smp N, --mem M QEMU -smp / -m (default 2, 256M)
#
# QEMU is killed once the facts line after the marker has arrived. Needs
# `make -C images` first. Environment: BUILD (default <repo>/build),
# BASALT_QEMU (default qemu-system-x86_64 on PATH).
set -euo pipefail

me=boot-direct
die() { echo "$me: error: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$repo/build}
QEMU=${BASALT_QEMU:-qemu-system-x86_64}
img=$BUILD/images
kernel=$img/vmlinux
initrd=$img/domu-initramfs.cpio.gz

print_seconds=0
timeout=120
append=""
smp=2
mem=256M
while [ $# -gt 0 ]; do
    case $1 in
    --print-seconds) print_seconds=1 ;;
    --timeout) timeout=${2:?--timeout needs a value}; shift ;;
    --append) append=${2?--append needs a value}; shift ;;
    --smp) smp=${2:?--smp needs a value}; shift ;;
    --mem) mem=${2:?--mem needs a value}; shift ;;
    -h|--help) sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -gt 0 ] || die "--timeout wants whole seconds"
command -v "$QEMU" >/dev/null 2>&1 || die "$QEMU not found (apt-get install qemu-system-x86)"
for f in "$kernel" "$initrd"; do
    [ -f "$f" ] || die "$f missing: run 'make -C images BUILD=$BUILD' first"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/boot-direct.XXXXXX")
fifo=$work/console
mkfifo "$fifo"
if [ "$print_seconds" = 1 ]; then
    log=$BUILD/boot-direct.log
else
    log=$work/log
fi
: >"$log"
qpid=""
cleanup() {
    if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
        kill "$qpid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$qpid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$qpid" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$EPOCHREALTIME
"$QEMU" -accel tcg -M q35 -cpu max -smp "$smp" -m "$mem" \
    -nographic -nodefaults -serial stdio -no-reboot \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 $append" \
    </dev/null >"$fifo" 2>&1 &
qpid=$!
exec 3<"$fifo"

# elapsed: seconds since $start with 2 decimals.
elapsed() {
    local now=$EPOCHREALTIME
    local s=${start%.*} us=${start#*.} n=${now%.*} nus=${now#*.}
    local d=$(( (n - s) * 1000000 + 10#$nus - 10#$us ))
    printf '%d.%02d' $((d / 1000000)) $(( (d % 1000000) / 10000 ))
}

deadline=$(( ${start%.*} + timeout ))
secs="" facts=""
while :; do
    left=$(( deadline - ${EPOCHREALTIME%.*} ))
    [ "$left" -gt 0 ] || break
    if ! IFS= read -r -t "$left" line <&3; then
        # Timeout, or QEMU exited (EOF); a partial last line is in $line.
        [ -n "${line:-}" ] && printf '%s\n' "$line" >>"$log"
        [ -n "${line:-}" ] && [ "$print_seconds" = 0 ] && printf '%s\n' "$line"
        break
    fi
    line=${line%$'\r'}
    printf '%s\n' "$line" >>"$log"
    [ "$print_seconds" = 0 ] && printf '%s\n' "$line"
    case $line in
    *"basalt-guest: init reached"*) [ -n "$secs" ] || secs=$(elapsed) ;;
    *"basalt-guest: hypervisor="*) if [ -n "$secs" ]; then facts=${line#*basalt-guest: }; break; fi ;;
    esac
done

if [ -z "$secs" ]; then
    if kill -0 "$qpid" 2>/dev/null; then
        why="no 'basalt-guest: init reached' within ${timeout}s"
    else
        why="QEMU exited before 'basalt-guest: init reached'"
    fi
    if [ "$print_seconds" = 1 ]; then
        echo "$me: last console lines ($log):" >&2
        tail -n 20 "$log" >&2
    fi
    die "$why"
fi
[ -n "$facts" ] || die "init reached after ${secs}s, but no facts line followed"

if [ "$print_seconds" = 1 ]; then
    echo "$secs"
else
    echo "$me: init reached after ${secs}s ($facts)"
fi
