#!/usr/bin/env bash
# review_page_test.sh BIN_DIR WORK_DIR
# The review page in Debian's chromium: a store with a reviewer key and one processed claim,
# `dashclaim serve`, then browser/review_page.mjs (puppeteer-core, installed from the committed
# package-lock.json into WORK_DIR/node_modules on first use). Afterwards the decision must be in
# the store as a review row with the key owner as reviewer, and the audit chain intact.
# Exit 77 (skipped) without chromium, node or npm.
set -euo pipefail
bin=${1:?usage: review_page_test.sh BIN_DIR WORK_DIR}
work=${2:?usage: review_page_test.sh BIN_DIR WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
chromium=${DC_CHROMIUM:-/usr/bin/chromium}
for tool in "$chromium" node npm curl sqlite3; do
  command -v "$tool" >/dev/null || { echo "review_page_test: $tool is not installed: skipped" >&2; exit 77; }
done
mkdir -p "$work"
modules=$work/npm
if [[ ! -f $modules/node_modules/puppeteer-core/package.json ]] ||
   ! cmp -s "$here/browser/package-lock.json" "$modules/package-lock.json"; then
  rm -rf "$modules"
  mkdir -p "$modules"
  cp "$here/browser/package.json" "$here/browser/package-lock.json" "$modules/"
  (cd "$modules" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) ||
    { echo "review_page_test: npm ci (puppeteer-core) failed" >&2; exit 1; }
fi
cp "$here/browser/review_page.mjs" "$modules/"

data=$work/data
rm -rf "$data" "$work/profile"
reviewer=$("$bin/dashclaim" keys add --data "$data" --role reviewer --name rita | tail -n 1)
uploader=$("$bin/dashclaim" keys add --data "$data" --role uploader --name ulla | tail -n 1)
"$bin/synth-video" --duration 6 --size 480x270 -o "$work/clip.mp4" >/dev/null 2>&1
log=$work/serve.log
"$bin/dashclaim" serve --data "$data" --listen 127.0.0.1:0 --workers 1 --scratch "$work" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
port=
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log" | head -n 1)
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { cat "$log" >&2; exit 1; }
base=http://127.0.0.1:$port
claim=$(curl -sf -H "Authorization: Bearer $uploader" -H 'Content-Type: video/mp4' \
  --data-binary @"$work/clip.mp4" "$base/v1/claims?policy_id=POL-B1" | sed -n 's/.*"id":"\(clm_[0-9a-f]*\)".*/\1/p')
[[ -n $claim ]] || { echo "review_page_test: upload failed" >&2; exit 1; }
for _ in $(seq 1 600); do
  # the claim's own status is its first "status" (the assessment inside has one too)
  s=$(curl -sf -H "Authorization: Bearer $reviewer" "$base/v1/claims/$claim" |
    grep -o '"status":"[a-z]*"' | head -n 1 | cut -d'"' -f4)
  [[ $s == done || $s == failed ]] && break
  sleep 0.1
done
[[ $s == done ]] || { echo "review_page_test: the claim ended '$s'" >&2; exit 1; }

DC_URL=$base DC_REVIEWER_KEY=$reviewer DC_CLAIM=$claim DC_SHOT=$work/review_page.png \
  DC_CHROMIUM=$chromium DC_PROFILE=$work/profile node "$modules/review_page.mjs"

db=$data/dashclaim.db
row=$(sqlite3 "$db" "SELECT reviewer, decision, fault_ratio FROM reviews WHERE claim_id = '$claim'")
[[ $row == "rita|REJECT|0" ]] || { echo "review_page_test: review row is '$row'" >&2; exit 1; }
"$bin/dashclaim" audit verify --data "$data"
echo "review_page_test: screenshot at $work/review_page.png"
