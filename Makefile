# dashclaim: the user's entry point. `make demo` and `make test` do all set-up on Debian 12.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX_FILE := $(BUILD)/.llama-prefix

.PHONY: all deps build build-asan test test-fast demo bench format lint clean fuzz soak corrupt \
	crash-campaign

all: build

# scripts/deps is idempotent and prints the llama.cpp prefix as its last line.
deps:
	@mkdir -p $(BUILD)
	@scripts/deps | tail -n 1 > $(PREFIX_FILE).tmp && mv $(PREFIX_FILE).tmp $(PREFIX_FILE)

build: deps
	@cmake -S . -B $(BUILD) -DDC_LLAMA_PREFIX="$$(cat $(PREFIX_FILE))" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DDC_LLAMA_PREFIX="$$(cat $(PREFIX_FILE))" -DDC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) -- --no-print-directory

# Sanitizer suite first, so that the normal suite's ctest summary is the last thing printed.
test: build build-asan
	@echo "== tests under AddressSanitizer + UBSan ($(ASAN_BUILD))"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) --timeout 1500
	@echo "== tests ($(BUILD))"
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 1500

# Tests of the normal build only (quicker while developing).
test-fast: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo $(BUILD)

bench: build
	@scripts/bench $(BUILD) $(BENCH)

# The service's kill -9 campaign in full (ctest runs 40): RUNS kills of `dashclaim serve` at random
# moments and crash points, SQL invariants after each (tests/serve/crash_campaign.sh).
RUNS ?= 200
crash-campaign: build
	@tests/serve/crash_campaign.sh $(BUILD)/bin $(BUILD)/test-tmp/crash-campaign $(RUNS)

# libFuzzer on every harness (clang; tests/fuzz/run_fuzz.sh lists them), FUZZ_SECONDS each;
# new finds are merged into the corpora that ctest replays.
FUZZ_SECONDS ?= 600
fuzz: build
	@tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS) $(BUILD)

# Long reliability runs (500-claim soak, sanitizer soak, valgrind, faults, allocation sweep);
# rewrites RELIABILITY.md.
soak: build build-asan
	@tests/reliability/run_soak.sh $(BUILD) $(ASAN_BUILD)

# Corrupted-input campaign: >= 1000 damaged videos, both engines, both builds.
corrupt: build build-asan
	@tests/reliability/corrupt_campaign.sh $(BUILD) $(ASAN_BUILD)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

lint: build
	@git ls-files 'src/*.c' 'tools/*.c' | xargs -P $(JOBS) -n 4 clang-tidy -p $(BUILD) --quiet --warnings-as-errors='*' 2>/dev/null

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
