#!/bin/bash
# Issue 26's multi-camera bench inputs, into DIR (default /tmp/dc-multicam; not committed), all
# one synth-video scene (same scene, seed and 9-minute timeline, so the same picture and sound):
#   DIR/series/  a BlackVue recording: three 3-minute 1080p30 segments x front and rear
#                (20260314_120300_NF.mp4 ... 20260314_120900_NR.mp4, recording.label.json)
#   DIR/single/  the front channel as one 9-minute 1080p30 file (20260314_120300_NF.mp4)
# The incident is at INCIDENT s of the timeline (default 180.5: 0.5 s into the second segment),
# SCENE (default collision; rear-end for the rear camera's case). Encoded at nice 19: about
# 10 CPU-minutes in all (0.36 CPU-s per second of 1080p video per channel).
# Usage: bench/multicam/make_files.sh [DIR]
#   SYNTH_VIDEO=path/to/synth-video; SIZE=WxH and SEGMENT_SEC=S shrink it for a smoke run.
set -euo pipefail
DIR=${1:-/tmp/dc-multicam}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SV=${SYNTH_VIDEO:-$ROOT/build/bin/synth-video}
SCENE=${SCENE:-collision}
INCIDENT=${INCIDENT:-180.5}
SIZE=${SIZE:-1920x1080}
SEG=${SEGMENT_SEC:-180}
common=(--scene "$SCENE" --incident-at "$INCIDENT" --size "$SIZE" --fps 30 --seed 7
        --camera blackvue --start 2026-03-14T12:03:00)
mkdir -p "$DIR"
# Each set is written into a .tmp folder and renamed when complete, so an interrupted run
# leaves nothing that looks finished.
if [ ! -s "$DIR/series/recording.label.json" ]; then
    rm -rf "$DIR/series.tmp"
    nice -n 19 "$SV" "${common[@]}" --channels front,rear --segments 3 --segment-sec "$SEG" \
        --out "$DIR/series.tmp" >/dev/null
    rm -rf "$DIR/series" && mv "$DIR/series.tmp" "$DIR/series"
fi
if [ ! -s "$DIR/single/recording.label.json" ]; then
    rm -rf "$DIR/single.tmp"
    nice -n 19 "$SV" "${common[@]}" --channels front --segments 1 --segment-sec "$(awk "BEGIN { print 3 * $SEG }")" \
        --out "$DIR/single.tmp" >/dev/null
    rm -rf "$DIR/single" && mv "$DIR/single.tmp" "$DIR/single"
fi
ls -l "$DIR/series" "$DIR/single"
