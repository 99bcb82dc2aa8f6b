#!/bin/sh
# ctest: replays tests/reliability/corrupt-corpus/ (damaged files that once failed somewhere in
# the corrupted-input campaign, plus a few kept as representatives of each kind of damage)
# through dc-corrupt-run, with the signals engine, or with the tiny model when $1 is "vlm".
# DC_REPLAY_DEADLINE: each claim's deadline (20 s; CMake gives the sanitizer build 60 s).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$DC_TEST_TMP/corrupt-replay-${1:-signals}
mkdir -p "$tmp"
set -- "${1:-signals}"
if [ "$1" = vlm ]; then
  "$DC_BIN/synth-model" --preset tiny --seed 1 -o "$tmp/model" >/dev/null 2>&1
  set -- --model "$tmp/model/model.gguf" --mmproj "$tmp/model/mmproj.gguf"
else
  set --
fi
ls "$here"/corrupt-corpus/* >"$tmp/list.txt"
"$DC_BIN/dc-corrupt-run" --timeout "${DC_REPLAY_DEADLINE:-20}" "$@" --list "$tmp/list.txt" >"$tmp/out.tsv" || {
  grep -v '^pass' "$tmp/out.tsv"; exit 1; }
tail -n 1 "$tmp/out.tsv"
