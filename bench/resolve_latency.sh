#!/bin/bash
# Benchmark: single-record upsert latency with resolution, against a store that already holds
# N resolved records (the data directory bench/resolve.sh N leaves behind). Starts the daemon on
# it, then wrk with one connection sends one record per request (each is resolved, persisted and
# committed with fsync before the answer) and reports p50 / p99.
# Usage: bench/resolve_latency.sh [RECORDS] [DURATION_S] (defaults 1000000, 20).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DUR=${2:-20}
OUT=${BENCH_OUT:-bench/out}
AURUM=${AURUM:-build/aurum}
[ -d "$OUT/resolve-$N" ] || { echo "run bench/resolve.sh $N first" >&2; exit 1; }
export AURUM_ADMIN_KEY="au_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
START=$(date +%s.%N)
"$AURUM" serve --config "$OUT/gen-$N/people.yaml" --data "$OUT/resolve-$N" \
    --listen 127.0.0.1:0 --port-file "$OUT/resolve-$N/port" 2>"$OUT/resolve_latency.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for _ in $(seq 1 1200); do [ -s "$OUT/resolve-$N/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$OUT/resolve-$N/port")"
until curl -sf "$URL/healthz" >/dev/null; do sleep 0.1; done
echo "daemon ready after $(echo "$(date +%s.%N) - $START" | bc) s (restores $N records)"
ps -o rss= -p $PID | awk '{printf "daemon RSS after start-up: %d MB\n", $1 / 1024}'
export AURUM_KEY=$AURUM_ADMIN_KEY
wrk -t1 -c1 -d"${DUR}s" --latency -s bench/resolve_latency.lua "$URL" |
    grep -E 'Requests/sec|50%|75%|90%|99%|requests in|Non-2xx'
