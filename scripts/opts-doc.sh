#!/bin/sh
# Regenerates docs/CONFIG.md (configuration and flow-step options) and docs/CLI.md (every
# command's usage) from the declared option tables compiled into the binary
# (`aurum help config --markdown`, `aurum help commands --markdown`), so the reference cannot
# drift from what is parsed. `scripts/opts-doc.sh --check` exits 1 when either file is stale
# (scripts/checkstyle.sh runs that when the binary is built).
set -e
cd "$(dirname "$0")/.."
AURUM=${AURUM:-build/aurum}
check=0
[ "${1:-}" = "--check" ] && check=1
status=0
for pair in "config docs/CONFIG.md" "commands docs/CLI.md"; do
    set -- $pair
    out=$(mktemp)
    "$AURUM" help "$1" --markdown >"$out"
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
