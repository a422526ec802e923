#!/bin/sh
# Short fuzz runs of every target (FUZZ_SECONDS each, default 20): one
# "ok"/"not ok" line per target. A crash leaves its input in build/tests/fuzz/crashes/.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=$BUILD/tests/fuzz
SECONDS_EACH=${FUZZ_SECONDS:-20}
make -s -C "$ROOT/tests/fuzz" BUILD="$BUILD" >/dev/null || { echo "not ok - fuzz build: make failed"; exit 1; }
mkdir -p "$OUT/crashes"
for bin in "$OUT"/*_fuzz; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus="$OUT/corpus/$name"
    mkdir -p "$corpus"
    seeds="$ROOT/tests/fuzz/corpus/${name%_fuzz}"
    [ -d "$seeds" ] || seeds=""
    if "$bin" -max_total_time="$SECONDS_EACH" -artifact_prefix="$OUT/crashes/$name-" \
        -print_final_stats=0 "$corpus" $seeds >"$OUT/$name.log" 2>&1; then
        echo "ok - fuzz $name ($SECONDS_EACH s)"
    else
        echo "not ok - fuzz $name: crash, see $OUT/$name.log"
        tail -n 30 "$OUT/$name.log"
    fi
done
