/* The footage index on SQLite: DIR/footage.db, a file of its own beside the claim store's
 * dashclaim.db (see footage_store.h for why), WAL, synchronous=FULL (a claim's fingerprints
 * are written once, after its assessment: one fsync per claim).
 *
 * Schema (user_version 4; 1 gains fp_meta, 2 fp_places, 3 fp_buckets instead of fp_postings at
 * open):
 *   fp_videos(id, claim_id, position, sha256, duration_sec, usable, fingerprint, created_ms),
 *     UNIQUE (claim_id, position), index on sha256;
 *   fp_buckets(bucket INTEGER PRIMARY KEY, entries): the index's buckets (the layout:
 *     store_footage_internal.h), the bucket as the rowid: a probe is one B-tree descent, an
 *     append rewrites one row (entries || new, cast back to a blob);
 *   fp_meta(name, value): 'band_keys', the key function the buckets were made with;
 *     'bulk_pending', present while a bulk load holds postings in memory;
 *   fp_places(claim_id PRIMARY KEY, day, lat, lon, utc_ms), index on (day, lat): a search near
 *     a place reads one latitude range of each of three days.
 * Threads of one process take turns on the writer lock shared with every connection to the file
 * (store_sqlite_shared.h) instead of sleeping in SQLite's busy handler; across processes the
 * busy timeout waits. */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store_footage_internal.h"
#include "store_sqlite_shared.h"

#define SCHEMA_VERSION 4

enum {
    Q_VIDEO_INSERT,
    Q_BUCKET_APPEND,
    Q_BY_SHA,
    Q_BY_CLAIM,
    Q_BY_CLAIM_BLOB,
    Q_BUCKET,
    Q_BY_ID,
    Q_PLACE_INSERT,
    Q_PLACES,
    Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    [Q_VIDEO_INSERT] = "INSERT INTO fp_videos(claim_id, position, sha256, duration_sec, usable,"
                       " fingerprint, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                       " ON CONFLICT (claim_id, position) DO NOTHING",
    [Q_BUCKET_APPEND] = "INSERT INTO fp_buckets(bucket, entries) VALUES (?1, ?2)"
                        " ON CONFLICT (bucket) DO UPDATE"
                        " SET entries = CAST(entries || excluded.entries AS BLOB)",
    [Q_BY_SHA] = "SELECT id, claim_id, position, sha256, duration_sec FROM fp_videos"
                 " WHERE sha256 = ?1 ORDER BY id",
    [Q_BY_CLAIM] = "SELECT id, claim_id, position, sha256, duration_sec FROM fp_videos"
                   " WHERE claim_id = ?1 ORDER BY position",
    [Q_BY_CLAIM_BLOB] = "SELECT id, claim_id, position, sha256, duration_sec, fingerprint"
                        " FROM fp_videos WHERE claim_id = ?1 ORDER BY position",
    [Q_BUCKET] = "SELECT entries FROM fp_buckets WHERE bucket = ?1",
    [Q_BY_ID] = "SELECT id, claim_id, position, sha256, duration_sec, fingerprint"
                " FROM fp_videos WHERE id = ?1",
    [Q_PLACE_INSERT] = "INSERT INTO fp_places(claim_id, day, lat, lon, utc_ms)"
                       " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (claim_id) DO NOTHING",
    [Q_PLACES] = "SELECT claim_id, lat, lon, utc_ms FROM fp_places"
                 " WHERE day IN (?1, ?2, ?3) AND lat BETWEEN ?4 AND ?5",
};

static const char SCHEMA[] = "CREATE TABLE IF NOT EXISTS fp_videos("
                             "  id INTEGER PRIMARY KEY,"
                             "  claim_id TEXT NOT NULL,"
                             "  position INTEGER NOT NULL,"
                             "  sha256 TEXT NOT NULL,"
                             "  duration_sec INTEGER NOT NULL,"
                             "  usable INTEGER NOT NULL,"
                             "  fingerprint BLOB NOT NULL,"
                             "  created_ms INTEGER NOT NULL,"
                             "  UNIQUE (claim_id, position));"
                             "CREATE INDEX IF NOT EXISTS fp_videos_sha256 ON fp_videos(sha256);"
                             "CREATE TABLE IF NOT EXISTS fp_postings("
                             "  key INTEGER NOT NULL,"
                             "  video INTEGER NOT NULL,"
                             "  PRIMARY KEY (key, video)) WITHOUT ROWID;"
                             "PRAGMA user_version = 1;";
static const char SCHEMA_2[] = "CREATE TABLE IF NOT EXISTS fp_meta("
                               "  name TEXT PRIMARY KEY,"
                               "  value TEXT NOT NULL);"
                               "PRAGMA user_version = 2;";
static const char SCHEMA_3[] =
    "CREATE TABLE IF NOT EXISTS fp_places("
    "  claim_id TEXT PRIMARY KEY,"
    "  day INTEGER NOT NULL,"
    "  lat REAL NOT NULL,"
    "  lon REAL NOT NULL,"
    "  utc_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS fp_places_day_lat ON fp_places(day, lat);"
    "PRAGMA user_version = 3;";
static const char SCHEMA_4[] = "CREATE TABLE IF NOT EXISTS fp_buckets("
                               "  bucket INTEGER PRIMARY KEY,"
                               "  entries BLOB NOT NULL);"
                               "DROP TABLE IF EXISTS fp_postings;"
                               "DELETE FROM fp_meta WHERE name = 'band_keys';"
                               "PRAGMA user_version = 4;";

typedef struct {
    sqlite3 *db;
    char path[PATH_MAX];
    sqlite3_stmt *q[Q_COUNT];
    sq_shared *g;
} sqf;

static dc_error_class sqf_fail(sqf *s, dc_status *st, const char *what) {
    int code = sqlite3_extended_errcode(s->db) & 0xff;
    dc_error_class cls = (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR ||
                          code == SQLITE_FULL || code == SQLITE_NOMEM || code == SQLITE_CANTOPEN ||
                          code == SQLITE_READONLY)
                             ? DC_ERR_RESOURCE
                             : DC_ERR_INTERNAL;
    return dc_fail(st, cls, "footage index: %s in %s: %s", what, s->path, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *prep(sqf *s, int which, dc_status *st) {
    if (!s->q[which] && sqlite3_prepare_v3(s->db, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT,
                                           &s->q[which], NULL) != SQLITE_OK) {
        sqf_fail(s, st, "preparing a statement");
        return NULL;
    }
    sqlite3_reset(s->q[which]);
    sqlite3_clear_bindings(s->q[which]);
    return s->q[which];
}

static dc_error_class exec(sqf *s, const char *sql, dc_status *st) {
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) return sqf_fail(s, st, sql);
    return DC_OK;
}

static void sqf_close(void *self) {
    sqf *s = self;
    if (!s) return;
    for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    sq_shared_put(s->g);
    free(s);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends to buckets inside the caller's transaction, in bucket order (one pass over the
 * table's leaves). */
static dc_error_class write_adds(sqf *s, const fp_bucket_add *adds, size_t n, dc_status *st) {
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *q = prep(s, Q_BUCKET_APPEND, st);
        if (!q) return DC_ERR_INTERNAL;
        sqlite3_bind_int64(q, 1, adds[i].bucket);
        sqlite3_bind_blob(q, 2, adds[i].bytes, (int)adds[i].len, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE) return sqf_fail(s, st, "indexing a fingerprint");
    }
    return DC_OK;
}

static dc_error_class set_meta(sqf *s, const char *name, const char *value, dc_status *st) {
    sqlite3_stmt *q = NULL;
    const char *sql = value ? "INSERT INTO fp_meta(name, value) VALUES (?1, ?2)"
                              " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                            : "DELETE FROM fp_meta WHERE name = ?1";
    dc_error_class rc = DC_OK;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) return sqf_fail(s, st, sql);
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    if (value) sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE) rc = sqf_fail(s, st, "recording the index's state");
    sqlite3_finalize(q);
    return rc;
}

/* The rows first, then the new rows' postings as bucket appends in bucket order (or into defer:
 * a bulk load writes them later, marked 'bulk_pending' meanwhile). */
static dc_error_class sqf_put(void *self, const fp_put_row *rows, int n, fp_postings_buf *defer,
                              dc_status *st) {
    sqf *s = self;
    fp_postings_buf *buf = defer ? defer : fp_buf_new();
    if (!buf) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    size_t before = fp_buf_count(buf);
    sq_shared_write_lock(s->g);
    dc_error_class rc = exec(s, "BEGIN IMMEDIATE", st);
    int64_t at = now_ms();
    for (int i = 0; rc == DC_OK && i < n; i++) {
        const fp_put_row *r = &rows[i];
        sqlite3_stmt *q = prep(s, Q_VIDEO_INSERT, st);
        if (!q) {
            rc = DC_ERR_INTERNAL;
            break;
        }
        sqlite3_bind_text(q, 1, r->claim_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, r->position);
        sqlite3_bind_text(q, 3, r->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 4, r->duration_sec);
        sqlite3_bind_int(q, 5, r->usable);
        sqlite3_bind_blob(q, 6, r->blob, (int)r->blob_len, SQLITE_STATIC);
        sqlite3_bind_int64(q, 7, at);
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = sqf_fail(s, st, "storing a fingerprint");
            break;
        }
        if (sqlite3_changes(s->db) == 0) continue; /* stored before: its postings too */
        rc = fp_buf_add(buf, sqlite3_last_insert_rowid(s->db), r->keys, r->nkeys, st);
    }
    if (rc == DC_OK && defer && fp_buf_count(buf) > before)
        rc = set_meta(s, "bulk_pending", "1", st);
    if (rc == DC_OK && !defer) {
        const fp_bucket_add *adds = NULL;
        size_t nadds = 0;
        rc = fp_buf_groups(buf, &adds, &nadds, st);
        if (rc == DC_OK) rc = write_adds(s, adds, nadds, st);
    }
    if (rc == DC_OK) rc = exec(s, "COMMIT", st);
    else sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sq_shared_write_unlock(s->g);
    if (!defer) fp_buf_free(buf);
    else if (rc != DC_OK) fp_buf_truncate(buf, before); /* the rolled-back rows' postings */
    return rc;
}

/* Bucket rows a bulk write commits at a time. 'bulk_pending' stays set until the last commit
 * of the load's last write, so a load that stops between two commits is rebuilt at the next
 * open like one that never wrote; committing in pieces keeps the WAL at ~15 MB instead of a
 * copy of every page the write touches (a million videos: ~4 GB a write, four writes). */
#define FP_APPEND_CHUNK ((size_t)1 << 16)

static dc_error_class sqf_append(void *self, const fp_bucket_add *adds, size_t n, bool done,
                                 dc_status *st) {
    sqf *s = self;
    dc_error_class rc = DC_OK;
    for (size_t from = 0; rc == DC_OK && (from < n || from == 0); from += FP_APPEND_CHUNK) {
        size_t m = n - from < FP_APPEND_CHUNK ? n - from : FP_APPEND_CHUNK;
        bool last = from + m >= n;
        sq_shared_write_lock(s->g);
        rc = exec(s, "BEGIN IMMEDIATE", st);
        if (rc == DC_OK) rc = write_adds(s, adds + from, m, st);
        if (rc == DC_OK && done && last) rc = set_meta(s, "bulk_pending", NULL, st);
        if (rc == DC_OK) rc = exec(s, "COMMIT", st);
        else sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sq_shared_write_unlock(s->g);
        if (last) break;
    }
    return rc;
}

/* The page cache outside a bulk load: 64 MB, enough to keep the bucket table's interior pages
 * (~10 MB at a million videos) while each lookup reads ~1 400 other pages (its buckets' leaves
 * and its candidates' blobs). Past the first 2 GB of the file (SQLite's build caps the memory
 * map there) every page not in this cache is a pread: at a million videos 16 MB let the
 * interior pages go between lookups (1 860 preads a lookup against 1 440). */
static dc_error_class sqf_bulk(void *self, bool on, dc_status *st) {
    sqf *s = self;
    return exec(s,
                on ? "PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576"
                   : "PRAGMA synchronous = FULL; PRAGMA cache_size = -65536",
                st);
}

static void read_stored(sqlite3_stmt *q, bool with_blob, fp_stored *v) {
    v->id = sqlite3_column_int64(q, 0);
    v->claim_id = (const char *)sqlite3_column_text(q, 1);
    v->position = sqlite3_column_int(q, 2);
    v->sha256 = (const char *)sqlite3_column_text(q, 3);
    v->duration_sec = sqlite3_column_int(q, 4);
    v->blob = with_blob ? sqlite3_column_blob(q, 5) : NULL;
    v->blob_len = with_blob ? (size_t)sqlite3_column_bytes(q, 5) : 0;
    if (!v->claim_id) v->claim_id = "";
    if (!v->sha256) v->sha256 = "";
}

/* Steps q to the end, fn on each row. */
static dc_error_class each_row(sqf *s, sqlite3_stmt *q, bool with_blob, fp_stored_fn fn, void *arg,
                               dc_status *st) {
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        fp_stored v;
        read_stored(q, with_blob, &v);
        if (!fn(arg, &v, st)) {
            sqlite3_reset(q);
            return st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
        }
    }
    dc_error_class rc = r == SQLITE_DONE ? DC_OK : sqf_fail(s, st, "reading fingerprints");
    sqlite3_reset(q);
    return rc;
}

static dc_error_class sqf_by_sha256(void *self, const char *sha256, fp_stored_fn fn, void *arg,
                                    dc_status *st) {
    sqf *s = self;
    sqlite3_stmt *q = prep(s, Q_BY_SHA, st);
    if (!q) return DC_ERR_INTERNAL;
    sqlite3_bind_text(q, 1, sha256, -1, SQLITE_STATIC);
    return each_row(s, q, false, fn, arg, st);
}

static dc_error_class sqf_by_claim(void *self, const char *claim_id, bool with_blob,
                                   fp_stored_fn fn, void *arg, dc_status *st) {
    sqf *s = self;
    sqlite3_stmt *q = prep(s, with_blob ? Q_BY_CLAIM_BLOB : Q_BY_CLAIM, st);
    if (!q) return DC_ERR_INTERNAL;
    sqlite3_bind_text(q, 1, claim_id, -1, SQLITE_STATIC);
    return each_row(s, q, with_blob, fn, arg, st);
}

static dc_error_class sqf_buckets(void *self, const uint32_t *buckets, int n, fp_bucket_fn fn,
                                  void *arg, dc_status *st) {
    sqf *s = self;
    dc_error_class rc = exec(s, "BEGIN", st); /* one read snapshot for every bucket */
    for (int i = 0; rc == DC_OK && i < n; i++) {
        sqlite3_stmt *q = prep(s, Q_BUCKET, st);
        if (!q) {
            rc = DC_ERR_INTERNAL;
            break;
        }
        sqlite3_bind_int64(q, 1, buckets[i]);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            const uint8_t *e = sqlite3_column_blob(q, 0);
            size_t len = (size_t)sqlite3_column_bytes(q, 0);
            if (e && !fn(arg, buckets[i], e, len, st))
                rc = st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
        } else if (r != SQLITE_DONE) {
            rc = sqf_fail(s, st, "reading the index");
        }
        sqlite3_reset(q);
    }
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

static dc_error_class sqf_by_ids(void *self, const int64_t *ids, int n, fp_stored_fn fn, void *arg,
                                 dc_status *st) {
    sqf *s = self;
    dc_error_class rc = DC_OK;
    for (int i = 0; rc == DC_OK && i < n; i++) {
        sqlite3_stmt *q = prep(s, Q_BY_ID, st);
        if (!q) return DC_ERR_INTERNAL;
        sqlite3_bind_int64(q, 1, ids[i]);
        rc = each_row(s, q, true, fn, arg, st);
    }
    return rc;
}

/* One text value of a query with text parameters; "" when no row. */
static dc_error_class text_of(sqf *s, const char *sql, const char *param, char *out, size_t size,
                              dc_status *st) {
    sqlite3_stmt *q = NULL;
    out[0] = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) return sqf_fail(s, st, sql);
    if (param) sqlite3_bind_text(q, 1, param, -1, SQLITE_STATIC);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW && sqlite3_column_text(q, 0))
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(q, 0));
    dc_error_class rc = r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : sqf_fail(s, st, sql);
    sqlite3_finalize(q);
    return rc;
}

static dc_error_class sqf_check_keys(void *self, const char *current, fp_keys_fn keys_of,
                                     bool *rebuilt, dc_status *st) {
    sqf *s = self;
    if (rebuilt) *rebuilt = false;
    char have[64], pending[8];
    dc_error_class rc = text_of(s, "SELECT value FROM fp_meta WHERE name = 'band_keys'", NULL, have,
                                sizeof have, st);
    if (rc == DC_OK)
        rc = text_of(s, "SELECT value FROM fp_meta WHERE name = 'bulk_pending'", NULL, pending,
                     sizeof pending, st);
    if (rc != DC_OK || (!strcmp(have, current) && !pending[0])) return rc;
    /* another function (or none recorded), or an unfinished bulk load: every bucket again from
     * the blobs, written every FP_BULK_MAX_POSTINGS postings */
    fp_postings_buf *buf = fp_buf_new();
    if (!buf) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    sq_shared_write_lock(s->g);
    rc = exec(s, "BEGIN IMMEDIATE", st);
    if (rc == DC_OK) rc = exec(s, "DELETE FROM fp_buckets", st);
    sqlite3_stmt *all = NULL;
    if (rc == DC_OK &&
        sqlite3_prepare_v2(s->db, "SELECT id, fingerprint FROM fp_videos ORDER BY id", -1, &all,
                           NULL) != SQLITE_OK)
        rc = sqf_fail(s, st, "preparing the rebuild of the index");
    int r = SQLITE_DONE;
    while (rc == DC_OK && (r = sqlite3_step(all)) == SQLITE_ROW) {
        dc_fp_key *keys = NULL;
        int n = 0;
        rc = keys_of(sqlite3_column_blob(all, 1), (size_t)sqlite3_column_bytes(all, 1), &keys, &n,
                     st);
        if (rc == DC_OK) rc = fp_buf_add(buf, sqlite3_column_int64(all, 0), keys, n, st);
        free(keys);
        if (rc == DC_OK && fp_buf_count(buf) >= fp_bulk_max_postings()) {
            const fp_bucket_add *adds = NULL;
            size_t nadds = 0;
            rc = fp_buf_groups(buf, &adds, &nadds, st);
            if (rc == DC_OK) rc = write_adds(s, adds, nadds, st);
            fp_buf_clear(buf);
        }
    }
    if (rc == DC_OK && r != SQLITE_DONE) rc = sqf_fail(s, st, "reading fingerprints to rebuild");
    sqlite3_finalize(all);
    if (rc == DC_OK) {
        const fp_bucket_add *adds = NULL;
        size_t nadds = 0;
        rc = fp_buf_groups(buf, &adds, &nadds, st);
        if (rc == DC_OK) rc = write_adds(s, adds, nadds, st);
    }
    fp_buf_free(buf);
    if (rc == DC_OK) rc = set_meta(s, "band_keys", current, st);
    if (rc == DC_OK) rc = set_meta(s, "bulk_pending", NULL, st);
    if (rc == DC_OK) rc = exec(s, "COMMIT", st);
    else sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sq_shared_write_unlock(s->g);
    if (rc == DC_OK && rebuilt) *rebuilt = true;
    return rc;
}

static dc_error_class sqf_put_place(void *self, const char *claim_id, int64_t day,
                                    const dc_footage_place *p, dc_status *st) {
    sqf *s = self;
    sq_shared_write_lock(s->g);
    dc_error_class rc = DC_OK;
    sqlite3_stmt *q = prep(s, Q_PLACE_INSERT, st);
    if (!q) rc = DC_ERR_INTERNAL;
    else {
        sqlite3_bind_text(q, 1, claim_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, day);
        sqlite3_bind_double(q, 3, p->lat);
        sqlite3_bind_double(q, 4, p->lon);
        sqlite3_bind_int64(q, 5, p->utc_ms);
        if (sqlite3_step(q) != SQLITE_DONE) rc = sqf_fail(s, st, "storing a place");
        sqlite3_reset(q);
    }
    sq_shared_write_unlock(s->g);
    return rc;
}

static dc_error_class sqf_places(void *self, const int64_t days[3], double lat_lo, double lat_hi,
                                 fp_place_fn fn, void *arg, dc_status *st) {
    sqf *s = self;
    sqlite3_stmt *q = prep(s, Q_PLACES, st);
    if (!q) return DC_ERR_INTERNAL;
    for (int i = 0; i < 3; i++) sqlite3_bind_int64(q, i + 1, days[i]);
    sqlite3_bind_double(q, 4, lat_lo);
    sqlite3_bind_double(q, 5, lat_hi);
    dc_error_class rc = DC_OK;
    int r;
    while (rc == DC_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        const char *claim = (const char *)sqlite3_column_text(q, 0);
        dc_footage_place p = {sqlite3_column_double(q, 1), sqlite3_column_double(q, 2),
                              sqlite3_column_int64(q, 3)};
        if (!fn(arg, claim ? claim : "", &p, st))
            rc = st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
    }
    if (rc == DC_OK && r != SQLITE_DONE) rc = sqf_fail(s, st, "reading places");
    sqlite3_reset(q);
    return rc;
}

static const fp_backend sqlite_footage = {
    .put_place = sqf_put_place,
    .places = sqf_places,
    .check_keys = sqf_check_keys,
    .name = "sqlite",
    .close = sqf_close,
    .put = sqf_put,
    .append = sqf_append,
    .bulk = sqf_bulk,
    .by_sha256 = sqf_by_sha256,
    .by_claim = sqf_by_claim,
    .buckets = sqf_buckets,
    .by_ids = sqf_by_ids,
};

dc_error_class store_sqlite_footage_open(const char *dir, const fp_backend **ops, void **self,
                                         dc_status *st) {
    if (mkdir(dir, 0755) != 0) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return dc_fail(st, DC_ERR_INPUT, "footage index: '%s' is not a folder", dir);
    }
    sqf *s = calloc(1, sizeof *s);
    if (!s) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    if ((size_t)snprintf(s->path, sizeof s->path, "%s/footage.db", dir) >= sizeof s->path) {
        free(s);
        return dc_fail(st, DC_ERR_INPUT, "footage index: folder name too long");
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK) {
        dc_error_class rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: cannot open %s: %s",
                                    s->path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqf_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 10000);
    dc_error_class rc = DC_OK;
    if (!(s->g = sq_shared_get(s->path, st))) rc = DC_ERR_RESOURCE;
    if (rc == DC_OK) rc = exec(s, "PRAGMA journal_mode = WAL", st);
    if (rc == DC_OK) rc = sqf_bulk(s, false, st);
    /* A lookup is ~700 B-tree descents into a file of gigabytes: read through a memory map,
     * each page is a memory access instead of a pread into SQLite's cache (search p50 2-3x
     * lower at 10 000 videos; SQLite caps the map at its build's limit, 2 GB by default). */
    if (rc == DC_OK) rc = exec(s, "PRAGMA mmap_size = 68719476736", st);
    if (rc == DC_OK) {
        sqlite3_stmt *q = NULL;
        int version = -1;
        if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            version = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
        if (version < 0) rc = sqf_fail(s, st, "reading the schema version");
        else if (version > SCHEMA_VERSION)
            rc = dc_fail(st, DC_ERR_INPUT,
                         "footage index: %s has schema %d, newer than this build's %d", s->path,
                         version, SCHEMA_VERSION);
        else if (version < SCHEMA_VERSION) {
            sq_shared_write_lock(s->g);
            rc = exec(s, "BEGIN IMMEDIATE", st);
            if (rc == DC_OK && version < 1) rc = exec(s, SCHEMA, st);
            if (rc == DC_OK && version < 2) rc = exec(s, SCHEMA_2, st);
            if (rc == DC_OK && version < 3) rc = exec(s, SCHEMA_3, st);
            if (rc == DC_OK) rc = exec(s, SCHEMA_4, st);
            if (rc == DC_OK) rc = exec(s, "COMMIT", st);
            else sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            sq_shared_write_unlock(s->g);
        }
    }
    if (rc != DC_OK) {
        sqf_close(s);
        return rc;
    }
    *ops = &sqlite_footage;
    *self = s;
    return DC_OK;
}
