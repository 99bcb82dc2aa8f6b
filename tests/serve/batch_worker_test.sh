#!/usr/bin/env bash
# batch_worker_test.sh BIN_DIR WORK_DIR
# The service's --batch N (issue 27): a worker thread holds several claims' jobs in one continuous
# batch on the one model (the tiny synth-model), each job with its own lease, heartbeat and fence.
#   1. `serve --workers 1 --batch 3` assesses 5 claims, some sharing the model's steps
#      (engine.batch > 1); with a 4 s lease every claim is done on its first attempt: every job the
#      thread held, prepared or in the model, had its lease renewed (a job held past its lease
#      unrenewed is taken again by the thread's next lease, a second attempt).
#   2. On a second store with the same 5 claims, `worker --batch 3` is killed -9 once it holds at
#      least 2 jobs; a second one is stopped (SIGSTOP) holding at least 2 and left stopped past
#      its leases; a third (one claim at a time) finishes everything. The stopped one, continued,
#      finds its leases lost and its late results refused. Every claim ends done exactly once: one
#      assessment, one terminal audit row, written by the third worker under an attempt newer than
#      the dead and stopped ones'.
#   3. The records of 1 (in a batch) and of 2 (one at a time) are the same (greedy decoding).
# And first: --batch 0, 65 or x is refused by serve and worker.
# About 1 minute on a quiet 2-core machine.
set -euo pipefail
bin=${1:?usage: batch_worker_test.sh BIN_DIR WORK_DIR}
work=${2:?usage: batch_worker_test.sh BIN_DIR WORK_DIR}
command -v curl >/dev/null || { echo "batch_worker_test: curl is needed: skipped" >&2; exit 77; }
command -v sqlite3 >/dev/null || { echo "batch_worker_test: sqlite3 is needed: skipped" >&2; exit 77; }
command -v python3 >/dev/null || { echo "batch_worker_test: python3 is needed: skipped" >&2; exit 77; }
# Under tests/store/with-pg (DC_TEST_PG_URL set) the stores are PostgreSQL databases, else SQLite.
pg=${DC_TEST_PG_URL:-}
[[ -z $pg ]] || command -v psql >/dev/null || { echo "batch_worker_test: psql is needed: skipped" >&2; exit 77; }
rm -rf "$work"
mkdir -p "$work"
fail() { echo "batch_worker_test: $*" >&2; exit 1; }
# A stopped worker leaves its threads' memory on purpose (serve.h); leaks are not what this checks.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

"$bin/synth-model" --preset tiny --seed 1 -o "$work/model" >/dev/null 2>&1 || fail "synth-model failed"
clips=()
k=0
for s in collision near-miss normal collision near-miss; do
  k=$((k + 1))
  "$bin/synth-video" --scene "$s" --seed "$k" --duration 5 --size 256x144 --fps 10 \
    -o "$work/clip$k.mp4" >/dev/null 2>&1 || fail "synth-video failed"
  clips+=("$work/clip$k.mp4")
done
M=(--model "$work/model/model.gguf" --mmproj "$work/model/mmproj.gguf" --vlm-threads 1
  --visual-tokens 64 --frames 4 --max-new-tokens 64 --scratch "$work")

pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done' EXIT
serve_pid=
port=
start_serve() { # log serve-arguments...
  local log=$1
  shift
  "$bin/dashclaim" serve "${S[@]}" --listen 127.0.0.1:0 --scratch "$work" "$@" >"$log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
  port=
  for _ in $(seq 1 600); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log" | head -n 1)
    [[ -n $port ]] && return 0
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log" >&2
  fail "serve did not start"
}
upload_all() { # key ids-file: the clips in order, one claim each
  local c id
  for c in "${clips[@]}"; do
    id=$(curl -sf -H "Authorization: Bearer $1" -H 'Content-Type: video/mp4' \
      --data-binary @"$c" "http://127.0.0.1:$port/v1/claims" |
      sed -n 's/.*"id":"\(clm_[0-9a-f]*\)".*/\1/p')
    [[ -n $id ]] || fail "upload of $c failed"
    echo "$id" >>"$2"
    sleep 0.005 # the queue takes claims by creation millisecond: keep the clips' order
  done
}
use_store() { # name: the store the commands and queries below use (S: its option)
  if [[ -n $pg ]]; then
    psql -qAt "$pg" -c "CREATE DATABASE $1" >/dev/null
    db_url=${pg%/*}/$1
    S=(--db "$db_url")
  else
    db_url=$work/$1
    S=(--data "$db_url")
  fi
}
q() {
  if [[ -n $pg ]]; then psql -qAt "$db_url" -c "$1"; else sqlite3 -cmd '.timeout 10000' "$db_url/dashclaim.db" "$1"; fi
}
wait_all_done() { # seconds
  local i
  for i in $(seq 1 $(($1 * 5))); do
    [[ $(q "SELECT count(*) FROM claims WHERE state IN (0,1)") == 0 ]] && return 0
    sleep 0.2
  done
  fail "claims still not finished after $1 s: $(q "SELECT id, state, attempts FROM claims")"
}
stop_serve() {
  kill -TERM "$serve_pid"
  wait "$serve_pid" || true
}

save_records() { # mode: each claim's record, in upload order
  local id
  while read -r id; do
    q "SELECT json FROM assessments WHERE claim_id = '$id'" >"$work/$1-$id.json"
  done <"$work/ids-$1"
}

# ---- 0. --batch outside 1..64 is refused (usage, exit 2), by both commands ----------------------
for cmd in serve worker; do
  for v in 0 65 x; do
    rc=0
    "$bin/dashclaim" $cmd --data "$work/refused" --batch $v 2>"$work/refused.err" || rc=$?
    [[ $rc == 2 ]] && grep -q -- '--batch wants a whole number 1..64' "$work/refused.err" ||
      fail "$cmd --batch $v: exit $rc, $(cat "$work/refused.err")"
  done
  "$bin/dashclaim" $cmd --help | grep -q -- '--batch N' || fail "$cmd --help does not name --batch"
done

# ---- 1. serve --batch 3 -----------------------------------------------------------------------
t0=$(date +%s)
use_store batch
key=$("$bin/dashclaim" keys add "${S[@]}" --role uploader --name up | tail -n 1)
start_serve "$work/serve-batch.log" --workers 1 --batch 3 --lease-sec 4 "${M[@]}"
grep -q 'batches of 3' "$work/serve-batch.log" || fail "serve does not say it runs batches of 3"
upload_all "$key" "$work/ids-batch"
wait_all_done 300
stop_serve
save_records batch
row=$(q "SELECT count(*), sum(CASE WHEN state = 2 THEN 1 ELSE 0 END),
               sum(CASE WHEN attempts = 1 THEN 1 ELSE 0 END) FROM claims")
[[ $row == "5|5|5" ]] || fail "serve --batch 3: not every claim done on its first attempt (claims, done, first attempt): $row"
echo "batch_worker_test: part 1 took $(($(date +%s) - t0)) s"

# ---- 2. kill -9 and a stalled worker, each holding several jobs ------------------------------
t0=$(date +%s)
use_store kill
key=$("$bin/dashclaim" keys add "${S[@]}" --role uploader --name up | tail -n 1)
start_serve "$work/serve-kill.log" --workers 0
upload_all "$key" "$work/ids-kill"
stop_serve
W=("${S[@]}" --lease-sec 2 --max-attempts 6 --poll-ms 50 --stop-grace-sec 1 --batch 3 "${M[@]}")
held_by() { q "SELECT count(*) FROM jobs WHERE state = 1 AND worker LIKE '$1/%'"; }
wait_held() { # name pid: until the worker holds at least 2 jobs
  local i
  for i in $(seq 1 1200); do
    (($(held_by "$1") >= 2)) && return 0
    kill -0 "$2" 2>/dev/null || fail "worker $1 ended: $(cat "$work/$1.log")"
    [[ $(q "SELECT count(*) FROM jobs WHERE state = 0") == 0 ]] &&
      fail "worker $1 took the whole queue without ever holding 2 jobs at once"
    sleep 0.1
  done
  fail "worker $1 never held 2 jobs at once: $(q "SELECT claim_id, state, worker FROM jobs")"
}

"$bin/dashclaim" worker "${W[@]}" --name dead >"$work/dead.log" 2>&1 &
dead=$!
pids+=("$dead")
wait_held dead "$dead"
kill -9 "$dead"
wait "$dead" 2>/dev/null || true
q "SELECT claim_id, attempt FROM jobs WHERE state = 1 AND worker LIKE 'dead/%'" >"$work/dead-held"
n_dead=$(grep -c . "$work/dead-held")

"$bin/dashclaim" worker "${W[@]}" --name stalled >"$work/stalled.log" 2>&1 &
stalled=$!
pids+=("$stalled")
wait_held stalled "$stalled"
kill -STOP "$stalled"
q "SELECT claim_id, attempt FROM jobs WHERE state = 1 AND worker LIKE 'stalled/%'" >"$work/stalled-held"
n_stalled=$(grep -c . "$work/stalled-held")

"$bin/dashclaim" worker "${W[@]}" --batch 1 --name alive >"$work/alive.log" 2>&1 &
alive=$!
pids+=("$alive")
wait_all_done 300
kill -CONT "$stalled"
# continued: its heartbeats find the leases gone and the store refuses its results
for _ in $(seq 1 1200); do
  grep -q 'refused: the job has moved on' "$work/stalled.log" && break
  sleep 0.1
done
grep -q 'lost the lease' "$work/stalled.log" || fail "the stalled worker never noticed its lost leases: $(cat "$work/stalled.log")"
refused=$(grep -c 'refused: the job has moved on' "$work/stalled.log" || true)
((refused >= 1)) || fail "the stalled worker's late results were not refused: $(cat "$work/stalled.log")"
kill -TERM "$stalled" "$alive"
wait "$stalled" || true
wait "$alive" || true
stalled_done=$(sed -n 's/.*worker: \([0-9]*\) done.*/\1/p' "$work/stalled.log" | tail -n 1)
[[ $stalled_done == 0 ]] || fail "the stalled worker completed $stalled_done claims after losing its leases"

# every claim done exactly once, by the worker that held it last, under a newer attempt
row=$(q "SELECT (SELECT count(*) FROM claims WHERE state = 2),
                        (SELECT count(*) FROM jobs),
                        (SELECT count(*) FROM assessments),
                        (SELECT count(*) FROM audit WHERE action IN ('assessment','claim.failed')),
                        (SELECT count(*) FROM audit WHERE action = 'assessment'
                           AND actor NOT LIKE 'worker:alive/%')")
[[ $row == "5|0|5|5|0" ]] ||
  fail "not every claim done exactly once by the last worker (done, jobs left, assessments, terminal audit rows, rows by another worker): $row"
while IFS='|' read -r id attempt; do
  a=$(q "SELECT attempt FROM assessments WHERE claim_id = '$id'")
  ((a > attempt)) || fail "claim $id: the result was written under attempt $a, not newer than the dead or stalled attempt $attempt"
done < <(cat "$work/dead-held" "$work/stalled-held")
verify=$("$bin/dashclaim" audit verify "${S[@]}") || fail "$verify"
echo "batch_worker_test: killed -9 holding $n_dead jobs, stalled holding $n_stalled ($refused late writes refused): every claim done once, by the last worker; part 2 took $(($(date +%s) - t0)) s"
save_records kill

# ---- 3. the same records in a batch as one at a time ------------------------------------------
python3 - "$work" <<'PY' || fail "serve --batch 3 did not give the records a worker gives one claim at a time"
import json, sys
work = sys.argv[1]
batch = [l.strip() for l in open(work + "/ids-batch")]
alone = [l.strip() for l in open(work + "/ids-kill")]
shared = 0
for b_id, a_id in zip(batch, alone):
    b = json.load(open("%s/batch-%s.json" % (work, b_id)))
    a = json.load(open("%s/kill-%s.json" % (work, a_id)))
    for key in ("status", "severity", "scenario", "reasoning", "evidence", "fault"):
        assert a.get(key) == b.get(key), (b_id, a_id, key, b.get(key), a.get(key))
    assert a["engine"]["name"] == "vlm", a["engine"]
    assert a["engine"]["batch"] == 1, a["engine"]
    shared += b["engine"]["batch"] > 1
assert shared >= 2, "the claims did not share the model's steps (%d)" % shared
print("batch_worker_test: serve --batch 3: %d claims, the same records as one at a time, %d shared steps"
      % (len(batch), shared))
PY
