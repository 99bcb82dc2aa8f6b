#!/bin/bash
# Time to return of `dashclaim assess --timeout T` on big files (issue 24): for each file and
# each deadline, RUNS runs (default 3); prints each run's wall time (the command's, process
# start included), the record's status/class, stage times and the first words of its message,
# and the worst overshoot past T, of the command and of the claim itself (the record's total:
# from dc_pipeline_assess's start, where the deadline starts), against 10 % + 100 ms.
#
#   bench/deadline/run.sh BUILD_DIR FILE...          (DEADLINES="0.5 1 2 3" RUNS=3 by default)
#
# The files: bench/deadline/make_files.sh. Each file is read once before timing, as a claim
# on a file just uploaded finds it in the page cache.
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD_DIR FILE...}
shift
if (($# == 0)); then
  # `make bench` passes no file: the 2.3-GB inputs take half an hour to make, so say how.
  echo "bench/deadline: no files given: make them with bench/deadline/make_files.sh DIR (about" \
       "30 min), then run bench/deadline/run.sh $BUILD DIR/*.mp4; skipped"
  exit 0
fi
DC=$BUILD/bin/dashclaim
[ -x "$DC" ] || { echo "run.sh: $DC not built" >&2; exit 1; }
DEADLINES=${DEADLINES:-0.5 1 2 3}
RUNS=${RUNS:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# the commit the build was made from (its source folder's HEAD; "+" when that tree has changes)
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
commit=$(git -C "${src:-.}" rev-parse --short HEAD 2>/dev/null || echo '?')
[ -n "$(git -C "${src:-.}" status --porcelain -- src include 2>/dev/null)" ] && commit="$commit+"
echo "machine: $(nproc) cores, $(uname -r); build $BUILD from commit $commit"
# The process alone: start (149 shared libraries: FFmpeg's and llama.cpp's), a claim that fails
# at once (a missing file), exit; the claim's own deadline starts inside it.
start=9
for r in 1 2 3; do
    t0=$(date +%s.%N)
    "$DC" assess --engine signals --timeout 1 /nonexistent.mp4 >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    start=$(echo "w=$t1 - $t0; if (w < $start) w else $start" | bc -l)
done
printf 'process start + exit without a claim: %.0f ms (best of 3)\n' "$(echo "$start * 1000" | bc -l)"
for f in "$@"; do
    cat "$f" >/dev/null
    echo "== $(basename "$f") ($(du -h --apparent-size "$f" | cut -f1))"
    for t in $DEADLINES; do
        worst=-1
        worst_claim=-1
        walls=""
        claims=""
        for r in $(seq "$RUNS"); do
            load=$(cut -d' ' -f1 /proc/loadavg)
            t0=$(date +%s.%N)
            "$DC" assess --engine signals --timeout "$t" "$f" >"$out/rec.json" 2>"$out/err" || true
            t1=$(date +%s.%N)
            wall=$(echo "$t1 - $t0" | bc -l)
            total=$(python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); r=r[0] if isinstance(r,list) else r
print((r.get("timings_ms") or {}).get("total") or 0)' "$out/rec.json" 2>/dev/null || echo 0)
            what=$(python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); r=r[0] if isinstance(r,list) else r
e=r.get("error") or {}; t=r.get("timings_ms") or {}
print("%s/%s probe %.0f mine %.0f total %.0f ms; sha256 %s; %s" % (r.get("status"), e.get("class") or "-", t.get("probe") or 0, t.get("mine") or 0, t.get("total") or 0, (r.get("video",{}).get("sha256") or "none")[:12], (e.get("message") or "")[:110]))' "$out/rec.json" 2>/dev/null || echo "(no record: $(head -c 200 "$out/err"))")
            printf '  T=%-4s run %d: %.3f s (load %s) %s\n' "$t" "$r" "$wall" "$load" "$what"
            walls="$walls $wall"
            claims="$claims $(echo "$total / 1000" | bc -l)"
            worst=$(echo "w=$wall - $t; if (w > $worst) w else $worst" | bc -l)
            worst_claim=$(echo "w=$total / 1000 - $t; if (w > $worst_claim) w else $worst_claim" | bc -l)
        done
        target=$(echo "$t * 0.1 + 0.1" | bc -l)
        printf '  T=%s: command%s s, worst overshoot %.0f ms; claim (record total)%s s, worst overshoot %.0f ms; target <= %.0f ms: command %s, claim %s\n' \
            "$t" "$(printf ' %.2f' $walls)" "$(echo "$worst * 1000" | bc -l)" "$(printf ' %.2f' $claims)" \
            "$(echo "$worst_claim * 1000" | bc -l)" "$(echo "$target * 1000" | bc -l)" \
            "$([ "$(echo "$worst <= $target" | bc -l)" = 1 ] && echo ok || echo MISSED)" \
            "$([ "$(echo "$worst_claim <= $target" | bc -l)" = 1 ] && echo ok || echo MISSED)"
    done
done
