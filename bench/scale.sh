#!/bin/bash
# Cost as the work grows (issue 13): `aurum import` of generated people (aurum gen
# --single-source --seed 7, ~30 % duplicates, FEBRL-style errors) at each of SIZES records into
# a fresh data directory, under /usr/bin/time -v. Prints one Markdown row per size: wall, CPU
# (user + sys), peak RSS, bytes on disk per record (database + WAL once the import has closed
# the store, which checkpoints), CPU per record; then the CPU per record of each size against the
# 1 M one (target: 5 M within 1.3x) and the load average.
# Usage: bench/scale.sh   (SIZES="100000 1000000 5000000" AURUM=build/aurum BENCH_OUT=bench/out)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-100000 1000000 5000000}
AURUM=${AURUM:-build/aurum}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
[ -x "$AURUM" ] || make -s all

declare -A CPU
echo "| records | wall s | CPU s (user+sys) | peak RSS MB | disk B/record | CPU µs/record | load at end |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for n in $SIZES; do
    if [ ! -f "$OUT/gen-$n/people.csv" ]; then
        "$AURUM" gen --single-source --records "$n" --seed 7 --out "$OUT/gen-$n" >/dev/null 2>&1
    fi
    rm -rf "$OUT/data-$n"
    /usr/bin/time -v -o "$OUT/scale-$n.time" "$AURUM" import --data "$OUT/data-$n" \
        --config "$OUT/gen-$n/people.yaml" --source people "$OUT/gen-$n/people.csv" \
        >"$OUT/scale-$n.log" 2>&1
    t=$OUT/scale-$n.time
    wall=$(awk -F': ' '/Elapsed/ { n = split($2, a, ":"); s = 0;
        for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' "$t")
    user=$(awk -F': ' '/User time/ { print $2 }' "$t")
    sys=$(awk -F': ' '/System time/ { print $2 }' "$t")
    rss=$(awk -F': ' '/Maximum resident/ { printf "%d", $2 / 1024 }' "$t")
    bytes=$({ stat -c %s "$OUT/data-$n"/aurum.db "$OUT/data-$n"/aurum.db-wal 2>/dev/null ||
        true; } | awk '{ s += $1 } END { print s }')
    CPU[$n]=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
    us=$(awk -v c="${CPU[$n]}" -v n="$n" 'BEGIN { printf "%.1f", c * 1e6 / n }')
    echo "| $n | $wall | ${CPU[$n]} | $rss | $((bytes / n)) | $us | $(cut -d' ' -f1-3 /proc/loadavg) |"
done
if [ -n "${CPU[1000000]:-}" ]; then
    for n in $SIZES; do
        [ "$n" = 1000000 ] && continue
        awk -v a="${CPU[1000000]}" -v b="${CPU[$n]}" -v n="$n" 'BEGIN {
            printf "CPU per record at %d / at 1000000: %.2fx\n", n, (b / n) / (a / 1e6) }'
    done
fi
