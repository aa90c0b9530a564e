#!/bin/bash
# Benchmark: several `aurum serve` nodes on one PostgreSQL (docs/POSTGRES.md, "Several nodes").
# Starts a PostgreSQL 15 server in a temporary directory (fsync on, as in production), then for
# 1, 2 and 3 nodes on a fresh database each: starts the nodes, runs one wrk per node for
# DURATION seconds (CONNECTIONS split between them, batches of BATCH new records per request,
# bench/ingest_batch.lua with an id prefix per node), and prints requests/s and records/s over
# all nodes, the latency of each node's wrk (p50, p99), and the CPU seconds (user+sys) the nodes
# and the PostgreSQL server used. Last, the same single-node run on the SQLite store (no
# --store), for the comparison. Every request is a committed write.
#
# This machine has 2 cores shared with other work: they bound every figure, and more nodes
# on the same 2 cores cannot add CPU, they can only show what the serialised decisions cost.
# Usage: bench/nodes.sh [DURATION_S] [CONNECTIONS] [BATCH]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-15}
CONN=${2:-12}
BATCH=${3:-10}
AURUM=${AURUM:-$PWD/build/aurum}
PGBIN=/usr/lib/postgresql/15/bin
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
[ -x "$PGBIN/postgres" ] || { echo "PostgreSQL 15 is not installed (scripts/deps.sh)" >&2; exit 1; }
[ -x "$AURUM" ] || make -s all

TMP=$(mktemp -d /tmp/aurum-bench-nodes-XXXXXX)
PIDS=()
PGPID=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$PGPID" ] && kill -INT "$PGPID" 2>/dev/null && sleep 1
    rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres "$TMP"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PGBIN/initdb" -D "$TMP/pg" -U postgres -A trust >/dev/null
as_pg "$PGBIN/postgres" -D "$TMP/pg" -p "$PGPORT" -k "$TMP" -h 127.0.0.1 >"$TMP/pg.log" 2>&1 &
PGPID=$!
for _ in $(seq 1 100); do
    psql -h 127.0.0.1 -p "$PGPORT" -U postgres -c 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
done

export AURUM_ADMIN_KEY="au_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export AURUM_KEY=$AURUM_ADMIN_KEY

# CPU seconds (user+sys, reaped children included) of a process, from /proc.
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"
}

# Starts a node: store URI or "" (SQLite in its data dir); appends its pid to PIDS and its
# URL to URLS (not through $(...): the daemon would hold the substitution's pipe open).
start_node() {
    local store=$1 dir
    dir=$(mktemp -d "$TMP/node-XXXXXX")
    local args=(serve --config bench/people.yaml --data "$dir" --listen 127.0.0.1:0
        --port-file "$dir/port")
    [ -n "$store" ] && args+=(--store "$store")
    "$AURUM" "${args[@]}" >/dev/null 2>"$dir/log" &
    PIDS+=($!)
    for _ in $(seq 1 400); do [ -s "$dir/port" ] && break; sleep 0.05; done
    URLS+=("http://127.0.0.1:$(cat "$dir/port")")
}

# One run: N nodes on `store` ("" = SQLite, one node). Prints one line of results.
run() {
    local n=$1 store=$2 label=$3 wrks=() i
    PIDS=()
    URLS=()
    for i in $(seq 1 "$n"); do start_node "$store"; done
    local pg0 c
    pg0=$(cpu_s "$PGPID")
    c=$((CONN / n))
    for i in $(seq 0 $((n - 1))); do
        ID_PREFIX="n$i" BATCH=$BATCH wrk -t1 -c"$c" -d"${DUR}s" --latency \
            -s bench/ingest_batch.lua "${URLS[$i]}" >"$TMP/wrk$i" 2>&1 &
        wrks+=($!)
    done
    wait "${wrks[@]}"
    local aur=0
    for p in "${PIDS[@]}"; do aur=$(echo "$aur + $(cpu_s "$p")" | bc -l); done
    for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" 2>/dev/null || true; done
    local pg1
    pg1=$(cpu_s "$PGPID")
    local rps=0 non2xx=0 lat=""
    for i in $(seq 0 $((n - 1))); do
        rps=$(echo "$rps + $(awk '/Requests\/sec/ { print $2 }' "$TMP/wrk$i")" | bc -l)
        non2xx=$((non2xx + $(awk '/Non-2xx/ { print $NF }' "$TMP/wrk$i" | grep . || echo 0)))
        lat="$lat $(awk '$1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } END { printf "%s/%s", p50, p99 }' "$TMP/wrk$i")"
    done
    printf '%-26s nodes=%d req/s=%.0f records/s=%.0f p50/p99 per node:%s non-2xx=%d cpu_s aurum=%.1f postgres=%.1f load:%s\n' \
        "$label" "$n" "$rps" "$(echo "$rps * $BATCH" | bc -l)" "$lat" "$non2xx" "$aur" \
        "$(echo "$pg1 - $pg0" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "== ${DUR}s per run, $CONN connections in all, batches of $BATCH records; 2 cores, shared"
for n in 1 2 3; do
    psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE b$n" >/dev/null
    run "$n" "postgres://postgres@127.0.0.1:$PGPORT/b$n" "postgres"
done
run 1 "" "sqlite"
