/* The footage index on PostgreSQL: tables fp_videos and fp_postings in the store's database,
 * with numbered migrations of their own (table footage_schema) under an advisory lock of their
 * own, run when the index is opened (after the store's own migrations, which the service runs
 * first when it opens its store). The connection, its reconnects and retries are the store's
 * (store_pg_conn.c); every write is safe to repeat (ON CONFLICT DO NOTHING).
 *
 * fp_buckets (bucket integer PRIMARY KEY, entries bytea): the index's buckets (the layout:
 * store_footage_internal.h), ~16.7 million rows of ~170 bytes at a million videos where one row
 * per posting would be 480 million rows of ~44 bytes of tuple and index overhead each. A
 * lookup is one round trip, `bucket = ANY($1)` over the query's distinct buckets, each an index
 * descent; rows come back binary. Writes go through COPY into a temporary table and one
 * INSERT ... ON CONFLICT that appends each bucket's new entries (entries || new).
 *
 * A bulk load (and a rebuild) writes its postings in passes of FP_BULK_MAX_POSTINGS; appending
 * each pass to fp_buckets made a new version of every bucket row it touched (a million videos
 * in four passes: 16.8 million row versions, half of them dead until a VACUUM FULL). So the passes
 * go to fp_bulk_stage (UNLOGGED: a server crash empties it, and 'bulk_pending' then has the
 * buckets rebuilt anyway) and the last one writes each bucket once, its staged entries joined
 * in the order they were staged. A load of one pass writes the buckets directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_footage_internal.h"
#include "store_pg_internal.h"

/* pg_advisory_xact_lock key of these migrations ("dashclaim" + 16: not the store's key). */
#define FOOTAGE_LOCK_KEY "6442451911262184573"
#define SCHEMA_VERSION 5

static const char *const MIGRATION_1[] = {
    "CREATE TABLE IF NOT EXISTS fp_videos ("
    "  id bigserial PRIMARY KEY,"
    "  claim_id text NOT NULL,"
    "  position integer NOT NULL,"
    "  sha256 text NOT NULL,"
    "  duration_sec integer NOT NULL,"
    "  usable integer NOT NULL,"
    "  fingerprint bytea NOT NULL,"
    "  created_ms bigint NOT NULL,"
    "  UNIQUE (claim_id, position))",
    "CREATE INDEX IF NOT EXISTS fp_videos_sha256 ON fp_videos (sha256)",
    "CREATE TABLE IF NOT EXISTS fp_postings ("
    "  key bigint NOT NULL,"
    "  video bigint NOT NULL,"
    "  PRIMARY KEY (key, video))",
    "INSERT INTO footage_schema (version) VALUES (1)",
    NULL,
};

/* fp_meta: 'band_keys', the band-key function the postings were made with. */
static const char *const MIGRATION_2[] = {
    "CREATE TABLE IF NOT EXISTS fp_meta (name text PRIMARY KEY, value text NOT NULL)",
    "INSERT INTO footage_schema (version) VALUES (2)",
    NULL,
};

/* fp_places: one row per claim, its incident place and time; a search near a place reads one
 * (day, lat) range of each of three days. */
static const char *const MIGRATION_3[] = {
    "CREATE TABLE IF NOT EXISTS fp_places ("
    "  claim_id text PRIMARY KEY,"
    "  day bigint NOT NULL,"
    "  lat double precision NOT NULL,"
    "  lon double precision NOT NULL,"
    "  utc_ms bigint NOT NULL)",
    "CREATE INDEX IF NOT EXISTS fp_places_day_lat ON fp_places (day, lat)",
    "INSERT INTO footage_schema (version) VALUES (3)",
    NULL,
};

/* fp_buckets instead of fp_postings: rebuilt from the blobs at open (the key function's name
 * is dropped, so check_keys rebuilds). */
static const char *const MIGRATION_4[] = {
    "CREATE TABLE IF NOT EXISTS fp_buckets ("
    "  bucket integer PRIMARY KEY,"
    "  entries bytea NOT NULL)",
    "DROP TABLE IF EXISTS fp_postings",
    "DELETE FROM fp_meta WHERE name = 'band_keys'",
    "INSERT INTO footage_schema (version) VALUES (4)",
    NULL,
};

/* fp_bulk_stage: a bulk load's passes until its last one (see the top of this file). */
static const char *const MIGRATION_5[] = {
    "CREATE UNLOGGED TABLE IF NOT EXISTS fp_bulk_stage ("
    "  seq bigserial PRIMARY KEY,"
    "  bucket integer NOT NULL,"
    "  entries bytea NOT NULL)",
    "INSERT INTO footage_schema (version) VALUES (5)",
    NULL,
};

static void pgf_close(void *self) {
    store_pg *pg = self;
    store_pg_close(pg);
    free(pg);
}

static dc_error_class migrate_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    (void)arg;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    rc = store_pg_run(pg, "SELECT pg_advisory_xact_lock(" FOOTAGE_LOCK_KEY ")", 0, NULL, st, lost);
    if (rc == DC_OK)
        rc = store_pg_run(pg,
                          "CREATE TABLE IF NOT EXISTS footage_schema ("
                          "  version integer PRIMARY KEY,"
                          "  applied_at timestamptz NOT NULL DEFAULT now())",
                          0, NULL, st, lost);
    int version = 0;
    if (rc == DC_OK) {
        PGresult *r = store_pg_exec(pg, "SELECT coalesce(max(version), 0) FROM footage_schema", 0,
                                    NULL, st, lost);
        if (!r) rc = st->code;
        else {
            version = (int)store_pg_col_i64(r, 0, 0);
            PQclear(r);
        }
    }
    if (rc == DC_OK && version > SCHEMA_VERSION)
        rc = dc_fail(st, DC_ERR_INPUT,
                     "footage index: the database has schema %d, newer than this build's %d",
                     version, SCHEMA_VERSION);
    for (int i = 0; rc == DC_OK && version < 1 && MIGRATION_1[i]; i++)
        rc = store_pg_run(pg, MIGRATION_1[i], 0, NULL, st, lost);
    for (int i = 0; rc == DC_OK && version < 2 && MIGRATION_2[i]; i++)
        rc = store_pg_run(pg, MIGRATION_2[i], 0, NULL, st, lost);
    for (int i = 0; rc == DC_OK && version < 3 && MIGRATION_3[i]; i++)
        rc = store_pg_run(pg, MIGRATION_3[i], 0, NULL, st, lost);
    for (int i = 0; rc == DC_OK && version < 4 && MIGRATION_4[i]; i++)
        rc = store_pg_run(pg, MIGRATION_4[i], 0, NULL, st, lost);
    for (int i = 0; rc == DC_OK && version < 5 && MIGRATION_5[i]; i++)
        rc = store_pg_run(pg, MIGRATION_5[i], 0, NULL, st, lost);
    if (rc == DC_OK) return store_pg_commit(pg, st, lost);
    store_pg_rollback(pg);
    return rc;
}

/* "{k1,k2,...}" for a bigint[] parameter; malloc'd. */
static char *int8_array(const int64_t *v, int n) {
    char *s = malloc((size_t)n * 21 + 3);
    if (!s) return NULL;
    size_t at = 0;
    s[at++] = '{';
    for (int i = 0; i < n; i++)
        at += (size_t)sprintf(s + at, "%s%lld", i ? "," : "", (long long)v[i]);
    s[at++] = '}';
    s[at] = 0;
    return s;
}

/* Every add as a row (bucket, entries) of the COPY statement copy_sql, inside the caller's
 * transaction. COPY's text form: "bucket<TAB>\\x<hex>" (the backslash of bytea's hex form
 * escaped). */
static dc_error_class copy_adds(store_pg *pg, const char *copy_sql, const fp_bucket_add *adds,
                                size_t n, dc_status *st, bool *lost) {
    dc_error_class rc = DC_OK;
    PGresult *r = PQexec(pg->conn, copy_sql);
    bool copying = r && PQresultStatus(r) == PGRES_COPY_IN;
    if (!copying) {
        if (lost) *lost = store_pg_failure_is_lost(pg->conn, r);
        rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: COPY: %s", PQerrorMessage(pg->conn));
        PQclear(r);
        return rc;
    }
    PQclear(r);
    static const char hex[] = "0123456789abcdef";
    size_t cap = 1 << 20;
    char *chunk = malloc(cap + 64 + 2 * 65536);
    if (!chunk) {
        PQputCopyEnd(pg->conn, "out of memory");
        while ((r = PQgetResult(pg->conn))) PQclear(r);
        return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    }
    size_t at = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        if (at + 16 + 2 * (size_t)adds[i].len > cap) {
            ok = PQputCopyData(pg->conn, chunk, (int)at) == 1;
            at = 0;
        }
        if (16 + 2 * (size_t)adds[i].len > cap) { /* one huge bucket: a chunk of its own */
            char *big = realloc(chunk, 64 + 2 * (size_t)adds[i].len);
            if (!big) {
                ok = false;
                break;
            }
            chunk = big;
            cap = 32 + 2 * (size_t)adds[i].len;
        }
        at += (size_t)sprintf(chunk + at, "%u\t\\\\x", adds[i].bucket);
        for (uint32_t k = 0; k < adds[i].len; k++) {
            chunk[at++] = hex[adds[i].bytes[k] >> 4];
            chunk[at++] = hex[adds[i].bytes[k] & 15];
        }
        chunk[at++] = '\n';
    }
    if (ok && at) ok = PQputCopyData(pg->conn, chunk, (int)at) == 1;
    free(chunk);
    PQputCopyEnd(pg->conn, ok ? NULL : "failed to send");
    while ((r = PQgetResult(pg->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == DC_OK) {
            if (lost) *lost = store_pg_failure_is_lost(pg->conn, r);
            rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: COPY: %s", PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    if (rc == DC_OK && !ok)
        rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: COPY: %s", PQerrorMessage(pg->conn));
    return rc;
}

/* Appends to buckets inside the caller's transaction: every add through COPY into a
 * temporary table (rows vanish at commit), then one INSERT that appends each to its bucket. */
static dc_error_class write_adds(store_pg *pg, const fp_bucket_add *adds, size_t n, dc_status *st,
                                 bool *lost) {
    if (n == 0) return DC_OK;
    dc_error_class rc = store_pg_run(pg,
                                     "CREATE TEMP TABLE IF NOT EXISTS fp_stage ("
                                     "  bucket integer, entries bytea) ON COMMIT DELETE ROWS",
                                     0, NULL, st, lost);
    if (rc == DC_OK) rc = copy_adds(pg, "COPY fp_stage FROM STDIN", adds, n, st, lost);
    if (rc == DC_OK)
        rc = store_pg_run(pg,
                          "INSERT INTO fp_buckets (bucket, entries)"
                          " SELECT bucket, entries FROM fp_stage"
                          " ON CONFLICT (bucket) DO UPDATE"
                          " SET entries = fp_buckets.entries || excluded.entries",
                          0, NULL, st, lost);
    return rc;
}

/* One pass of a bulk load or rebuild, inside the caller's transaction: staged (more passes
 * follow) or, the last, written with what earlier passes staged: each bucket once. */
static dc_error_class write_pass(store_pg *pg, const fp_bucket_add *adds, size_t n, bool last,
                                 dc_status *st, bool *lost) {
    PGresult *r =
        store_pg_exec(pg, "SELECT EXISTS (SELECT 1 FROM fp_bulk_stage)", 0, NULL, st, lost);
    if (!r) return st->code;
    bool staged = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (last && !staged) return write_adds(pg, adds, n, st, lost);
    dc_error_class rc =
        n ? copy_adds(pg, "COPY fp_bulk_stage (bucket, entries) FROM STDIN", adds, n, st, lost)
          : DC_OK;
    if (rc != DC_OK || !last) return rc;
    rc = store_pg_run(pg,
                      "INSERT INTO fp_buckets (bucket, entries)"
                      " SELECT bucket, string_agg(entries, ''::bytea ORDER BY seq)"
                      " FROM fp_bulk_stage GROUP BY bucket"
                      " ON CONFLICT (bucket) DO UPDATE"
                      " SET entries = fp_buckets.entries || excluded.entries",
                      0, NULL, st, lost);
    if (rc == DC_OK) rc = store_pg_run(pg, "TRUNCATE fp_bulk_stage", 0, NULL, st, lost);
    return rc;
}

static dc_error_class set_meta(store_pg *pg, const char *name, const char *value, dc_status *st,
                               bool *lost) {
    const char *p[2] = {name, value};
    if (!value) return store_pg_run(pg, "DELETE FROM fp_meta WHERE name = $1", 1, p, st, lost);
    return store_pg_run(pg,
                        "INSERT INTO fp_meta (name, value) VALUES ($1, $2)"
                        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                        2, p, st, lost);
}

typedef struct {
    const fp_put_row *rows;
    int n;
    fp_postings_buf *defer;
    size_t before; /* defer's postings before this put (a retried attempt starts there) */
} put_args;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The rows first (RETURNING the new ones' ids), then their postings as bucket appends (or into
 * defer, 'bulk_pending' set). */
static dc_error_class put_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    const put_args *a = arg;
    fp_postings_buf *buf = a->defer ? a->defer : fp_buf_new();
    if (!buf) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    fp_buf_truncate(buf, a->before);
    dc_error_class rc = store_pg_begin(pg, st, lost);
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)now_ms());
    /* PIPELINE rows a round trip (few enough that their small results never fill the socket
     * while the rest is being sent) */
    enum { PIPELINE = 200 };
    char text[PIPELINE][3][16];
    const char *params[PIPELINE][7];
    int lengths[PIPELINE][7], formats[PIPELINE][7];
    store_pg_stmt q[PIPELINE];
    PGresult *res[PIPELINE];
    for (int from = 0; rc == DC_OK && from < a->n; from += PIPELINE) {
        int m = a->n - from < PIPELINE ? a->n - from : PIPELINE;
        for (int j = 0; j < m; j++) {
            const fp_put_row *r = &a->rows[from + j];
            snprintf(text[j][0], sizeof text[j][0], "%d", r->position);
            snprintf(text[j][1], sizeof text[j][1], "%d", r->duration_sec);
            snprintf(text[j][2], sizeof text[j][2], "%d", r->usable);
            const char *p[7] = {r->claim_id, text[j][0], text[j][1],
                                r->sha256,   text[j][2], (const char *)r->blob,
                                at};
            memcpy(params[j], p, sizeof p);
            for (int k = 0; k < 7; k++) {
                lengths[j][k] = k == 5 ? (int)r->blob_len : 0;
                formats[j][k] = k == 5;
            }
            q[j] = (store_pg_stmt){
                "INSERT INTO fp_videos (claim_id, position, duration_sec, sha256, usable,"
                " fingerprint, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (claim_id, position) DO NOTHING RETURNING id",
                7, params[j], lengths[j], formats[j]};
        }
        rc = store_pg_pipeline(pg, m, q, res, st, lost);
        for (int j = 0; j < m; j++) {
            if (rc == DC_OK && res[j] && PQntuples(res[j]) == 1) /* else stored before */
                rc = fp_buf_add(buf, store_pg_col_i64(res[j], 0, 0), a->rows[from + j].keys,
                                a->rows[from + j].nkeys, st);
            PQclear(res[j]);
        }
    }
    if (rc == DC_OK && a->defer && fp_buf_count(buf) > a->before)
        rc = set_meta(pg, "bulk_pending", "1", st, lost);
    if (rc == DC_OK && !a->defer) {
        const fp_bucket_add *adds = NULL;
        size_t nadds = 0;
        rc = fp_buf_groups(buf, &adds, &nadds, st);
        if (rc == DC_OK) rc = write_adds(pg, adds, nadds, st, lost);
    }
    if (!a->defer) fp_buf_free(buf);
    if (rc == DC_OK) rc = store_pg_commit(pg, st, lost);
    else store_pg_rollback(pg);
    if (rc != DC_OK && a->defer) fp_buf_truncate(a->defer, a->before);
    return rc;
}

static dc_error_class pgf_put(void *self, const fp_put_row *rows, int n, fp_postings_buf *defer,
                              dc_status *st) {
    put_args a = {rows, n, defer, fp_buf_count(defer)};
    return store_pg_retry(self, put_op, &a, st);
}

typedef struct {
    const fp_bucket_add *adds;
    size_t n;
    bool done;
} append_args;

static dc_error_class append_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    const append_args *a = arg;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc == DC_OK) rc = write_pass(pg, a->adds, a->n, a->done, st, lost);
    if (rc == DC_OK && a->done) rc = set_meta(pg, "bulk_pending", NULL, st, lost);
    if (rc == DC_OK) return store_pg_commit(pg, st, lost);
    store_pg_rollback(pg);
    return rc;
}

static dc_error_class pgf_append(void *self, const fp_bucket_add *adds, size_t n, bool done,
                                 dc_status *st) {
    append_args a = {adds, n, done};
    return store_pg_retry(self, append_op, &a, st);
}

/* One read that returns stored rows: columns id, claim_id, position, sha256, duration_sec
 * [, fingerprint]. */
typedef struct {
    const char *sql;
    const char *param;
    bool with_blob;
    PGresult *res;
} read_args;

static dc_error_class read_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    read_args *a = arg;
    const char *p[1] = {a->param};
    a->res = store_pg_execv(pg, a->sql, 1, p, NULL, NULL, false, st, lost);
    return a->res ? DC_OK : st->code;
}

static dc_error_class read_rows(store_pg *pg, read_args *a, fp_stored_fn fn, void *arg,
                                dc_status *st) {
    dc_error_class rc = store_pg_retry(pg, read_op, a, st);
    if (rc != DC_OK) return rc;
    for (int i = 0; rc == DC_OK && i < PQntuples(a->res); i++) {
        fp_stored v = {.id = store_pg_col_i64(a->res, i, 0),
                       .claim_id = PQgetvalue(a->res, i, 1),
                       .position = (int)store_pg_col_i64(a->res, i, 2),
                       .sha256 = PQgetvalue(a->res, i, 3),
                       .duration_sec = (int)store_pg_col_i64(a->res, i, 4)};
        unsigned char *blob = NULL;
        if (a->with_blob) {
            size_t len = 0;
            blob = PQunescapeBytea((const unsigned char *)PQgetvalue(a->res, i, 5), &len);
            if (!blob) {
                rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
                break;
            }
            v.blob = blob;
            v.blob_len = len;
        }
        if (!fn(arg, &v, st)) rc = st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
        PQfreemem(blob);
    }
    PQclear(a->res);
    a->res = NULL;
    return rc;
}

static dc_error_class pgf_by_sha256(void *self, const char *sha256, fp_stored_fn fn, void *arg,
                                    dc_status *st) {
    read_args a = {"SELECT id, claim_id, position, sha256, duration_sec FROM fp_videos"
                   " WHERE sha256 = $1 ORDER BY id",
                   sha256, false, NULL};
    return read_rows(self, &a, fn, arg, st);
}

static dc_error_class pgf_by_claim(void *self, const char *claim_id, bool with_blob,
                                   fp_stored_fn fn, void *arg, dc_status *st) {
    read_args a = {with_blob ? "SELECT id, claim_id, position, sha256, duration_sec, fingerprint"
                               " FROM fp_videos WHERE claim_id = $1 ORDER BY position"
                             : "SELECT id, claim_id, position, sha256, duration_sec"
                               " FROM fp_videos WHERE claim_id = $1 ORDER BY position",
                   claim_id, with_blob, NULL};
    return read_rows(self, &a, fn, arg, st);
}

/* A statement of one array parameter ({1,2,...} text) whose rows come back in binary. */
typedef struct {
    const char *sql, *list;
    PGresult *res;
} array_query_args;

static dc_error_class array_query_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    array_query_args *a = arg;
    const char *p[1] = {a->list};
    a->res = store_pg_execv(pg, a->sql, 1, p, NULL, NULL, true, st, lost);
    return a->res ? DC_OK : st->code;
}

static dc_error_class pgf_buckets(void *self, const uint32_t *buckets, int n, fp_bucket_fn fn,
                                  void *arg, dc_status *st) {
    if (n <= 0) return DC_OK;
    char *list = malloc((size_t)n * 11 + 3);
    if (!list) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    size_t at = 0;
    list[at++] = '{';
    for (int i = 0; i < n; i++) at += (size_t)sprintf(list + at, "%s%u", i ? "," : "", buckets[i]);
    list[at++] = '}';
    list[at] = 0;
    array_query_args a = {
        "SELECT bucket, entries FROM fp_buckets WHERE bucket = ANY($1::integer[])", list, NULL};
    dc_error_class rc = store_pg_retry(self, array_query_op, &a, st);
    free(list);
    if (rc != DC_OK) return rc;
    for (int i = 0; rc == DC_OK && i < PQntuples(a.res); i++) {
        const unsigned char *b = (const unsigned char *)PQgetvalue(a.res, i, 0);
        uint32_t bucket = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (!fn(arg, bucket, (const uint8_t *)PQgetvalue(a.res, i, 1),
                (size_t)PQgetlength(a.res, i, 1), st))
            rc = st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
    }
    PQclear(a.res);
    return rc;
}

/* A binary result column as a big-endian integer of its length (int4 or int8). */
static int64_t col_int_be(const PGresult *r, int row, int col) {
    const unsigned char *b = (const unsigned char *)PQgetvalue(r, row, col);
    int len = PQgetlength(r, row, col);
    uint64_t v = 0;
    for (int k = 0; k < len && k < 8; k++) v = v << 8 | b[k];
    return len == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

/* The candidates' rows in binary: the blobs (8.6 kB a minute) as they are stored, not as hex
 * text twice their size that the server encodes and the client decodes (a million videos:
 * ~35 candidates a lookup, most of them chance hits set aside after a glance). */
static dc_error_class pgf_by_ids(void *self, const int64_t *ids, int n, fp_stored_fn fn, void *arg,
                                 dc_status *st) {
    if (n <= 0) return DC_OK;
    char *list = int8_array(ids, n);
    if (!list) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    array_query_args a = {"SELECT id, claim_id, position, sha256, duration_sec, fingerprint"
                          " FROM fp_videos WHERE id = ANY($1::bigint[])",
                          list, NULL};
    dc_error_class rc = store_pg_retry(self, array_query_op, &a, st);
    free(list);
    if (rc != DC_OK) return rc;
    for (int i = 0; rc == DC_OK && i < PQntuples(a.res); i++) {
        fp_stored v = {.id = col_int_be(a.res, i, 0),
                       .claim_id = PQgetvalue(a.res, i, 1), /* text: its bytes, 0-terminated */
                       .position = (int)col_int_be(a.res, i, 2),
                       .sha256 = PQgetvalue(a.res, i, 3),
                       .duration_sec = (int)col_int_be(a.res, i, 4),
                       .blob = (const uint8_t *)PQgetvalue(a.res, i, 5),
                       .blob_len = (size_t)PQgetlength(a.res, i, 5)};
        if (!fn(arg, &v, st)) rc = st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
    }
    PQclear(a.res);
    return rc;
}

static dc_error_class pgf_bulk(void *self, bool on, dc_status *st) {
    return store_pg_run(self, on ? "SET synchronous_commit = off" : "SET synchronous_commit = on",
                        0, NULL, st, NULL);
}

typedef struct {
    const char *current;
    fp_keys_fn keys_of;
    bool rebuilt;
} keys_args;

/* Under the migrations' advisory lock, so two processes opening a stale index rebuild it once:
 * the buckets again from the blobs, 1000 videos a read, a pass every FP_BULK_MAX_POSTINGS
 * postings (write_pass), in one transaction. */
static dc_error_class check_keys_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    keys_args *a = arg;
    a->rebuilt = false;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    rc = store_pg_run(pg, "SELECT pg_advisory_xact_lock(" FOOTAGE_LOCK_KEY ")", 0, NULL, st, lost);
    char have[64] = "";
    bool pending = false;
    if (rc == DC_OK) {
        PGresult *r = store_pg_exec(pg,
                                    "SELECT coalesce(max(value) FILTER (WHERE name = 'band_keys'),"
                                    " ''), count(*) FILTER (WHERE name = 'bulk_pending')"
                                    " FROM fp_meta",
                                    0, NULL, st, lost);
        if (!r) rc = st->code;
        else {
            store_pg_col(r, 0, 0, have, sizeof have);
            pending = store_pg_col_i64(r, 0, 1) > 0;
            PQclear(r);
        }
    }
    if (rc == DC_OK && !strcmp(have, a->current) && !pending) return store_pg_commit(pg, st, lost);
    fp_postings_buf *buf = fp_buf_new();
    if (!buf) rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    /* what an unfinished bulk load staged is in the blobs too */
    if (rc == DC_OK) rc = store_pg_run(pg, "TRUNCATE fp_bulk_stage", 0, NULL, st, lost);
    if (rc == DC_OK) rc = store_pg_run(pg, "DELETE FROM fp_buckets", 0, NULL, st, lost);
    char after[24] = "0";
    while (rc == DC_OK) {
        const char *p[1] = {after};
        PGresult *r = store_pg_execv(pg,
                                     "SELECT id, fingerprint FROM fp_videos WHERE id > $1"
                                     " ORDER BY id LIMIT 1000",
                                     1, p, NULL, NULL, true, st, lost);
        if (!r) {
            rc = st->code;
            break;
        }
        int rows = PQntuples(r);
        for (int i = 0; rc == DC_OK && i < rows; i++) {
            int64_t id = 0;
            const unsigned char *b = (const unsigned char *)PQgetvalue(r, i, 0);
            for (int k = 0; k < 8; k++) id = (id << 8) | b[k]; /* binary int8: big-endian */
            snprintf(after, sizeof after, "%lld", (long long)id);
            dc_fp_key *keys = NULL;
            int n = 0;
            rc = a->keys_of((const uint8_t *)PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1),
                            &keys, &n, st);
            if (rc == DC_OK) rc = fp_buf_add(buf, id, keys, n, st);
            free(keys);
        }
        PQclear(r);
        if (rc == DC_OK && (rows < 1000 || fp_buf_count(buf) >= fp_bulk_max_postings())) {
            const fp_bucket_add *adds = NULL;
            size_t nadds = 0;
            rc = fp_buf_groups(buf, &adds, &nadds, st);
            if (rc == DC_OK) rc = write_pass(pg, adds, nadds, rows < 1000, st, lost);
            fp_buf_clear(buf);
        }
        if (rows < 1000) break;
    }
    fp_buf_free(buf);
    if (rc == DC_OK) rc = set_meta(pg, "band_keys", a->current, st, lost);
    if (rc == DC_OK) rc = set_meta(pg, "bulk_pending", NULL, st, lost);
    if (rc == DC_OK) {
        rc = store_pg_commit(pg, st, lost);
        a->rebuilt = rc == DC_OK;
        return rc;
    }
    store_pg_rollback(pg);
    return rc;
}

static dc_error_class pgf_check_keys(void *self, const char *current, fp_keys_fn keys_of,
                                     bool *rebuilt, dc_status *st) {
    keys_args a = {current, keys_of, false};
    dc_error_class rc = store_pg_retry(self, check_keys_op, &a, st);
    if (rebuilt) *rebuilt = a.rebuilt;
    return rc;
}

typedef struct {
    const char *params[5];
} place_args;

static dc_error_class put_place_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    place_args *a = arg;
    return store_pg_run(pg,
                        "INSERT INTO fp_places (claim_id, day, lat, lon, utc_ms)"
                        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (claim_id) DO NOTHING",
                        5, a->params, st, lost);
}

static dc_error_class pgf_put_place(void *self, const char *claim_id, int64_t day,
                                    const dc_footage_place *p, dc_status *st) {
    char d[24], lat[32], lon[32], ms[24];
    snprintf(d, sizeof d, "%lld", (long long)day);
    snprintf(lat, sizeof lat, "%.17g", p->lat); /* %.17g: the double round-trips exactly */
    snprintf(lon, sizeof lon, "%.17g", p->lon);
    snprintf(ms, sizeof ms, "%lld", (long long)p->utc_ms);
    place_args a = {{claim_id, d, lat, lon, ms}};
    return store_pg_retry(self, put_place_op, &a, st);
}

typedef struct {
    const char *params[3];
    PGresult *res;
} places_args;

static dc_error_class places_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    places_args *a = arg;
    a->res = store_pg_exec(pg,
                           "SELECT claim_id, lat, lon, utc_ms FROM fp_places"
                           " WHERE day = ANY($1::bigint[]) AND lat BETWEEN $2 AND $3",
                           3, a->params, st, lost);
    return a->res ? DC_OK : st->code;
}

static dc_error_class pgf_places(void *self, const int64_t days[3], double lat_lo, double lat_hi,
                                 fp_place_fn fn, void *arg, dc_status *st) {
    char list[80], lo[32], hi[32];
    snprintf(list, sizeof list, "{%lld,%lld,%lld}", (long long)days[0], (long long)days[1],
             (long long)days[2]);
    snprintf(lo, sizeof lo, "%.17g", lat_lo);
    snprintf(hi, sizeof hi, "%.17g", lat_hi);
    places_args a = {{list, lo, hi}, NULL};
    dc_error_class rc = store_pg_retry(self, places_op, &a, st);
    if (rc != DC_OK) return rc;
    for (int i = 0; rc == DC_OK && i < PQntuples(a.res); i++) {
        dc_footage_place p = {strtod(PQgetvalue(a.res, i, 1), NULL),
                              strtod(PQgetvalue(a.res, i, 2), NULL), store_pg_col_i64(a.res, i, 3)};
        if (!fn(arg, PQgetvalue(a.res, i, 0), &p, st))
            rc = st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
    }
    PQclear(a.res);
    return rc;
}

static const fp_backend pg_footage = {
    .put_place = pgf_put_place,
    .places = pgf_places,
    .check_keys = pgf_check_keys,
    .name = "postgresql",
    .close = pgf_close,
    .put = pgf_put,
    .append = pgf_append,
    .bulk = pgf_bulk,
    .by_sha256 = pgf_by_sha256,
    .by_claim = pgf_by_claim,
    .buckets = pgf_buckets,
    .by_ids = pgf_by_ids,
};

dc_error_class store_pg_footage_open(const char *url, const fp_backend **ops, void **self,
                                     dc_status *st) {
    store_pg *pg = calloc(1, sizeof *pg);
    if (!pg) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    if (strlen(url) >= sizeof pg->url) {
        free(pg);
        return dc_fail(st, DC_ERR_INPUT, "footage index: database URL too long");
    }
    store_pg_init(pg, url);
    dc_store_options_init(&pg->opts);
    /* a restarting server answers "starting up" for a few seconds: wait as the store does */
    pg->reconnect_s = 10;
    dc_error_class rc = store_pg_connect(pg, st);
    if (rc == DC_OK) rc = store_pg_retry(pg, migrate_op, NULL, st);
    if (rc != DC_OK) {
        pgf_close(pg);
        return rc;
    }
    *ops = &pg_footage;
    *self = pg;
    return DC_OK;
}
