#!/bin/bash
# Whole-claim speed on long videos: `dashclaim assess` (signals engine: probe with the
# SHA-256 on its own thread, mining, decision) against a full decode by the ffmpeg CLI
# (`ffmpeg -i FILE -f null -`) of the same file, measured in the same run.
#
#   bench/mining/claim_speed.sh BUILD_DIR FILE...
#
# Prints per file: the claim's wall and CPU time (user + sys), its probe/mine stage times from
# the record, the ffmpeg times, and the ratios (wall and CPU), with the load average. The issue's files: a 20-min 1080p30 ~16 Mb/s H.264 with a 1-s GOP
# and AAC, and the same without sound and with a 250-frame GOP (bench/mining/README.md says
# how they are made). Each file is read once before timing so both runs find it in the page
# cache.
set -euo pipefail
BUILD=${1:?usage: claim_speed.sh BUILD_DIR FILE...}
shift
DC=$BUILD/bin/dashclaim
[ -x "$DC" ] || { echo "claim_speed.sh: $DC not built" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for f in "$@"; do
    cat "$f" >/dev/null # warm the page cache for both contestants
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$out/claim.cpu" "$DC" assess --engine signals "$f" \
        >"$out/claim.json" 2>"$out/claim.err" || true
    t1=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$out/ffmpeg.cpu" ffmpeg -v error -nostdin -i "$f" -f null -
    t2=$(date +%s.%N)
    claim=$(echo "$t1 - $t0" | bc -l)
    ff=$(echo "$t2 - $t1" | bc -l)
    # CPU seconds (user + sys): what a shared, loaded machine does not stretch
    claim_cpu=$(awk '{print $1 + $2}' "$out/claim.cpu")
    ff_cpu=$(awk '{print $1 + $2}' "$out/ffmpeg.cpu")
    stages=$(python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); r=r[0] if isinstance(r,list) else r
t=r.get("timings_ms",{}); print("status %s, probe %.0f ms, mine %.0f ms, sha256 %s" % (r.get("status"), t.get("probe") or -1, t.get("mine") or -1, (r.get("video",{}).get("sha256") or "-")[:12]))' "$out/claim.json" 2>/dev/null || echo "(no record: $(head -c 200 "$out/claim.err"))")
    printf '%s (%s), load average %s\n  claim %.2f s, CPU %.2f s (%s)\n  ffmpeg full decode %.2f s, CPU %.2f s; claim is %.1fx faster (CPU %.1fx)\n' \
        "$(basename "$f")" "$(du -h "$f" | cut -f1)" "$(cut -d' ' -f1 /proc/loadavg)" "$claim" \
        "$claim_cpu" "$stages" "$ff" "$ff_cpu" "$(echo "$ff / $claim" | bc -l)" \
        "$(echo "$ff_cpu / $claim_cpu" | bc -l)"
done
