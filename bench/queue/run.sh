#!/usr/bin/env bash
# bench/queue on SQLite: claim + complete per second against the signals-engine claim it queues,
# measured in the same run (bench_queue.c says how). Writes bench/queue/results.md.
#   bench/queue/run.sh [BUILD_DIR]        (QUEUE_JOBS, default 2000)
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/$build/bin
[[ -x $bin/bench_queue && -x $bin/synth-video ]] || { echo "run.sh: build first (make build)" >&2; exit 1; }
tmp=$(mktemp -d)
mem=$(mktemp -d -p /dev/shm 2>/dev/null || true)
trap 'rm -rf "$tmp" ${mem:+"$mem"}' EXIT
"$bin/synth-video" --duration 10 --size 640x360 -o "$tmp/clip.mp4" >/dev/null 2>&1
{
  echo "# bench/queue on SQLite ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m))"
  echo
  echo '```'
  "$bin/bench_queue" --data "$tmp/data" ${mem:+--mem "$mem/data"} --clip "$tmp/clip.mp4" \
    --jobs "${QUEUE_JOBS:-2000}" --workers 1,2,4,8,16 --claims 5 --e2e 20
  echo '```'
} | sed "s|$tmp/||g" | tee "$here/results.md"   # no path of this machine in the committed file
# The PostgreSQL column (a private server; about 25 minutes with the 10-minute idle-in-transaction
# run and the fault runs): bench/queue/results-pg.md. QUEUE_PG=0 skips it.
if [[ ${QUEUE_PG:-1} == 1 ]]; then bash "$here/run-pg.sh" "$build"; fi
