#!/bin/sh
# Regenerates the route table of docs/API.md from the route table compiled into the binary
# (`aurum help api --markdown`): everything between "## Routes" and the next "## " heading.
set -e
cd "$(dirname "$0")/.."
AURUM=${AURUM:-build/aurum}
table=$(mktemp)
"$AURUM" help api --markdown >"$table"
awk -v table="$table" '
    /^## Routes/ { print; print ""; while ((getline l < table) > 0) print l; print ""; skip = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }
' docs/API.md >docs/API.md.new
mv docs/API.md.new docs/API.md
rm -f "$table"
