#!/usr/bin/env bash
# stored_script_test.sh BIN_DIR WORK_DIR
# Issue 23's stored-script attack in Debian's chromium. An uploader stores, as claims:
#   H  a multipart "video" part of type text/html holding <script>, which posts an APPROVE with
#      fault 0 for claim T in the name of whoever opens it;
#   S  the same as an SVG (image/svg+xml, onload=...);
#   F  a real video whose policy, claimant, plate and location carry markup with handlers
#      (<img onerror>, <svg onload>), shown by the review page and the report, with a second
#      channel whose file name is markup (the review page lists a claim's videos by name).
# A reviewer signs in and opens H's and S's video URLs directly, the review pages of F and H and
# F's report (browser/stored_script.mjs). Afterwards the store must hold no review the uploader's
# markup made (reviews and audit rows of T), and no request the markup would send was made. A
# control at the end posts the same request from the review page itself, which must be recorded:
# the session and the payload work, so "nothing recorded" means "nothing ran".
# Exit 77 (skipped) without chromium, node or npm.
set -euo pipefail
bin=${1:?usage: stored_script_test.sh BIN_DIR WORK_DIR}
work=${2:?usage: stored_script_test.sh BIN_DIR WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
name=stored_script_test
# shellcheck source=browser_setup.sh
source "$here/browser_setup.sh"
browser_tools_or_skip
browser_modules stored_script.mjs

data=$work/data
rm -rf "$data" "$work/profile" "$work/scratch"
mkdir -p "$work/scratch"
reviewer=$("$bin/dashclaim" keys add --data "$data" --role reviewer --name rita | tail -n 1)
uploader=$("$bin/dashclaim" keys add --data "$data" --role uploader --name mallory | tail -n 1)
"$bin/synth-video" --duration 3 --size 320x240 -o "$work/clip.mp4" >/dev/null 2>&1
log=$work/serve.log
serve_start "$data" "$work/scratch" "$log"
id_of() { sed -n 's/.*"id":"\(clm_[0-9a-f]*\)".*/\1/p'; }
up() { curl -s -H "Authorization: Bearer $uploader" "$@" | id_of; }

# T: the claim the uploader wants approved, a real video that ends done
target=$(up -H 'Content-Type: video/mp4' --data-binary @"$work/clip.mp4" "$base/v1/claims?policy_id=POL-T")
[[ -n $target ]] || { echo "stored_script_test: the upload of T failed" >&2; exit 1; }
# what the uploader's markup runs: an APPROVE with fault 0 for T, tagged with where it ran
payload() {
  printf "fetch('/v1/claims/%s/review',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({decision:'APPROVE',fault_ratio:0,reasoning:'%s'})})" \
    "$target" "$1"
}
printf '<!doctype html><html><body><p>dashcam</p><script>%s</script></body></html>\n' \
  "$(payload xss-html)" >"$work/attack.html"
printf '<svg xmlns="http://www.w3.org/2000/svg" onload="%s"><rect width="9" height="9"/></svg>\n' \
  "$(payload xss-svg)" >"$work/attack.svg"
html=$(up -F "video=@$work/attack.html;type=text/html" -F policy_id=POL-H "$base/v1/claims")
svg=$(up -F "video=@$work/attack.svg;type=image/svg+xml" -F policy_id=POL-S "$base/v1/claims")
fields=$(up -F "video=@$work/clip.mp4;type=video/mp4" \
  --form-string 'policy_id=<img src=/xss-policy>' \
  --form-string "claimant=<img src=x onerror=\"fetch('/xss-claimant')\">" \
  --form-string "plate=<svg onload=fetch('/xss-p')>" \
  --form-string "location=<img src=x onerror=\"$(payload xss-location)\">" \
  -F "video=@$work/clip.mp4;type=video/mp4;filename=\"<img src=xss-file-name.png>.mp4\"" \
  -F role=front -F role=rear "$base/v1/claims")
for v in html svg fields; do
  [[ -n ${!v} ]] || { echo "stored_script_test: the upload of the $v claim was refused" >&2; exit 1; }
done
for c in "$target" "$html" "$svg" "$fields"; do
  s=$(claim_wait "$reviewer" "$c")
  [[ $s == done || $s == failed ]] || { echo "stored_script_test: claim $c is still '$s'" >&2; exit 1; }
done

rc=0
DC_URL=$base DC_REVIEWER_KEY=$reviewer DC_TARGET=$target DC_HTML=$html DC_SVG=$svg \
  DC_FIELDS=$fields DC_CHROMIUM=$chromium DC_PROFILE=$work/profile \
  node "$modules/stored_script.mjs" || rc=$?

db=$data/dashclaim.db
reviews=$(sqlite3 "$db" "SELECT group_concat(reviewer || ':' || decision || ':' || reasoning, ' ') FROM reviews WHERE claim_id = '$target'")
audit=$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE claim_id = '$target' AND action = 'review'")
echo "stored_script_test: reviews of T: '$reviews'; audit review rows of T: $audit"
if [[ $reviews == *xss-* ]]; then
  echo "stored_script_test: the uploader's markup recorded a review in the reviewer's name" >&2
  rc=1
fi
if [[ $reviews != "rita:APPROVE:control" || $audit != 1 ]]; then
  echo "stored_script_test: want exactly the control review on T (rita:APPROVE:control, 1 audit row)" >&2
  rc=1
fi
exit $rc
