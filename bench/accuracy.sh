#!/bin/bash
# Benchmark: identity-resolution accuracy on the generated Northwind set through the real
# pipeline - `aurum gen` writes the six systems, truth.csv and the mapping config; `aurum import`
# loads every system into a fresh data directory (default configuration, the generated mapping
# only); `aurum eval` scores the profiles. With traps (the default), also the errors per trap
# kind from traps.csv. Prints the records refused by the mapping per system.
# Usage: bench/accuracy.sh [PEOPLE] [traps|clean] [SEED]
#   bench/accuracy.sh 7500 traps 20    # ~20,000 records, the set of resolve_pipeline/northwind_traps_20k
#   bench/accuracy.sh 38000 traps      # ~100,000 records with traps
#   bench/accuracy.sh 38000 clean      # ~100,000 records without (resolve_pipeline/northwind_multi_source)
# KEEP_RAW=1 adds `on_invalid: keep_raw` to every source: dirty values kept as raw only instead
# of refusing the record (what quarantine will do), to see the matcher apart from the refusals.
set -euo pipefail
cd "$(dirname "$0")/.."
PEOPLE=${1:-7500}
MODE=${2:-traps}
SEED=${3:-20}
OUT=${BENCH_OUT:-bench/out}
AURUM=${AURUM:-build/aurum}
SYSTEMS="crm webshop pos billing collections support"
DIR="$OUT/accuracy-$MODE-$PEOPLE-$SEED"
FLAG=""
[ "$MODE" = traps ] && FLAG="--traps"
mkdir -p "$OUT"
make -s all
rm -rf "$DIR"
mkdir -p "$DIR"
"$AURUM" gen --people "$PEOPLE" --seed "$SEED" $FLAG --out "$DIR/gen" 2>&1 | tail -n 2
CONFIG="$DIR/gen/northwind.yaml"
if [ "${KEEP_RAW:-0}" = 1 ]; then
    sed 's/^    country: GB$/    country: GB\n    on_invalid: keep_raw/' "$CONFIG" >"$DIR/keep_raw.yaml"
    CONFIG="$DIR/keep_raw.yaml"
fi
for s in $SYSTEMS; do
    printf '%-12s ' "$s"
    "$AURUM" import --data "$DIR/data" --config "$CONFIG" --source "$s" "$DIR/gen/$s.csv" 2>&1 |
        grep -E '^read ' || true
done
TRAPS=""
[ "$MODE" = traps ] && TRAPS="--traps $DIR/gen/traps.csv"
"$AURUM" eval --data "$DIR/data" --truth "$DIR/gen/truth.csv" $TRAPS
