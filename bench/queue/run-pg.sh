#!/usr/bin/env bash
# The PostgreSQL column of bench/queue, and the full-size fault run, each against a private
# PostgreSQL server (tests/store/with-pg). Writes bench/queue/results-pg.md.
#   bench/queue/run-pg.sh [BUILD_DIR]
# Environment: QUEUE_IDLE_S (600: the 10-minute idle-in-transaction run), QUEUE_JOBS (2000),
# QUEUE_LEASE (60), QUEUE_SKIP=idle, QUEUE_FAULT=0 to skip the fault runs, QUEUE_FAULT_SIGNALS
# (500) and QUEUE_FAULT_MODEL (50): the service-level fault run's uploads.
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
  echo "Throughput and pickup with durable commits on both sides (the server with fsync=on; SQLite"
  echo "fsyncs its WAL past every completion, concurrent ones sharing an fsync). The idle-in-transaction"
  echo "run measures dead-row build-up, not disks: its server runs with fsync=off so that the 50 jobs/s"
  echo "churn is reached on a small machine."
  echo
  echo '```'
  echo "bench_queue_pg --jobs ${QUEUE_JOBS:-2000} --lease ${QUEUE_LEASE:-60} --idle-s ${QUEUE_IDLE_S:-600}"
  echo '```'
  DC_TEST_PG_FSYNC=on "$root/tests/store/with-pg" "$bin/bench_queue_pg" --sqlite "$tmp/sqlite" \
    --jobs "${QUEUE_JOBS:-2000}" --lease "${QUEUE_LEASE:-60}" --skip idle
  if [[ ${QUEUE_SKIP:-} != *idle* ]]; then
    "$root/tests/store/with-pg" "$bin/bench_queue_pg" --sqlite "$tmp/sqlite" \
      --idle-s "${QUEUE_IDLE_S:-600}" --skip throughput,pickup | sed -n '/^### Claim latency/,$p'
  fi
  if [[ ${QUEUE_FAULT:-1} == 1 ]]; then
    echo
    echo "## Fault runs"
    echo
    echo '```'
    "$root/tests/store/with-pg" "$bin/fault_queue" --claims 500 --slow 50 --workers 4 --kills 40 \
      --restarts 2 --lease 3 --poison 3 --seed 7
    "$root/tests/store/with-pg" "$root/tests/store/fault_service_pg.sh" "$bin" "$tmp/fault-service" \
      "${QUEUE_FAULT_SIGNALS:-500}" "${QUEUE_FAULT_MODEL:-50}" 24 | tail -n 1
    echo '```'
  fi
} | sed "s|$tmp/||g; s|$root/||g" | tee "$out"   # no path of this machine in the committed file
