#!/bin/sh
# Regenerates docs/CONFIG.md (configuration and flow-step options) and docs/CLI.md (every
# command's usage) from the declared option tables compiled into the binary
# (`aurum help config --markdown`, `aurum help commands --markdown`), and the option reference
# of docs/CONNECTORS.md (`aurum help connectors --markdown`, between the page's BEGIN/END
# markers; the rest of that page is written by hand), so the reference cannot drift from what
# is parsed. `scripts/opts-doc.sh --check` exits 1 when a file is stale (scripts/checkstyle.sh
# runs that when the binary is built).
set -e
cd "$(dirname "$0")/.."
AURUM=${AURUM:-build/aurum}
check=0
[ "${1:-}" = "--check" ] && check=1
status=0

# The new text of $2 into file $3: the whole output of `aurum help $1 --markdown`, or, for a
# page with markers, the page with the output put between them.
generate() {
    case "$2" in
    docs/CONNECTORS.md)
        gen=$(mktemp)
        "$AURUM" help "$1" --markdown >"$gen"
        awk -v gen="$gen" '
            /^<!-- BEGIN generated/ { print; while ((getline l < gen) > 0) print l; skip = 1; next }
            /^<!-- END generated/ { skip = 0 }
            !skip { print }' "$2" >"$3"
        rm -f "$gen"
        ;;
    *) "$AURUM" help "$1" --markdown >"$3" ;;
    esac
}

for pair in "config docs/CONFIG.md" "commands docs/CLI.md" "connectors docs/CONNECTORS.md"; do
    set -- $pair
    out=$(mktemp)
    generate "$1" "$2" "$out"
    if [ $check -eq 1 ]; then
        if ! cmp -s "$out" "$2"; then
            echo "style: $2 is stale (run scripts/opts-doc.sh)"
            status=1
        fi
        rm -f "$out"
    else
        mv "$out" "$2"
    fi
done
exit $status
