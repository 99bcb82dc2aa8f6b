/* The footage index on PostgreSQL: tables fp_videos and fp_postings in the store's database,
 * with numbered migrations of their own (table footage_schema) under an advisory lock of their
 * own, run when the index is opened (after the store's own migrations, which the service runs
 * first when it opens its store). The connection, its reconnects and retries are the store's
 * (store_pg_conn.c); every write is safe to repeat (ON CONFLICT DO NOTHING).
 *
 * fp_postings (key bigint, video bigint) has its primary key (key, video) as its only index: a
 * lookup is one round trip, `key = ANY($1)` over the query's distinct keys, each an index
 * descent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_footage_internal.h"
#include "store_pg_internal.h"

/* pg_advisory_xact_lock key of these migrations ("dashclaim" + 16: not the store's key). */
#define FOOTAGE_LOCK_KEY "6442451911262184573"
#define SCHEMA_VERSION 3

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

typedef struct {
    const fp_put_row *rows;
    int n;
} put_args;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The rows first (RETURNING the new ones' ids), then every new posting of the batch in one
 * statement, in key order. */
static dc_error_class put_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    const put_args *a = arg;
    size_t total = 0;
    for (int i = 0; i < a->n; i++) total += (size_t)a->rows[i].nkeys;
    int64_t *keys = malloc((total ? total : 1) * sizeof *keys);
    int64_t *vids = malloc((total ? total : 1) * sizeof *vids);
    if (!keys || !vids) {
        free(keys);
        free(vids);
        return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    }
    size_t np = 0;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)now_ms());
    for (int i = 0; rc == DC_OK && i < a->n; i++) {
        const fp_put_row *r = &a->rows[i];
        char position[16], duration[16], usable[16];
        snprintf(position, sizeof position, "%d", r->position);
        snprintf(duration, sizeof duration, "%d", r->duration_sec);
        snprintf(usable, sizeof usable, "%d", r->usable);
        const char *p[7] = {r->claim_id,           position, r->sha256, duration, usable,
                            (const char *)r->blob, at};
        int lengths[7] = {0, 0, 0, 0, 0, (int)r->blob_len, 0};
        int formats[7] = {0, 0, 0, 0, 0, 1, 0};
        PGresult *res = store_pg_execv(
            pg,
            "INSERT INTO fp_videos (claim_id, position, sha256, duration_sec, usable, fingerprint,"
            " created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (claim_id, position) DO NOTHING RETURNING id",
            7, p, lengths, formats, false, st, lost);
        if (!res) {
            rc = st->code;
            break;
        }
        bool inserted = PQntuples(res) == 1;
        int64_t video = inserted ? store_pg_col_i64(res, 0, 0) : 0;
        PQclear(res);
        if (!inserted) continue; /* stored before: its postings too */
        for (int k = 0; k < r->nkeys; k++) {
            keys[np] = (int64_t)r->keys[k];
            vids[np++] = video;
        }
    }
    if (rc == DC_OK && np > 0) {
        char *kl = int8_array(keys, (int)np), *vl = int8_array(vids, (int)np);
        if (!kl || !vl) rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
        else {
            const char *kp[2] = {kl, vl};
            rc = store_pg_run(pg,
                              "INSERT INTO fp_postings (key, video)"
                              " SELECT k, v FROM unnest($1::bigint[], $2::bigint[]) AS t(k, v)"
                              " ORDER BY k, v ON CONFLICT DO NOTHING",
                              2, kp, st, lost);
        }
        free(kl);
        free(vl);
    }
    free(keys);
    free(vids);
    if (rc == DC_OK) return store_pg_commit(pg, st, lost);
    store_pg_rollback(pg);
    return rc;
}

static dc_error_class pgf_put(void *self, const fp_put_row *rows, int n, dc_status *st) {
    put_args a = {rows, n};
    return store_pg_retry(self, put_op, &a, st);
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

static dc_error_class pgf_postings(void *self, const dc_fp_key *keys, int n, fp_hit_fn fn,
                                   void *arg, dc_status *st) {
    char *list = int8_array((const int64_t *)keys, n);
    if (!list) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    read_args a = {"SELECT video FROM fp_postings WHERE key = ANY($1::bigint[])", list, false,
                   NULL};
    dc_error_class rc = store_pg_retry(self, read_op, &a, st);
    free(list);
    if (rc != DC_OK) return rc;
    for (int i = 0; rc == DC_OK && i < PQntuples(a.res); i++)
        if (!fn(arg, store_pg_col_i64(a.res, i, 0), st))
            rc = st && st->code != DC_OK ? st->code : DC_ERR_INTERNAL;
    PQclear(a.res);
    return rc;
}

static dc_error_class pgf_by_ids(void *self, const int64_t *ids, int n, fp_stored_fn fn, void *arg,
                                 dc_status *st) {
    if (n <= 0) return DC_OK;
    char *list = int8_array(ids, n);
    if (!list) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    read_args a = {"SELECT id, claim_id, position, sha256, duration_sec, fingerprint"
                   " FROM fp_videos WHERE id = ANY($1::bigint[])",
                   list, true, NULL};
    dc_error_class rc = read_rows(self, &a, fn, arg, st);
    free(list);
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
 * the postings again from the blobs, 1000 videos a read, in one transaction. */
static dc_error_class check_keys_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    keys_args *a = arg;
    a->rebuilt = false;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    rc = store_pg_run(pg, "SELECT pg_advisory_xact_lock(" FOOTAGE_LOCK_KEY ")", 0, NULL, st, lost);
    char have[64] = "";
    if (rc == DC_OK) {
        PGresult *r = store_pg_exec(pg, "SELECT value FROM fp_meta WHERE name = 'band_keys'", 0,
                                    NULL, st, lost);
        if (!r) rc = st->code;
        else {
            if (PQntuples(r) == 1) store_pg_col(r, 0, 0, have, sizeof have);
            PQclear(r);
        }
    }
    if (rc == DC_OK && !strcmp(have, a->current)) return store_pg_commit(pg, st, lost);
    if (rc == DC_OK) rc = store_pg_run(pg, "DELETE FROM fp_postings", 0, NULL, st, lost);
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
            if (rc == DC_OK && n > 0) {
                char *kl = int8_array((const int64_t *)keys, n);
                if (!kl) rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
                else {
                    const char *kp[2] = {kl, after};
                    rc = store_pg_run(pg,
                                      "INSERT INTO fp_postings (key, video)"
                                      " SELECT k, $2::bigint FROM unnest($1::bigint[]) AS k"
                                      " ON CONFLICT DO NOTHING",
                                      2, kp, st, lost);
                }
                free(kl);
            }
            free(keys);
        }
        PQclear(r);
        if (rows < 1000) break;
    }
    if (rc == DC_OK) {
        const char *p[1] = {a->current};
        rc = store_pg_run(pg,
                          "INSERT INTO fp_meta (name, value) VALUES ('band_keys', $1)"
                          " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                          1, p, st, lost);
    }
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
    .bulk = pgf_bulk,
    .by_sha256 = pgf_by_sha256,
    .by_claim = pgf_by_claim,
    .postings = pgf_postings,
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
