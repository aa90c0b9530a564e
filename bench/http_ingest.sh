#!/bin/bash
# Benchmark: HTTP ingest. Starts the daemon on a free loopback port with a fresh data directory
# and the bench/people.yaml source, then runs wrk twice: batches of 100 records per request and
# single-record upserts. Every request is a committed (fsync'd) write.
# Usage: bench/http_ingest.sh [DURATION_S] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-15}
CONN=${2:-32}
OUT=${BENCH_OUT:-bench/out}
AURUM=${AURUM:-build/aurum}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
make -s all
mkdir -p "$OUT"
DATA=$(mktemp -d /tmp/aurum-bench-XXXXXX)
export AURUM_ADMIN_KEY="au_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$AURUM" serve --config bench/people.yaml --data "$DATA" --listen 127.0.0.1:0 \
    --port-file "$DATA/port" 2>"$OUT/http_ingest.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do [ -s "$DATA/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$DATA/port")"
export AURUM_KEY=$AURUM_ADMIN_KEY
echo "== batches of 100 records, $CONN connections, ${DUR}s"
BATCH=100 wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s bench/ingest_batch.lua "$URL" |
    grep -E 'Requests/sec|Latency|50%|99%|requests in|Non-2xx'
echo "== single-record upserts, $CONN connections, ${DUR}s"
BATCH=1 wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s bench/ingest_batch.lua "$URL" |
    grep -E 'Requests/sec|Latency|50%|99%|requests in|Non-2xx'
curl -s -H "Authorization: Bearer $AURUM_KEY" "$URL/metrics" | grep -E '^aurum_engine_(commits|jobs)' || true
