#!/bin/bash
# The two files of issue 24, into DIR (default /tmp/dc-deadline; not committed): a 20-min
# 1080p30 ffmpeg testsrc2 with a sine tone (x264 ultrafast, GOP 30, AAC; ~2.4 GB), and the same
# picture without sound and with GOP 250. Encoded at nice 19 (about 8 min each on 2 shared
# cores).
set -euo pipefail
DIR=${1:-/tmp/dc-deadline}
mkdir -p "$DIR"
enc() { nice -n 19 ffmpeg -v error -nostdin -y -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=1200 "$@"; }
[ -s "$DIR/gop30-aac.mp4" ] || enc -f lavfi -i sine=frequency=440:sample_rate=44100:duration=1200 \
    -c:v libx264 -preset ultrafast -g 30 -pix_fmt yuv420p -c:a aac -shortest "$DIR/gop30-aac.tmp.mp4" &&
    mv "$DIR/gop30-aac.tmp.mp4" "$DIR/gop30-aac.mp4"
[ -s "$DIR/gop250-nosound.mp4" ] || enc -an -c:v libx264 -preset ultrafast -g 250 -pix_fmt yuv420p \
    "$DIR/gop250-nosound.tmp.mp4" && mv "$DIR/gop250-nosound.tmp.mp4" "$DIR/gop250-nosound.mp4"
ls -l "$DIR"
