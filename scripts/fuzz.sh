#!/bin/sh
# Builds the flow expression/cron/flow-definition fuzzer with clang's libFuzzer + ASan + UBSan
# and runs it for N seconds (default 60) on fuzz/corpus/, adding new interesting inputs to a
# scratch corpus under build-fuzz/ (copy the good ones to fuzz/corpus/ by hand).
# Usage: scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
set -e
cd "$(dirname "$0")/.."
SECS=${1:-60}
[ $# -gt 0 ] && shift
CC=${FUZZ_CC:-clang-14}
OUT=build-fuzz
mkdir -p "$OUT/corpus"
PKGS="libcurl jansson yaml-0.1 libutf8proc libsodium"
$CC -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -Isrc -Ifuzz $(pkg-config --cflags $PKGS) \
    fuzz/expr_fuzz.c src/flows/*.c src/lib/alloc.c src/lib/buf.c src/lib/rc.c src/lib/log.c \
    -o "$OUT/expr_fuzz" $(pkg-config --libs $PKGS) -lpthread -lm
"$OUT/expr_fuzz" -max_total_time="$SECS" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
    "$@" "$OUT/corpus" fuzz/corpus
