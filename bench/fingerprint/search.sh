#!/usr/bin/env bash
# bench/fingerprint/search.sh [VIDEOS] [QUERIES]
#
# Search time of the footage index (include/dashclaim/footage_store.h) with VIDEOS stored
# synthetic fingerprints of 60 s each (default 100000; the issue's target is 1000000), on SQLite
# (a folder under $TMPDIR) and on PostgreSQL (a private server, tests/store/with-pg, its data
# under $TMPDIR too). The load runs nice'd (a bulk load: postings held in memory, written sorted
# at the end); the queries do not, and on PostgreSQL run after shared_buffers is raised to 2 GB
# and the server restarted (its default here is 32 MB). Each query run first makes WARMUP
# (default 200) uncounted lookups, as a service's long-lived process and connection have: the
# index's pages mapped into the process (SQLite's mmap, PostgreSQL's shared buffers), which a
# fresh process pays for on its first few hundred lookups (tens of ms each at a million).
# Prints each backend's load rate, search p50/p99/max (wall and this process's CPU), the keys,
# buckets, postings and candidate videos a query costs, how many of the queries' re-encoded
# copies were found (all must be) with no false match, and the index's size.
# A million videos take ~12 GB on SQLite, ~17 GB on PostgreSQL (8.6 kB of blob a video: the
# fingerprint with its two stored views) and 20-60 minutes each on a loaded 2-core machine.
#
# Queries only, against indexes loaded before (both optional; a backend not named is skipped
# when either is set):
#   FP_SQLITE_DIR=/var/tmp/fpindex/sq1m FP_PG_URL=postgresql://dashclaim@127.0.0.1:54329/fp1m \
#     bench/fingerprint/search.sh 1000000
# Needs fp-search built: cmake --build BUILD --target fp-search (BUILD defaults to ./build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
bin=$build/bin/fp-search
videos=${1:-100000}
queries=${2:-400}
warmup=${WARMUP:-200}
[[ -x $bin ]] || { echo "search.sh: $bin not built (cmake --build $build --target fp-search)" >&2; exit 2; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n ${FP_SQLITE_DIR:-}${FP_PG_URL:-} ]]; then
  if [[ -n ${FP_SQLITE_DIR:-} ]]; then
    echo "== SQLite ($FP_SQLITE_DIR, $(du -sh "$FP_SQLITE_DIR" | cut -f1))"
    "$bin" --db "$FP_SQLITE_DIR" --videos "$videos" --queries "$queries" --warmup "$warmup" --query-only
  fi
  if [[ -n ${FP_PG_URL:-} ]]; then
    echo "== PostgreSQL ($(psql -q -A -t "$FP_PG_URL" -c "SELECT pg_size_pretty(pg_database_size(current_database())) || ', shared_buffers ' || current_setting('shared_buffers')"))"
    "$bin" --db "$FP_PG_URL" --videos "$videos" --queries "$queries" --warmup "$warmup" --query-only
  fi
  echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/fp-search.XXXXXX")
chmod 755 "$work" # the PostgreSQL server (as nobody when run as root) keeps its data under it
trap 'rm -rf "$work"' EXIT
echo "== SQLite"
nice -n 10 "$bin" --db "$work/sqlite" --videos "$videos" --batch 10000 --load-only
echo "index size: $(du -sh "$work/sqlite" | cut -f1), load now $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" --db "$work/sqlite" --videos "$videos" --queries "$queries" --warmup "$warmup" --query-only
rm -rf "$work/sqlite"
echo "== PostgreSQL"
cat > "$work/pg.sh" <<'PG'
set -e
nice -n 10 "$FP_BIN" --db "$DC_TEST_PG_URL" --videos "$FP_VIDEOS" --batch 10000 --load-only
psql -q "$DC_TEST_PG_URL" -c "VACUUM ANALYZE fp_buckets" -c "VACUUM ANALYZE fp_videos"
psql -q -A -t "$DC_TEST_PG_URL" -c "SELECT 'index size: ' || pg_size_pretty(pg_database_size(current_database()))
    || ' (fp_buckets ' || pg_size_pretty(pg_total_relation_size('fp_buckets'))
    || ', fp_videos ' || pg_size_pretty(pg_total_relation_size('fp_videos')) || ')'"
psql -q "$DC_TEST_PG_URL" -c "ALTER SYSTEM SET shared_buffers = '2GB'"
bash "$DC_TEST_PG_RESTART" # restarted from this shell: the server is not nice'd
"$FP_BIN" --db "$DC_TEST_PG_URL" --videos "$FP_VIDEOS" --queries "$FP_QUERIES" --warmup "$FP_WARMUP" --query-only
PG
FP_BIN=$bin FP_VIDEOS=$videos FP_QUERIES=$queries FP_WARMUP=$warmup TMPDIR=$work "$root/tests/store/with-pg" bash "$work/pg.sh"
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
