#!/usr/bin/env bash
# stop_release_test.sh BIN_DIR WORK_DIR
# SIGTERM releases a running job: it is queued again at once, not after its lease.
#   1. `dashclaim serve --workers 1 --stop-grace-sec 0`: a long clip is uploaded; once its claim is
#      running, serve gets SIGTERM.
#   2. `dashclaim worker --stop-grace-sec 0` on the same store (serve with --workers 0 takes the
#      uploads): the same, SIGTERM to the worker.
# After each stop, with the lease at its default of 60 s, the store must show the job queued again
# with no worker, claimable now, its attempt given back (claims.attempts 0); and a new worker must
# take it within a few seconds (a lease left to expire would hold it 60 s) and finish it on its
# first charged attempt.
set -euo pipefail
bin=${1:?usage: stop_release_test.sh BIN_DIR WORK_DIR}
work=${2:?usage: stop_release_test.sh BIN_DIR WORK_DIR}
command -v curl >/dev/null || { echo "stop_release_test: curl is needed: skipped" >&2; exit 77; }
command -v sqlite3 >/dev/null || { echo "stop_release_test: sqlite3 is needed: skipped" >&2; exit 77; }
rm -rf "$work"
mkdir -p "$work"
data=$work/data
db=$data/dashclaim.db
fail() { echo "stop_release_test: $*" >&2; exit 1; }
q() { sqlite3 -cmd '.timeout 10000' "$db" "$1"; }

# long enough that the signals engine is still mining it when SIGTERM comes (seconds per claim)
"$bin/synth-video" --duration 40 --size 640x360 -o "$work/long.mp4" >/dev/null 2>&1 || fail "synth-video failed"
key=$("$bin/dashclaim" keys add --data "$data" --role uploader --name stop | tail -n 1)

pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done' EXIT
serve_pid=
port=
start_serve() { # serve arguments...
  "$bin/dashclaim" serve --data "$data" --listen 127.0.0.1:0 --scratch "$work" "$@" \
    >"$work/serve.log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
  port=
  for _ in $(seq 1 600); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/serve.log" | head -n 1)
    [[ -n $port ]] && return 0
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$work/serve.log" >&2
  fail "serve did not start"
}
upload() {
  curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: video/mp4' \
    --data-binary @"$work/long.mp4" "http://127.0.0.1:$port/v1/claims" |
    sed -n 's/.*"id":"\(clm_[0-9a-f]*\)".*/\1/p'
}
wait_state() { # id states seconds: 0 when the claim reached one of states (1|2) in time
  local i
  for i in $(seq 1 $(($3 * 20))); do
    [[ $(q "SELECT state FROM claims WHERE id = '$1'") =~ ^($2)$ ]] && return 0
    sleep 0.05
  done
  return 1
}
# The process stopped with a claim inside the pipeline; its thread's memory is not freed on the
# way out by design (serve.h), which LeakSanitizer would report: leaks are not what this checks.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

check_released() { # id who
  local row now
  now=$(($(date +%s%3N) + 1000))
  row=$(q "SELECT c.state, c.attempts, j.state, j.worker, j.run_after_ms <= $now, j.attempt
           FROM claims c JOIN jobs j ON j.claim_id = c.id WHERE c.id = '$1'")
  # claim queued (0) with no charged attempt, job queued (0), no worker, claimable now, and its
  # attempt number (the fence) kept at 1 so that the released attempt can write nothing
  [[ $row == "0|0|0||1|1" ]] || fail "$2: after SIGTERM the job is not queued again at once: $row"
}

pickup() { # id who: a new worker takes the job well within the 60 s lease and finishes it
  "$bin/dashclaim" worker --data "$data" --max-jobs 1 --poll-ms 50 --scratch "$work" \
    --name "after-$2" >"$work/after-$2.log" 2>&1 &
  local wp=$!
  pids+=("$wp")
  wait_state "$1" '1|2' 10 || fail "$2: the released job was not taken again within 10 s"
  wait $wp || fail "$2: the second worker failed: $(cat "$work/after-$2.log")"
  local row
  row=$(q "SELECT state, attempts FROM claims WHERE id = '$1'")
  [[ $row == "2|1" ]] || fail "$2: the released claim did not end done on one charged attempt: $row"
}

stop_and_check() { # who pid log id: SIGTERM once the claim runs, then the checks above
  wait_state "$4" 1 30 || fail "$1: the claim never ran"
  kill -TERM "$2"
  local rc=0
  wait "$2" || rc=$?
  # a thread left inside the pipeline must not crash the process on its way out
  [[ $rc == 0 ]] || fail "$1: exited with $rc after SIGTERM: $(tail -n 5 "$3")"
  grep -q "released $4" "$3" || fail "$1: no 'released' line: $(cat "$3")"
  check_released "$4" "$1"
  pickup "$4" "$1"
}

# 1. serve with its own worker thread
start_serve --workers 1 --stop-grace-sec 0
id1=$(upload)
[[ -n $id1 ]] || fail "upload to serve failed"
stop_and_check serve "$serve_pid" "$work/serve.log" "$id1"

# 2. a worker process; serve only takes uploads
start_serve --workers 0
id2=$(upload)
[[ -n $id2 ]] || fail "upload to serve (no workers) failed"
"$bin/dashclaim" worker --data "$data" --stop-grace-sec 0 --scratch "$work" --name first \
  >"$work/worker.log" 2>&1 &
wpid=$!
pids+=("$wpid")
stop_and_check worker "$wpid" "$work/worker.log" "$id2"
kill -TERM "$serve_pid"
wait "$serve_pid" || true
echo "stop_release_test: serve and worker released their running job on SIGTERM; each was taken again at once"
