#!/bin/bash
# Benchmark: bulk business-event ingest over HTTP. Generates the Northwind set (PEOPLE people,
# seed 42, with events), starts the daemon on a free loopback port with a fresh data directory,
# imports every system's records, then times POST /v1/events of all events in requests of
# BATCH events (NDJSON; every request is one committed, fsync'd write). Prints events/s and the
# daemon's CPU time for the event phase.
# Compare two builds with AURUM=path/to/aurum (the linked-customer check of each new event,
# docs/PROFILES.md "Events that belong to nobody", was measured this way).
# Usage: bench/events_ingest.sh [PEOPLE] [BATCH]
set -euo pipefail
cd "$(dirname "$0")/.."
PEOPLE=${1:-20000}
BATCH=${2:-5000}
AURUM=${AURUM:-build/aurum}
[ -x "$AURUM" ] || make -s all
WORK=$(mktemp -d /tmp/aurum-bench-XXXXXX)
trap 'kill $PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$AURUM" gen --people "$PEOPLE" --seed 42 --events --out "$WORK/gen" >/dev/null
export AURUM_ADMIN_KEY="au_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$AURUM" serve --config "$WORK/gen/northwind.yaml" --data "$WORK/store" --listen 127.0.0.1:0 \
    --port-file "$WORK/port" 2>"$WORK/aurum.log" &
PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$WORK/port")"
for s in crm webshop pos billing collections support; do
    "$AURUM" import --server "$URL" --key "$AURUM_ADMIN_KEY" --config "$WORK/gen/northwind.yaml" \
        --source "$s" "$WORK/gen/$s.csv" >/dev/null 2>&1
done
split -l "$BATCH" "$WORK/gen/events.jsonl" "$WORK/chunk."
N=$(wc -l <"$WORK/gen/events.jsonl")
# The daemon's CPU time (user + system, in clock ticks) around the event phase: steadier than
# wall time on a shared machine.
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
C0=$(cpu)
T0=$(date +%s.%N)
for c in "$WORK"/chunk.*; do
    curl -fsS -o /dev/null -H "Authorization: Bearer $AURUM_ADMIN_KEY" \
        -H 'Content-Type: application/x-ndjson' --data-binary @"$c" "$URL/v1/events"
done
T1=$(date +%s.%N)
C1=$(cpu)
awk -v n="$N" -v t0="$T0" -v t1="$T1" -v cpu="$((C1 - C0))" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%d events in %.2f s: %.0f events/s; daemon CPU %.2f s (%.1f us/event)\n",
            n, t1 - t0, n / (t1 - t0), cpu / hz, cpu / hz / n * 1e6}'
