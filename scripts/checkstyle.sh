#!/bin/sh
# Style check run by `make test`: clang-format layout (.clang-format), no unbounded string
# functions, a purpose comment at the top of every C file, the clocks read only in
# src/lib/clock.c (everything else goes through au_wall_ms/au_mono_us/au_clock), and the
# layers: the allowed include graph of src/ from the table scripts/layers.txt
# (scripts/layers.sh), docs/STORE.md's contract section current with the store's X-macro lists
# (scripts/store-doc.sh --check), and docs/CONFIG.md and docs/CLI.md current with the option
# tables (scripts/opts-doc.sh --check).
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c' 2>/dev/null)
[ -z "$files" ] && files=$(find src tests bench -name '*.[ch]')
# Each check runs once over every file (one clang-format, one grep, one awk), not once per file:
# process start-ups were most of the check's time (about 2,000 of them). A failing check is
# then narrowed to the files at fault, with the same messages.
existing=$(for f in $files; do [ -f "$f" ] && echo "$f"; done)
# shellcheck disable=SC2086 # the file list is split on purpose (paths have no spaces)
if ! clang-format --dry-run -Werror $existing >/dev/null 2>&1; then
    for f in $existing; do
        if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
            echo "style: $f is not clang-formatted (run: clang-format -i $f)"
        fi
    done
    status=1
fi
# shellcheck disable=SC2086
banned=$(grep -nHE '\b(sprintf|vsprintf|strcpy|strcat|gets|strtok)\s*\(' $existing | grep -v 'snprintf')
if [ -n "$banned" ]; then
    echo "$banned"
    echo "$banned" | cut -d: -f1 | uniq | while read -r f; do
        echo "style: $f uses a banned function (use snprintf/au_buf)"
    done
    status=1
fi
src=$(echo "$existing" | grep '^src/' | grep -vx 'src/lib/clock.c')
# shellcheck disable=SC2086
clocks=$(grep -nHE '\b(clock_gettime|gettimeofday)[[:space:]]*\(|\btime[[:space:]]*\([[:space:]]*(NULL|0)[[:space:]]*\)' $src)
if [ -n "$clocks" ]; then
    echo "$clocks"
    echo "$clocks" | cut -d: -f1 | uniq | while read -r f; do
        echo "style: $f reads a clock itself (use src/lib/clock.h)"
    done
    status=1
fi
# shellcheck disable=SC2086
no_purpose=$(awk 'FNR == 1 && !/^\/\*/ { print FILENAME }' $existing)
for f in $no_purpose; do
    echo "style: $f does not open with a purpose comment"
    status=1
done
scripts/layers.sh || status=1
scripts/store-doc.sh --check || status=1
# docs/CONFIG.md and docs/CLI.md are generated from the option tables: checked when the binary
# is built (make test builds it first).
if [ -x build/aurum ]; then
    scripts/opts-doc.sh --check || status=1
else
    echo "style: build/aurum not built, docs/CONFIG.md and docs/CLI.md not checked"
fi
[ $status -eq 0 ] && echo "style: ok"
exit $status
