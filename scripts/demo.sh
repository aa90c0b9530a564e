#!/bin/bash
# `make demo`: generates the Northwind Outfitters data set (six systems that each hold part of
# the same customers), starts the daemon with the embedded store on a fresh store, loads every
# system's records and events through the HTTP API, installs the three Northwind flows (their
# targets played by `aurum sink`), triggers each flow once more with a command it prints, waits
# until every run has an outcome and prints an honest summary: records per source, customers,
# and per flow the runs delivered / failed / dead-lettered. It exits non-zero, naming the flow
# and the reason, when any demo flow fails or dead-letters. Then the daemon stays in the
# foreground (Ctrl-C stops it), unless --exit (or AURUM_DEMO_EXIT=1) was given.
# Billing lives in a PostgreSQL database that Aurum pulls from with an inbound connector, and
# the POS drops its nightly CSV into a directory Aurum watches (docs/CONNECTORS.md); without
# PostgreSQL installed (or with AURUM_DEMO_POSTGRES=0) billing is imported from its CSV.
#
# Environment (all optional): AURUM (the binary), AURUM_DEMO_DIR (working directory, default
# demo-data), AURUM_DEMO_LISTEN / AURUM_DEMO_SINK (ADDR:PORT; port 0 picks a free one),
# AURUM_DEMO_PEOPLE (default 2000), AURUM_DEMO_SETTLE_S (how long to wait for the flows, default
# 60), AURUM_DEMO_AUDIT_DIR (where the complaint flow's audit file goes, default DIR/audit).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'TXT'
usage: scripts/demo.sh [--exit]

Loads the Northwind demo into a fresh store, triggers every demo flow, prints the summary and
keeps the daemon running until Ctrl-C. --exit stops it after the summary instead (the exit
status is 0 only when every demo flow delivered). See the comment atop this script for the
environment variables.
TXT
}

EXIT_AFTER=${AURUM_DEMO_EXIT:-0}
for arg in "$@"; do
    case $arg in
    --exit) EXIT_AFTER=1 ;;
    -h | --help) usage && exit 0 ;;
    *) echo "demo: unknown option $arg" >&2 && usage >&2 && exit 2 ;;
    esac
done

AURUM=${AURUM:-build/aurum}
LISTEN=${AURUM_DEMO_LISTEN:-127.0.0.1:8080}
SINK_LISTEN=${AURUM_DEMO_SINK:-127.0.0.1:9090}
PEOPLE=${AURUM_DEMO_PEOPLE:-2000}
SETTLE_S=${AURUM_DEMO_SETTLE_S:-60}
DIR=${AURUM_DEMO_DIR:-demo-data}
GEN=$DIR/northwind
FLOWS=(payment-closes-dunning complaint-to-support address-sync)
if ! command -v jq >/dev/null; then
    echo "demo: jq is required (scripts/deps.sh installs it)" >&2
    exit 1
fi

# A fresh store every run: a second run over an old store would load nothing new, trigger
# nothing, and report old outcomes as if they were this run's.
mkdir -p "$DIR"
rm -rf "$DIR/store" "$DIR/sink.jsonl" "$DIR/audit"
DIR_ABS=$(cd "$DIR" && pwd)
AUDIT_DIR=${AURUM_DEMO_AUDIT_DIR:-$DIR_ABS/audit}
mkdir -p "$AUDIT_DIR" 2>/dev/null || true
: >"$DIR/aurum.log"

PIDS=()
PG_DIR=
PG_PID=
stop_all() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -n "$PG_PID" ]; then kill -INT "$PG_PID" 2>/dev/null || true; wait "$PG_PID" 2>/dev/null || true; fi
    if [ -n "$PG_DIR" ]; then rm -rf "$PG_DIR"; fi
}
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

fail() {
    echo "" >&2
    echo "demo FAILED: $*" >&2
    echo "(daemon log: $DIR/aurum.log)" >&2
    exit 1
}

# 5296 -> 5,296
thousands() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# Waits until FILE holds a line matching REGEX (a server announcing its port); pid PID must live.
wait_for_line() {
    local file=$1 regex=$2 pid=$3
    for _ in $(seq 1 200); do
        grep -qE "$regex" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

echo "== generating Northwind data for $PEOPLE people"
rm -rf "$GEN"
"$AURUM" gen --people "$PEOPLE" --seed 42 --events --out "$GEN"

KEY=${AURUM_ADMIN_KEY:-}
if [ -z "$KEY" ]; then
    if [ -f "$DIR/demo.key" ]; then KEY=$(cat "$DIR/demo.key"); else
        KEY="au_demo_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        (umask 077 && echo "$KEY" >"$DIR/demo.key")
    fi
fi
export AURUM_ADMIN_KEY=$KEY
AUTH="Authorization: Bearer $KEY"

# The demo's flow targets are `aurum sink` on 127.0.0.1, which the outbound policy denies by
# default (a step must not reach internal services unless allowed): the demo allows loopback
# explicitly. A production configuration lists its real targets instead (docs/SECRETS.md).
{
    cat "$GEN/northwind.yaml"
    printf '\n# demo only: the flow targets (aurum sink) run on this machine\n'
    printf 'outbound: {allow: [loopback]}\n'
} >"$DIR/demo.yaml"

echo "== starting aurum serve on $LISTEN (data in $DIR/store)"
rm -f "$DIR/port"
"$AURUM" serve --config "$DIR/demo.yaml" --data "$DIR/store" --listen "$LISTEN" \
    --port-file "$DIR/port" 2>>"$DIR/aurum.log" &
PIDS+=($!)
wait_for_line "$DIR/port" '^[0-9]+$' "${PIDS[0]}" ||
    fail "aurum serve did not start on $LISTEN; see $DIR/aurum.log"
LISTEN="${LISTEN%:*}:$(cat "$DIR/port")"
URL="http://$LISTEN"
api() { curl -fsS -H "$AUTH" "$@"; }

# --- billing's database (PostgreSQL, when installed) ------------------------------------------
# A throwaway cluster in /tmp, listening on a Unix socket only, as the `postgres` user when the
# demo runs as root (PostgreSQL refuses root). billing.csv becomes its billing_accounts table,
# with an updated_at column the connector reads incrementally. Any failure here falls back to
# importing billing.csv: the demo never depends on PostgreSQL.
PG_BIN=/usr/lib/postgresql/15/bin
start_billing_db() {
    [ "${AURUM_DEMO_POSTGRES:-1}" != 0 ] && [ -x "$PG_BIN/postgres" ] || return 1
    PG_DIR=$(mktemp -d /tmp/aurum-demo-pg-XXXXXX) || return 1
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$PG_DIR" || return 1
        as=(setpriv --reuid=postgres --regid=postgres --init-groups)
    fi
    "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync \
        >"$PG_DIR/initdb.log" 2>&1 || return 1
    "${as[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_DIR" -h '' -F \
        >>"$PG_DIR/postgres.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 1 100); do
        "$PG_BIN/pg_isready" -q -h "$PG_DIR" -U postgres && break
        sleep 0.1
    done
    local cols
    cols=$(head -n 1 "$GEN/billing.csv" | tr -d '\r')
    "$PG_BIN/psql" -q -h "$PG_DIR" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TABLE billing_accounts (${cols//,/ text, } text,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
\\copy billing_accounts (${cols}) FROM '$GEN/billing.csv' WITH (FORMAT csv, HEADER true)
SQL
}
BILLING_DB=
if start_billing_db 2>>"$DIR/aurum.log"; then
    BILLING_DB="host=$PG_DIR user=postgres dbname=postgres"
fi

# Adds an inbound block to the definition the configuration gave a source.
add_inbound() {
    api "$URL/v1/sources/$1" | jq --argjson in "$2" '.definition + {inbound: $in}' |
        api -X PUT -H 'Content-Type: application/json' --data-binary @- "$URL/v1/sources/$1" \
            >/dev/null
}

echo "== loading the six systems"
SOURCES=$(awk '/^sources:/{s=1; next} s && /^  [a-z_]+:$/{sub(":", ""); print $1} /^[a-z]/{s=0}' \
    "$GEN/northwind.yaml")
for src in $SOURCES; do
    if [ "$src" = billing ] && [ -n "$BILLING_DB" ]; then
        add_inbound billing "$(jq -n --arg ci "$BILLING_DB" '{kind: "postgres", conninfo: $ci,
            table: "billing_accounts", cursor_column: "updated_at"}')" ||
            fail "the billing connector was refused"
        echo "  billing: pulled from PostgreSQL (table billing_accounts) by its inbound connector"
        "$AURUM" sync --server "$URL" --key "$KEY" billing 2>&1 | sed "s/^/  billing: /" ||
            fail "aurum sync billing failed (see above and $DIR/aurum.log)"
    elif [ "$src" = pos ]; then
        # The POS drops its nightly file: written under a dot name, renamed into the drop.
        rm -rf "$DIR/drop"
        mkdir -p "$DIR/drop/pos"
        add_inbound pos "$(jq -n --arg d "$DIR_ABS/drop/pos" '{kind: "file", dir: $d}')" ||
            fail "the pos connector was refused"
        cp "$GEN/pos.csv" "$DIR/drop/pos/.pos-nightly.csv.part"
        mv "$DIR/drop/pos/.pos-nightly.csv.part" "$DIR/drop/pos/pos-nightly.csv"
        for _ in $(seq 1 1200); do
            [ -f "$DIR/drop/pos/done/pos-nightly.csv.report.txt" ] ||
                [ -f "$DIR/drop/pos/failed/pos-nightly.csv.report.txt" ] && break
            sleep 0.05
        done
        [ -f "$DIR/drop/pos/done/pos-nightly.csv.report.txt" ] ||
            fail "the POS file was not imported from $DIR/drop/pos (see $DIR/aurum.log)"
        echo "  pos: nightly file dropped into $DIR/drop/pos, imported by its watcher:"
        grep '^read' "$DIR/drop/pos/done/pos-nightly.csv.report.txt" | sed 's/^/  pos: /'
    else
        "$AURUM" import --server "$URL" --key "$KEY" --config "$GEN/northwind.yaml" \
            --source "$src" "$GEN/$src.csv" 2>&1 | sed "s/^/  $src: /" ||
            fail "aurum import of $GEN/$src.csv into source $src failed (see above)"
    fi
done

# The Northwind systems the flows talk to are played by `aurum sink`, which records what it
# receives; the flows are installed after the initial load so that loading is not "a change".
"$AURUM" sink --listen "$SINK_LISTEN" --out "$DIR/sink.jsonl" 2>"$DIR/sink.log" &
PIDS+=($!)
wait_for_line "$DIR/sink.log" 'listening on port [0-9]+' "${PIDS[1]}" ||
    fail "aurum sink did not start on $SINK_LISTEN; see $DIR/sink.log"
SINK_PORT=$(grep -oE 'port [0-9]+' "$DIR/sink.log" | head -n 1 | cut -d' ' -f2)
SINK_LISTEN="${SINK_LISTEN%:*}:$SINK_PORT"
echo "== installing the Northwind flows from docs/flows/ (targets played by aurum sink on" \
    "$SINK_LISTEN, audit file in $AUDIT_DIR)"
for f in "${FLOWS[@]}"; do
    sed -e "s#http://\([a-z]*\)\.northwind\.test#http://$SINK_LISTEN/\1#" \
        -e "s#/var/lib/aurum/audit/#$AUDIT_DIR/#" "docs/flows/$f.yaml" |
        api -X PUT -H 'Content-Type: application/yaml' --data-binary @- "$URL/v1/flows/$f" \
            >/dev/null || fail "flow $f: the daemon refused docs/flows/$f.yaml"
done
echo "== loading business events"
api -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$GEN/events.jsonl" \
    "$URL/v1/events" | jq -c 'del(.warnings)' | sed 's/^/  /' ||
    fail "the daemon refused $GEN/events.jsonl"
echo

# --- one customer to tell the story with -------------------------------------------------------
# A customer known to crm, billing, collections and support, whose records the matcher put in one
# profile. truth.csv is only read here, to pick an example; the matcher never sees it.
profile_of() {
    { api "$URL/v1/profiles?source=$1&record=$2" 2>/dev/null || true; } |
        jq -r '.profiles[0].id // empty'
}
record_of() { awk -F, -v s="$1" -v p="$2" '$1==s && $3==p {print $2; exit}' "$GEN/truth.csv"; }
PROFILE=
for PERSON in $(awk -F, 'NR>1 {has[$3]=has[$3] " " $1}
        END {for (p in has) if (has[p] ~ /crm/ && has[p] ~ /billing/ && has[p] ~ /collections/ &&
             has[p] ~ /support/) print p}' "$GEN/truth.csv" | sort | head -n 40); do
    CRM_ID=$(record_of crm "$PERSON")
    BILL_ID=$(record_of billing "$PERSON")
    COLL_ID=$(record_of collections "$PERSON")
    SUP_ID=$(record_of support "$PERSON")
    p=$(profile_of collections "$COLL_ID")
    if [ -n "$p" ] && [ "$p" = "$(profile_of crm "$CRM_ID")" ] &&
        [ "$p" = "$(profile_of billing "$BILL_ID")" ] &&
        [ "$p" = "$(profile_of support "$SUP_ID")" ]; then
        PROFILE=$p
        break
    fi
done
[ -n "$PROFILE" ] || fail "no customer with crm, billing, collections and support records in one" \
    "profile among the first 40 candidates: the matcher did not link them"

# --- trigger every flow with a command the user can run again ----------------------------------
# The newest run id of each flow before the triggers: the runs after it are the triggers' own.
newest_run() { api "$URL/v1/flows/$1/runs?limit=1" | jq -r '.runs[0].id // 0'; }
declare -A BEFORE
for f in "${FLOWS[@]}"; do BEFORE[$f]=$(newest_run "$f"); done

H="-H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json'"
NEW_LINE1="1 Harbour View"
declare -A TRIGGER
TRIGGER[payment-closes-dunning]="curl -sS $H $URL/v1/events -d '[{\"source\":\"collections\",\
\"event_id\":\"dun-'\$(date +%s%N)'\",\"type\":\"dunning_case_opened\",\"customer\":\
{\"source\":\"collections\",\"record\":\"$COLL_ID\"},\"properties\":{\"amount_due\":120}}]' &&
  curl -sS $H $URL/v1/events -d '{\"source\":\"billing\",\"event_id\":\"pay-'\$(date +%s%N)'\",\
\"type\":\"payment\",\"customer\":{\"source\":\"billing\",\"record\":\"$BILL_ID\"},\
\"properties\":{\"amount\":120,\"currency\":\"GBP\"}}'"
TRIGGER[complaint-to-support]="curl -sS $H $URL/v1/events -d '{\"source\":\"support\",\
\"event_id\":\"tkt-'\$(date +%s%N)'\",\"type\":\"ticket_opened\",\"customer\":{\"source\":\
\"support\",\"record\":\"$SUP_ID\"},\"properties\":{\"ticket_id\":\"T-DEMO-'\$(date +%s)'\",\
\"subject\":\"Complaint: still being chased after paying\",\"category\":\"complaint\"}}'"
TRIGGER[address-sync]="curl -sS -H \"Authorization: Bearer $KEY\" \
$URL/v1/sources/crm/records/$CRM_ID | jq '[.input | .address_line1 = \"$NEW_LINE1\"]' |
  curl -sS $H $URL/v1/sources/crm/records --data-binary @-"
echo "== triggering each flow (run these commands again to trigger it again)"
for f in "${FLOWS[@]}"; do
    echo "  # $f"
    echo "  ${TRIGGER[$f]}"
    out=$(bash -c "${TRIGGER[$f]}" 2>&1) || fail "flow $f: the trigger command failed: $out"
    case $out in *'"error"'*) fail "flow $f: the daemon refused the trigger: $out" ;; esac
    echo "  -> $out" | tr '\n' ' ' && echo
done

# --- wait for the outcome of every run ---------------------------------------------------------
# Statuses of every run of a flow, one per line (pages of 1,000, newest first).
run_statuses() {
    local before=0 page
    while :; do
        page=$(api "$URL/v1/flows/$1/runs?limit=1000&before=$before" |
            jq -r '.runs[] | "\(.id) \(.status)"')
        [ -n "$page" ] || break
        echo "$page"
        before=$(echo "$page" | tail -n 1 | cut -d' ' -f1)
        [ "$before" -gt 1 ] || break
    done
}
declare -A STATS
collect() {
    local f s
    for f in "${FLOWS[@]}"; do
        s=$(run_statuses "$f")
        STATS[$f]=$(echo "$s" | awk -v b="${BEFORE[$f]}" '
            NF==2 {n[$2]++}
            NF==2 && $1 > b {mine++; if ($2 == "delivered") ok++; if (!id) {id = $1; st = $2}}
            END {printf "%d %d %d %d %d %d %d %d %s\n", n["delivered"], n["failed"],
                 n["pending"], n["skipped"], n["error"], mine, ok, id, st ? st : "none"}')
    done
}
settled() {
    local f p mine
    for f in "${FLOWS[@]}"; do
        read -r _ _ p _ _ mine _ <<<"${STATS[$f]}"
        [ "$p" -eq 0 ] && [ "$mine" -gt 0 ] || return 1
    done
}
echo "== waiting for every run to be delivered, fail or dead-letter (at most ${SETTLE_S} s)"
deadline=$((SECONDS + SETTLE_S))
collect
until settled || [ $SECONDS -ge $deadline ]; do
    sleep 0.5
    collect
done

# --- the summary --------------------------------------------------------------------------------
"$AURUM" clusters --data "$DIR/store" >"$DIR/clusters.csv" ||
    fail "aurum clusters could not read $DIR/store"
echo
echo "Northwind Outfitters, as Aurum sees it:"
total=0
nsrc=0
for src in $SOURCES; do
    n=$(awk -F, -v s="$src" 'NR>1 && $1==s' "$DIR/clusters.csv" | wc -l)
    printf '  %s: %s records\n' "$src" "$(thousands "$n")"
    total=$((total + n))
    nsrc=$((nsrc + 1))
done
customers=$(awk -F, 'NR>1 && $3!="" {print $3}' "$DIR/clusters.csv" | sort -u | wc -l)
echo "$(thousands $total) records from $nsrc systems -> $(thousands "$customers") customers"
echo "  matched against the generator's truth (aurum eval; the matcher never sees truth.csv):"
{ "$AURUM" eval --data "$DIR/store" --truth "$GEN/truth.csv" 2>/dev/null || true; } |
    grep -E '^(pairwise|b-cubed)' | sed 's/^/    /' || true
echo
echo "Flow runs (delivered / failed / dead-lettered; pending, skipped = condition false):"
problems=()
for f in "${FLOWS[@]}"; do
    read -r ok bad pend skip errs mine mine_ok mine_id mine_st <<<"${STATS[$f]}"
    # The dead-letter list is capped at 1,000 entries: more reads as "1,000+".
    dead=$(api "$URL/v1/deadletters?flow=$f&all=1" | jq '.deadletters | length')
    shown=$(thousands "$dead")
    [ "$dead" -lt 1000 ] || shown="$shown+"
    printf '  %-24s %s delivered / %s failed / %s dead   (%s pending, %s skipped, %s errors)\n' \
        "$f" "$(thousands "$ok")" "$(thousands "$bad")" "$shown" "$pend" \
        "$(thousands "$skip")" "$errs"
    [ "$mine_id" = 0 ] || printf '  %-24s the demo trigger: run %s %s (GET /v1/flows/%s/runs)\n' \
        "" "$mine_id" "$mine_st" "$f"
    reason=
    if [ "$dead" -gt 0 ]; then
        reason=$(api "$URL/v1/deadletters?flow=$f&all=1" | jq -r '.deadletters[0].reason')
        problems+=("flow $f: $dead dead letters: $reason")
    elif [ "$bad" -gt 0 ] || [ "$errs" -gt 0 ]; then
        reason=$(api "$URL/v1/flows/$f/runs?limit=1000" |
            jq -r 'first(.runs[] | select(.status=="failed" or .status=="error") |
                   (.error // (.steps | tostring)))')
        problems+=("flow $f: $bad failed and $errs erroneous runs: $reason")
    elif [ "$pend" -gt 0 ]; then
        problems+=("flow $f: $pend runs still pending after ${SETTLE_S} s (the target is" \
            "refusing or unreachable; GET /v1/flows/$f/runs shows the attempts)")
    elif [ "$mine_ok" -eq 0 ]; then
        problems+=("flow $f: the demo's trigger did not produce a delivered run" \
            "(new runs: $mine; GET /v1/flows/$f/runs shows why)")
    fi
done
echo
echo "What the Northwind systems received ($DIR/sink.jsonl, one line per request):"
grep -o '"path":"/[a-z]*' "$DIR/sink.jsonl" 2>/dev/null | cut -d/ -f2 | sort | uniq -c |
    sed 's/^ */  /'
audit_lines=$({ wc -l <"$AUDIT_DIR/complaints.jsonl"; } 2>/dev/null || echo 0)
echo "Complaints audit file: $AUDIT_DIR/complaints.jsonl ($audit_lines lines)"
[ ${#problems[@]} -eq 0 ] || fail "$(printf '%s\n' "${problems[@]}")"
echo "All demo flows delivered."

cat <<TXT

Aurum is running on $URL   (logs: $DIR/aurum.log$([ "$EXIT_AFTER" = 1 ] || echo ", stop: Ctrl-C"))
Admin key: $KEY

Web console, signed in as the demo admin (the key rides in the URL fragment, which browsers
never send to the server, so it reaches no log; the page swaps it for a session cookie):
  $URL/#key=$KEY
The advisor's view of the worked scenario: $URL/#/customers/$PROFILE

Try:
  curl -H "$AUTH" $URL/v1/sources
  curl -H "$AUTH" $URL/v1/sources/crm/records/$CRM_ID
  curl -H "$AUTH" "$URL/v1/profiles?source=collections&record=$COLL_ID"
  curl -H "$AUTH" "$URL/v1/profiles/$PROFILE?lineage=1"
  curl -H "$AUTH" "$URL/v1/profiles/$PROFILE/timeline"
  curl -H "$AUTH" "$URL/v1/profiles/$PROFILE/explain"
  curl -H "$AUTH" "$URL/v1/changes?after=now&wait=30"     # waits for the next change
  curl -H "$AUTH" $URL/v1/flows/payment-closes-dunning/runs
  curl -H "$AUTH" $URL/v1/deadletters
  curl -H "$AUTH" $URL/v1/events/unlinked                 # events for customers nobody holds
  curl -H "$AUTH" $URL/metrics
  curl $URL/healthz
Inbound connectors (docs/CONNECTORS.md): drop another POS file into $DIR/drop/pos/, and
$([ -n "$BILLING_DB" ] && echo "change a row of billing's database (psql -h $PG_DIR -U postgres, table billing_accounts,
set updated_at = now()), then pull it with" || echo "(billing was imported from its CSV: PostgreSQL is not installed or AURUM_DEMO_POSTGRES=0)")
  $AURUM sync --server $URL --key $KEY $([ -n "$BILLING_DB" ] && echo billing || echo pos)
  curl -H "$AUTH" $URL/v1/sources/pos/sync                 # state, cursor, counts
TXT
[ "$EXIT_AFTER" = 1 ] && exit 0
wait "${PIDS[0]}"
