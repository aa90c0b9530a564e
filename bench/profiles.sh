#!/bin/bash
# Benchmark of the single customer view (docs/BENCHMARKS.md, "Single customer view"):
#   1. profile reads by id and by e-mail with wrk at 32 and 4 connections, in the same run as
#      nginx serving one profile's JSON as a static file (same machine, same wrk settings);
#   2. upsert-to-visible latency at RATE upserts/s and change-feed delivery lag (upsert_lag.c).
# Usage: bench/profiles.sh [DATA_DIR] (default bench/out/data-1000000, built by
# bench/import.sh 1000000; CONFIG names its source mapping). Installs nginx (Debian package) when missing: only this benchmark
# needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-bench/out/data-1000000}
CONFIG=${CONFIG:-bench/out/gen-1000000/people.yaml} # the import's source mapping
OUT=${BENCH_OUT:-bench/out}/profiles
AURUM=${AURUM:-build/aurum}
DUR=${DUR:-10s}
RATE=${RATE:-2000}
LAG_SECONDS=${LAG_SECONDS:-20}
PORT=${PORT:-18380}
NGINX_PORT=${NGINX_PORT:-18381}
KEY=bench$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd) # nginx wants absolute paths, and BENCH_OUT may be either
make -s all
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
cc -O2 -o "$OUT/upsert_lag" bench/upsert_lag.c -lcurl -ljansson -lpthread

# Sample ids and e-mails straight from the store, before the daemon opens it.
sqlite3 "$DATA/aurum.db" "SELECT profile FROM assignments GROUP BY profile ORDER BY random() LIMIT 20000" >"$OUT/ids.txt"
sqlite3 "$DATA/aurum.db" "SELECT key FROM profile_idents WHERE kind = 1 ORDER BY random() LIMIT 20000" >"$OUT/emails.txt"
PROFILES=$(sqlite3 "$DATA/aurum.db" "SELECT count(DISTINCT profile) FROM assignments")
RECORDS=$(sqlite3 "$DATA/aurum.db" "SELECT count(*) FROM records WHERE deleted = 0")
LAST=$(sqlite3 "$DATA/aurum.db" "SELECT coalesce(max(seq), 0) FROM changes")

# A daemon already serving DATA can be reused: AURUM_PORT=... AURUM_KEY=... (its start-up on a
# store of 1 M records restores the resolver, which takes minutes on a loaded 2-core machine).
DPID=""
if [ -n "${AURUM_PORT:-}" ]; then
    PORT=$AURUM_PORT
    KEY=$AURUM_KEY
else
    AURUM_ADMIN_KEY=$KEY "$AURUM" serve --data "$DATA" --config "$CONFIG" --listen 127.0.0.1:$PORT 2>"$OUT/daemon.log" &
    DPID=$!
fi
cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null || true
    [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
T0=$(date +%s)
for _ in $(seq 6000); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
echo "daemon ready after $(($(date +%s) - T0)) s"

# nginx serves one profile's JSON (the first sampled id) as a static file.
mkdir -p "$OUT/www" "$OUT/nginx-tmp"
ID=$(head -1 "$OUT/ids.txt")
curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/profiles/$ID" >"$OUT/www/profile.json"
cat >"$OUT/nginx.conf" <<CONF
worker_processes 2;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $OUT/nginx-tmp; proxy_temp_path $OUT/nginx-tmp;
    fastcgi_temp_path $OUT/nginx-tmp; uwsgi_temp_path $OUT/nginx-tmp;
    scgi_temp_path $OUT/nginx-tmp;
    default_type application/json;
    server { listen 127.0.0.1:$NGINX_PORT; root $OUT/www; }
}
CONF
"$NGINX" -c "$OUT/nginx.conf" -e "$OUT/nginx-error.log" 2>/dev/null || "$NGINX" -c "$OUT/nginx.conf"

# wrk scripts: a random sampled id / e-mail per request.
lua_list() { # NAME FILE PREFIX
    {
        echo "local items = {}"
        sed 's/.*/items[#items+1] = "&"/' "$2"
        echo "local n = #items"
        echo "request = function() return wrk.format(nil, \"$3\" .. items[math.random(n)]) end"
    } >"$OUT/$1.lua"
}
lua_list by_id "$OUT/ids.txt" "/v1/profiles/"
sed -i 's/@/%40/' "$OUT/emails.txt"
lua_list by_email "$OUT/emails.txt" "/v1/profiles?email="

echo "store: $RECORDS records, $PROFILES profiles ($DATA)"
run() { # LABEL CONNECTIONS ARGS...
    local label=$1 c=$2
    shift 2
    echo "== $label, $c connections"
    wrk -t2 -c"$c" -d"$DUR" --latency "$@" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors"
}
for c in 32 4; do
    run "nginx static profile.json" "$c" "http://127.0.0.1:$NGINX_PORT/profile.json"
    run "aurum GET /v1/profiles/{id}" "$c" -H "Authorization: Bearer $KEY" -s "$OUT/by_id.lua" "http://127.0.0.1:$PORT"
    run "aurum GET /v1/profiles?email=" "$c" -H "Authorization: Bearer $KEY" -s "$OUT/by_email.lua" "http://127.0.0.1:$PORT"
done

echo "== upsert-to-visible at $RATE/s for ${LAG_SECONDS}s, change-feed lag"
# The consumer starts at the end of the feed: the cursor of the last change (au_cursor_encode:
# 64-bit big-endian seq + CRC-8 poly 0x07, as 15 Crockford base32 digits).
LAG_AFTER=$(python3 -c "
seq = $LAST
data = seq.to_bytes(8, 'big')
crc = 0
for b in data:
    crc ^= b
    for _ in range(8):
        crc = ((crc << 1) ^ 0x07) & 0xff if crc & 0x80 else (crc << 1) & 0xff
v = int.from_bytes(data + bytes([crc]), 'big') << 3
a = '0123456789abcdefghjkmnpqrstvwxyz'
print('c_' + ''.join(a[(v >> (5 * (14 - i))) & 31] for i in range(15)))")
export LAG_AFTER
"$OUT/upsert_lag" "http://127.0.0.1:$PORT" "$KEY" "$RATE" "$LAG_SECONDS" 16
