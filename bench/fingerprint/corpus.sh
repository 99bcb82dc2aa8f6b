#!/bin/bash
# The false-match corpus: COUNT different 12-s videos at 320x180, 10 fps, for fp-eval cross.
#
#   corpus.sh SYNTH_VIDEO OUT_DIR [COUNT] [JOBS]      (COUNT default 2000, JOBS default 2)
#
# Writes OUT_DIR/d<i>.mp4 (an existing non-empty file is kept) and OUT_DIR/recipe.txt (one line
# a video: how it was made). Every parameter is drawn from i alone (awk's srand(i)), so the
# same i is the same video on any machine. Sources, by i % 10:
#   0-5  synth-video drives (60 %), SV_VARY=1: each seed (20000 + i) its own camera rig
#        (height, horizon, lens, hood), road (2-4 lanes, roadside spacing), burned-in clock
#        (bottom, top, none) and colours, the scene in turn over all ten dashcam scenes, the
#        look (day, night, rain) from the seed. Without SV_VARY drives of one scene and look
#        are near duplicates (SSIM 0.88-0.95): see src/fingerprint/README.md.
#   6    ffmpeg mandelbrot: a point near the set's edge, its own zoom and slow rotation
#   7    ffmpeg geq: moving interference patterns, their own frequencies, speeds and colours
#   8    ffmpeg life (odd tens: geq rings): own seed, rule parameters, cell size / centres,
#        their paths, ring spacing
#   9    ffmpeg cellauto (odd tens: gradients): own rule and seed / colours and speed
# ffmpeg's sierpinski source was tried and dropped: its seed only moves one self-similar
# pattern, so two seeds gave the same picture (hash distance 1.6, found by the cross run).
# How alike the result is: bench/fingerprint/run.sh prints SSIM over random pairs.
set -euo pipefail
SYNTH=${1:?usage: corpus.sh SYNTH_VIDEO OUT_DIR [COUNT] [JOBS]}
OUT=${2:?usage: corpus.sh SYNTH_VIDEO OUT_DIR [COUNT] [JOBS]}
COUNT=${3:-2000}
JOBS=${4:-2}
mkdir -p "$OUT"

# the recipe of video i: "synth SCENE SEED" or "lavfi GRAPH [| FILTERS]"
recipe() {
    awk -v i="$1" 'BEGIN {
        srand(i); r = i % 10; tens = int(i / 10)
        split("normal collision near-miss hard-brake bump horn music tunnel crash-ahead rear-end", sc, " ")
        if (r <= 5) { printf "synth %s %d\n", sc[1 + (tens * 6 + r) % 10], 20000 + i; exit }
        if (r == 6) {
            split("-0.743643 -0.1011 0.2549 -1.2500 -0.7453 0.3602 -0.1592 -1.7690", px, " ")
            split("0.131825 0.9563 0.0005 0.0200 0.1127 -0.6413 1.0317 0.0042", py, " ")
            k = 1 + int(rand() * 8); s = exp(log(0.002) + rand() * log(500))
            x = px[k] + (rand() - 0.5) * s; y = py[k] + (rand() - 0.5) * s
            printf "lavfi mandelbrot=s=320x180:rate=10:start_x=%.6f:start_y=%.6f:start_scale=%.5f:end_scale=%.6f:end_pts=%d:maxiter=%d | rotate=a=%.3f+%.3f*t\n",
                x, y, s, s * (0.01 + rand() * 0.5), 20 + int(rand() * 100), 100 + int(rand() * 300),
                rand() * 6.28, (rand() - 0.5) * 0.2
            exit
        }
        if (r == 7) {
            printf "lavfi nullsrc=s=320x180:rate=10 | geq=lum=%c128+%d*sin(X/%.1f+T*%.2f)*cos(Y/%.1f-T*%.2f)+%d*sin((X*%.2f+Y)/%.1f+T*%.2f)%c:cb=%c128+%d*sin(X/%.1f+T*%.2f)%c:cr=%c128+%d*cos(Y/%.1f-T*%.2f)%c\n",
                39, 20 + int(rand() * 50), 4 + rand() * 40, (rand() - 0.5) * 3, 4 + rand() * 30,
                (rand() - 0.5) * 3, 10 + int(rand() * 50), rand() * 3 - 1.5, 5 + rand() * 40,
                (rand() - 0.5) * 4, 39, 39, int(rand() * 60), 10 + rand() * 80, rand() * 2, 39,
                39, int(rand() * 60), 10 + rand() * 60, rand() * 2, 39
            exit
        }
        if (r == 8 && tens % 2 == 0) {
            cell = 1 + int(rand() * 4)
            printf "lavfi life=s=%dx%d:rate=10:seed=%d:mold=%d:ratio=%.2f:life_color=#%06x:death_color=#%06x | scale=320:180:flags=neighbor\n",
                int(320 / cell), int(180 / cell), 7000 + i, int(rand() * 60), 0.05 + rand() * 0.6,
                int(rand() * 16777215), int(rand() * 16777215)
            exit
        }
        if (r == 8) {
            printf "lavfi nullsrc=s=320x180:rate=10 | geq=lum=%c128+%d*sin(hypot(X-%d-%.1f*T,Y-%d-%.1f*T)/%.1f+T*%.2f)+%d*cos(hypot(X-%d,Y-%d+%.1f*T)/%.1f)%c:cb=128:cr=%d\n",
                39, 40 + int(rand() * 60), int(rand() * 320), (rand() - 0.5) * 30, int(rand() * 180),
                (rand() - 0.5) * 30, 2 + rand() * 20, (rand() - 0.5) * 6, int(rand() * 40),
                int(rand() * 320), int(rand() * 180), (rand() - 0.5) * 20, 3 + rand() * 30, 39,
                98 + int(rand() * 60)
            exit
        }
        if (tens % 2 == 0) {
            printf "lavfi cellauto=s=320x180:rate=10:rule=%d:seed=%d:scroll=1:random_fill_ratio=%.2f\n",
                int(rand() * 256), 8000 + i, 0.1 + rand() * 0.8
            exit
        }
        printf "lavfi gradients=s=320x180:rate=10:seed=%d:n=%d:speed=%.3f | noise=alls=%d:allf=t\n",
            11000 + i, 2 + int(rand() * 7), 0.005 + rand() * 0.1, int(rand() * 20)
    }'
}

make_one() {
    local i=$1 f=$OUT/d$1.mp4 line
    line=$(recipe "$i")
    echo "d$i $line"
    [ -s "$f" ] && return 0
    set -- $line
    case $1 in
    synth)
        SV_VARY=1 "$SYNTH" --scene "$2" --duration 12 --size 320x180 --fps 10 --seed "$3" \
            -o "$f" >/dev/null 2>&1 ;;
    lavfi)
        local graph=${line#lavfi } src filt
        src=${graph%% | *}
        filt=null
        [ "$src" != "$graph" ] && filt=${graph#* | }
        ffmpeg -nostdin -v error -y -f lavfi -i "$src" -vf "$filt" -t 12 -pix_fmt yuv420p \
            -c:v libx264 -preset veryfast "$f" ;;
    esac
}
export -f recipe make_one
export OUT SYNTH
seq 0 $((COUNT - 1)) | xargs -P "$JOBS" -I{} bash -c 'make_one {}' | sort -V >"$OUT/recipe.txt"
