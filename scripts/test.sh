#!/bin/bash
# Runs every test twice: a normal optimised build and an AddressSanitizer+UndefinedBehaviorSanitizer
# build. Unit tests (Criterion, the store and engine suites on SQLite and on a real PostgreSQL)
# and black-box runtime tests (the real daemon on a random loopback port; in the normal build a
# second time on PostgreSQL) plus the style check and the fuzz replays. Ends with the line
# "N passed, N failed". Each pass prints its wall and CPU time and its slowest tests; where the
# 20-minute CI budget goes, and why the passes overlap as they do: docs/BENCHMARKS.md, "The test
# run's time budget".
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

# "R U S" (bash `time`) -> "R s wall, C s CPU"; CPU counts the test processes and the daemons
# they reap, not a PostgreSQL server (it detaches).
say_time() {
    echo "$1" | awk '{ printf "   %.0f s wall, %.0f s CPU (user+sys)\n", $1, $2 + $3 }'
}

# The five slowest tests of a pass, from the TAP report Criterion writes beside the log
# ("ok - suite::test  (1.23s)"): where to look when the run grows.
slowest() { # tap file
    sed -nE 's/^(not )?ok - ([^ ]+).*\(([0-9.]+)s\)$/\3 \2/p' "$1" 2>/dev/null | sort -rn |
        head -5 | awk '{ printf "   slow: %6.1f s %s\n", $1, $2 }'
}

run_one() { # build dir, label, test binary, log file
    local b=$1 label=$2 suite=$3 log=$4 t
    echo "== $label $suite (at ${SECONDS} s)"
    t=$({
        TIMEFORMAT='%R %U %S'
        time AURUM_BIN="$PWD/$b/aurum" timeout 1500 "$b/$suite" --jobs "$JOBS" --short-filename \
            --output=tap:"$log.tap" >"$log" 2>&1
    } 2>&1)
    grep -aE '^\[(FAIL|----)\]|Synthesis|CRASH' "$log" \
        | head -60
    say_time "$t"
    slowest "$log.tap"
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

# The runtime suites a second time with every daemon storing in PostgreSQL
# (AURUM_TEST_STORE=postgres: one server for the run, started by the runner in a temporary
# directory on a random port, a database per daemon); in the normal build, and in the sanitizer
# build too with PG_SAN=1 (docs/POSTGRES.md). The unit binary runs its PostgreSQL twins (the
# *_pg suites) in its one pass. The PostgreSQL pass runs one test more at a time: its tests wait
# on the server and the daemons' round trips more than on the cores.
run_pg() { # build dir, label
    AURUM_TEST_STORE=postgres JOBS=$((JOBS + 1)) run_one "$1" "$2 postgres" test_runtime \
        "$1/test_runtime_pg.log"
}

san_env() { # command... with the sanitizer runtime's options
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp" "$@"
}

# Work that does not need the foreground's attention, run beside the normal build's test passes
# at a lower priority (nice 10: the tests' daemons get the cores first, the compilers take what
# the runtime passes leave idle while they wait on round trips): the style check, the sanitizer
# build, then the fuzz harnesses (clang build of the library, corpus replays, FUZZ_SECONDS of
# fuzzing each). Output in build/bg-*.log; the foreground prints it when it needs the results.
background() {
    nice -n 10 scripts/checkstyle.sh >build/bg-style.log 2>&1
    echo $? >build/bg-style.rc
    nice -n 10 make -s -j"$JOBS" BUILD=build-san SAN=1 OPT=-O1 all tests >build/bg-san.log 2>&1
    echo $? >build/bg-san.rc
    nice -n 10 scripts/fuzz.sh "${FUZZ_SECONDS:-3}" >build/bg-fuzz.log 2>&1
}

# npm ci of the SDK and browser tests waits on the network: it runs beside the normal build.
mkdir -p build
rm -f build/bg-*.log build/bg-*.rc
scripts/deps.sh --npm >build/bg-npm.log 2>&1 &
npm_pid=$!

echo "== build (normal) (at ${SECONDS} s)"
if ! make -s -j"$JOBS" BUILD=build all tests; then
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "   built at ${SECONDS} s"
if ! wait "$npm_pid"; then
    echo "!! npm ci of the SDK/browser tests failed:"
    tail -20 build/bg-npm.log
    failed=$((failed + 1))
fi

background &
bg_pid=$!

# Normal build: the runtime passes first (they leave the cores idle for the background), the
# CPU-bound unit pass last.
run_one build normal test_runtime build/test_runtime.log
run_pg build normal
run_one build normal test_unit build/test_unit.log

echo "== waiting for style, sanitizer build and fuzz (at ${SECONDS} s)"
wait "$bg_pid"
echo "== style"
cat build/bg-style.log
if [ "$(cat build/bg-style.rc 2>/dev/null)" = 0 ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi
echo "== build (asan+ubsan)"
cat build/bg-san.log
if [ "$(cat build/bg-san.rc 2>/dev/null)" != 0 ]; then
    echo "sanitizer build failed"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi
# Fuzzing: each libFuzzer harness replays its corpus, then runs FUZZ_SECONDS (default 3); one
# pass or failure per harness.
echo "== fuzz"
while IFS= read -r line; do
    echo "$line"
    case "$line" in
    "fuzz "*": ok") passed=$((passed + 1)) ;;
    "fuzz "*"FAILED"*) failed=$((failed + 1)) ;;
    esac
done <build/bg-fuzz.log

san_env run_one build-san sanitizers test_unit build-san/test_unit.log
san_env run_one build-san sanitizers test_runtime build-san/test_runtime.log
[ "${PG_SAN:-0}" = 1 ] && san_env run_pg build-san sanitizers

echo "== done at ${SECONDS} s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
