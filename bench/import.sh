#!/bin/bash
# Benchmark: `aurum import` of N generated person records (~30 % duplicates) into a fresh data
# directory. Prints records/s and peak RSS. Usage: bench/import.sh [RECORDS] (default 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
OUT=${BENCH_OUT:-bench/out}
AURUM=${AURUM:-build/aurum}
mkdir -p "$OUT"
make -s all
if [ ! -f "$OUT/gen-$N/people.csv" ]; then
    "$AURUM" gen --single-source --records "$N" --seed 7 --out "$OUT/gen-$N" >/dev/null
fi
rm -rf "$OUT/data-$N"
/usr/bin/time -v "$AURUM" import --data "$OUT/data-$N" --config "$OUT/gen-$N/people.yaml" \
    --source people "$OUT/gen-$N/people.csv" 2>"$OUT/import-$N.time" | tail -n 3
grep -E 'Elapsed|Maximum resident' "$OUT/import-$N.time"
grep -E '^read ' "$OUT/import-$N.time" || true
