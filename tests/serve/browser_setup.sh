# Sourced by the browser tests (review_page_test.sh, stored_script_test.sh): what both need
# before their own steps. Expects $bin, $work and $here; the caller names itself in $name.

# Exit 77 (skipped) when chromium, node, npm, curl or sqlite3 is missing.
browser_tools_or_skip() {
  chromium=${DC_CHROMIUM:-/usr/bin/chromium}
  for tool in "$chromium" node npm curl sqlite3; do
    command -v "$tool" >/dev/null || { echo "$name: $tool is not installed: skipped" >&2; exit 77; }
  done
}

# puppeteer-core from the committed package-lock.json into $work/npm (once), and the script
# $1 (in browser/) beside it; sets $modules.
browser_modules() {
  mkdir -p "$work"
  modules=$work/npm
  if [[ ! -f $modules/node_modules/puppeteer-core/package.json ]] ||
     ! cmp -s "$here/browser/package-lock.json" "$modules/package-lock.json"; then
    rm -rf "$modules"
    mkdir -p "$modules"
    cp "$here/browser/package.json" "$here/browser/package-lock.json" "$modules/"
    (cd "$modules" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) ||
      { echo "$name: npm ci (puppeteer-core) failed" >&2; exit 1; }
  fi
  cp "$here/browser/$1" "$modules/"
}

# `dashclaim serve` on a free loopback port with one worker: $1 data folder, $2 scratch folder,
# $3 log file. Sets $pid and $base; the server is stopped when the script exits.
serve_start() {
  "$bin/dashclaim" serve --data "$1" --listen 127.0.0.1:0 --workers 1 --scratch "$2" >"$3" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
  local port=
  for _ in $(seq 1 300); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$3" | head -n 1)
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { cat "$3" >&2; exit 1; }
  base=http://127.0.0.1:$port
}

# Waits (up to 60 s) until claim $2 has ended, asking with key $1; prints its status (done or
# failed, or what it still is). The claim's own status is its first "status" (the assessment
# inside has one too).
claim_wait() {
  local s=
  for _ in $(seq 1 600); do
    s=$(curl -sf -H "Authorization: Bearer $1" "$base/v1/claims/$2" |
      grep -o '"status":"[a-z]*"' | head -n 1 | cut -d'"' -f4)
    [[ $s == done || $s == failed ]] && break
    sleep 0.1
  done
  echo "$s"
}
