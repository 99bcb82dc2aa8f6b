#!/usr/bin/env bash
# bench/fingerprint/search.sh [VIDEOS] [QUERIES]
#
# Search time of the footage index (include/dashclaim/footage_store.h) with VIDEOS stored
# synthetic fingerprints of 60 s each (default 100000; the issue's target is 1000000), on SQLite
# (a folder under $TMPDIR) and on PostgreSQL (a private server, tests/store/with-pg, its data
# under $TMPDIR too). The load runs nice'd (a bulk load: postings held in memory, written sorted
# at the end); the queries do not, and on PostgreSQL run after shared_buffers is raised to 2 GB
# and the server restarted (its default here is 32 MB). Prints each backend's load rate, search
# p50/p99/max, the keys, buckets, postings and candidate videos a query costs, how many of the
# queries' re-encoded copies were found (all must be) with no false match, and the index's size.
# A million videos take ~10 GB on each backend (8.2 kB of blob a video: the fingerprint with
# its two stored views) and 20-60 minutes each on a loaded 2-core machine.
# Needs fp-search built: cmake --build BUILD --target fp-search (BUILD defaults to ./build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
bin=$build/bin/fp-search
videos=${1:-100000}
queries=${2:-400}
[[ -x $bin ]] || { echo "search.sh: $bin not built (cmake --build $build --target fp-search)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/fp-search.XXXXXX")
chmod 755 "$work" # the PostgreSQL server (as nobody when run as root) keeps its data under it
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== SQLite"
nice -n 10 "$bin" --db "$work/sqlite" --videos "$videos" --batch 10000 --load-only
echo "index size: $(du -sh "$work/sqlite" | cut -f1), load now $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" --db "$work/sqlite" --videos "$videos" --queries "$queries" --query-only
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
"$FP_BIN" --db "$DC_TEST_PG_URL" --videos "$FP_VIDEOS" --queries "$FP_QUERIES" --query-only
PG
FP_BIN=$bin FP_VIDEOS=$videos FP_QUERIES=$queries TMPDIR=$work "$root/tests/store/with-pg" bash "$work/pg.sh"
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
