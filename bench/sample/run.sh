#!/bin/bash
# bench/sample: dashclaim's frame sampler against the prototype's path, the ffmpeg CLI and the
# decode floor, on a 20-minute 1080p30 H.264 video with a 1-second GOP and AAC audio.
# usage: bench/sample/run.sh BUILD_DIR [VIDEO] [--repeat N] [--only W1,W2,W3,W3K,THUMBS]
#                            [--skip-prototype] [--skip-ffmpeg]
# Needs: BUILD_DIR/bin/{synth-video,bench-sample}, ffmpeg, Debian's python3-opencv python3-pil.
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD_DIR [VIDEO] [options]}
shift
VIDEO=""
if [[ $# -gt 0 && $1 != --* ]]; then VIDEO=$1; shift; fi
REPEAT=3
ONLY=W1,W2,W3,W3K,THUMBS
PEER_OPTS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --repeat) REPEAT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --skip-prototype|--skip-ffmpeg) PEER_OPTS+=("$1"); shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
if [[ -z $VIDEO ]]; then
  VIDEO=$BUILD/bench-data/sample_1080p30_20min.mp4
  if [[ ! -s $VIDEO ]]; then
    mkdir -p "$(dirname "$VIDEO")"
    echo "bench/sample: writing $VIDEO (20 min 1080p30, GOP 30, AAC; takes minutes)" >&2
    nice -n 10 "$BUILD/bin/synth-video" --size 1920x1080 --fps 30 --gop 30 --duration 1200 \
      --seed 7 -o "$VIDEO.tmp.mp4"
    mv "$VIDEO.tmp.mp4" "$VIDEO"
  fi
fi
if ! /usr/bin/python3 -c 'import cv2, PIL' 2>/dev/null; then
  echo "bench/sample: python3-opencv/python3-pil missing: the prototype peer is skipped" >&2
  PEER_OPTS+=(--skip-prototype)
fi
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
cat "$VIDEO" > /dev/null # the page cache holds the file for every contender alike
"$BUILD/bin/bench-sample" "$VIDEO" --repeat "$REPEAT" --only "$ONLY" > "$OUT"
/usr/bin/python3 "$HERE/peers.py" "$VIDEO" "$OUT" "${PEER_OPTS[@]}"
