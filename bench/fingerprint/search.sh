#!/usr/bin/env bash
# bench/fingerprint/search.sh [VIDEOS] [QUERIES]
#
# Search time of the footage index (include/dashclaim/footage_store.h) with VIDEOS stored
# synthetic fingerprints of 60 s each (default 100000; the issue's target is 1000000), on SQLite
# (a folder under $TMPDIR) and on PostgreSQL (a private server, tests/store/with-pg). Prints each
# backend's load rate, search p50/p99 and the keys, postings and candidate videos a query costs,
# and how many of the queries' re-encoded copies were found (all must be) with no false match.
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
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== SQLite"
"$bin" --db "$work/sqlite" --videos "$videos" --batch 10000 --queries "$queries"
echo "index size: $(du -sh "$work/sqlite" | cut -f1)"
echo "== PostgreSQL"
"$root/tests/store/with-pg" bash -c "\"$bin\" --db \"\$DC_TEST_PG_URL\" --videos $videos --batch 10000 --queries $queries"
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
