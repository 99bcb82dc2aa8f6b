#!/bin/sh
# Fuzzes the claim module's text readers with libFuzzer and grows tests/claim/corpus/.
#   tests/claim/run_fuzz.sh [SECONDS]   (default 600; runs under nice -n 10)
# Needs clang and libclang-rt (Debian: clang, libclang-rt-14-dev). After a run, keep the
# corpus small: the script merges new finds into tests/claim/corpus/ with -merge=1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-600}
work=${DC_FUZZ_DIR:-/tmp/dc-claim-fuzz}
mkdir -p "$work/grown" "$here/corpus"
clang -std=c17 -D_GNU_SOURCE -DDC_VERSION='"fuzz"' -g -O1 \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/include" -I"$root/src/claim" \
  "$here/fuzz_lenient.c" "$root"/src/claim/*.c "$root"/src/core/*.c \
  $(pkg-config --cflags --libs jansson libavutil libcrypto) -lm -lpthread -o "$work/fuzz_lenient"
cp -n "$here"/corpus/* "$work/grown/" 2>/dev/null || true
cp -n "$here"/lenient_cases/*.txt "$work/grown/" 2>/dev/null || true
nice -n 10 "$work/fuzz_lenient" -max_total_time="$secs" -max_len=4096 -timeout=10 \
  -rss_limit_mb=1024 -print_final_stats=1 "$work/grown"
# keep only inputs that add coverage
mkdir -p "$work/merged"
rm -f "$work"/merged/*
nice -n 10 "$work/fuzz_lenient" -merge=1 "$work/merged" "$work/grown" >/dev/null 2>&1
rm -f "$here"/corpus/*
cp "$work"/merged/* "$here/corpus/"
echo "corpus: $(ls "$here/corpus" | wc -l) files in tests/claim/corpus"
