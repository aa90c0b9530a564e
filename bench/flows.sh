#!/bin/bash
# Benchmark: event -> condition -> mapping -> HTTP delivery, Aurum and Node-RED side by side in
# one run, against the same receiver and the same load (bench/flows_bench.c: it posts N events
# from CONNS keep-alive clients and is itself the HTTP target, measuring throughput from the
# first post to the last delivery and the event -> delivery latency of every event).
# Aurum: POST /v1/events (committed, fsync'd) -> flow hook writes the run and the outbox row in
# the same transaction -> delivery workers -> receiver; the outcome is committed too.
# Node-RED (bench/node-red, npm ci): http in -> function (same condition + mapping) -> http
# request, answering the event at once with http response; nothing is persisted.
# Usage: bench/flows.sh [EVENTS] [CONNS] [BATCH]   (BATCH: events per request, same for both)
# Prints the CPU time (user + sys) each server used per event, from /proc/PID/stat.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
CONNS=${2:-32}
BATCH=${3:-1}
OUT=${BENCH_OUT:-bench/out}
AURUM=${AURUM:-build/aurum}
make -s all
mkdir -p "$OUT" build
cc -O2 -std=c11 -D_GNU_SOURCE -o build/flows_bench bench/flows_bench.c \
    $(pkg-config --cflags --libs libmicrohttpd libcurl) -lpthread
[ -d bench/node-red/node_modules/node-red ] || (cd bench/node-red && npm ci --no-audit --no-fund)
# CPU seconds (user + sys) a process has used so far, from /proc/PID/stat (less sensitive to the
# load of a shared machine than wall-clock throughput).
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
per_event() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TMP=$(mktemp -d /tmp/aurum-flowbench-XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -TERM $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

# --- Aurum ---------------------------------------------------------------------------------
RPORT=$(free_port)
export AURUM_ADMIN_KEY="au_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The receiver is on loopback: the outbound policy refuses it unless allowed.
echo 'outbound: {allow: [loopback]}' >"$TMP/aurum.yaml"
"$AURUM" serve --config "$TMP/aurum.yaml" --data "$TMP/aurum" --listen 127.0.0.1:0 --port-file "$TMP/port" \
    2>"$OUT/flows_aurum.log" &
PIDS+=($!)
APID=$!
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$TMP/port")"
cat >"$TMP/flow.yaml" <<YAML
trigger: {event: {type: order}}
condition: event.properties.amount > 0
steps:
  - id: deliver
    http:
      url: "http://127.0.0.1:$RPORT/orders"
      body:
        order: "{{ event.id }}"
        customer: "{{ event.customer.record }}"
        total: "{{ event.properties.amount * 1.2 }}"
        sent_us: "{{ event.properties.sent_us }}"
concurrency: 64
YAML
curl -sf -X PUT -H "Authorization: Bearer $AURUM_ADMIN_KEY" -H 'Content-Type: application/yaml' \
    --data-binary @"$TMP/flow.yaml" "$URL/v1/flows/bench" >/dev/null
echo "== Aurum: $N events, $CONNS clients, $BATCH per request"
C0=$(cpu_s $APID)
build/flows_bench "$RPORT" "$URL/v1/events" "$N" "$CONNS" "$BATCH" "$AURUM_ADMIN_KEY" | tee "$OUT/flows_aurum.txt"
C1=$(cpu_s $APID)
echo "daemon CPU: $(awk -v a=$C0 -v b=$C1 'BEGIN{printf "%.2f", b-a}') s, $(per_event $C0 $C1) us per event" |
    tee -a "$OUT/flows_aurum.txt"
curl -s -H "Authorization: Bearer $AURUM_ADMIN_KEY" "$URL/metrics" |
    grep -E '^aurum_flow_(deliveries|retries|dead_letters)_total' || true

[ "${NODE_RED:-1}" = 0 ] && exit 0   # NODE_RED=0: Aurum alone (profiling runs)
# --- Node-RED ------------------------------------------------------------------------------
RPORT=$(free_port)
NPORT=$(free_port)
mkdir -p "$TMP/nr"
sed "s/@RPORT@/$RPORT/" bench/node-red/flows.json >"$TMP/nr/flows.json"
node bench/node-red/node_modules/node-red/red.js -u "$TMP/nr" -p "$NPORT" "$TMP/nr/flows.json" \
    >"$OUT/flows_node_red.log" 2>&1 &
PIDS+=($!)
NPID=$!
for _ in $(seq 1 200); do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' \
        "http://127.0.0.1:$NPORT/events" && break
    sleep 0.1
done
echo "== Node-RED $(node -p 'require("./bench/node-red/node_modules/node-red/package.json").version'): $N events, $CONNS clients, $BATCH per request"
C0=$(cpu_s $NPID)
build/flows_bench "$RPORT" "http://127.0.0.1:$NPORT/events" "$N" "$CONNS" "$BATCH" | tee "$OUT/flows_node_red.txt"
C1=$(cpu_s $NPID)
echo "node CPU: $(awk -v a=$C0 -v b=$C1 'BEGIN{printf "%.2f", b-a}') s, $(per_event $C0 $C1) us per event" |
    tee -a "$OUT/flows_node_red.txt"
