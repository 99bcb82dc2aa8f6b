#!/usr/bin/env bash
# The PostgreSQL column of bench/queue, and the full-size fault run, each against a private
# PostgreSQL server (tests/store/with-pg). Writes bench/queue/results-pg.md.
#   bench/queue/run-pg.sh [BUILD_DIR]
# Environment: QUEUE_IDLE_S (600: the 10-minute idle-in-transaction run), QUEUE_JOBS (2000),
# QUEUE_LEASE (60), QUEUE_SKIP (e.g. "idle"), QUEUE_FAULT=0 to skip the fault run.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/$build/bin
[[ -x $bin/bench_queue_pg && -x $bin/fault_queue ]] || { echo "run-pg.sh: build first (make build)" >&2; exit 1; }
out=$here/results-pg.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  echo "# bench/queue on PostgreSQL ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m))"
  echo
  echo "Durable commits on both sides: the server runs with fsync=on, SQLite with synchronous=FULL."
  echo
  echo '```'
  echo "bench_queue_pg --jobs ${QUEUE_JOBS:-2000} --lease ${QUEUE_LEASE:-60} --idle-s ${QUEUE_IDLE_S:-600}"
  echo '```'
  DC_TEST_PG_FSYNC=on "$root/tests/store/with-pg" "$bin/bench_queue_pg" --sqlite "$tmp/sqlite" \
    --jobs "${QUEUE_JOBS:-2000}" --lease "${QUEUE_LEASE:-60}" --idle-s "${QUEUE_IDLE_S:-600}" \
    --skip "${QUEUE_SKIP:-none}"
  if [[ ${QUEUE_FAULT:-1} == 1 ]]; then
    echo
    echo "## Fault run: 500 quick + 50 slow claims, 4 worker processes, kill -9 throughout, two server restarts"
    echo
    echo '```'
    "$root/tests/store/with-pg" "$bin/fault_queue" --claims 500 --slow 50 --workers 4 --kills 40 \
      --restarts 2 --lease 3 --poison 3 --seed 7
    echo '```'
  fi
} | tee "$out"
