#!/bin/bash
# Profile reads while single records are upserted (docs/BENCHMARKS.md, "Speed"): a daemon on a
# COPY of DATA_DIR (the store is not changed), wrk reading random profiles by id at 32
# connections alone, then the same reads while 4 connections upsert one new record per request
# (bench/ingest_batch.lua, BATCH=1). Prints reads/s, read p50/p99, writes/s, write p99.
# Also prints the daemon's CPU time (user + sys from /proc) per request of each phase: on the
# shared 2-core machine wall-clock figures move with the load, CPU per request much less.
# Usage: bench/read_write.sh DATA_DIR [SECONDS]   (AURUM=other/build/aurum to compare builds)
# PERF=1 records `perf record -g` of the daemon during the mixed phase into $OUT/perf.data.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:?usage: bench/read_write.sh DATA_DIR [SECONDS]}
DUR=${2:-10}
AURUM=${AURUM:-build/aurum}
OUT=${BENCH_OUT:-bench/out}/read_write
PORT=${PORT:-18390}
KEY=bench$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
command -v wrk >/dev/null || { echo "read_write.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
cp -r "$SRC" "$OUT/data"
rm -f "$OUT/data/aurum.lock"
sqlite3 "$OUT/data/aurum.db" \
    "SELECT profile FROM assignments GROUP BY profile ORDER BY random() LIMIT 20000" >"$OUT/ids.txt"
{
    echo "local items = {}"
    sed 's/.*/items[#items+1] = "&"/' "$OUT/ids.txt"
    echo "local n = #items"
    echo "request = function() return wrk.format(nil, \"/v1/profiles/\" .. items[math.random(n)]) end"
} >"$OUT/by_id.lua"
AURUM_ADMIN_KEY=$KEY "$AURUM" serve --data "$OUT/data" --config bench/people.yaml \
    --listen 127.0.0.1:$PORT 2>"$OUT/daemon.log" &
DPID=$!
trap 'kill $DPID 2>/dev/null || true' EXIT
for _ in $(seq 3000); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
cpu_ticks() { awk '{print $14 + $15}' "/proc/$DPID/stat"; }
reads() {
    wrk -t2 -c32 -d"${DUR}s" --latency -H "Authorization: Bearer $KEY" -s "$OUT/by_id.lua" \
        "http://127.0.0.1:$PORT" >"$OUT/$1.txt"
}
summary() { # FILE LABEL: latencies in ms whatever unit wrk chose
    awk -v l="$2" 'function ms(t) { if (t ~ /us$/) return t / 1000; if (t ~ /ms$/) return t + 0;
                                   return t * 1000 }
        /Requests\/sec/ {r=$2} /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)}
        END {printf "%s: %s req/s, p50 %.2fms, p99 %.2fms\n", l, r, p50, p99}' "$1"
}
C0=$(cpu_ticks)
reads alone
C1=$(cpu_ticks)
BATCH=1 AURUM_KEY=$KEY wrk -t1 -c4 -d"$((DUR + 2))s" --latency -s bench/ingest_batch.lua \
    "http://127.0.0.1:$PORT" >"$OUT/writes.txt" &
WPID=$!
sleep 1
PPID_=""
if [ -n "${PERF:-}" ]; then
    perf record ${PERF_OPTS:--g} -o "$OUT/perf.data" -p $DPID -- sleep "$DUR" 2>"$OUT/perf.log" &
    PPID_=$!
fi
C2=$(cpu_ticks)
reads mixed
C3=$(cpu_ticks)
wait $WPID
[ -n "$PPID_" ] && wait $PPID_
summary "$OUT/alone.txt" "reads alone, 32 connections"
summary "$OUT/mixed.txt" "reads while writing, 32 connections"
summary "$OUT/writes.txt" "single-record upserts, 4 connections"
HZ=$(getconf CLK_TCK)
count() { awk '/requests in/ {print $1}' "$1"; }
awk -v c="$((C1 - C0))" -v hz="$HZ" -v n="$(count "$OUT/alone.txt")" \
    'BEGIN {printf "daemon CPU, reads alone: %.1f s, %.0f us per read\n", c / hz, c / hz / n * 1e6}'
awk -v c="$((C3 - C2))" -v hz="$HZ" -v n="$(count "$OUT/mixed.txt")" -v w="$(count "$OUT/writes.txt")" \
    -v d="$DUR" 'BEGIN {printf "daemon CPU, mixed: %.1f s, %.0f us per request (reads + ~%d%% of the writes)\n",
                        c / hz, c / hz / (n + w * d / (d + 2)) * 1e6, 100 * d / (d + 2)}'
echo "load: $(uptime | sed 's/.*load average: //')"
