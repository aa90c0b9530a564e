#!/bin/bash
# `make bench`: runs the speed benchmarks of issue 13 and prints one table (figure, target, now,
# met or not) in Markdown, as docs/BENCHMARKS.md ("Speed on two cores") shows it. Everything in
# the table comes from this one run, so the ratios compare servers measured minutes apart:
#   - offline import of generated people (aurum gen --single-source --seed 7, ~30 % duplicates)
#     at each of SIZES records into a fresh data directory: wall, CPU (user + sys), peak RSS
#     (/usr/bin/time), bytes on disk per record, and the CPU per record of 5 M against 1 M
#     (cost growth; without both sizes, of the largest against the smallest);
#   - on the 1 M store (the largest below 5 M): profile reads by id at 32 connections alone and
#     while 4 connections upsert single records (bench/read_write.sh, on a copy of the store);
#     nginx serving a profile's JSON as a static file and upsert-to-visible latency at 2,000
#     upserts/s (bench/profiles.sh, which also installs nginx when missing);
#   - event -> condition -> mapping -> HTTP delivery, single events per request, Aurum and
#     Node-RED against the same receiver (bench/flows.sh 30000 32 1; Node-RED from the npm lock).
# The raw outputs stay in BENCH_OUT (bench/out). Nothing here is a test: no figure fails a build.
# Usage: bench/table.sh   (SIZES="100000 1000000 5000000" AURUM=build/aurum BENCH_OUT=bench/out;
#                          PARTS="import reads flows" to run a subset)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-100000 1000000 5000000}
PARTS=${PARTS:-import reads flows}
AURUM=${AURUM:-build/aurum}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
[ -x "$AURUM" ] || make -s all
has() { [[ " $PARTS " == *" $1 "* ]]; }
command -v wrk >/dev/null || {
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
}

row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }
met() { # VALUE AWK-CONDITION-ON-v -> "met" / "**not met**"
    awk -v v="$1" "BEGIN { exit !(v != \"\" && ($2)) }" && echo met || echo "**not met**"
}
note() { echo "bench: $*" >&2; }

declare -A WALL CPU RSS DISK
import_size() { # N: generates the file once, imports it into a fresh directory
    local n=$1
    if [ ! -f "$OUT/gen-$n/people.csv" ]; then
        note "generating $n records"
        "$AURUM" gen --single-source --records "$n" --seed 7 --out "$OUT/gen-$n" >/dev/null 2>&1
    fi
    rm -rf "$OUT/data-$n"
    note "importing $n records"
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/import-$n.time" "$AURUM" import \
        --data "$OUT/data-$n" --config "$OUT/gen-$n/people.yaml" --source people \
        "$OUT/gen-$n/people.csv" >"$OUT/import-$n.log" 2>&1
    read -r wall user sys rss <"$OUT/import-$n.time"
    WALL[$n]=$wall
    CPU[$n]=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
    RSS[$n]=$((rss / 1024))
    DISK[$n]=$(($(du -sb "$OUT/data-$n" | cut -f1) / n))
}

import_rows() {
    local n first last ratio
    for n in $SIZES; do
        row "import $n records: wall (bench/import.sh $n)" "1 M ≤ 15 s" "${WALL[$n]} s" \
            "$([ "$n" = 1000000 ] && met "${WALL[$n]}" 'v <= 15' || echo '—')"
        row "import $n records: CPU user + sys" "—" "${CPU[$n]} s ($(awk -v c="${CPU[$n]}" \
            -v n="$n" 'BEGIN { printf "%.1f", c * 1e6 / n }') µs/record)" "—"
        row "import $n records: peak RSS" "< 1 GB (1 M)" "${RSS[$n]} MB" \
            "$([ "$n" -le 1000000 ] && met "${RSS[$n]}" 'v < 1024' || echo '—')"
        row "import $n records: bytes on disk per record" "≤ 600" "${DISK[$n]}" \
            "$(met "${DISK[$n]}" 'v <= 600')"
    done
    set -- $SIZES
    first=$1
    last=${!#}
    if [ -n "${CPU[1000000]:-}" ] && [ -n "${CPU[5000000]:-}" ]; then
        first=1000000 last=5000000
    fi
    if [ "$first" != "$last" ]; then
        ratio=$(awk -v a="${CPU[$first]}" -v b="${CPU[$last]}" -v na="$first" -v nb="$last" \
            'BEGIN { printf "%.2f", (b / nb) / (a / na) }')
        row "CPU per record at $last / at $first" "5 M within 1.3× of 1 M" "$ratio×" \
            "$(met "$ratio" 'v <= 1.3')"
    fi
    row "same clusters as record-at-a-time" "identical" \
        "make test: import_bulk/* (1, 2, 3 workers; batch sizes), resolve order suite" "tested"
}

# The store the serving benchmarks use: 1 M records when imported, else the largest below 5 M.
serving_store() {
    local n best=""
    for n in $SIZES; do [ "$n" -lt 5000000 ] && best=$n; done
    echo "$best"
}

reads_rows() {
    local n=$1 rw=$OUT/read_write.txt pr=$OUT/profiles.txt
    note "reads and writes on the $n store (bench/read_write.sh)"
    BENCH_OUT="$OUT" AURUM="$AURUM" bench/read_write.sh "$OUT/data-$n" 10 >"$rw" 2>&1 ||
        note "read_write.sh failed: see $rw"
    note "nginx and upsert-to-visible (bench/profiles.sh)"
    BENCH_OUT="$OUT" AURUM="$AURUM" CONFIG="$OUT/gen-$n/people.yaml" DUR=10s RATE=2000 \
        bench/profiles.sh "$OUT/data-$n" >"$pr" 2>&1 || note "profiles.sh failed: see $pr"
    local nginx alone mixed writes visible
    nginx=$(awk '/^== nginx static profile.json, 32 connections/ { f = 1; next }
        f && /Requests\/sec/ { print $2; exit }' "$pr")
    alone=$(sed -n 's/^reads alone, 32 connections: //p' "$rw")
    mixed=$(sed -n 's/^reads while writing, 32 connections: //p' "$rw")
    writes=$(sed -n 's/^single-record upserts, 4 connections: //p' "$rw")
    visible=$(sed -n 's/^upsert-to-visible: //p' "$pr")
    rate() { awk '{ print $1 }' <<<"$1"; }
    p99() { sed -n 's/.*p99[ =]\([0-9.]*\) *ms.*/\1/p' <<<"$1"; }
    ratio() { awk -v a="$(rate "$1")" -v b="$nginx" 'BEGIN { if (a != "" && b > 0)
        printf "%.2f", a / b }'; }
    row "nginx static profile JSON, 32 connections (bench/profiles.sh)" "—" "${nginx:-failed} req/s" "—"
    row "profile reads by id alone, 32 connections (bench/read_write.sh)" "≥ 0.8× nginx" \
        "${alone:-failed}; $(ratio "$alone")× nginx" "$(met "$(ratio "$alone")" 'v >= 0.8')"
    row "profile reads while 4 connections upsert" "p99 ≤ 5 ms" "${mixed:-failed}" \
        "$(met "$(p99 "$mixed")" 'v <= 5')"
    row "profile reads while 4 connections upsert" "≥ 0.5× nginx" "$(ratio "$mixed")× nginx" \
        "$(met "$(ratio "$mixed")" 'v >= 0.5')"
    row "single-record upserts beside them" "p99 ≤ 10 ms" "${writes:-failed}" \
        "$(met "$(p99 "$writes")" 'v <= 10')"
    row "upsert visible in its profile, 2,000/s, $n records in the store" "p99 ≤ 5 ms" \
        "${visible:-failed}" "$(met "$(p99 "$visible")" 'v <= 5')"
}

flows_rows() {
    local fl=$OUT/flows.txt a b
    note "flows, Aurum then Node-RED (bench/flows.sh 30000 32 1)"
    BENCH_OUT="$OUT" AURUM="$AURUM" bench/flows.sh 30000 32 1 >"$fl" 2>&1 ||
        note "flows.sh failed: see $fl"
    field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$1" 2>/dev/null | head -1; }
    a=$OUT/flows_aurum.txt
    b=$OUT/flows_node_red.txt
    local ar br ap bp x
    ar=$(field "$a" throughput) br=$(field "$b" throughput)
    ap=$(field "$a" p99_ms) bp=$(field "$b" p99_ms)
    x=$(awk -v a="$ar" -v b="$br" 'BEGIN { if (a != "" && b > 0) printf "%.1f", a / b }')
    row "flows, single events: Aurum (bench/flows.sh 30000 32 1)" "—" \
        "${ar:-failed}/s, p99 ${ap:-?} ms; $(sed -n 's/^daemon CPU: //p' "$a")" "—"
    row "flows, single events: Node-RED, same run" "—" \
        "${br:-failed}/s, p99 ${bp:-?} ms; $(sed -n 's/^node CPU: //p' "$b")" "—"
    row "flows, single events: Aurum / Node-RED" "≥ 10×" "${x:-?}×" "$(met "$x" 'v >= 10')"
    row "flows, single events: p99" "≤ Node-RED's" "${ap:-?} vs ${bp:-?} ms" \
        "$(met "$(awk -v a="$ap" -v b="$bp" 'BEGIN { if (a != "" && b != "") print (a <= b) }')" 'v == 1')"
}

START="$(date -u '+%Y-%m-%d %H:%M') UTC"
if has import; then for n in $SIZES; do import_size "$n"; done; fi
store=$(serving_store)
table=$OUT/table.md
{
    row "figure" "target" "now" "met"
    row "---" "---" "---" "---"
    if has import; then import_rows; fi
    if has reads; then
        if [ -n "$store" ] && [ -d "$OUT/data-$store" ]; then reads_rows "$store"
        else row "profile reads" "—" "not run: no imported store below 5 M in $OUT" "—"; fi
    fi
    if has flows; then flows_rows; fi
} >"$table"
echo "make bench, $START to $(date -u '+%H:%M') UTC, $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
echo
cat "$table"
