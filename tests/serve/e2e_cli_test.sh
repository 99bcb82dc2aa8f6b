#!/usr/bin/env bash
# e2e_cli_test.sh BIN_DIR WORK_DIR
# The service through its command line, exactly as the README shows it, with the tiny synthetic
# model (tools/synth-model --preset tiny: the real Qwen2.5-VL architecture, random weights):
#   dashclaim keys add (the key alone on the last line) -> dashclaim serve --model --mmproj ->
#   curl upload (202 with id) -> GET until done, the assessment made by the vlm engine ->
#   curl review with a 0 override -> audit rows over the API -> dashclaim audit verify;
# then SIGTERM stops serve cleanly, and `dashclaim worker` processes on the same store (serve
# running with --workers 0) assess two more claims with the signals engine; `keys revoke` makes
# the key useless at once.
set -euo pipefail
bin=${1:?usage: e2e_cli_test.sh BIN_DIR WORK_DIR}
work=${2:?usage: e2e_cli_test.sh BIN_DIR WORK_DIR}
command -v curl >/dev/null || { echo "e2e_cli_test: curl is needed: skipped" >&2; exit 77; }
rm -rf "$work"
mkdir -p "$work"
data=$work/data
fail() { echo "e2e_cli_test: $*" >&2; exit 1; }

"$bin/synth-model" --preset tiny --seed 3 -o "$work/model" >/dev/null 2>&1 || fail "synth-model failed"
"$bin/synth-video" --duration 6 --size 320x240 -o "$work/clip.mp4" >/dev/null 2>&1 || fail "synth-video failed"
uploader=$("$bin/dashclaim" keys add --data "$data" --role uploader --name ulla | tail -n 1)
reviewer=$("$bin/dashclaim" keys add --data "$data" --role reviewer --name rita | tail -n 1)
[[ $uploader =~ ^dck_[0-9a-f]{12}_[0-9a-f]{40}$ ]] || fail "keys add printed '$uploader' last"
"$bin/dashclaim" keys list --data "$data" | grep -q ' rita$' || fail "keys list does not show rita"

pid=
start() { # serve arguments...
  "$bin/dashclaim" serve --data "$data" --listen 127.0.0.1:0 --scratch "$work" "$@" >"$work/serve.log" 2>&1 &
  pid=$!
  port=
  for _ in $(seq 1 600); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/serve.log" | head -n 1)
    [[ -n $port ]] && return 0
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  cat "$work/serve.log" >&2
  fail "serve did not start"
}
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; true' EXIT
status_of() { # the claim's own status is the first "status" of its JSON
  curl -sf -H "Authorization: Bearer $reviewer" "http://127.0.0.1:$port/v1/claims/$1" |
    grep -o '"status":"[a-z]*"' | head -n 1 | cut -d'"' -f4
}
wait_done() {
  local s=
  for _ in $(seq 1 1200); do
    s=$(status_of "$1")
    [[ $s == done || $s == failed ]] && break
    sleep 0.1
  done
  echo "$s"
}
upload() {
  curl -sf -H "Authorization: Bearer $uploader" -H 'Content-Type: video/mp4' \
    --data-binary @"$work/clip.mp4" "http://127.0.0.1:$port/v1/claims?policy_id=$1" |
    sed -n 's/.*"id":"\(clm_[0-9a-f]*\)".*/\1/p'
}

# 1. serve with the tiny model
start --workers 1 --model "$work/model/model.gguf" --mmproj "$work/model/mmproj.gguf" \
  --visual-tokens 64 --frames 4 --max-new-tokens 448 --vlm-threads 1
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: video/mp4' --data-binary @"$work/clip.mp4" \
  "http://127.0.0.1:$port/v1/claims")
[[ $code == 401 ]] || fail "an upload without a key got $code"
claim=$(upload POL-E2E)
[[ -n $claim ]] || fail "the upload was not accepted"
s=$(wait_done "$claim")
[[ $s == done ]] || fail "the claim ended '$s'"
json=$(curl -sf -H "Authorization: Bearer $reviewer" "http://127.0.0.1:$port/v1/claims/$claim")
grep -q '"schema":"dashclaim.assessment/1"' <<<"$json" || fail "no assessment record"
grep -q '"name":"vlm"' <<<"$json" || fail "the assessment was not made by the vlm engine: $json"
grep -q '"model":"model.gguf"' <<<"$json" || fail "the model is not named in the record"
code=$(curl -s -o "$work/review.json" -w '%{http_code}' -H "Authorization: Bearer $reviewer" \
  -H 'Content-Type: application/json' \
  -d '{"decision":"APPROVE","fault_ratio":0,"fraud_flag":false,"reasoning":"checked the video"}' \
  "http://127.0.0.1:$port/v1/claims/$claim/review")
[[ $code == 200 ]] || fail "review answered $code: $(cat "$work/review.json")"
audit=$(curl -sf -H "Authorization: Bearer $reviewer" "http://127.0.0.1:$port/v1/claims/$claim/audit")
for a in claim.created assessment review override.fault_ratio override.fraud_flag; do
  grep -q "\"action\":\"$a\"" <<<"$audit" || fail "audit lacks $a"
done
grep -q '"model":"model.gguf"' <<<"$audit" || fail "the assessment's audit row does not name the model"
curl -sf -H "Authorization: Bearer $reviewer" "http://127.0.0.1:$port/metrics" >/dev/null &&
  fail "a reviewer read /metrics"
kill -TERM $pid
wait $pid || fail "serve did not stop cleanly on SIGTERM"
grep -q 'SIGTERM: stopping' "$work/serve.log" || fail "serve did not say it stops"
pid=

# 2. serve without workers; separate worker processes do the work
start --workers 0
c1=$(upload POL-W1)
c2=$(upload POL-W2)
[[ -n $c1 && -n $c2 ]] || fail "uploads to a worker-less serve failed"
"$bin/dashclaim" worker --data "$data" --max-jobs 1 --name w-a --poll-ms 20 2>"$work/worker-a.log" &
wa=$!
"$bin/dashclaim" worker --data "$data" --max-jobs 1 --name w-b --poll-ms 20 2>"$work/worker-b.log" &
wb=$!
wait $wa || fail "worker a failed: $(cat "$work/worker-a.log")"
wait $wb || fail "worker b failed: $(cat "$work/worker-b.log")"
for c in $c1 $c2; do
  [[ $(wait_done "$c") == done ]] || fail "claim $c was not done by the worker processes"
done
grep -q '1 done' "$work/worker-a.log" || fail "worker a did not do its one job: $(cat "$work/worker-a.log")"
"$bin/dashclaim" keys revoke --data "$data" ulla >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $uploader" \
  "http://127.0.0.1:$port/v1/claims/$c1")
[[ $code == 401 ]] || fail "a revoked key got $code"
kill -TERM $pid
wait $pid || true
pid=
"$bin/dashclaim" audit verify --data "$data"
echo "e2e_cli_test: tiny model claim $claim done and reviewed; 2 claims done by worker processes"
