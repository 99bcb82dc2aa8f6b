#!/usr/bin/env bash
# crash_campaign.sh BIN_DIR WORK_DIR [RUNS]
#
# kill -9 of `dashclaim serve` at random moments, RUNS times (default 100), on one store, each
# followed by a restart. A run starts the server (1 worker, 1 s lease), sends 3 uploads at once
# (a real clip, another clip, or bytes that are not a video), and kills the server -9 either after
# a random delay (0-1.2 s: during an upload, while the worker mines or writes, between runs of the
# queue) or at a named point the test build can stop at (DASHCLAIM_CRASH_AT):
#   upload.body       half-way through writing an upload's body
#   upload.committed  claim committed, 202 not yet sent
#   worker.result     the pipeline's result made, the completion not yet written
# After every run the store is checked with SQL (sqlite3):
#   - every claim that got a 202 exists;
#   - attempts never exceed the maximum (3);
#   - a claim is done/failed exactly when it has its one final assessment (and no job row), and
#     queued/running exactly when it has a job row;
#   - at most one terminal audit row (assessment or claim.failed) per claim.
# At the end the server runs without faults until the queue is empty; then every claim that got
# a 202 is done or failed with exactly one final assessment and one terminal audit row, and
# `dashclaim audit verify` finds the chain intact. Prints one summary line; exit 1 on any breach.
set -euo pipefail
bin=${1:?usage: crash_campaign.sh BIN_DIR WORK_DIR [RUNS]}
work=${2:?usage: crash_campaign.sh BIN_DIR WORK_DIR [RUNS]}
runs=${3:-100}
max_attempts=3
command -v sqlite3 >/dev/null || { echo "crash_campaign: sqlite3 (Debian sqlite3) is needed" >&2; exit 77; }
command -v curl >/dev/null || { echo "crash_campaign: curl is needed" >&2; exit 77; }

rm -rf "$work"
mkdir -p "$work/out"
data=$work/data
db=$data/dashclaim.db
"$bin/synth-video" --duration 1.5 --size 128x96 -o "$work/a.mp4" >/dev/null 2>&1
"$bin/synth-video" --duration 2 --size 160x90 -o "$work/b.mp4" >/dev/null 2>&1
head -c 3000 /dev/urandom >"$work/junk.bin"
key=$("$bin/dashclaim" keys add --data "$data" --role uploader --name crash | tail -n 1)
: >"$work/accepted"

server_pid=
start_server() { # $1: crash point or ""
  local log=$work/out/serve.log
  : >"$log"
  DASHCLAIM_CRASH_AT=$1 "$bin/dashclaim" serve --data "$data" --listen 127.0.0.1:0 --workers 1 \
    --lease-sec 1 --max-attempts $max_attempts --http-threads 2 --scratch "$work" >"$log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log" | head -n 1)
    [[ -n $port ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "crash_campaign: the server did not start:" >&2
  cat "$log" >&2
  exit 1
}

upload() { # $1 file, $2 tag
  local code
  code=$(curl -s -o "$work/out/$2.json" -w '%{http_code}' --max-time 20 \
    -H "Authorization: Bearer $key" -H 'Content-Type: video/mp4' \
    --data-binary @"$1" "http://127.0.0.1:$port/v1/claims" 2>/dev/null || true)
  if [[ $code == 202 ]]; then
    # (grep, not sed: the body has no final newline, and ids must stay one per line)
    grep -o '"id":"clm_[0-9a-f]*"' "$work/out/$2.json" | head -n 1 | cut -d'"' -f4 >>"$work/accepted"
  fi
}

q() { sqlite3 -cmd '.timeout 10000' "$db" "$1"; }

# All invariants in one sqlite3 run (a process per query made a run slow): four counts that must
# all be 0.
check() { # $1: where
  local missing="SELECT 0" result
  if [[ -s $work/accepted ]]; then
    missing="WITH a(id) AS (VALUES $(sed "s/.*/('&')/" "$work/accepted" | paste -sd, -))
             SELECT count(*) FROM a WHERE id NOT IN (SELECT id FROM claims)"
  fi
  result=$(q "SELECT ($missing),
      (SELECT count(*) FROM claims WHERE attempts > $max_attempts),
      (SELECT count(*) FROM claims c LEFT JOIN assessments a ON a.claim_id = c.id
         LEFT JOIN jobs j ON j.claim_id = c.id
         WHERE (c.state IN (2,3)) != (a.claim_id IS NOT NULL) OR (c.state IN (0,1)) != (j.claim_id IS NOT NULL)),
      (SELECT count(*) FROM (SELECT claim_id FROM audit WHERE action IN ('assessment','claim.failed')
         GROUP BY claim_id HAVING count(*) > 1))")
  if [[ $result != "0|0|0|0" ]]; then
    echo "crash_campaign: $1: invariants broken (got a 202 but missing | over $max_attempts attempts | state, assessment and job disagree | finished twice): $result" >&2
    exit 1
  fi
}

points=(upload.body upload.committed worker.result)
timed=0 pointed=0
for run in $(seq 1 "$runs"); do
  point=
  if ((RANDOM % 4 == 0)); then
    point=${points[RANDOM % 3]}
    pointed=$((pointed + 1))
  else
    timed=$((timed + 1))
  fi
  start_server "$point"
  files=("$work/a.mp4" "$work/b.mp4" "$work/junk.bin")
  pids=()
  for k in 0 1 2; do
    upload "${files[(run + k) % 3]}" "r$run-$k" &
    pids+=($!)
  done
  if [[ -z $point ]]; then
    # a third of the runs let the uploads be answered first, then kill during the work; the
    # others kill at any moment, uploads included
    if ((run % 3 == 0)); then
      for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    fi
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", r / 32767 * 0.8 }')"
  else
    # the server kills itself at the point; give it the time a run needs to get there
    for _ in $(seq 1 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.02; done
  fi
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  check "after run $run"
done

# Restart without faults until every claim is finished (expired leases come back within 1 s).
start_server ""
for _ in $(seq 1 600); do
  left=$(q "SELECT count(*) FROM claims WHERE state IN (0,1)")
  [[ $left == 0 ]] && break
  sleep 0.1
done
kill -TERM "$server_pid"
wait "$server_pid" || true
check "at the end"
accepted=$(grep -c . "$work/accepted" || true)
unfinished=0
while read -r id; do
  [[ -z $id ]] && continue
  st=$(q "SELECT state FROM claims WHERE id='$id'")
  n=$(q "SELECT count(*) FROM assessments WHERE claim_id='$id'")
  t=$(q "SELECT count(*) FROM audit WHERE claim_id='$id' AND action IN ('assessment','claim.failed')")
  if [[ $st != 2 && $st != 3 ]] || [[ $n != 1 ]] || [[ $t != 1 ]]; then
    echo "crash_campaign: claim $id ended with state $st, $n assessments, $t terminal audit rows" >&2
    unfinished=$((unfinished + 1))
  fi
done <"$work/accepted"
((unfinished == 0)) || exit 1
verify=$("$bin/dashclaim" audit verify --data "$data") || { echo "crash_campaign: $verify" >&2; exit 1; }
done_n=$(q "SELECT count(*) FROM claims WHERE state = 2")
failed_n=$(q "SELECT count(*) FROM claims WHERE state = 3")
input_n=$(q "SELECT count(*) FROM claims WHERE state = 3 AND error_class = 1")
died_n=$(q "SELECT count(*) FROM claims WHERE state = 3 AND error_class = 5")
max_seen=$(q "SELECT max(attempts) FROM claims")
total=$(q "SELECT count(*) FROM claims")
echo "crash campaign: $runs kill -9 runs ($timed at random times, $pointed at crash points), $accepted uploads answered 202 ($total claims in the store, the rest committed before a kill took their 202); all finished exactly once: $done_n done, $failed_n failed ($input_n not a video, $died_n worker killed $max_attempts times); most attempts $max_seen of $max_attempts; $verify"
