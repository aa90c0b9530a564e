#!/bin/bash
# Benchmark: compressed request bodies. Starts the daemon on a free loopback port with a fresh
# data directory and the bench/people.yaml source, then posts the same kind of batch (N records,
# fresh ids each time) plain, gzip and deflate, 5 times each, and reports body sizes and median
# request times; then a gzip bomb (64 x max_body_bytes of one repeated byte inside a JSON string)
# and the answer, the time to answer and the daemon's peak RSS before and after.
# Usage: bench/gzip_body.sh [RECORDS_PER_BATCH]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
OUT=${BENCH_OUT:-bench/out}
AURUM=${AURUM:-build/aurum}
make -s all
mkdir -p "$OUT"
DATA=$(mktemp -d /tmp/aurum-bench-XXXXXX)
export AURUM_ADMIN_KEY="au_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$AURUM" serve --config bench/people.yaml --data "$DATA" --listen 127.0.0.1:0 \
    --port-file "$DATA/port" 2>"$OUT/gzip_body.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do [ -s "$DATA/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$DATA/port")/v1/sources/people/records"
AUTH="Authorization: Bearer $AURUM_ADMIN_KEY"

batch() { # $1 = id prefix: N records in the people layout, as a JSON array
    awk -v n="$N" -v p="$1" 'BEGIN {
        split("Ada Grace Alan Edsger Barbara Donald Frances Ken", F, " ")
        split("Lovelace Hopper Turing Dijkstra Liskov Knuth Allen Thompson", L, " ")
        split("Leeds York Bath Derby Hull Ely Wells Ripon", C, " ")
        printf "["
        for (i = 0; i < n; i++) {
            f = F[i % 8 + 1]; l = L[int(i / 8) % 8 + 1]
            printf "%s{\"id\":\"%s-%d\",\"first_name\":\"%s\",\"last_name\":\"%s\",", \
                (i ? "," : ""), p, i, f, l
            printf "\"dob\":\"19%02d-%02d-%02d\",\"email\":\"%s.%s.%d@example.com\",", \
                50 + i % 50, 1 + i % 12, 1 + i % 28, tolower(f), tolower(l), i
            printf "\"phone\":\"07700 9%05d\",\"address\":\"%d High Street\",", i % 100000, 1 + i % 200
            printf "\"city\":\"%s\",\"postcode\":\"LS1 %dAP\"}", C[i % 8 + 1], i % 10
        }
        printf "]"
    }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

post() { # $1 = file, $2 = Content-Encoding or "", prints "status seconds"
    local h=()
    [ -n "$2" ] && h=(-H "Content-Encoding: $2")
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST -H "$AUTH" \
        -H 'Content-Type: application/json' "${h[@]}" --data-binary @"$1" "$URL"
}

echo "== batches of $N records, median of 5 requests each"
for enc in plain gzip deflate; do
    times=()
    for k in 1 2 3 4 5; do
        batch "$enc$k" >"$DATA/b.json"
        case $enc in
        plain) cp "$DATA/b.json" "$DATA/b.body"; ce="" ;;
        gzip) gzip -c "$DATA/b.json" >"$DATA/b.body"; ce=gzip ;;
        deflate) python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))' \
            <"$DATA/b.json" >"$DATA/b.body"; ce=deflate ;;
        esac
        read -r st t < <(post "$DATA/b.body" "$ce")
        [ "$st" = 200 ] || { echo "$enc: HTTP $st"; exit 1; }
        times+=("$t")
    done
    printf '%-8s body %8d bytes (JSON %d)  median %.1f ms\n' "$enc" "$(stat -c %s "$DATA/b.body")" \
        "$(stat -c %s "$DATA/b.json")" "$(printf '%s\n' "${times[@]}" | median | awk '{print $1 * 1000}')"
done

echo "== gzip bomb"
MAX=8388608
hwm() { awk '/VmHWM/ { print $2 " kB" }' "/proc/$PID/status"; }
echo "peak RSS before: $(hwm)"
{ printf '[{"id":"bomb","first_name":"'; head -c $((64 * MAX)) /dev/zero | tr '\0' x; printf '"}]'; } |
    gzip -9 >"$DATA/bomb.gz"
read -r st t < <(post "$DATA/bomb.gz" gzip)
printf 'bomb: %d bytes gzip -> %d bytes decoded; answer %s in %.1f ms\n' \
    "$(stat -c %s "$DATA/bomb.gz")" $((64 * MAX + 30)) "$st" "$(awk -v t="$t" 'BEGIN{print t*1000}')"
echo "peak RSS after:  $(hwm)"
