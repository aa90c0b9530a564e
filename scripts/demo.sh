#!/bin/bash
# `make demo`: generates the Northwind Outfitters data set (six systems that each hold part of
# the same customers), starts the daemon on 127.0.0.1:8080 with the embedded store, loads every
# system's records and events through the HTTP API, and prints the key and URLs to try.
# The daemon stays in the foreground; Ctrl-C stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
AURUM=${AURUM:-build/aurum}
LISTEN=${AURUM_DEMO_LISTEN:-127.0.0.1:8080}
PEOPLE=${AURUM_DEMO_PEOPLE:-2000}
DIR=demo-data
GEN=$DIR/northwind
mkdir -p "$DIR"

if [ ! -f "$GEN/northwind.yaml" ]; then
    echo "== generating Northwind data for $PEOPLE people"
    "$AURUM" gen --people "$PEOPLE" --seed 42 --events --out "$GEN"
fi

KEY=${AURUM_ADMIN_KEY:-}
if [ -z "$KEY" ]; then
    if [ -f "$DIR/demo.key" ]; then KEY=$(cat "$DIR/demo.key"); else
        KEY="au_demo_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        (umask 077 && echo "$KEY" >"$DIR/demo.key")
    fi
fi
export AURUM_ADMIN_KEY=$KEY

echo "== starting aurum serve on $LISTEN (data in $DIR/store)"
"$AURUM" serve --config "$GEN/northwind.yaml" --data "$DIR/store" --listen "$LISTEN" \
    2>>"$DIR/aurum.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null' INT TERM
for _ in $(seq 1 100); do
    curl -fs "http://$LISTEN/healthz" >/dev/null 2>&1 && break
    kill -0 $PID 2>/dev/null || { echo "aurum serve exited; see $DIR/aurum.log"; exit 1; }
    sleep 0.1
done

echo "== loading the six systems through the API"
for f in "$GEN"/*.csv; do
    src=$(basename "$f" .csv)
    [ "$src" = truth ] && continue
    "$AURUM" import --server "http://$LISTEN" --key "$KEY" --config "$GEN/northwind.yaml" \
        --source "$src" "$f"
done
# The Northwind systems the flows talk to are played by `aurum sink`, which records what it
# receives; the flows are installed after the initial load so that loading is not "a change".
SINK_LISTEN=${AURUM_DEMO_SINK:-127.0.0.1:9090}
"$AURUM" sink --listen "$SINK_LISTEN" --out "$DIR/sink.jsonl" 2>>"$DIR/aurum.log" &
SINK=$!
trap 'kill -TERM $PID $SINK 2>/dev/null; wait $PID 2>/dev/null' INT TERM
echo "== installing the Northwind flows (targets played by aurum sink on $SINK_LISTEN)"
for f in docs/flows/*.yaml; do
    sed "s#http://\([a-z]*\)\.northwind\.test#http://$SINK_LISTEN/\1#" "$f" |
        curl -fsS -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/yaml' \
            --data-binary @- "http://$LISTEN/v1/flows/$(basename "$f" .yaml)" >/dev/null
done
if [ -f "$GEN/events.jsonl" ]; then
    echo "== loading business events"
    curl -fsS -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/x-ndjson' \
        --data-binary @"$GEN/events.jsonl" "http://$LISTEN/v1/events"
    echo
fi

sleep 2 # let the flows deliver what the events triggered
CRM_ID=$(sed -n 2p "$GEN/crm.csv" | cut -d, -f1)
# The worked scenario: a customer known to collections (a dunning case) and to support, seen as
# one profile. truth.csv is only read here, to pick an example; the matcher never sees it.
PERSON=$(awk -F, '$1=="collections"{c[$3]=1} $1=="support"{s[$3]=1}
    END{for (p in c) if (p in s) {print p; exit}}' "$GEN/truth.csv")
COLL_ID=$(awk -F, -v p="$PERSON" '$1=="collections" && $3==p {print $2; exit}' "$GEN/truth.csv")
PROFILE=$(curl -fs -H "Authorization: Bearer $KEY" \
    "http://$LISTEN/v1/profiles?source=collections&record=$COLL_ID" |
    grep -o '"id":[0-9]*' | tail -n 1 | cut -d: -f2)
cat <<TXT

Aurum is running on http://$LISTEN   (logs: $DIR/aurum.log, stop: Ctrl-C)
Admin key: $KEY

Web console, signed in as the demo admin (the key rides in the URL fragment, which browsers
never send to the server, so it reaches no log; the page swaps it for a session cookie):
  http://$LISTEN/#key=$KEY
The advisor's view of the worked scenario: http://$LISTEN/#/customers/$PROFILE

Flows delivered so far ($DIR/sink.jsonl, one line per request a Northwind system received):
$(grep -o '"path":"/[a-z]*' "$DIR/sink.jsonl" 2>/dev/null | cut -d/ -f2 | sort | uniq -c)

Try:
  curl -H "Authorization: Bearer $KEY" http://$LISTEN/v1/sources
  curl -H "Authorization: Bearer $KEY" http://$LISTEN/v1/sources/crm/records/$CRM_ID
  curl -H "Authorization: Bearer $KEY" "http://$LISTEN/v1/profiles?source=collections&record=$COLL_ID"
  curl -H "Authorization: Bearer $KEY" "http://$LISTEN/v1/profiles/$PROFILE?lineage=1"
  curl -H "Authorization: Bearer $KEY" "http://$LISTEN/v1/profiles/$PROFILE/timeline"
  curl -H "Authorization: Bearer $KEY" "http://$LISTEN/v1/profiles/$PROFILE/explain"
  curl -H "Authorization: Bearer $KEY" "http://$LISTEN/v1/changes?wait=30"
  curl -H "Authorization: Bearer $KEY" http://$LISTEN/v1/flows/payment-closes-dunning/runs
  curl -H "Authorization: Bearer $KEY" http://$LISTEN/metrics
  curl http://$LISTEN/healthz
TXT
wait $PID
kill -TERM $SINK 2>/dev/null || true
