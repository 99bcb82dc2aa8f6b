#!/usr/bin/env bash
# bench/service: HTTP load on `dashclaim serve` with wrk (Debian), against /healthz measured in
# the same run as the peer (same server, same connections, no key check and no store read).
#   bench/service/run.sh [BUILD_DIR]     (LOAD_SECONDS, default 30; LOAD_CONNECTIONS, default 64)
# GET /v1/claims/{id} of a processed claim (key check + claim + assessment read from SQLite) for
# LOAD_SECONDS with LOAD_CONNECTIONS connections on 2 wrk threads: requests/s, p50/p99, errors.
# Then 1000 small uploads, 64 at a time with curl: all answered 202, 1000 claims in the store.
# Writes bench/service/results.md. Never pass/fail.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/$build/bin
secs=${LOAD_SECONDS:-30}
conns=${LOAD_CONNECTIONS:-64}
command -v wrk >/dev/null || { echo "bench/service: wrk is not installed (scripts/deps)" >&2; exit 1; }
[[ -x $bin/dashclaim ]] || { echo "bench/service: build first" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
data=$tmp/data
reviewer=$("$bin/dashclaim" keys add --data "$data" --role reviewer --name bench-r | tail -n 1)
uploader=$("$bin/dashclaim" keys add --data "$data" --role uploader --name bench-u | tail -n 1)
"$bin/synth-video" --duration 6 --size 320x240 -o "$tmp/clip.mp4" >/dev/null 2>&1
"$bin/dashclaim" serve --data "$data" --listen 127.0.0.1:0 --workers 1 --http-threads 4 \
  --per-ip-connections 256 --scratch "$tmp" >"$tmp/serve.log" 2>&1 &
pid=$!
port=
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/serve.log" | head -n 1)
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { cat "$tmp/serve.log" >&2; exit 1; }
base=http://127.0.0.1:$port
claim=$(curl -sf -H "Authorization: Bearer $uploader" -H 'Content-Type: video/mp4' \
  --data-binary @"$tmp/clip.mp4" "$base/v1/claims" | sed -n 's/.*"id":"\(clm_[0-9a-f]*\)".*/\1/p')
for _ in $(seq 1 600); do
  curl -sf -H "Authorization: Bearer $reviewer" "$base/v1/claims/$claim" | grep -q '"assessment":{' && break
  sleep 0.1
done

run_wrk() { # $1 path, $2 key or ""
  local args=(-t2 -c"$conns" -d"${secs}s" --latency --timeout 10s)
  [[ -n $2 ]] && args+=(-H "Authorization: Bearer $2")
  wrk "${args[@]}" "$base$1" >"$tmp/wrk.out" 2>&1
  local rps p50 p99 non2xx sock
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.out")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.out")
  sock=$(sed -n 's/.*Socket errors: \(.*\)/\1/p' "$tmp/wrk.out")
  total=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
  echo "| $1 | $total | $rps | $p50 | $p99 | ${non2xx:-0} | ${sock:-none} |"
}
{
  echo "# bench/service ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m))"
  echo
  echo "wrk -t2 -c$conns -d${secs}s --latency; the server: 4 HTTP threads, 1 worker, SQLite store."
  echo
  echo "| path | requests | requests/s | p50 | p99 | non-2xx | socket errors |"
  echo "|---|---|---|---|---|---|---|"
  run_wrk "/v1/claims/$claim" "$reviewer"
  cp "$tmp/wrk.out" "$tmp/wrk-claim.out"
  run_wrk "/healthz" ""
  echo
  # 1000 small uploads, 64 at a time
  head -c 2048 /dev/urandom >"$tmp/small.bin"
  start=$(date +%s.%N)
  seq 1 1000 | xargs -P 64 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    -H "Authorization: Bearer $uploader" -H 'Content-Type: application/octet-stream' \
    -H 'Idempotency-Key: load-{}' --data-binary @"$tmp/small.bin" "$base/v1/claims" >"$tmp/codes"
  end=$(date +%s.%N)
  ok=$(grep -c '^202$' "$tmp/codes" || true)
  claims=$(sqlite3 "$data/dashclaim.db" "SELECT count(*) FROM claims WHERE idempotency_key LIKE 'load-%'")
  echo "1000 uploads of 2 KiB, 64 at a time (curl): $ok answered 202, $claims claims stored, $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s"
  echo
  echo '```'
  cat "$tmp/wrk-claim.out"
  echo '```'
} | tee "$here/results.md"
kill -TERM $pid
wait $pid || true
pid=
