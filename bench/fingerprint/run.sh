#!/bin/bash
# Fingerprint benchmark: robustness per variant, false matches among different videos, the
# index's band-key candidates, and the fingerprint's cost against mining's on 1080p.
#
#   bench/fingerprint/run.sh BUILD_DIR [WORK_DIR]     (WORK_DIR default: BUILD_DIR/bench-fingerprint)
#
# Environment: COUNT (originals for robustness, default 20), SIZE (their size, default 640x360),
# FM_COUNT (different videos for false matches, default 2000), JOBS (default nproc), TAG (a
# suffix for the robustness results file, to keep runs of two builds apart),
# SKIP_ROBUST=1, SKIP_FALSE=1, SKIP_COST=1.
#
# 1. Robustness: COUNT synth-video drives of 30 s at SIZE, 30 fps, each with its own seed
#    (2000 and up) and a scene from the list; variants.sh makes eleven copies of each (CRF 35, half
#    size, letterbox, mirror, burned-in caption, 15 fps, 10 s cut out, a 12-s clip at a whole
#    second and one at 6.4 s, the drive
#    inside a longer video, a 10 % crop). fp-eval variants makes every fingerprint the way
#    mining does (dc_mine_video) and matches each copy against its original: match rate per
#    variant; then the same lookups through the footage index (a SQLite store holding the
#    original, or the copy): what a claim's lookup finds, band keys included.
# 2. False matches: FM_COUNT different 12-s videos at 320x180, 10 fps (corpus.sh): synth-video
#    drives for 60 %, each seed its own camera rig, road and overlay (SV_VARY=1) and its own
#    drive, ffmpeg sources (mandelbrot, geq patterns, life, cellauto, gradients) with their own
#    parameters for the rest. fp-eval cross matches every pair (n(n-1)/2, both ways' offsets;
#    JOBS shards) and prints the false matches, how alike the sources are (the per-second
#    distance histogram of aligned seconds across videos, the closest pairs) and the band-key
#    collisions across videos; then ffmpeg's SSIM of random pairs, of the closest pairs and of
#    the false matches says how alike they are by a measure that is not ours.
# 3. Cost: a 60-s 1920x1080 30 fps H.264 drive with sound (1-s GOP), mined by dc_mine_video:
#    the fingerprint's hashing time against the whole mining time, as a ratio; likewise for a
#    20-s one (a clip short enough for mining's 5-a-second pass).
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD_DIR [WORK_DIR]}
WORK=${2:-$BUILD/bench-fingerprint}
JOBS=${JOBS:-$(nproc)}
COUNT=${COUNT:-20}
SIZE=${SIZE:-640x360}
FM_COUNT=${FM_COUNT:-2000}
SYNTH=$BUILD/bin/synth-video
EVAL=$BUILD/bin/fp-eval
here=$(cd "$(dirname "$0")" && pwd)
for tool in "$SYNTH" "$EVAL"; do
    [ -x "$tool" ] || { echo "run.sh: $tool not built (cmake --build $BUILD --target synth-video fp-eval)" >&2; exit 1; }
done
mkdir -p "$WORK"
scenes=(normal collision near-miss hard-brake bump horn music tunnel crash-ahead)
echo "load: $(uptime | sed 's/.*load average/load average/')"

if [ "${SKIP_ROBUST:-0}" != 1 ]; then
    R=$WORK/robust-$SIZE
    mkdir -p "$R"
    for ((i = 0; i < COUNT; i++)); do
        echo "$i"
    done | xargs -P "$JOBS" -I{} bash -c '
        i={}; d='"$R"'/$i; mkdir -p "$d"
        scenes=('"${scenes[*]}"')
        [ -s "$d/original.mp4" ] || '"$SYNTH"' --scene ${scenes[$((i % 9))]} --duration 30 \
            --size '"$SIZE"' --fps 30 --seed $((2000 + i)) -o "$d/original.mp4" >/dev/null 2>&1
        [ -s "$d/filler.mp4" ] || '"$SYNTH"' --scene normal --duration 12 --size '"$SIZE"' \
            --fps 30 --seed $((3000 + i)) -o "$d/filler.mp4" >/dev/null 2>&1
        [ -s "$d/crop10.mp4" ] || bash '"$here"'/variants.sh "$d/original.mp4" "$d" "$d/filler.mp4"'
    variants=(crf35 half letterbox mirror text fps15 cut clip clipfrac inside crop10)
    res=$R/results${TAG:-}.txt
    : >"$res"
    for ((i = 0; i < COUNT; i++)); do
        echo "$i"
    done | xargs -P "$JOBS" -I{} bash -c '
        d='"$R"'/{}; args=()
        for v in '"${variants[*]}"'; do args+=("$d/$v.mp4"); done
        '"$EVAL"' variants "$d/original.mp4" "${args[@]}" >"$d/results'"${TAG:-}"'.txt" || true'
    for ((i = 0; i < COUNT; i++)); do cat "$R/$i/results${TAG:-}.txt" >>"$res"; done
    echo "robustness: $COUNT drives at $SIZE, 30 s, 30 fps (K = 10 s, distance 40)"
    echo "  copy queried against the stored original; the original queried against the stored copy;"
    echo "  'index': the same two lookups through the footage index (band keys, then the matcher)"
    printf '  %-10s %8s %8s %10s %8s %8s %8s %8s\n' variant matched rate distance back "back rate" \
        index "back"
    for v in "${variants[@]}"; do
        awk -v v="$v" '$1 ~ "/"v".mp4$" { n++; if ($2 == "matched") { m++; d += $4 } if ($6 == "matched") b++
                                          if ($(NF - 1) == "found") x++; if ($NF == "found") y++ }
            END { printf "  %-10s %4d/%-3d %7.1f%% %10.1f %4d/%-3d %7.1f%% %4d/%-3d %4d/%-3d\n", v, m, n,
                  n ? 100 * m / n : 0, m ? d / m : 0, b, n, n ? 100 * b / n : 0, x, n, y, n }' "$res"
    done
fi

if [ "${SKIP_FALSE:-0}" != 1 ]; then
    F=$WORK/different
    bash "$here/corpus.sh" "$SYNTH" "$F" "$FM_COUNT" "$JOBS"
    list=()
    for ((i = 0; i < FM_COUNT; i++)); do list+=("$F/d$i.mp4"); done
    echo "false matches: $FM_COUNT different 12-s videos (corpus.sh: 60 % synth-video drives, each its own rig, 40 % ffmpeg sources)"
    for ((k = 0; k < JOBS; k++)); do
        FP_EVAL_SHARD=$k/$JOBS "$EVAL" cross "${list[@]}" >"$F/cross-$k.txt" &
    done
    wait
    cat "$F"/cross-*.txt >"$F/cross.txt"
    awk '/^videos/ { v = $2; p += $(NF - 3); f += $NF }
         /^aligned/ { c += $5; w += $7 }
         END { printf "  videos %d, pairs %d, false matches %d; aligned seconds within distance 40: %d of %d (%.4f %%)\n",
               v, p, f, w, c, c ? 100 * w / c : 0 }' "$F/cross.txt"
    grep '^false match' "$F/cross.txt" | head -5 | sed 's/^/  /' || true
    # how alike the videos are by a measure that is not ours: ffmpeg's SSIM (luma) of two
    # videos' aligned frames, for 50 random pairs, the ten closest pairs by our distance, and
    # up to 50 false matches at their matched offset
    ssim() { # A B OFFSET (candidate second - query second)
        local sa=0 sb=0
        if [ "$3" -ge 0 ]; then sb=$3; else sa=$((-$3)); fi
        ffmpeg -nostdin -hide_banner -ss "$sa" -i "$1" -ss "$sb" -i "$2" -filter_complex \
            "[0:v]format=gray[x];[1:v]format=gray[y];[x][y]ssim" -f null - 2>&1 |
            grep -o 'All:[0-9.]*' | cut -d: -f2
    }
    summary() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%d pairs, SSIM min %.3f median %.3f max %.3f\n", NR, v[1], v[int((NR + 1) / 2)], v[NR] }'; }
    awk -v n="$FM_COUNT" 'BEGIN { srand(1); for (k = 0; k < 50; k++) { a = int(rand() * n); b = int(rand() * n); if (a != b) print a, b } }' |
        while read -r a b; do ssim "$F/d$a.mp4" "$F/d$b.mp4" 0; done | summary | sed 's/^/  random: /'
    grep '^closest pair' "$F/cross.txt" | sort -t' ' -k8n | head -10 |
        while read -r _ _ a b _; do ssim "$a" "$b" 0; done | summary | sed 's/^/  closest by our distance: /' || true
    grep '^false match' "$F/cross.txt" | head -50 |
        sed 's/^false match: \([^ ]*\) (\([0-9]*\) s[^~]*~ \([^ ]*\) (\([0-9]*\) s).*/\1 \3 \2 \4/' |
        while read -r a b qs cs; do ssim "$a" "$b" $((cs - qs)); done | summary | sed 's/^/  false matches: /' || true
fi

if [ "${SKIP_COST:-0}" != 1 ]; then
    mkdir -p "$BUILD/bench-data"
    for dur in 60 20; do
        v=$BUILD/bench-data/fp_1080p30_${dur}s.mp4
        [ -s "$v" ] || "$SYNTH" --scene normal --duration "$dur" --size 1920x1080 --fps 30 --seed 7 -o "$v" >/dev/null 2>&1
        echo "cost, ${dur}-s 1080p30 drive with sound:"
        for rep in 1 2 3; do "$EVAL" cost "$v" | sed 's/^/  /'; done
    done
fi
echo "load: $(uptime | sed 's/.*load average/load average/')"
