#!/bin/bash
# Benchmark: identity resolution of a fresh load. `aurum import` of N generated person records
# (single source, ~30 % duplicates) into a fresh data directory resolves every record as it is
# written (import + resolve + persist in one pass); then `aurum eval` scores the profiles against
# the generator's truth. Prints wall time, CPU, peak RSS and pairwise / B-cubed F1.
# Usage: bench/resolve.sh [RECORDS] (default 1000000). BENCH_OUT sets the work directory.
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
rm -rf "$OUT/resolve-$N"
/usr/bin/time -f 'wall %e s, user %U s, sys %S s, peak RSS %M KB' \
    "$AURUM" import --data "$OUT/resolve-$N" --config "$OUT/gen-$N/people.yaml" \
    --source people "$OUT/gen-$N/people.csv" 2>"$OUT/resolve-$N.time" | tail -n 1
grep -E '^wall ' "$OUT/resolve-$N.time"
sqlite3 "$OUT/resolve-$N/aurum.db" \
    "SELECT count(*) || ' records in ' || count(DISTINCT profile) || ' profiles' FROM assignments"
"$AURUM" eval --data "$OUT/resolve-$N" --truth "$OUT/gen-$N/truth.csv"
