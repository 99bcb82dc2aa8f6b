#!/usr/bin/env bash
# review_page_test.sh BIN_DIR WORK_DIR
# The review page in Debian's chromium: a store with a reviewer key and one processed claim,
# `dashclaim serve`, then browser/review_page.mjs (puppeteer-core, installed from the committed
# package-lock.json into WORK_DIR/node_modules on first use). A second claim of the same file is
# shown as seen in the first and compared side by side. Afterwards the decision must be in the
# store as a review row with the key owner as reviewer, and the audit chain intact.
# Exit 77 (skipped) without chromium, node or npm.
set -euo pipefail
bin=${1:?usage: review_page_test.sh BIN_DIR WORK_DIR}
work=${2:?usage: review_page_test.sh BIN_DIR WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
name=review_page_test
# shellcheck source=browser_setup.sh
source "$here/browser_setup.sh"
browser_tools_or_skip
browser_modules review_page.mjs

data=$work/data
rm -rf "$data" "$work/profile"
reviewer=$("$bin/dashclaim" keys add --data "$data" --role reviewer --name rita | tail -n 1)
uploader=$("$bin/dashclaim" keys add --data "$data" --role uploader --name ulla | tail -n 1)
"$bin/synth-video" --duration 6 --size 480x270 -o "$work/clip.mp4" >/dev/null 2>&1
log=$work/serve.log
serve_start "$data" "$work" "$log"
# a front and a rear channel (the same clip twice: the page's players are what is checked)
claim=$(curl -sf -H "Authorization: Bearer $uploader" -F policy_id=POL-B1 \
  -F "video=@$work/clip.mp4;type=video/mp4" -F "video=@$work/clip.mp4;type=video/mp4" \
  -F role=front -F role=rear "$base/v1/claims" | sed -n 's/.*"id":"\(clm_[0-9a-f]*\)".*/\1/p')
[[ -n $claim ]] || { echo "review_page_test: upload failed" >&2; exit 1; }
s=$(claim_wait "$reviewer" "$claim")
[[ $s == done ]] || { echo "review_page_test: the claim ended '$s'" >&2; exit 1; }
# a second claim of the same file: the footage index names the first, and the page compares them
claim2=$(curl -sf -H "Authorization: Bearer $uploader" -F policy_id=POL-B2 \
  -F "video=@$work/clip.mp4;type=video/mp4" "$base/v1/claims" |
  sed -n 's/.*"id":"\(clm_[0-9a-f]*\)".*/\1/p')
[[ -n $claim2 ]] || { echo "review_page_test: second upload failed" >&2; exit 1; }
s=$(claim_wait "$reviewer" "$claim2")
[[ $s == done ]] || { echo "review_page_test: the second claim ended '$s'" >&2; exit 1; }

DC_URL=$base DC_REVIEWER_KEY=$reviewer DC_CLAIM=$claim DC_CLAIM2=$claim2 DC_SHOT=$work/review_page.png \
  DC_CHROMIUM=$chromium DC_PROFILE=$work/profile node "$modules/review_page.mjs"

db=$data/dashclaim.db
row=$(sqlite3 "$db" "SELECT reviewer, decision, fault_ratio FROM reviews WHERE claim_id = '$claim'")
[[ $row == "rita|REJECT|0" ]] || { echo "review_page_test: review row is '$row'" >&2; exit 1; }
"$bin/dashclaim" audit verify --data "$data"
echo "review_page_test: screenshot at $work/review_page.png"
