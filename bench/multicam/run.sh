#!/bin/bash
# Issue 26's claim-time target: a recording of three segments x front and rear cameras assessed
# as one claim (--group all) against the same scene as one file of the front camera, in the
# same run, alternating, RUNS times each (default 3); prints each wall time and the ratio of
# the medians (target: at most 1.5). Inputs from bench/multicam/make_files.sh DIR.
# Usage: bench/multicam/run.sh BUILD DIR [engine args...]   (default: the signals engine)
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD DIR [assess args]}
DIR=${2:?usage: run.sh BUILD DIR [assess args]}
shift 2
RUNS=${RUNS:-3}
B=$BUILD/bin/dashclaim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
series=("$DIR"/series/*.mp4)
single=("$DIR"/single/*.mp4)
t_series=() t_single=()
for ((i = 0; i < RUNS; i++)); do
    s0=$(date +%s.%N)
    "$B" assess --group all "${series[@]}" -q -o "$out/series.json" "$@"
    s1=$(date +%s.%N)
    "$B" assess "${single[@]}" -q -o "$out/single.json" "$@"
    s2=$(date +%s.%N)
    t_series+=("$(echo "$s1 - $s0" | bc)")
    t_single+=("$(echo "$s2 - $s1" | bc)")
done
python3 - "$out" "${t_series[*]}" "${t_single[*]}" <<'PY'
import json, statistics, sys
out, ts, t1 = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
a, b = json.load(open(out + "/series.json")), json.load(open(out + "/single.json"))
print("series: %d files as one claim, %s s; peak %.1f s (%s)" % (
    a["video"] and len(a["videos"]), " ".join("%.2f" % x for x in ts),
    a["windows"][0]["peak_sec"] if a["windows"] else -1, a["severity"]))
print("single: one file, %s s; peak %.1f s (%s)" % (
    " ".join("%.2f" % x for x in t1), b["windows"][0]["peak_sec"] if b["windows"] else -1, b["severity"]))
print("ratio of medians: %.2f (target <= 1.5)" % (statistics.median(ts) / statistics.median(t1)))
PY
