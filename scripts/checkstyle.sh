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
for f in $files; do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "style: $f is not clang-formatted (run: clang-format -i $f)"
        status=1
    fi
    if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|gets|strtok)\s*\(' "$f" | grep -v 'snprintf'; then
        echo "style: $f uses a banned function (use snprintf/au_buf)"
        status=1
    fi
    case $f in src/lib/clock.c) ;; src/*)
        if grep -nE '\b(clock_gettime|gettimeofday)[[:space:]]*\(|\btime[[:space:]]*\([[:space:]]*(NULL|0)[[:space:]]*\)' "$f"; then
            echo "style: $f reads a clock itself (use src/lib/clock.h)"
            status=1
        fi ;;
    esac
    if ! head -n 1 "$f" | grep -q '^/\*'; then
        echo "style: $f does not open with a purpose comment"
        status=1
    fi
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
