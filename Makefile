# dashclaim: the user's entry point. `make demo` and `make test` do all set-up on Debian 12.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX_FILE := $(BUILD)/.llama-prefix

.PHONY: all deps build build-asan test test-fast demo bench format format-check lint clean fuzz soak \
	corrupt crash-campaign FORCE

all: build

# scripts/deps is idempotent and prints the llama.cpp prefix as its last line. A build runs it
# only when something it depends on changed since the last run into this build folder: the script,
# this Makefile, the CMake list of libraries, the environment that picks the llama.cpp build
# (DEPS_ENV, remembered in DEPS_STAMP), or the prefix it printed is gone. `make deps` always runs it.
DEPS_STAMP := $(BUILD)/.deps-env
DEPS_ENV := $(foreach v,DASHCLAIM_CUDA DASHCLAIM_CUDA_ARCH DASHCLAIM_DEPS_DIR DASHCLAIM_SKIP_APT \
	XDG_CACHE_HOME,$(v)=$($(v)))
DEPS_INPUTS := scripts/deps Makefile cmake/dependencies.cmake
ifneq "$(DEPS_ENV)" "$(shell cat $(DEPS_STAMP) 2>/dev/null)"
DEPS_INPUTS += FORCE
endif
ifeq ($(wildcard $(shell cat $(PREFIX_FILE) 2>/dev/null)/.dashclaim-complete),)
DEPS_INPUTS += FORCE
endif

define run_deps
@mkdir -p $(BUILD)
@scripts/deps | tail -n 1 > $(PREFIX_FILE).tmp && mv $(PREFIX_FILE).tmp $(PREFIX_FILE)
@printf '%s\n' '$(DEPS_ENV)' > $(DEPS_STAMP)
endef

deps:
	$(run_deps)

$(PREFIX_FILE): $(DEPS_INPUTS)
	$(run_deps)

FORCE:

build: $(PREFIX_FILE)
	@cmake -S . -B $(BUILD) -DDC_LLAMA_PREFIX="$$(cat $(PREFIX_FILE))" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

build-asan: $(PREFIX_FILE)
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

# Formatting of every tracked C file by .clang-format: `make format` rewrites, `make lint` checks
# it (the first file that differs fails) and then runs clang-tidy.
format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror

lint: format-check build
	@git ls-files 'src/*.c' 'tools/*.c' | xargs -P $(JOBS) -n 4 clang-tidy -p $(BUILD) --quiet --warnings-as-errors='*' 2>/dev/null

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
