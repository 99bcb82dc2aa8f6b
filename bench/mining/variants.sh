#!/bin/bash
# Mining on the videos users actually send: five variant sets generated from synth-video's
# scenes, each mined by mine-eval, with the figures of an earlier mine-eval beside them.
#
#   bench/mining/variants.sh BUILD_DIR [WORK_DIR] [BEFORE_MINE_EVAL]
#
# BUILD_DIR/bin holds synth-video and mine-eval; WORK_DIR defaults to BUILD_DIR/bench-variants.
# BEFORE_MINE_EVAL (optional): a mine-eval built from an earlier commit, run on the same files
# (the "before" columns). Needs the ffmpeg CLI (x264 re-encodes). COUNT (default 24) videos per
# set; JOBS parallel generators (default nproc). Files already present are reused.
#
#   (a) no audio: 60-120 s, 1-s GOP, the sound track removed
#   (b) x264's default GOP: 60-120 s with sound, re-encoded by `ffmpeg -c:v libx264` (GOP 250,
#       B-frames), as messengers and phone editors do
#   (c) event clips: 6-12 s, the incident anywhere inside, no sound, x264 defaults (fleet
#       cameras' G-sensor clips)
#   (d) phone-style uploads: 30-90 s, portrait (rotation 90), variable frame rate, GOP 250 with
#       B-frames, heavy compression (crf 36), sound kept
#   (e) crashes ahead between other road users: 6-40 s, half without sound, plus 4 calm videos
# Scene mix of (a)-(d): 8 collision, 6 near-miss, 4 hard-brake, 2 normal, 2 bump, 1 horn,
# 1 tunnel per 24. Per set it prints failures, top-1/top-3 (window contains the labelled
# incident), the confusion matrix, and collisions judged NONE, for both mine-evals.
set -euo pipefail
BUILD=${1:?usage: variants.sh BUILD_DIR [WORK_DIR] [BEFORE_MINE_EVAL]}
WORK=${2:-$BUILD/bench-variants}
BEFORE=${3:-}
COUNT=${COUNT:-24}
JOBS=${JOBS:-$(nproc)}
SYNTH=$BUILD/bin/synth-video
EVAL=$BUILD/bin/mine-eval
for tool in "$SYNTH" "$EVAL"; do
    [ -x "$tool" ] || { echo "variants.sh: $tool not built" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "variants.sh: needs the ffmpeg CLI" >&2; exit 1; }

scene_for() {
    local i=$(($1 % 24))
    if ((i < 8)); then echo collision
    elif ((i < 14)); then echo near-miss
    elif ((i < 18)); then echo hard-brake
    elif ((i < 20)); then echo normal
    elif ((i < 22)); then echo bump
    elif ((i < 23)); then echo horn
    else echo tunnel; fi
}
# a number in [lo, hi] from the seed (an LCG: the same on every machine)
pick() {
    local x=$((($1 * 1103515245 + 12345) % 2147483648))
    echo $(($2 + x % ($3 - $2 + 1)))
}

S="--size 256x144 --fps 10"
jobs_file=$WORK/generate.jobs
mkdir -p "$WORK"
: >"$jobs_file"
declare -A lists
for v in a b c d e; do
    mkdir -p "$WORK/$v"
    list=()
    for ((i = 0; i < COUNT; i++)); do
        seed=$((3000 + 100 * $(printf '%d' "'$v") + i))
        scene=$(scene_for "$i")
        case $v in
        a) d=$(pick "$seed" 60 120); src="--scene $scene --duration $d $S --gop 10 --damage noaudio" ;;
        b) d=$(pick "$seed" 60 120); src="--scene $scene --duration $d $S --gop 10" ;;
        c) d=$(pick "$seed" 6 12); inc=$(pick $((seed + 7)) 5 $((d * 10 - 5)))
           src="--scene $scene --duration $d --incident-at $((inc / 10)).$((inc % 10)) $S --gop 10" ;;
        d) d=$(pick "$seed" 30 90)
           src="--scene $scene --duration $d --size 320x180 --fps 30 --gop 250 --bframes 3 --crf 36 --rotate 90 --damage vfr" ;;
        e) if ((i < COUNT - 4)); then scene=crash-ahead; else scene=normal; fi
           d=$(pick "$seed" 6 40); inc=$(pick $((seed + 7)) 5 $((d * 10 - 5)))
           src="--scene $scene --duration $d --incident-at $((inc / 10)).$((inc % 10)) $S --gop 10"
           ((i % 2)) && src="$src --damage noaudio" ;;
        esac
        out=$WORK/$v/$(printf '%02d' "$i")-$scene-s$seed-${d}s.mp4
        list+=("$out")
        [ -s "$out.label.json" ] && continue
        case $v in
        b) post="ffmpeg -nostdin -v error -y -i $out.src.mp4 -c:v libx264 -c:a copy $out" ;;
        c) post="ffmpeg -nostdin -v error -y -i $out.src.mp4 -c:v libx264 -an $out" ;;
        *) post="mv $out.src.mp4 $out" ;;
        esac
        echo "$SYNTH $src --seed $seed -o $out.src.mp4 >/dev/null && $post && cp $out.src.mp4.label.json $out.label.json && rm -f $out.src.mp4*" >>"$jobs_file"
    done
    lists[$v]="${list[*]}"
done
todo=$(wc -l <"$jobs_file")
if ((todo > 0)); then
    echo "== generating $todo videos (JOBS=$JOBS)"
    t0=$(date +%s)
    tr '\n' '\0' <"$jobs_file" | xargs -0 -P "$JOBS" -I{} nice -n 10 sh -c '{}'
    echo "   generated in $(($(date +%s) - t0)) s"
fi

# figures from mine-eval's per-video lines (the same columns before and after)
summarise() { # $1 = eval output, $2 = videos given
    awk -v given="$2" '
        /^video / { on = 1; next }
        on && NF >= 8 && $2 != "" && $6 != "" {
            n++; type = $2; eng = $8
            if ($3 >= 0) { inc++; h1 += ($6 == "yes"); h3 += ($7 == "yes") }
            t = (type == "hard-brake") ? "near-miss" : (type == "collision" || type == "near-miss" || type == "crash-ahead") ? type : "none"
            c[t "," eng]++
            if ((type == "collision" || type == "crash-ahead") && eng == "none") cn++
        }
        /^$/ { on = 0 }
        END {
            printf "failures %d | top-1 %s | top-3 %s | collisions judged NONE %d\n", given - n,
                inc ? sprintf("%.0f %% (%d/%d)", 100 * h1 / inc, h1, inc) : "-",
                inc ? sprintf("%.0f %% (%d/%d)", 100 * h3 / inc, h3, inc) : "-", cn
            printf "  confusion (truth: collision / near-miss / none predicted)\n"
            split("collision near-miss crash-ahead none", rows, " ")
            for (r = 1; r <= 4; r++) {
                row = rows[r]; tot = c[row ",collision"] + c[row ",near-miss"] + c[row ",none"]
                if (tot) printf "  %-12s %3d %3d %3d\n", row, c[row ",collision"], c[row ",near-miss"], c[row ",none"]
            }
        }' "$1"
}

for v in a b c d e; do
    read -r -a files <<<"${lists[$v]}"
    echo "== variant ($v): ${#files[@]} videos"
    "$EVAL" "${files[@]}" >"$WORK/$v.after.txt" 2>"$WORK/$v.after.err" || true
    echo "after:  $(summarise "$WORK/$v.after.txt" "${#files[@]}")"
    if [ -n "$BEFORE" ]; then
        "$BEFORE" "${files[@]}" >"$WORK/$v.before.txt" 2>"$WORK/$v.before.err" || true
        echo "before: $(summarise "$WORK/$v.before.txt" "${#files[@]}")"
    fi
done
