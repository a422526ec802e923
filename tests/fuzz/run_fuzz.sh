#!/bin/sh
# Short fuzz runs of every target the tree defines (tests/fuzz/*_fuzz.c),
# FUZZ_SECONDS each (default 20): libFuzzer's final statistics as a comment,
# then one "ok"/"not ok" line per target. A run fails on a crash or a
# sanitizer finding (its input is left in build/tests/fuzz/crashes/), and
# when it fuzzed fewer new inputs than its minimum (the replay of the corpus
# it starts from does not count): a target that stops early, or runs too
# slowly to fuzz anything in the time, tests nothing.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=$BUILD/tests/fuzz
SECONDS_EACH=${FUZZ_SECONDS:-20}

# The fewest inputs a run of SECONDS_EACH must fuzz: 500 a second (the
# slowest target, xenstored_wire_fuzz, does about 5000 on an idle host). A
# target that is slower by nature gets its own line here.
min_runs()
{
    case "$1" in
    *) echo $((SECONDS_EACH * 500)) ;;
    esac
}

names=$(cd "$ROOT/tests/fuzz" && ls *_fuzz.c | sed 's/\.c$//')
echo "1..$(echo "$names" | wc -w)"
make -k -s -C "$ROOT/tests/fuzz" BUILD="$BUILD" >"$OUT.build.log" 2>&1 ||
    { echo "# make -C tests/fuzz failed:"; tail -n 30 "$OUT.build.log" | sed 's/^/#   /'; }
mkdir -p "$OUT/crashes"
for name in $names; do
    bin=$OUT/$name
    # Built from this tree's source, or not this tree's target (a failed
    # compile leaves the old program behind).
    if [ ! -x "$bin" ] || ! make -q -s -C "$ROOT/tests/fuzz" BUILD="$BUILD" "$bin" >/dev/null 2>&1; then
        echo "not ok - fuzz $name: not built from the current source (make -C tests/fuzz)"
        continue
    fi
    corpus="$OUT/corpus/$name"
    mkdir -p "$corpus"
    seeds="$ROOT/tests/fuzz/corpus/${name%_fuzz}"
    [ -d "$seeds" ] || seeds=""
    "$bin" -max_total_time="$SECONDS_EACH" -artifact_prefix="$OUT/crashes/$name-" \
        -print_final_stats=1 "$corpus" $seeds >"$OUT/$name.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log")
    replayed=$(sed -n 's/^#\([0-9]*\)[[:space:]]*INITED.*/\1/p' "$OUT/$name.log")
    fuzzed=$((${runs:-0} - ${replayed:-0}))
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$OUT/$name.log")
    new=$(sed -n 's/^stat::new_units_added: *//p' "$OUT/$name.log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$OUT/$name.log")
    echo "# $name: ${runs:-?} inputs (${replayed:-?} of them the corpus) in $SECONDS_EACH s (${rate:-?}/s)," \
        "${new:-?} new in the corpus, peak RSS ${rss:-?} MB"
    want=$(min_runs "$name")
    if [ "$rc" -ne 0 ]; then
        echo "not ok - fuzz $name: exit status $rc (a crash?), see $OUT/$name.log"
        tail -n 30 "$OUT/$name.log" | sed 's/^/#   /'
    elif [ -z "$runs" ] || [ -z "$replayed" ] || [ "$fuzzed" -lt "$want" ]; then
        echo "not ok - fuzz $name: $fuzzed new inputs fuzzed, want at least $want; see $OUT/$name.log"
    else
        echo "ok - fuzz $name ($fuzzed inputs fuzzed in $SECONDS_EACH s)"
    fi
done
