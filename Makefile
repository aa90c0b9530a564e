# Aurum build. `make` builds build/aurum; `make test` installs what is missing, builds a normal
# and a sanitizer build, runs every test in both and ends with "N passed, N failed";
# `make demo` installs, builds and runs the Northwind demo. Sources are found by wildcard so a
# new module is a new file, not an edit here.

CC       ?= cc
BUILD    ?= build
SAN      ?=
PKGS     := sqlite3 libmicrohttpd libcurl jansson yaml-0.1 libutf8proc libsodium libxxhash libpq libnats zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT      ?= -O2
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
            -Isrc $(PKG_CFLAGS) -pthread -MMD -MP
LDLIBS   += $(PKG_LIBS) -lpthread -lm
# FUZZ=1 (with CC=clang, BUILD=build-fuzz): the library instrumented for libFuzzer, plus ASan and
# UBSan; scripts/fuzz.sh links the harnesses of fuzz/ against it.
ifeq ($(FUZZ),1)
CFLAGS   += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
            -Wno-unknown-warning-option \
            -fno-sanitize-recover=undefined
endif
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(shell find src -name '*.c' -not -path 'src/cli/*'))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(shell find tests/unit -name '*.c' 2>/dev/null))
RT_SRC   := $(sort $(wildcard tests/runtime/*.c))
# Test helpers linked into both suites (e.g. the HTTP target the flow tests deliver to).
SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
BENCH_SRC:= $(sort $(wildcard bench/*.c))

# The web console (web/) is embedded into the binary by a generated source (never committed).
WEB_SRC  := $(sort $(shell find web -type f ! -name '.*' 2>/dev/null))
WEB_OBJ  := $(BUILD)/gen/web_assets.o

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(WEB_OBJ)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
RT_OBJ   := $(RT_SRC:%.c=$(BUILD)/%.o)
SUPPORT_OBJ := $(SUPPORT_SRC:%.c=$(BUILD)/%.o)
# Each bench/NAME.c is one program, build/bench/NAME, linked with the library like the daemon.
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test demo deps clean style bench fuzz

all: $(BUILD)/aurum

$(BUILD)/libaurum.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/aurum: $(CLI_OBJ) $(BUILD)/libaurum.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libaurum.a $(LDLIBS)

$(BUILD)/test_unit: $(UNIT_OBJ) $(SUPPORT_OBJ) $(BUILD)/libaurum.a
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(SUPPORT_OBJ) $(BUILD)/libaurum.a $(LDLIBS) -lcriterion

$(BUILD)/test_runtime: $(RT_OBJ) $(SUPPORT_OBJ) $(BUILD)/libaurum.a
	$(CC) $(LDFLAGS) -o $@ $(RT_OBJ) $(SUPPORT_OBJ) $(BUILD)/libaurum.a $(LDLIBS) -lcriterion

$(BUILD)/gen/web_assets.c: $(WEB_SRC) scripts/webembed.sh
	@mkdir -p $(dir $@)
	scripts/webembed.sh web > $@.tmp && mv $@.tmp $@

$(WEB_OBJ): $(BUILD)/gen/web_assets.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

tests: $(BUILD)/aurum $(BUILD)/test_unit $(BUILD)/test_runtime

# `make bench` runs the speed benchmarks of issue 13 and prints their table (bench/table.sh,
# ~20 minutes on 2 cores: imports 100 k, 1 M and 5 M generated records, reads and upserts on the
# 1 M store beside nginx, flows beside Node-RED); `make bench-bin` only builds bench/*.c.
bench: all $(BENCH_BIN)
	@AURUM=$(BUILD)/aurum bench/table.sh

bench-bin: $(BENCH_BIN)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libaurum.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libaurum.a $(LDLIBS)

deps:
	@scripts/deps.sh

# The npm half of deps.sh runs inside test.sh, beside the first build.
test:
	@scripts/deps.sh --debian
	@scripts/test.sh

demo:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(DEMO_ARGS)

style:
	@scripts/checkstyle.sh

# Every libFuzzer harness for FUZZ_SECONDS each (default 60) after replaying its corpus.
fuzz:
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(RT_OBJ:.o=.d) $(SUPPORT_OBJ:.o=.d)
-include $(BENCH_BIN:=.d)
