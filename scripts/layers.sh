#!/bin/sh
# Include-graph check: every #include "x/y.h" in src/ must point to the file's own unit or to
# a unit its row of scripts/layers.txt allows (see the table for the layers and the rule).
# Also: API handlers call module interfaces, never the store contract (no au_store_*( call in
# src/api/). Prints each violation; exits 1 if any. Run by scripts/checkstyle.sh.
cd "$(dirname "$0")/.."
files=$(git ls-files 'src/*.c' 'src/*.h' 2>/dev/null)
[ -z "$files" ] && files=$(find src -name '*.[ch]')
# One grep over every file (not one per file: process start-ups were most of the check's time).
existing=$(for f in $files; do [ -f "$f" ] && echo "$f"; done)
# shellcheck disable=SC2086 # the file list is split on purpose (paths have no spaces)
grep -H '^#include "' $existing | awk -v table=scripts/layers.txt '
function unit(path,   n, p) {
    n = split(path, p, "/")
    if (n >= 2 && p[n] ~ /^hook[a-z_]*\.[ch]$/)
        return p[n - 1] "/hook"
    return p[n - 1]
}
BEGIN {
    while ((getline line < table) > 0) {
        if (line ~ /^#/ || line ~ /^[ \t]*$/)
            continue
        n = split(line, w, /[ \t]+/)
        known[w[1]] = 1
        for (i = 2; i <= n; i++)
            ok[w[1], w[i]] = 1
    }
    status = 0
}
{
    file = substr($0, 1, index($0, ":") - 1)
    inc = $0
    sub(/^[^"]*"/, "", inc)
    sub(/".*$/, "", inc)
    if (inc !~ /\//)
        next
    from = unit(substr(file, 5))
    to = unit(inc)
    if (!(from in known)) {
        printf "layers: %s: unit %s is not in scripts/layers.txt\n", file, from
        status = 1
    } else if (from != to && !((from, to) in ok)) {
        printf "layers: %s includes %s (%s may not include %s; see scripts/layers.txt)\n",
               file, inc, from, to
        status = 1
    }
}
END { exit status }'
status=$?
if grep -nE '\bau_store_[a-z_]+\(' src/api/*.c; then
    echo "layers: API handlers call the store contract directly (use the module's interface)"
    status=1
fi
[ $status -eq 0 ] && echo "layers: ok"
exit $status
