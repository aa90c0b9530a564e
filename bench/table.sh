#!/bin/bash
# `make bench`: runs the speed benchmarks of issue 13 and prints one table (figure, target, now,
# met or not) in Markdown, as docs/BENCHMARKS.md ("Speed: the table") shows it.
#   - offline import of generated people (~30 % duplicates) at each of SIZES records:
#     wall, CPU (user + sys), peak RSS (/usr/bin/time), bytes on disk per record, and the
#     CPU per record at the largest size against the smallest (cost growth);
#   - with wrk installed: profile reads by id at 32 connections alone and while 4 connections
#     upsert single records (bench/read_write.sh) on the largest store.
# Not run here (they need Node-RED and nginx, see docs/BENCHMARKS.md): bench/flows.sh,
# bench/profiles.sh. Usage: bench/table.sh   (SIZES="100000 1000000" AURUM=build/aurum)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-100000 1000000}
AURUM=${AURUM:-build/aurum}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
[ -x "$AURUM" ] || make -s all

row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }
met() { # awk condition on $1 -> "met" / "not met"
    awk -v v="$1" "BEGIN { exit !($2) }" && echo met || echo "**not met**"
}

declare -A WALL CPU RSS DISK
for n in $SIZES; do
    if [ ! -f "$OUT/gen-$n/people.csv" ]; then
        "$AURUM" gen --single-source --records "$n" --seed 7 --out "$OUT/gen-$n" >/dev/null 2>&1
    fi
    rm -rf "$OUT/data-$n"
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/import-$n.time" "$AURUM" import \
        --data "$OUT/data-$n" --config "$OUT/gen-$n/people.yaml" --source people \
        "$OUT/gen-$n/people.csv" >/dev/null 2>&1
    read -r wall user sys rss <"$OUT/import-$n.time"
    WALL[$n]=$wall
    CPU[$n]=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
    RSS[$n]=$((rss / 1024))
    DISK[$n]=$(($(du -sb "$OUT/data-$n" | cut -f1) / n))
done

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores; wall times under load are not comparable)"
echo
row "figure" "target" "now" "met"
row "---" "---" "---" "---"
for n in $SIZES; do
    c=bench/import.sh
    row "import $n records: wall ($c $n)" "1 M ≤ 15 s" "${WALL[$n]} s" \
        "$([ "$n" = 1000000 ] && met "${WALL[$n]}" 'v <= 15' || echo '—')"
    row "import $n records: CPU user + sys" "—" "${CPU[$n]} s" "—"
    row "import $n records: peak RSS" "< 1 GB" "${RSS[$n]} MB" "$(met "${RSS[$n]}" 'v < 1024')"
    row "import $n records: bytes on disk per record" "≤ 600" "${DISK[$n]}" \
        "$(met "${DISK[$n]}" 'v <= 600')"
done
set -- $SIZES
first=$1
last=${!#}
if [ "$first" != "$last" ]; then
    ratio=$(awk -v a="${CPU[$first]}" -v b="${CPU[$last]}" -v na="$first" -v nb="$last" \
        'BEGIN { printf "%.2f", (b / nb) / (a / na) }')
    # The issue's figure is 5 M against 1 M; SIZES="1000000 5000000" measures it (≈ 10 GB).
    row "CPU per record at $last / at $first" "≤ 1.3 (issue: 5 M against 1 M)" "$ratio×" \
        "$(met "$ratio" 'v <= 1.3') (at $last / $first)"
fi
if command -v wrk >/dev/null; then
    BENCH_OUT="$OUT" bench/read_write.sh "$OUT/data-$last" 10 >"$OUT/read_write.txt" 2>&1 || true
    alone=$(grep 'reads alone' "$OUT/read_write.txt" || echo "failed: see $OUT/read_write.txt")
    mixed=$(grep 'reads while' "$OUT/read_write.txt" || echo "failed")
    writes=$(grep 'upserts' "$OUT/read_write.txt" || echo "failed")
    p99() { sed -n 's/.*p99 \([0-9.]*\)ms.*/\1/p' <<<"$1"; }
    row "profile reads alone (bench/read_write.sh)" "≥ 0.8× nginx (bench/profiles.sh)" \
        "${alone#*: }" "see bench/profiles.sh"
    row "profile reads while writing" "p99 ≤ 5 ms" "${mixed#*: }" "$(met "$(p99 "$mixed")" 'v != "" && v <= 5')"
    row "single-record upserts beside them" "p99 ≤ 10 ms" "${writes#*: }" "$(met "$(p99 "$writes")" 'v != "" && v <= 10')"
else
    row "profile reads (bench/read_write.sh)" "p99 ≤ 5 ms while writing" "not run: no wrk" "—"
fi
row "flows, single events (bench/flows.sh 30000 32 1)" "≥ 10× Node-RED" "not run here (Node-RED)" "—"
