#!/bin/bash
# Makes the soak's inputs (good and bad videos, the tiny model) and runs dc-soak on them.
#   soak_inputs.sh --short                 ctest: 12 claims of the signals engine, 24 with the model
#   soak_inputs.sh CLAIMS FIGURES_FILE     make soak (via run_soak.sh)
# Needs DC_BIN (the build's bin folder) and DC_TEST_TMP (scratch).
set -euo pipefail
bin=$DC_BIN
dir=$DC_TEST_TMP/soak
rm -rf "$dir" && mkdir -p "$dir/model"
v() { "$bin/synth-video" --duration 6 --size 320x180 --fps 15 "$@" >/dev/null 2>&1; }
v --scene collision --incident-at 3 -o "$dir/collision.mp4"
v --scene near-miss --codec hevc -o "$dir/near-miss.mkv"
v --scene normal --damage noaudio -o "$dir/normal.ts"
v --scene collision --codec mjpeg -o "$dir/collision.avi"
v --scene collision --damage truncate -o "$dir/truncated.mp4"
v --scene collision --damage corrupt -o "$dir/corrupt.mp4"
v --scene collision --damage moov-end -o "$dir/moov-end.mp4"
head -c 30000 "$dir/collision.mp4" >"$dir/cut-before-moov.mp4"
printf 'not a video at all\n' >"$dir/text.mp4"
: >"$dir/empty.mp4"
zzuf -s 1 -r 0.004 <"$dir/collision.mp4" >"$dir/zzuf.mp4" 2>/dev/null || cp "$dir/corrupt.mp4" "$dir/zzuf.mp4"
videos=("$dir/collision.mp4" "$dir/text.mp4" "$dir/near-miss.mkv" "$dir/truncated.mp4"
        "$dir/normal.ts" "$dir/empty.mp4" "$dir/collision.avi" "$dir/corrupt.mp4"
        "$dir/moov-end.mp4" "$dir/cut-before-moov.mp4" "$dir/zzuf.mp4" "$dir/missing.mp4")
"$bin/synth-model" --preset tiny --seed 1 -o "$dir/model" >/dev/null 2>&1
model=(--model "$dir/model/model.gguf" --mmproj "$dir/model/mmproj.gguf")
if [[ ${1:-} == --short ]]; then
  "$bin/dc-soak" --claims 12 "${videos[@]}" | tail -n 1
  # Two passes over the videos with the model, held to 12 MB of RSS growth: before claims gave
  # their free heap pages back (dc_release_free_memory) these 24 claims grew by 22-30 MB.
  "$bin/dc-soak" --claims 24 --max-growth-mb 12 "${model[@]}" "${videos[@]}" | tail -n 1
  exit 0
fi
claims=$1 figures=$2
"$bin/dc-soak" --claims "$claims" --figures "$figures" "${model[@]}" "${videos[@]}"
