/* PostgreSQL backend: video bytes as large objects, so that workers need no shared filesystem.
 *
 * Both directions stream, one group (STORE_PG_VIDEO_GROUP bytes) at a time, never the whole
 * video in memory:
 * - An upload creates its large object and registers it in video_uploads in a first short
 *   transaction; then every full group is one `SELECT lo_put(oid, offset, bytes)` statement,
 *   committed on its own. A 500 MB upload over a slow link therefore never holds a transaction
 *   open for minutes (an open transaction holds back vacuum everywhere, the hot jobs table
 *   included), and a server restart mid-upload costs one group, redone after the reconnect
 *   (lo_put at an explicit offset is harmless to repeat). Commit inserts the videos row
 *   (sha256 -> oid) and removes the registration in one transaction; identical bytes stored
 *   before are kept and this upload's object is unlinked in that same transaction.
 * - A read is one `SELECT lo_get(oid, offset, n)` statement per call, with the result in binary.
 * store.c hashes uploads as they pass and checks the SHA-256 of a video a worker fetches.
 * An upload that died (client gone, process killed) leaves an object and its registration:
 * store_pg_video_collect() removes those older than a day when a store opens.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_internal.h"

typedef struct {
    store_pg *pg;
    unsigned oid;
    int64_t flushed; /* bytes committed so far */
    uint8_t *buf;    /* the group being filled */
    size_t len;
} pg_sink;

typedef struct {
    store_pg *pg;
    unsigned oid;
    int64_t size;
} pg_source;

/* ---- upload ------------------------------------------------------------------------------- */

static dc_error_class sink_create_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    pg_sink *k = arg;
    PGresult *r = store_pg_exec(pg,
                                "WITH o AS (SELECT lo_create(0) AS oid)"
                                "INSERT INTO video_uploads (oid) SELECT oid FROM o RETURNING oid",
                                0, NULL, st, lost);
    if (!r) return st->code;
    k->oid = (unsigned)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_video_sink_open(void *self, void **sink, dc_status *st) {
    pg_sink *k = calloc(1, sizeof *k);
    if (!k || !(k->buf = malloc(STORE_PG_VIDEO_GROUP))) {
        free(k);
        return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory for an upload");
    }
    k->pg = self;
    dc_error_class rc = store_pg_retry(self, sink_create_op, k, st);
    if (rc != DC_OK) {
        free(k->buf);
        free(k);
        return rc;
    }
    *sink = k;
    return DC_OK;
}

static dc_error_class flush_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    pg_sink *k = arg;
    char oid[16], off[24];
    snprintf(oid, sizeof oid, "%u", k->oid);
    snprintf(off, sizeof off, "%" PRId64, k->flushed);
    const char *p[] = {oid, off, (const char *)k->buf};
    int lengths[] = {0, 0, (int)k->len};
    int formats[] = {0, 0, 1};
    PGresult *r = store_pg_execv(pg, "SELECT lo_put($1::oid, $2::bigint, $3::bytea)", 3, p, lengths,
                                 formats, false, st, lost);
    if (!r) return st->code;
    PQclear(r);
    return DC_OK;
}

static dc_error_class flush(pg_sink *k, dc_status *st) {
    if (k->len == 0) return DC_OK;
    dc_error_class rc = store_pg_retry(k->pg, flush_op, k, st);
    if (rc != DC_OK) return rc;
    k->flushed += (int64_t)k->len;
    k->len = 0;
    return DC_OK;
}

dc_error_class store_pg_video_sink_write(void *sink, const void *data, size_t n, dc_status *st) {
    pg_sink *k = sink;
    const uint8_t *p = data;
    while (n > 0) {
        size_t take = STORE_PG_VIDEO_GROUP - k->len;
        if (take > n) take = n;
        memcpy(k->buf + k->len, p, take);
        k->len += take;
        p += take;
        n -= take;
        if (k->len == STORE_PG_VIDEO_GROUP) {
            dc_error_class rc = flush(k, st);
            if (rc != DC_OK) return rc;
        }
    }
    return DC_OK;
}

typedef struct {
    pg_sink *k;
    const char *sha256;
    int64_t bytes;
} commit_arg;

static dc_error_class commit_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    commit_arg *a = arg;
    char oid[16], bytes[24], now[24];
    snprintf(oid, sizeof oid, "%u", a->k->oid);
    snprintf(bytes, sizeof bytes, "%" PRId64, a->bytes);
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    const char *p[] = {a->sha256, oid, bytes, now};
    /* One statement, one transaction: the registration ends, and either the videos row names
     * our object or (same bytes stored before) our object is unlinked. */
    PGresult *r = store_pg_exec(
        pg,
        "WITH up AS (DELETE FROM video_uploads WHERE oid = $2::oid RETURNING oid),"
        " ins AS (INSERT INTO videos (sha256, oid, bytes, created_ms)"
        "         SELECT $1, oid, $3::bigint, $4::bigint FROM up"
        "         ON CONFLICT (sha256) DO NOTHING RETURNING oid)"
        "SELECT (SELECT count(*) FROM up),"
        "       (SELECT count(*) FROM ins),"
        "       (SELECT count(lo_unlink(oid)) FROM up WHERE NOT EXISTS (SELECT 1 FROM ins)),"
        "       EXISTS (SELECT 1 FROM videos WHERE sha256 = $1)",
        4, p, st, lost);
    if (!r) return st->code;
    bool registered = strcmp(PQgetvalue(r, 0, 0), "1") == 0;
    bool stored_before = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
    PQclear(r);
    if (registered || stored_before) return DC_OK;
    /* Neither ours any more nor stored: the upload was collected as dead. */
    return dc_fail(st, DC_ERR_RESOURCE, "store: upload %u was removed before it finished",
                   a->k->oid);
}

dc_error_class store_pg_video_sink_commit(void *sink, const char *sha256, int64_t bytes,
                                          dc_status *st) {
    pg_sink *k = sink;
    dc_error_class rc = flush(k, st);
    if (rc == DC_OK && k->flushed != bytes)
        rc = dc_fail(st, DC_ERR_INTERNAL, "store: upload holds %" PRId64 " bytes, not %" PRId64,
                     k->flushed, bytes);
    if (rc == DC_OK) {
        commit_arg a = {k, sha256, bytes};
        rc = store_pg_retry(k->pg, commit_op, &a, st);
    }
    if (rc != DC_OK) {
        store_pg_video_sink_abort(k);
        return rc;
    }
    free(k->buf);
    free(k);
    return DC_OK;
}

void store_pg_video_sink_abort(void *sink) {
    pg_sink *k = sink;
    if (!k) return;
    /* Best effort, not retried: an object left behind is removed by store_pg_video_collect. */
    char oid[16];
    snprintf(oid, sizeof oid, "%u", k->oid);
    const char *p[] = {oid};
    if (k->pg->conn && PQstatus(k->pg->conn) == CONNECTION_OK) {
        store_pg_rollback(k->pg);
        PQclear(store_pg_exec(k->pg,
                              "WITH up AS (DELETE FROM video_uploads WHERE oid = $1::oid"
                              " RETURNING oid) SELECT count(lo_unlink(oid)) FROM up",
                              1, p, NULL, NULL));
    }
    free(k->buf);
    free(k);
}

int store_pg_video_collect(store_pg *pg, double older_than_s, dc_status *st) {
    char age[32];
    snprintf(age, sizeof age, "%.3f", older_than_s);
    const char *p[] = {age};
    bool lost = false;
    PGresult *r = store_pg_exec(pg,
                                "WITH dead AS (DELETE FROM video_uploads"
                                "  WHERE started_at < now() - make_interval(secs => $1::float8)"
                                "  RETURNING oid)"
                                "SELECT count(lo_unlink(oid)) FROM dead",
                                1, p, st, &lost);
    if (!r) return -1;
    int n = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

/* ---- discard ------------------------------------------------------------------------------ */

/* FOR UPDATE on the videos row first: it waits for any claim insert that holds the row FOR KEY
 * SHARE (store_pg_claims.c) to end, and makes a later one wait for us; the look for claims that
 * follows is a new statement, so it sees a claim whose insert committed while we waited. Safe to
 * repeat: a retry after a lost COMMIT finds no row. */
typedef struct {
    const char *sha256;
} discard_arg;

static dc_error_class discard_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    const char *p[] = {((discard_arg *)arg)->sha256};
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    PGresult *r =
        store_pg_exec(pg, "SELECT 1 FROM videos WHERE sha256 = $1 FOR UPDATE", 1, p, st, lost);
    if (!r) return st->code;
    bool there = PQntuples(r) == 1;
    PQclear(r);
    if (there) {
        /* every video of every claim has a claim_videos row (migration 3 moved the older ones) */
        r = store_pg_exec(pg, "SELECT 1 FROM claim_videos WHERE video_sha256 = $1 LIMIT 1", 1, p,
                          st, lost);
        if (!r) return st->code;
        bool used = PQntuples(r) == 1;
        PQclear(r);
        if (!used) {
            r = store_pg_exec(pg,
                              "WITH d AS (DELETE FROM videos WHERE sha256 = $1 RETURNING oid)"
                              " SELECT count(lo_unlink(oid)) FROM d",
                              1, p, st, lost);
            if (!r) return st->code;
            PQclear(r);
            return store_pg_commit(pg, st, lost);
        }
    }
    store_pg_rollback(pg);
    return DC_OK;
}

dc_error_class store_pg_video_discard(void *self, const char *sha256, dc_status *st) {
    discard_arg a = {sha256};
    return store_pg_retry(self, discard_op, &a, st);
}

/* ---- read back ---------------------------------------------------------------------------- */

typedef struct {
    const char *sha256;
    pg_source *src;
    bool found;
} open_arg;

static dc_error_class open_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    open_arg *a = arg;
    const char *p[] = {a->sha256};
    PGresult *r =
        store_pg_exec(pg, "SELECT oid, bytes FROM videos WHERE sha256 = $1", 1, p, st, lost);
    if (!r) return st->code;
    a->found = PQntuples(r) == 1;
    if (a->found) {
        a->src->oid = (unsigned)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
        a->src->size = store_pg_col_i64(r, 0, 1);
    }
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_video_source_open(void *self, const char *sha256, void **src, int64_t *size,
                                          dc_status *st) {
    *src = NULL;
    pg_source *s = calloc(1, sizeof *s);
    if (!s) return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
    s->pg = self;
    open_arg a = {sha256, s, false};
    dc_error_class rc = store_pg_retry(self, open_op, &a, st);
    if (rc != DC_OK || !a.found) {
        free(s);
        return rc;
    }
    *size = s->size;
    *src = s;
    return DC_OK;
}

typedef struct {
    pg_source *s;
    int64_t offset;
    void *buf;
    size_t cap;
    size_t *n;
} read_arg;

static dc_error_class read_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    read_arg *a = arg;
    char oid[16], off[24], len[16];
    size_t want = a->cap > STORE_PG_VIDEO_GROUP * 8 ? STORE_PG_VIDEO_GROUP * 8 : a->cap;
    if ((int64_t)want > a->s->size - a->offset) want = (size_t)(a->s->size - a->offset);
    snprintf(oid, sizeof oid, "%u", a->s->oid);
    snprintf(off, sizeof off, "%" PRId64, a->offset);
    snprintf(len, sizeof len, "%zu", want);
    const char *p[] = {oid, off, len};
    PGresult *r = store_pg_execv(pg, "SELECT lo_get($1::oid, $2::bigint, $3::int)", 3, p, NULL,
                                 NULL, true, st, lost);
    if (!r) return st->code;
    size_t got = (size_t)PQgetlength(r, 0, 0);
    if (got > want) got = want;
    memcpy(a->buf, PQgetvalue(r, 0, 0), got);
    *a->n = got;
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_video_source_read(void *src, int64_t offset, void *buf, size_t cap,
                                          size_t *n, dc_status *st) {
    pg_source *s = src;
    *n = 0;
    if (offset < 0 || offset >= s->size || cap == 0) return DC_OK;
    read_arg a = {s, offset, buf, cap, n};
    return store_pg_retry(s->pg, read_op, &a, st);
}

void store_pg_video_source_close(void *src) { free(src); }
