#!/usr/bin/env bash
# fault_service_pg.sh BIN_DIR WORK_DIR [SIGNALS_CLAIMS] [MODEL_CLAIMS] [KILLS]
#
# The service on PostgreSQL under faults, with the real programs: 2 `dashclaim serve` processes
# (API only) and 4 `dashclaim worker` processes on one database. Run it under tests/store/with-pg
# (which provides DC_TEST_PG_URL and DC_TEST_PG_RESTART).
#   phase 1: SIGNALS_CLAIMS uploads (default 500; 1 in 20 is not a video) to both servers while 4
#            workers with the signals engine take them; workers are killed with -9 at random
#            moments and restarted, and the PostgreSQL server is restarted once mid-phase;
#   phase 2: the workers are replaced by 4 with the tiny synthetic model; MODEL_CLAIMS uploads
#            (default 50), kill -9s again, and a second server restart mid-phase.
# The serve processes stay up through both restarts (they reconnect). KILLS (default 24) is the
# number of kill -9s over both phases. At the end, with SQL: every upload that got a 202 is done
# or failed exactly once with one final assessment and one terminal audit row, attempts within
# the maximum, the hot jobs table empty, and `dashclaim audit verify` finds the chain intact.
# Prints the counts; exit 1 on any breach.
set -euo pipefail
bin=${1:?usage: fault_service_pg.sh BIN_DIR WORK_DIR [SIGNALS_CLAIMS] [MODEL_CLAIMS] [KILLS]}
work=${2:?usage}
n_sig=${3:-500}
n_model=${4:-50}
kills=${5:-24}
max_attempts=3
url=${DC_TEST_PG_URL:?run under tests/store/with-pg}
restart=${DC_TEST_PG_RESTART:?run under tests/store/with-pg}
command -v curl >/dev/null || { echo "fault_service_pg: curl is needed: skipped" >&2; exit 77; }
command -v psql >/dev/null || { echo "fault_service_pg: psql is needed: skipped" >&2; exit 77; }
unset DASHCLAIM_MODEL DASHCLAIM_MMPROJ

rm -rf "$work"
mkdir -p "$work/out"
fail() { echo "fault_service_pg: $*" >&2; exit 1; }
q() { psql -qAt "$url" -c "$1"; }
t0=$(date +%s)

for i in 1 2 3 4; do
  "$bin/synth-video" --duration 2 --size 160x120 --seed "$i" -o "$work/clip$i.mp4" >/dev/null 2>&1 ||
    fail "synth-video failed"
done
head -c 4000 /dev/urandom >"$work/junk.bin"
if ((n_model > 0)); then
  "$bin/synth-model" --preset tiny --seed 3 -o "$work/model" >/dev/null 2>&1 || fail "synth-model failed"
fi
key=$("$bin/dashclaim" keys add --db "$url" --role uploader --name fault | tail -n 1)
[[ $key =~ ^dck_ ]] || fail "keys add printed '$key'"

pids=()
cleanup() { for p in "${pids[@]}" "${wpids[@]:-}"; do [[ -n $p ]] && kill -9 "$p" 2>/dev/null; done; true; }
trap cleanup EXIT

ports=()
for s in 1 2; do
  log=$work/out/serve$s.log
  "$bin/dashclaim" serve --db "$url" --listen 127.0.0.1:0 --workers 0 --http-threads 4 \
    --scratch "$work" >"$log" 2>&1 &
  pids+=($!)
  port=
  for _ in $(seq 1 400); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log" | head -n 1)
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { cat "$log" >&2; fail "serve $s did not start"; }
  ports+=("$port")
done

wpids=("" "" "" "")
worker_args=()
start_worker() { # $1: slot
  "$bin/dashclaim" worker --db "$url" --lease-sec 3 --max-attempts $max_attempts \
    --name "w$1-$RANDOM" --scratch "$work" "${worker_args[@]}" >>"$work/out/worker$1.log" 2>&1 &
  wpids[$1]=$!
}

: >"$work/accepted"
upload_all() { # $1: count, $2: tag; 4 uploads at a time, alternating between the servers
  local n=$1 tag=$2 i
  for ((i = 0; i < n; i++)); do
    local f=$work/clip$((i % 4 + 1)).mp4
    [[ $tag == sig && $((i % 20)) == 19 ]] && f=$work/junk.bin
    (
      code=$(curl -s -o "$work/out/$tag$i.json" -w '%{http_code}' --max-time 60 --retry 5 \
        --retry-all-errors --retry-delay 1 -H "Authorization: Bearer $key" \
        -H 'Content-Type: video/mp4' -H "Idempotency-Key: $tag-$i" --data-binary @"$f" \
        "http://127.0.0.1:${ports[i % 2]}/v1/claims" 2>/dev/null || true)
      if [[ $code == 202 ]]; then
        id=$(grep -o '"id":"clm_[0-9a-f]*"' "$work/out/$tag$i.json" | head -n 1 | cut -d'"' -f4)
        echo "$id" >>"$work/accepted"
      else
        echo "$tag$i $code" >>"$work/out/refused"
      fi
    ) &
    if ((i % 4 == 3)); then wait; fi
  done
  wait
}

killed=0
chaos() { # $1: kills in this phase; then the numbers of finished claims to restart the server at
  local want=$1
  shift
  local at=("$@") next=0
  while :; do
    local left finished
    left=$(q "SELECT count(*) FROM claims WHERE state IN (0, 1)" 2>/dev/null || echo busy)
    finished=$(q "SELECT count(*) FROM claims WHERE state IN (2, 3)" 2>/dev/null || echo 0)
    if ((next < ${#at[@]})) && [[ $finished =~ ^[0-9]+$ ]] && ((finished >= at[next])); then
      echo "fault_service_pg: restarting PostgreSQL at $finished finished claims"
      "$restart"
      restarts=$((restarts + 1))
      next=$((next + 1))
    fi
    if ((want > 0)) && ((RANDOM % 3 == 0)); then
      local slot=$((RANDOM % 4))
      kill -9 "${wpids[$slot]}" 2>/dev/null || true
      wait "${wpids[$slot]}" 2>/dev/null || true
      start_worker "$slot"
      killed=$((killed + 1))
      want=$((want - 1))
    fi
    if [[ $left == 0 && -f $work/uploads-done ]] && ((next == ${#at[@]} && want == 0)); then break; fi
    if (($(date +%s) - t0 > 3000)); then fail "not finished after 50 minutes"; fi
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + r / 32767 * 0.9 }')"
  done
}

# ---- phase 1: signals engine
for s in 0 1 2 3; do start_worker $s; done
rm -f "$work/uploads-done"
(upload_all "$n_sig" sig; touch "$work/uploads-done") &
up=$!
restarts=0
if ((n_model > 0)); then
  chaos $((kills * 3 / 4)) $((n_sig / 3))
else # no model phase: both restarts here
  chaos "$kills" $((n_sig / 3)) $((n_sig * 2 / 3))
fi
wait $up || true
phase1_s=$(($(date +%s) - t0))

# ---- phase 2: the tiny model
if ((n_model > 0)); then
for s in 0 1 2 3; do kill -TERM "${wpids[$s]}" 2>/dev/null || true; done
for s in 0 1 2 3; do wait "${wpids[$s]}" 2>/dev/null || true; done
worker_args=(--model "$work/model/model.gguf" --mmproj "$work/model/mmproj.gguf"
  --visual-tokens 64 --frames 4 --max-new-tokens 448 --vlm-threads 1)
for s in 0 1 2 3; do start_worker $s; done
before=$(q "SELECT count(*) FROM claims")
rm -f "$work/uploads-done"
(upload_all "$n_model" model; touch "$work/uploads-done") &
up=$!
chaos $((kills - kills * 3 / 4)) $((before + n_model / 3))
wait $up || true
fi
for s in 0 1 2 3; do kill -TERM "${wpids[$s]}" 2>/dev/null || true; done
for s in 0 1 2 3; do wait "${wpids[$s]}" 2>/dev/null || true; done
wpids=()
total_s=$(($(date +%s) - t0))

# ---- the invariants
bad=0
breach() { echo "fault_service_pg: BREACH: $*" >&2; bad=1; }
accepted=$(sort -u "$work/accepted" | grep -c . || true)
refused=$( (grep -c . "$work/out/refused" 2>/dev/null) || echo 0)
sort -u "$work/accepted" | sed "s/.*/('&')/" | paste -sd, >"$work/ids.sql"
[[ -s $work/ids.sql ]] || fail "no upload was accepted"
ids=$(cat "$work/ids.sql")
in_store=$(q "SELECT count(*) FROM claims WHERE id IN (SELECT column1 FROM (VALUES $ids) v)")
[[ $in_store == "$accepted" ]] || breach "$accepted uploads got a 202 but $in_store are in the store"
not_final=$(q "SELECT count(*) FROM claims c WHERE state NOT IN (2, 3)
  OR (SELECT count(*) FROM assessments a WHERE a.claim_id = c.id) <> 1
  OR (SELECT count(*) FROM audit t WHERE t.claim_id = c.id
      AND t.action IN ('assessment', 'claim.failed')) <> 1")
[[ $not_final == 0 ]] || breach "$not_final claims not finished exactly once with one final assessment"
over=$(q "SELECT count(*) FROM claims WHERE attempts > $max_attempts")
[[ $over == 0 ]] || breach "$over claims over $max_attempts attempts"
jobs=$(q "SELECT count(*) FROM jobs")
[[ $jobs == 0 ]] || breach "$jobs rows left in the hot jobs table"
verify=$("$bin/dashclaim" audit verify --db "$url" 2>&1) || breach "audit verify: $verify"
total=$(q "SELECT count(*) FROM claims")
done_n=$(q "SELECT count(*) FROM claims WHERE state = 2")
failed_n=$(q "SELECT count(*) FROM claims WHERE state = 3")
input_n=$(q "SELECT count(*) FROM claims WHERE state = 3 AND error_class = 1")
vlm_n=$(q "SELECT count(*) FROM assessments WHERE json LIKE '%\"name\":\"vlm\"%'")
sig_n=$(q "SELECT count(*) FROM assessments WHERE json LIKE '%\"name\":\"signals\"%'")
max_seen=$(q "SELECT coalesce(max(attempts), 0) FROM claims")
retried=$(q "SELECT count(*) FROM claims WHERE attempts > 1")
echo "fault_service_pg: 2 serve + 4 worker processes, $n_sig signals + $n_model tiny-model uploads" \
  "in ${total_s} s (phase 1 ${phase1_s} s); $killed workers killed -9; $restarts PostgreSQL restarts;" \
  "$accepted answered 202 ($refused refused), $total claims in the store; finished exactly once:" \
  "$done_n done ($sig_n signals, $vlm_n vlm), $failed_n failed ($input_n not a video);" \
  "$retried needed more than one attempt, most attempts $max_seen of $max_attempts; $verify"
exit $bad
