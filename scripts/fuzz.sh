#!/bin/sh
# Builds the library with clang for libFuzzer (build-fuzz/libaurum.a: FUZZ=1 adds
# -fsanitize=fuzzer-no-link,address,undefined), links every harness fuzz/NAME_fuzz.c against it,
# replays its corpus fuzz/corpus/NAME/ and then fuzzes it for SECONDS (default 60; 0 = replay
# only). New interesting inputs go to build-fuzz/corpus/NAME/ (copy the good ones to
# fuzz/corpus/NAME/); a crash leaves build-fuzz/crash-NAME-* and becomes a regression test.
# Prints "fuzz NAME: ok" or "fuzz NAME: FAILED" per harness; exits 1 when any failed.
# Usage: scripts/fuzz.sh [SECONDS] [NAME...]
set -u
cd "$(dirname "$0")/.."
SECS=${1:-60}
[ $# -gt 0 ] && shift
CC=${FUZZ_CC:-clang-14}
OUT=build-fuzz
JOBS=${JOBS:-2}
if ! make -s -j"$JOBS" BUILD=$OUT CC="$CC" OPT=-O1 FUZZ=1 $OUT/libaurum.a; then
    echo "fuzz build: FAILED"
    exit 1
fi
PKGS="sqlite3 libmicrohttpd libcurl jansson yaml-0.1 libutf8proc libsodium libxxhash libpq libnats zlib"
names=${*:-$(ls fuzz/*_fuzz.c | sed 's|fuzz/||; s|_fuzz.c||')}
status=0
for n in $names; do
    mkdir -p "$OUT/corpus/$n"
    if ! $CC -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=undefined -Isrc -Ifuzz $(pkg-config --cflags $PKGS) \
        "fuzz/${n}_fuzz.c" $OUT/libaurum.a -o "$OUT/${n}_fuzz" $(pkg-config --libs $PKGS) \
        -lpthread -lm; then
        echo "fuzz $n: FAILED (link)"
        status=1
        continue
    fi
    log="$OUT/$n.log"
    # Replay: every corpus input once (libFuzzer runs files given as arguments).
    ok=1
    files=$(ls fuzz/corpus/"$n"/* 2>/dev/null)
    if [ -n "$files" ] && ! "$OUT/${n}_fuzz" -rss_limit_mb=2048 $files >"$log" 2>&1; then
        ok=0
    fi
    if [ $ok = 1 ] && [ "$SECS" -gt 0 ] && ! "$OUT/${n}_fuzz" -max_total_time="$SECS" \
        -max_len=8192 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$OUT/crash-$n-" \
        "$OUT/corpus/$n" "fuzz/corpus/$n" >>"$log" 2>&1; then
        ok=0
    fi
    if [ $ok = 1 ]; then
        echo "fuzz $n: ok"
    else
        echo "fuzz $n: FAILED (see $log)"
        grep -aE 'ERROR|SUMMARY|runtime error' "$log" | head -5
        status=1
    fi
done
exit $status
