#!/bin/sh
# bench/telemetry: what the dashcam's own data does for the signals engine, and what reading it
# costs. Prints figures; never pass/fail.
#   bench/telemetry/run.sh BUILD_DIR [OUT_DIR] [CLIPS]
# (a) CLIPS (default 20) no-sound collisions from synth-video (incident between 4 and 9 s,
#     seeds 1..CLIPS) with GPMF telemetry from tools/synth-telemetry (the jolt at the labelled
#     incident): each is assessed by the signals engine without its telemetry (the plain
#     clip) and with it; localisation = |strongest window's peak - incident| <= 0.1 s.
# (b) a 20-min claim (synth-video normal, no sound, with 20 min of GPMF telemetry: 21 600 fixes,
#     240 000 samples): the claim's wall time, and the telemetry read alone (dashclaim telemetry)
#     as the cost's upper bound; the peer exiftool -ee -n (when installed) on the same file.
set -eu
BUILD=${1:?usage: run.sh BUILD_DIR [OUT_DIR] [CLIPS]}
OUT=${2:-/tmp/bench-telemetry}
CLIPS=${3:-20}
BIN=$BUILD/bin
mkdir -p "$OUT"
HERE=$(cd "$(dirname "$0")" && pwd)
i=1
while [ "$i" -le "$CLIPS" ]; do
  at=$(awk -v i="$i" 'BEGIN { printf "%.1f", 4 + (i * 37 % 50) / 10 }')
  "$BIN/synth-video" --scene collision --duration 12 --size 256x144 --fps 10 --seed "$i" \
    --damage noaudio --incident-at "$at" -o "$OUT/c$i.mp4" >/dev/null 2>&1
  "$BIN/synth-telemetry" --format gpmf --in "$OUT/c$i.mp4" -o "$OUT/c$i-gpmf.mp4" \
    --duration 12 --impact "$at"
  "$BIN/dashclaim" assess -q --compact "$OUT/c$i.mp4" >"$OUT/c$i.json" 2>/dev/null
  "$BIN/dashclaim" assess -q --compact "$OUT/c$i-gpmf.mp4" >"$OUT/c$i-gpmf.json" 2>/dev/null
  echo "$i $at" >>"$OUT/incidents.txt.tmp"
  i=$((i + 1))
done
mv "$OUT/incidents.txt.tmp" "$OUT/incidents.txt"
# (b) the 20-min claim
if [ ! -f "$OUT/long-gpmf.mp4" ]; then
  "$BIN/synth-video" --scene normal --duration 1200 --size 256x144 --fps 10 --damage noaudio \
    -o "$OUT/long.mp4" >/dev/null 2>&1
  "$BIN/synth-telemetry" --format gpmf --in "$OUT/long.mp4" -o "$OUT/long-gpmf.mp4" \
    --duration 1200 --impact 700
fi
python3 "$HERE/summarize.py" "$OUT" "$BIN"
