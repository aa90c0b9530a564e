#!/bin/bash
# Runs every test twice: a normal optimised build and an AddressSanitizer+UndefinedBehaviorSanitizer
# build. Unit tests (Criterion, the store and engine suites on SQLite and on a real PostgreSQL)
# and black-box runtime tests (the real daemon on a random loopback port; in the normal build a
# second time on PostgreSQL) plus the style check. Ends with the line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
passed=0
failed=0

count_criterion() { # log file -> adds to passed/failed
    local line
    line=$(grep -a 'Synthesis:' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        echo "!! no Criterion synthesis in $1 (runner crashed?)"
        failed=$((failed + 1))
        return
    fi
    local t p f c
    t=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
    p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    passed=$((passed + p))
    failed=$((failed + f + c))
    [ $((p + f + c)) -lt "$t" ] && failed=$((failed + t - p - f - c))
}

run_one() { # build dir, label, test binary, log file
    local b=$1 label=$2 suite=$3 log=$4
    echo "== $label $suite"
    AURUM_BIN="$PWD/$b/aurum" timeout 1500 "$b/$suite" --jobs "$JOBS" --short-filename \
        >"$log" 2>&1
    grep -aE '^\[(FAIL|----)\]|Synthesis|CRASH' "$log" \
        | head -60
    count_criterion "$log"
    # A sanitizer report in a test that otherwise passed (a leak found at exit, say) is a failure.
    local reports
    reports=$(grep -acE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log")
    if [ "$reports" -gt 0 ]; then
        echo "!! $reports sanitizer report(s) in $log"
        grep -aE -A12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -40
        failed=$((failed + reports))
    fi
}

# Both binaries; then, in the normal build (and in the sanitizer build too with PG_SAN=1: it
# does not fit the 20-minute CI budget on this machine, docs/POSTGRES.md), the runtime suites a
# second time with every daemon storing in PostgreSQL (AURUM_TEST_STORE=postgres: one server for
# the run, started by the runner in a temporary directory on a random port, a database per
# daemon). The unit binary runs its PostgreSQL twins (the *_pg suites) in its one pass. The
# PostgreSQL pass runs one test more at a time: its tests wait on the server and the daemons'
# round trips more than on the cores (4 min 50 s at --jobs 2 on an idle 2-core machine).
run_suite() { # build dir, label, 1 to run the runtime suites on PostgreSQL too
    local b=$1 label=$2 pg=$3
    run_one "$b" "$label" test_unit "$b/test_unit.log"
    run_one "$b" "$label" test_runtime "$b/test_runtime.log"
    if [ "$pg" = 1 ]; then
        AURUM_TEST_STORE=postgres JOBS=$((JOBS + 1)) run_one "$b" "$label postgres" \
            test_runtime "$b/test_runtime_pg.log"
    fi
}

echo "== build (normal)"
if ! make -s -j"$JOBS" BUILD=build all tests; then
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "== build (asan+ubsan)"
if ! make -s -j"$JOBS" BUILD=build-san SAN=1 OPT=-O1 all tests; then
    echo "sanitizer build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

echo "== style"
if scripts/checkstyle.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# Fuzzing: each libFuzzer harness replays its corpus, then runs FUZZ_SECONDS (default 3); one
# pass or failure per harness.
echo "== fuzz"
while IFS= read -r line; do
    echo "$line"
    case "$line" in
    "fuzz "*": ok") passed=$((passed + 1)) ;;
    "fuzz "*"FAILED"*) failed=$((failed + 1)) ;;
    esac
done < <(scripts/fuzz.sh "${FUZZ_SECONDS:-3}" 2>&1)

run_suite build normal 1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp" run_suite build-san sanitizers "${PG_SAN:-0}"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
