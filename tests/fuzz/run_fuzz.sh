#!/bin/bash
# libFuzzer on every harness of the project; new finds are merged into the corpora in the repo.
#   tests/fuzz/run_fuzz.sh [SECONDS] [BUILD]    (default 600 s per harness; `make fuzz`)
#   FUZZ_ONLY="media metadata" limits the harnesses; FUZZ_JOBS=2 runs two at a time.
# Harnesses: media (probe + thumbnails + audio + sampler on bytes in memory), calibration
# (calibration file, calibrate's labels CSV + assessments), metadata (--metadata JSON),
# ground_truth (bench label sidecars, manifest CSV), telemetry_mp4 / _gpmf / _novatek / _nmea
# (src/telemetry: a whole file, a GPMF payload, a freeGPS block, NMEA and .3gf text), and
# tests/claim/run_fuzz.sh's lenient
# JSON / model output / record reader. Needs clang and libclang-rt-14-dev (scripts/deps).
# Every harness is built with -fsanitize=fuzzer,address,undefined; a crash leaves its input
# in $work/<harness>/crash-* and the script fails at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-600}
build=${2:-build}
work=${DC_FUZZ_DIR:-/tmp/dc-fuzz}
only=${FUZZ_ONLY:-media calibration metadata ground_truth telemetry_mp4 telemetry_gpmf telemetry_novatek telemetry_nmea telemetry_novatek_ts telemetry_novatek_text telemetry_text telemetry_mai70 telemetry_camm telemetry_third group_name fingerprint lenient}
jobs=${FUZZ_JOBS:-1}
mkdir -p "$work"

cflags=(-std=c17 -D_GNU_SOURCE -DDC_VERSION='"fuzz"' -DDC_LLAMA_SRC_DIR='""' -g -O1
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root/include")
core=("$root"/src/core/*.c)
build_harness() { # name sources... -- libs...
  local name=$1; shift
  echo "== building fuzz_$name"
  clang "${cflags[@]}" "$@" -o "$work/fuzz_$name"
}

# Seeds of the media corpus: one tiny file per container, codec, audio and GOP variant.
seed_media() {
  local dir=$here/corpus/media sv=$root/$build/bin/synth-video
  mkdir -p "$dir"
  [[ -n $(ls -A "$dir" 2>/dev/null) ]] && return
  [[ -x $sv ]] || { echo "run_fuzz: $sv missing (make BUILD=$build build)" >&2; exit 1; }
  local i=0 spec
  for spec in "mp4 h264" "mkv h264" "ts h264" "avi mjpeg" "mov hevc" "mp4 hevc --gop 30" \
              "mkv mjpeg --damage noaudio" "mp4 h264 --damage moov-end" "mp4 h264 --rotate 90" \
              "mp4 h264 --damage vfr" "ts hevc --damage noaudio" "mp4 h264 --bframes 2"; do
    set -- $spec
    local ext=$1 codec=$2; shift 2
    "$sv" --scene plain --duration 1 --size 64x36 --fps 10 --codec "$codec" "$@" \
      -o "$work/seed-$i.$ext" >/dev/null 2>&1
    cp "$work/seed-$i.$ext" "$dir/seed-$i.$ext"
    i=$((i + 1))
  done
}

run_one() { # name max_len
  local name=$1 max_len=$2 dir=$here/corpus/$1
  mkdir -p "$work/$name/grown" "$work/$name/merged"
  cp -n "$dir"/* "$work/$name/grown/" 2>/dev/null || true
  (cd "$work/$name" && nice -n 10 "$work/fuzz_$name" -max_total_time="$secs" -max_len="$max_len" \
     -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 "$work/$name/grown" \
     >"$work/$name/log.txt" 2>&1) || echo "fuzz_$name: FAILED (see $work/$name/log.txt)"
  rm -f "$work/$name"/merged/*
  nice -n 10 "$work/fuzz_$name" -merge=1 -max_len="$max_len" "$work/$name/merged" \
    "$work/$name/grown" >/dev/null 2>&1 || true
  if [[ -n $(ls -A "$work/$name/merged") ]]; then
    rm -f "$dir"/*
    cp "$work/$name"/merged/* "$dir/"
  fi
  local runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name/log.txt" | grep -o '[0-9]*$' || echo 0)
  local crashes=$(ls "$work/$name" | grep -c '^\(crash\|leak\|timeout\|oom\)-' || true)
  echo "fuzz_$name: ${secs} s, $runs inputs run, corpus $(ls "$dir" | wc -l) files, $crashes crashes/leaks/timeouts" \
    | tee "$work/$name/summary.txt"
}

for h in $only; do
  case $h in
    media)
      seed_media
      build_harness media "$here/fuzz_media.c" "$root"/src/media/*.c "${core[@]}" -I"$root/src/media" \
        $(pkg-config --cflags --libs libavformat libavcodec libavutil libswscale libswresample jansson libturbojpeg libcrypto) \
        -lm -lpthread ;;
    calibration)
      build_harness calibration "$here/fuzz_calibration.c" "$root"/src/claim/*.c "${core[@]}" \
        -I"$root/src/claim" -I"$here" $(pkg-config --cflags --libs jansson libavutil libcrypto) -lm -lpthread ;;
    metadata|ground_truth)
      build_harness "$h" "$here/fuzz_$h.c" "$root/src/cli/metadata.c" "$root/src/cli/ground_truth.c" \
        "$root"/src/claim/*.c "${core[@]}" -I"$root/src/cli" -I"$root/src/claim" -I"$here" \
        $(pkg-config --cflags --libs jansson libavutil libcrypto) -lm -lpthread ;;
    telemetry_*)
      build_harness "$h" "$here/fuzz_$h.c" "$root"/src/telemetry/*.c "${core[@]}" \
        -I"$root/src/telemetry" -I"$here" $(pkg-config --cflags --libs libavutil libcrypto) -lm -lpthread ;;
    fingerprint)
      build_harness fingerprint "$here/fuzz_fingerprint.c" "$root"/src/fingerprint/*.c "${core[@]}" \
        -I"$root/src/fingerprint" $(pkg-config --cflags --libs libavutil libcrypto) -lm -lpthread ;;
    group_name)
      build_harness group_name "$here/fuzz_group_name.c" "$root/src/group/conventions.c" \
        "$root/src/group/calendar.c" "$root/src/core/calendar.c" -I"$root/src/group" ;;
    lenient) ;;
    *) echo "run_fuzz: unknown harness $h" >&2; exit 2 ;;
  esac
done

pids=()
for h in $only; do
  case $h in
    media|telemetry_mp4) max=65536 ;;
    group_name) max=512 ;;
    lenient) continue ;;
    *) max=8192 ;;
  esac
  run_one "$h" "$max" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
if [[ " $only " == *" lenient "* ]]; then
  mkdir -p "$work/lenient"
  DC_FUZZ_DIR=$work/lenient "$root/tests/claim/run_fuzz.sh" "$secs" >"$work/lenient/log.txt" 2>&1 \
    || echo "fuzz_lenient: FAILED (see $work/lenient/log.txt)"
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/lenient/log.txt" | grep -o '[0-9]*$' || echo 0)
  echo "fuzz_lenient: ${secs} s, $runs inputs run, $(tail -n 1 "$work/lenient/log.txt")" \
    | tee "$work/lenient/summary.txt"
fi
# the figures RELIABILITY.md quotes (make soak reads them)
{
  echo "$(date -u +%Y-%m-%d), $(nproc) cores (shared), libFuzzer with ASan+UBSan:"
  # every harness's latest run in this work folder (a FUZZ_ONLY run keeps the others' lines)
  for h in media calibration metadata ground_truth telemetry_mp4 telemetry_gpmf telemetry_novatek \
           telemetry_nmea lenient; do cat "$work/$h/summary.txt" 2>/dev/null || true; done
} >"$here/results.txt"
fail=0
for h in $only; do
  [[ $h == lenient ]] && continue
  if ls "$work/$h" | grep -q '^\(crash\|leak\|timeout\|oom\)-'; then
    echo "fuzz_$h: findings in $work/$h:"; ls "$work/$h" | grep '^\(crash\|leak\|timeout\|oom\)-'; fail=1
  fi
done
exit $fail
