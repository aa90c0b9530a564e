#!/bin/bash
# What the audit log costs (docs/BENCHMARKS.md, "Audit log"): the same generated records are
# imported by two builds (CPU seconds compared), then both daemons serve profile reads by id,
# interleaved, while the script reads each daemon's CPU time (/proc/PID/stat) around each run.
# Usage: bench/audit.sh BASE_BIN NEW_BIN [RECORDS] (default 100000; BASE_BIN: a build without
# the audit log, e.g. of the commit before it in another worktree).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=$1
NEW=$2
N=${3:-100000}
OUT=${BENCH_OUT:-bench/out}/audit
ROUNDS=${ROUNDS:-4}
mkdir -p "$OUT"
cc -O2 -o "$OUT/read_rate" bench/read_rate.c -lcurl -lpthread
[ -f "$OUT/gen/people.csv" ] || "$NEW" gen --single-source --records "$N" --seed 7 --out "$OUT/gen" >/dev/null
export AURUM_ADMIN_KEY=bench$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
port=18810
for v in base new; do
    bin=$BASE
    [ "$v" = new ] && bin=$NEW
    rm -rf "$OUT/data-$v"
    /usr/bin/time -f "$v import: wall %e s, user %U s, sys %S s, peak RSS %M KB" \
        "$bin" import --data "$OUT/data-$v" --config "$OUT/gen/people.yaml" --source people \
        "$OUT/gen/people.csv" 2>&1 >/dev/null | tail -1
    "$bin" serve --data "$OUT/data-$v" --config "$OUT/gen/people.yaml" \
        --listen "127.0.0.1:$port" >"$OUT/$v.log" 2>&1 &
    PIDS+=($!)
    port=$((port + 1))
done
sleep 3
TCK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for r in $(seq "$ROUNDS"); do
    for i in 0 1; do
        p=${PIDS[$i]}
        c0=$(cpu "$p")
        line=$("$OUT/read_rate" $((18810 + i)) "$AURUM_ADMIN_KEY" 4 10000 20000)
        c1=$(cpu "$p")
        ms=$(((c1 - c0) * 1000 / TCK))
        echo "$([ "$i" = 0 ] && echo base || echo new) round $r: $line; daemon CPU $ms ms," \
            "$(awk -v m="$ms" 'BEGIN { printf "%.1f", m * 1000 / 40000 }') us/request"
    done
done
# HTTP ingest: the same file posted to a fresh daemon of each build (a request's writes are
# logged with their profiles, looked up per record on the writer).
for v in base new; do
    bin=$BASE
    [ "$v" = new ] && bin=$NEW
    rm -rf "$OUT/http-$v"
    "$bin" serve --data "$OUT/http-$v" --config "$OUT/gen/people.yaml" \
        --listen "127.0.0.1:18820" >"$OUT/http-$v.log" 2>&1 &
    p=$!
    PIDS+=($p)
    sleep 2
    c0=$(cpu "$p")
    /usr/bin/time -f "$v HTTP import: wall %e s" "$bin" import --server http://127.0.0.1:18820 \
        --key "$AURUM_ADMIN_KEY" --source people "$OUT/gen/people.csv" 2>&1 >/dev/null | tail -1
    c1=$(cpu "$p")
    echo "$v HTTP import: daemon CPU $(((c1 - c0) * 1000 / TCK)) ms"
    kill "$p"
    wait "$p" 2>/dev/null || true
done
uptime
