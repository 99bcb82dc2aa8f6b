#!/bin/bash
# Mining benchmark: evaluation on generated videos and the 20-minute 1080p speed figure.
#
#   bench/mining/run.sh BUILD_DIR [WORK_DIR]        (WORK_DIR default: BUILD_DIR/bench-mining)
#
# Environment: JOBS (parallel video generation, default nproc), EVAL_COUNT (default 104),
# SKIP_SPEED=1 (evaluation only), SKIP_EVAL=1 (speed only), BIG_VIDEO=FILE (use an existing
# 20-minute 1080p30 video for the speed figure instead of generating one).
#
# 1. Evaluation set: EVAL_COUNT videos from synth-video's dashcam scenes, seeds 1000 and up
#    (the tests use seeds below 100), 256x144 at 10 fps with a 1-s GOP and AAC audio (small so
#    that the whole set generates in about half an hour on two shared cores; mining reads
#    thumbnails of 160x90 anyway). Durations 1-20 minutes: half 1-3 min, 30 % 3-10 min, 20 %
#    10-20 min; incident times chosen by each scene from its seed. Videos already present are
#    reused. mine-eval prints the table (top-1/top-3 hits, median |peak - incident|, the signals
#    engine's confusion matrix, false alarms per hour on videos without incident).
# 2. Speed: a 20-minute 1920x1080 30 fps H.264 video (1-s GOP, AAC): the same file bench/sample
#    uses (BUILD_DIR/bench-data/sample_1080p30_20min.mp4, ordinary driving, seed 7), made here
#    with the same command when missing, so `make bench` writes it once. Mining time against
#    real time and against a full decode by the ffmpeg CLI (`-f null -`) of the same file,
#    measured in the same run.
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD_DIR [WORK_DIR]}
WORK=${2:-$BUILD/bench-mining}
JOBS=${JOBS:-$(nproc)}
COUNT=${EVAL_COUNT:-104}
SYNTH=$BUILD/bin/synth-video
EVAL=$BUILD/bin/mine-eval
for tool in "$SYNTH" "$EVAL"; do
    [ -x "$tool" ] || { echo "run.sh: $tool not built (cmake --build $BUILD --target synth-video mine-eval)" >&2; exit 1; }
done
mkdir -p "$WORK/set"

# scene mix: 26 collision, 16 near-miss, 10 hard-brake, 20 normal, 8 each bump/horn/music/tunnel
scene_for() {
    local i=$(($1 % 104))
    if ((i < 26)); then echo collision
    elif ((i < 42)); then echo near-miss
    elif ((i < 52)); then echo hard-brake
    elif ((i < 72)); then echo normal
    elif ((i < 80)); then echo bump
    elif ((i < 88)); then echo horn
    elif ((i < 96)); then echo music
    else echo tunnel; fi
}

# duration in seconds from the seed (a small LCG: the same on every machine)
duration_for() {
    local x=$((($1 * 1103515245 + 12345) % 2147483648))
    local bucket=$((x % 10)) r=$(((x / 10) % 100000))
    if ((bucket < 5)); then echo $((60 + r % 121))
    elif ((bucket < 8)); then echo $((180 + r % 421))
    else echo $((600 + r % 601)); fi
}

if [ "${SKIP_EVAL:-0}" != 1 ]; then
    list=()
    jobs_file=$WORK/generate.jobs
    : >"$jobs_file"
    for ((i = 0; i < COUNT; i++)); do
        seed=$((1000 + i))
        scene=$(scene_for "$i")
        dur=$(duration_for "$seed")
        out=$WORK/set/$(printf '%03d' "$i")-$scene-s$seed-${dur}s.mp4
        list+=("$out")
        if [ ! -s "$out.label.json" ]; then
            echo "$SYNTH --scene $scene --duration $dur --size 256x144 --fps 10 --gop 10 --seed $seed -o $out" >>"$jobs_file"
        fi
    done
    todo=$(wc -l <"$jobs_file")
    if ((todo > 0)); then
        echo "== generating $todo evaluation videos (JOBS=$JOBS)"
        t0=$(date +%s)
        xargs -P "$JOBS" -I{} sh -c 'nice -n 10 {} >/dev/null' <"$jobs_file"
        echo "   generated in $(($(date +%s) - t0)) s"
    fi
    echo "== evaluation: $COUNT videos, 256x144 10 fps, 1-20 min"
    "$EVAL" "${list[@]}" | tee "$WORK/eval.txt"
fi

if [ "${SKIP_SPEED:-0}" != 1 ]; then
    shared=${BIG_VIDEO:-$BUILD/bench-data/sample_1080p30_20min.mp4}
    if [ ! -s "$shared" ]; then
        echo "== generating the 20-minute 1080p30 video $shared (takes a while)"
        mkdir -p "$(dirname "$shared")"
        nice -n 10 "$SYNTH" --size 1920x1080 --fps 30 --gop 30 --duration 1200 --seed 7 \
            -o "$shared.tmp.mp4" >/dev/null
        mv "$shared.tmp.mp4" "$shared"
        rm -f "$shared.tmp.mp4.label.json"
    fi
    big=$WORK/speed-1080p30-20min.mp4 # a link, so that our label sidecar stays in our folder
    ln -sf "$(realpath "$shared")" "$big"
    [ -s "$big.label.json" ] || echo '{"type": "normal", "severity": "NONE", "incident_sec": null}' >"$big.label.json"
    echo "== speed on $big ($(du -hL "$big" | cut -f1))"
    t0=$(date +%s.%N)
    ffmpeg -v error -nostdin -i "$big" -f null - 
    t1=$(date +%s.%N)
    "$EVAL" --verbose "$big" | tee "$WORK/speed.txt"
    ff=$(echo "$t1 - $t0" | bc -l)
    mine=$(sed -n 's/^mining speed: .* in \([0-9.]*\) s = .*/\1/p' "$WORK/speed.txt")
    printf 'ffmpeg full decode (-f null -): %.2f s = %.0fx real time\n' "$ff" "$(echo "1200 / $ff" | bc -l)"
    printf 'mining:                         %.2f s = %.0fx real time, %.1fx faster than the full decode\n' \
        "$mine" "$(echo "1200 / $mine" | bc -l)" "$(echo "$ff / $mine" | bc -l)"
fi
