/* PostgreSQL backend: claims, their results, and reviews.
 *
 * A claim and its job are inserted in one transaction that also NOTIFYs idle workers (the
 * notification is delivered only when the transaction commits, so no worker wakes to a job it
 * cannot see yet). Two uploads with the same idempotency key at the same moment cannot both
 * insert: the unique index (uploader, idempotency_key) makes the second wait for the first and
 * then find its claim (INSERT ... ON CONFLICT DO NOTHING, then a read).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_internal.h"

/* video_sha256 is NULL while an open claim has no video (it references videos) */
#define CLAIM_COLS                                                                                 \
    "id, state, coalesce(video_sha256, ''), video_bytes, content_type,"                            \
    " coalesce(idempotency_key, ''), uploader, policy_id, claimant, plate, location,"              \
    " reported_damage, attempts, error_class, error_message, priority, severity, last_decision,"   \
    " created_ms, updated_ms, incident_time, incident_place, " STORE_CLAIM_VIDEO_COUNT
#define CLAIM_VIDEO_COLS "role, segment, video_sha256, bytes, content_type, file_name"

static void read_claim(const PGresult *r, int i, dc_store_claim *c) {
    store_row row = store_pg_row(r, i);
    store_row_claim(&row, c);
}

dc_error_class store_pg_claim_read(store_pg *pg, const char *id, dc_store_claim *out, bool *found,
                                   dc_status *st, bool *lost) {
    const char *p[] = {id};
    PGresult *r =
        store_pg_exec(pg, "SELECT " CLAIM_COLS " FROM claims WHERE id = $1", 1, p, st, lost);
    if (!r) return st->code;
    *found = PQntuples(r) == 1;
    if (*found) read_claim(r, 0, out);
    PQclear(r);
    return DC_OK;
}

/* ---- insert ------------------------------------------------------------------------------- */

typedef struct {
    const char *id;
    const dc_store_new_claim *nc;
    dc_audit_row *audit;
    int naudit;
    dc_store_claim *out;
    bool *existed;
    bool retried;
} insert_arg;

static dc_error_class by_idempotency_key(store_pg *pg, const dc_store_new_claim *nc,
                                         dc_store_claim *out, bool *found, dc_status *st,
                                         bool *lost) {
    const char *p[] = {nc->uploader, nc->idempotency_key};
    PGresult *r = store_pg_exec(pg,
                                "SELECT " CLAIM_COLS " FROM claims"
                                " WHERE uploader = $1 AND idempotency_key = $2",
                                2, p, st, lost);
    if (!r) return st->code;
    *found = PQntuples(r) == 1;
    if (*found) read_claim(r, 0, out);
    PQclear(r);
    return DC_OK;
}

/* FOR KEY SHARE to the end of the transaction: a dc_store_video_discard of these bytes (FOR
 * UPDATE on the same row) waits for this insert to commit and then sees its claim, or went first
 * and this finds no row. The foreign key would refuse the claim too, later and with a less
 * useful message. */
static dc_error_class video_stored_tx(store_pg *pg, const char *sha256, dc_status *st, bool *lost) {
    const char *pv[] = {sha256};
    PGresult *r =
        store_pg_exec(pg, "SELECT 1 FROM videos WHERE sha256 = $1 FOR KEY SHARE", 1, pv, st, lost);
    if (!r) return st->code;
    bool stored = PQntuples(r) == 1;
    PQclear(r);
    if (!stored) {
        store_pg_rollback(pg);
        return dc_fail(st, DC_ERR_INPUT, "store: video %s is not stored", sha256);
    }
    return DC_OK;
}

static dc_error_class insert_video_tx(store_pg *pg, const char *claim_id, int position,
                                      const dc_store_claim_video *v, const char *now, dc_status *st,
                                      bool *lost) {
    char pos[16], seg[16], bytes[24];
    snprintf(pos, sizeof pos, "%d", position);
    snprintf(seg, sizeof seg, "%d", v->segment);
    snprintf(bytes, sizeof bytes, "%" PRId64, v->video.bytes);
    const char *p[] = {claim_id,
                       pos,
                       dc_video_role_name(v->role),
                       seg,
                       v->video.sha256,
                       bytes,
                       v->content_type,
                       v->file_name,
                       now};
    return store_pg_run(pg,
                        "INSERT INTO claim_videos (claim_id, position, " CLAIM_VIDEO_COLS
                        ", created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        9, p, st, lost);
}

static dc_error_class insert_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    insert_arg *a = arg;
    const dc_store_new_claim *nc = a->nc;
    bool found = false;
    dc_error_class rc;
    if (a->retried) {
        /* The first try's COMMIT may have happened: then the claim with our id is there. */
        if ((rc = store_pg_claim_read(pg, a->id, a->out, &found, st, lost)) != DC_OK) return rc;
        if (found) return DC_OK;
    }
    a->retried = true;
    if ((rc = store_pg_begin(pg, st, lost)) != DC_OK) return rc;
    for (int i = 0; i < nc->video_count; i++)
        if ((rc = video_stored_tx(pg, nc->videos[i].video.sha256, st, lost)) != DC_OK) return rc;
    if (nc->idempotency_key[0]) {
        if ((rc = by_idempotency_key(pg, nc, a->out, &found, st, lost)) != DC_OK) return rc;
        if (found) {
            store_pg_rollback(pg);
            *a->existed = true;
            return DC_OK;
        }
    }
    char bytes[24], now[24], seg[16];
    snprintf(bytes, sizeof bytes, "%" PRId64, nc->video.bytes);
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    bool has_video = nc->video_count > 0;
    const dc_store_claim_video *v0 = has_video ? &nc->videos[0] : NULL;
    snprintf(seg, sizeof seg, "%d", v0 ? v0->segment : -1);
    const char *p[] = {a->id,
                       has_video ? nc->video.sha256 : NULL,
                       bytes,
                       nc->content_type,
                       nc->idempotency_key[0] ? nc->idempotency_key : NULL,
                       nc->uploader,
                       nc->fields.policy_id,
                       nc->fields.claimant,
                       nc->fields.plate,
                       nc->fields.location,
                       nc->fields.reported_damage,
                       now,
                       nc->open ? "4" : "0",
                       nc->fields.incident_time,
                       nc->fields.incident_place,
                       dc_video_role_name(v0 ? v0->role : DC_ROLE_UNKNOWN),
                       seg,
                       v0 ? v0->file_name : ""};
    /* The claim, its video 0 and (unless open) its job in one statement: one round trip for
     * the upload of one video, as before claims had several. */
    PGresult *r = store_pg_exec(
        pg,
        "WITH c AS ("
        "  INSERT INTO claims (id, state, video_sha256, video_bytes, content_type,"
        "    idempotency_key, uploader, policy_id, claimant, plate, location,"
        "    reported_damage, created_ms, updated_ms, incident_time, incident_place)"
        "  VALUES ($1, $13::smallint, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $14, $15)"
        "  ON CONFLICT DO NOTHING RETURNING id),"
        " v AS ("
        "  INSERT INTO claim_videos (claim_id, position, " CLAIM_VIDEO_COLS ", created_ms)"
        "  SELECT id, 0, $16, $17::int, $2, $3, $4, $18, $12 FROM c WHERE $2::text IS NOT NULL),"
        " j AS ("
        "  INSERT INTO jobs (claim_id, created_ms) SELECT id, $12 FROM c"
        "  WHERE $13::smallint = 0 RETURNING id)"
        "SELECT c.id, (SELECT id FROM j) FROM c",
        18, p, st, lost);
    if (!r) return st->code;
    bool inserted = PQntuples(r) == 1;
    char job_id[24] = "";
    if (inserted) store_pg_col(r, 0, 1, job_id, sizeof job_id);
    PQclear(r);
    if (!inserted) {
        /* Another upload with this idempotency key committed while we looked: its claim. */
        store_pg_rollback(pg);
        if ((rc = by_idempotency_key(pg, nc, a->out, &found, st, lost)) != DC_OK) return rc;
        if (!found) return dc_fail(st, DC_ERR_INTERNAL, "store: claim %s exists twice", a->id);
        *a->existed = true;
        return DC_OK;
    }
    for (int i = 1; i < nc->video_count; i++)
        if ((rc = insert_video_tx(pg, a->id, i, &nc->videos[i], now, st, lost)) != DC_OK) {
            store_pg_rollback(pg);
            return rc;
        }
    /* The payload is the job's id: a worker starts its next scan no later than there. */
    const char *pn[] = {job_id};
    if (job_id[0] && (rc = store_pg_run(pg, "SELECT pg_notify('" STORE_PG_CHANNEL "', $1)", 1, pn,
                                        st, lost)) != DC_OK)
        return rc;
    for (int i = 0; i < a->naudit; i++) {
        dc_audit_row audit = a->audit[i];
        if ((rc = store_pg_audit_append_tx(pg, &audit, st, lost)) != DC_OK) return rc;
    }
    if ((rc = store_pg_commit(pg, st, lost)) != DC_OK) return rc;
    if ((rc = store_pg_claim_read(pg, a->id, a->out, &found, st, lost)) != DC_OK) return rc;
    return found ? DC_OK : dc_fail(st, DC_ERR_INTERNAL, "store: new claim %s not found", a->id);
}

dc_error_class store_pg_claim_insert(void *self, const char *id, const dc_store_new_claim *nc,
                                     dc_audit_row *audit, int naudit, dc_store_claim *out,
                                     bool *existed, dc_status *st) {
    insert_arg a = {id, nc, audit, naudit, out, existed, false};
    *existed = false;
    return store_pg_retry(self, insert_op, &a, st);
}

/* ---- videos of a claim, submit ----------------------------------------------------------- */

/* The claim's state, position 0's hash and count of videos, locking the claim row to the end of
 * the transaction (two adds to one claim take turns, so positions never collide). */
static dc_error_class lock_claim_tx(store_pg *pg, const char *claim_id, int *state, char sha[65],
                                    int *videos, dc_status *st, bool *lost) {
    const char *p[] = {claim_id};
    PGresult *r = store_pg_exec(pg,
                                "SELECT state, coalesce(video_sha256, ''), (SELECT count(*) FROM"
                                " claim_videos v WHERE v.claim_id = c.id) FROM claims c"
                                " WHERE id = $1 FOR UPDATE",
                                1, p, st, lost);
    if (!r) return st->code;
    bool found = PQntuples(r) == 1;
    if (found) {
        *state = (int)store_pg_col_i64(r, 0, 0);
        store_pg_col(r, 0, 1, sha, 65);
        *videos = (int)store_pg_col_i64(r, 0, 2);
    }
    PQclear(r);
    if (!found) {
        store_pg_rollback(pg);
        return dc_fail(st, DC_ERR_INPUT, "store: no claim %s", claim_id);
    }
    return DC_OK;
}

dc_error_class store_pg_claim_video_add(void *self, const char *claim_id,
                                        const dc_store_claim_video *v, const char *actor,
                                        int *position, dc_status *st) {
    /* Not retried after a lost connection: a COMMIT that happened would add the video twice.
     * The caller gets DC_ERR_RESOURCE and the uploader sends it again. */
    store_pg *pg = self;
    bool lost = false;
    if (store_pg_connect(pg, st) != DC_OK) return st->code;
    dc_error_class rc = store_pg_begin(pg, st, &lost);
    if (rc != DC_OK) return rc;
    int state = -1, videos = 0;
    char sha[65] = "", now[24];
    if ((rc = lock_claim_tx(pg, claim_id, &state, sha, &videos, st, &lost)) != DC_OK) goto fail;
    if (state != DC_STATE_OPEN) {
        rc = dc_fail(st, DC_ERR_INPUT,
                     "store: claim %s is %s: videos are added to an open claim only", claim_id,
                     dc_claim_state_name((dc_claim_state)state));
        goto fail;
    }
    if (videos >= DC_MAX_CLAIM_VIDEOS) {
        rc = dc_fail(st, DC_ERR_INPUT,
                     "store: claim %s holds %d videos already, the most a claim may", claim_id,
                     DC_MAX_CLAIM_VIDEOS);
        goto fail;
    }
    if ((rc = video_stored_tx(pg, v->video.sha256, st, &lost)) != DC_OK) goto fail;
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    if ((rc = insert_video_tx(pg, claim_id, videos, v, now, st, &lost)) != DC_OK) goto fail;
    if (videos == 0) {
        char bytes[24];
        snprintf(bytes, sizeof bytes, "%" PRId64, v->video.bytes);
        const char *p[] = {v->video.sha256, bytes, v->content_type, now, claim_id};
        if ((rc = store_pg_run(pg,
                               "UPDATE claims SET video_sha256 = $1, video_bytes = $2,"
                               " content_type = $3, updated_ms = $4 WHERE id = $5",
                               5, p, st, &lost)) != DC_OK)
            goto fail;
    }
    dc_audit_row audit;
    store_audit_video_added(&audit, claim_id, actor, videos, v);
    if ((rc = store_pg_audit_append_tx(pg, &audit, st, &lost)) != DC_OK) goto fail;
    if ((rc = store_pg_commit(pg, st, &lost)) != DC_OK) return rc;
    *position = videos;
    return DC_OK;
fail:
    store_pg_rollback(pg);
    return rc;
}

typedef struct {
    const char *claim_id, *actor;
    dc_store_claim *out;
} submit_arg;

/* Safe to repeat: a submit whose COMMIT happened finds the claim queued and leaves it. */
static dc_error_class submit_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    submit_arg *a = arg;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    int state = -1, videos = 0;
    char sha[65] = "";
    if ((rc = lock_claim_tx(pg, a->claim_id, &state, sha, &videos, st, lost)) != DC_OK) return rc;
    if (state != DC_STATE_OPEN) {
        store_pg_rollback(pg);
    } else if (videos == 0) {
        store_pg_rollback(pg);
        return dc_fail(st, DC_ERR_INPUT, "store: claim %s has no video yet: add one, then submit",
                       a->claim_id);
    } else {
        char now[24], job_id[24] = "";
        snprintf(now, sizeof now, "%" PRId64, store_now_ms());
        const char *p[] = {a->claim_id, now};
        PGresult *r = store_pg_exec(pg,
                                    "WITH c AS (UPDATE claims SET state = 0, updated_ms = $2"
                                    "  WHERE id = $1 AND state = 4 RETURNING id)"
                                    "INSERT INTO jobs (claim_id, created_ms)"
                                    " SELECT id, $2 FROM c RETURNING id",
                                    2, p, st, lost);
        if (!r) return st->code;
        if (PQntuples(r) == 1) store_pg_col(r, 0, 0, job_id, sizeof job_id);
        PQclear(r);
        const char *pn[] = {job_id};
        dc_audit_row audit;
        store_audit_claim_submitted(&audit, a->claim_id, a->actor, sha, videos);
        if ((rc = store_pg_run(pg, "SELECT pg_notify('" STORE_PG_CHANNEL "', $1)", 1, pn, st,
                               lost)) != DC_OK ||
            (rc = store_pg_audit_append_tx(pg, &audit, st, lost)) != DC_OK ||
            (rc = store_pg_commit(pg, st, lost)) != DC_OK)
            return rc;
    }
    bool found = false;
    if ((rc = store_pg_claim_read(pg, a->claim_id, a->out, &found, st, lost)) != DC_OK) return rc;
    return found ? DC_OK : dc_fail(st, DC_ERR_INTERNAL, "store: claim %s not found", a->claim_id);
}

dc_error_class store_pg_claim_submit(void *self, const char *claim_id, const char *actor,
                                     dc_store_claim *out, dc_status *st) {
    submit_arg a = {claim_id, actor, out};
    return store_pg_retry(self, submit_op, &a, st);
}

typedef struct {
    const char *claim_id;
    dc_store_claim_video *rows;
    int max, *count;
} videos_arg;

static dc_error_class videos_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    videos_arg *a = arg;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", a->max);
    const char *p[] = {a->claim_id, limit};
    PGresult *r = store_pg_exec(pg,
                                "SELECT " CLAIM_VIDEO_COLS " FROM claim_videos WHERE claim_id = $1"
                                " ORDER BY position LIMIT $2::int",
                                2, p, st, lost);
    if (!r) return st->code;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < a->max; i++) {
        store_row row = store_pg_row(r, i);
        store_row_claim_video(&row, &a->rows[i]);
    }
    *a->count = n < a->max ? n : a->max;
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_claim_videos(void *self, const char *claim_id, dc_store_claim_video *rows,
                                     int max, int *count, dc_status *st) {
    videos_arg a = {claim_id, rows, max, count};
    *count = 0;
    return store_pg_retry(self, videos_op, &a, st);
}

/* ---- reads -------------------------------------------------------------------------------- */

typedef struct {
    const char *id;
    dc_store_claim *out;
    bool *found;
} get_arg;

static dc_error_class get_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    get_arg *a = arg;
    return store_pg_claim_read(pg, a->id, a->out, a->found, st, lost);
}

dc_error_class store_pg_claim_get(void *self, const char *id, dc_store_claim *out, bool *found,
                                  dc_status *st) {
    get_arg a = {id, out, found};
    *found = false;
    return store_pg_retry(self, get_op, &a, st);
}

typedef struct {
    const dc_store_claim_filter *f;
    dc_store_claim *rows;
    int *count;
    char *next_cursor;
} list_arg;

static dc_error_class list_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    list_arg *a = arg;
    const dc_store_claim_filter *f = a->f;
    char state[8], prio[8], cp[16], ct[24], cid[DC_STORE_ID_LEN], limit[16];
    bool has_cursor = f->cursor && f->cursor[0];
    if (has_cursor) {
        int p;
        int64_t t;
        store_cursor_decode(f->cursor, &p, &t, cid);
        snprintf(cp, sizeof cp, "%d", p);
        snprintf(ct, sizeof ct, "%" PRId64, t);
    }
    snprintf(state, sizeof state, "%d", f->state);
    snprintf(prio, sizeof prio, "%d", f->priority);
    snprintf(limit, sizeof limit, "%d", f->limit + 1);
    const char *p[] = {f->state >= 0 ? state : NULL,
                       f->priority >= 0 ? prio : NULL,
                       f->uploader,
                       has_cursor ? cp : NULL,
                       has_cursor ? ct : NULL,
                       has_cursor ? cid : NULL,
                       limit};
    /* Keyset paging on (priority DESC, created_ms, id), filters first (see store_sqlite.c). */
    PGresult *r = store_pg_exec(
        pg,
        "SELECT " CLAIM_COLS " FROM claims"
        " WHERE ($1::int IS NULL OR state = $1) AND ($2::int IS NULL OR priority = $2)"
        "   AND ($3::text IS NULL OR uploader = $3)"
        "   AND ($4::int IS NULL OR priority < $4 OR (priority = $4 AND (created_ms > $5::bigint"
        "        OR (created_ms = $5::bigint AND id > $6::text))))"
        " ORDER BY priority DESC, created_ms, id LIMIT $7",
        7, p, st, lost);
    if (!r) return st->code;
    int n = PQntuples(r);
    int shown = n > f->limit ? f->limit : n;
    for (int i = 0; i < shown; i++) read_claim(r, i, &a->rows[i]);
    if (n > f->limit) {
        const dc_store_claim *last = &a->rows[shown - 1];
        store_cursor_encode(last->review_priority, last->created_ms, last->id, a->next_cursor);
    }
    *a->count = shown;
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_claims_list(void *self, const dc_store_claim_filter *f,
                                    dc_store_claim *rows, int *count, char *next_cursor,
                                    dc_status *st) {
    list_arg a = {f, rows, count, next_cursor};
    *count = 0;
    return store_pg_retry(self, list_op, &a, st);
}

static dc_error_class counts_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    int64_t *counts = arg;
    PGresult *r =
        store_pg_exec(pg, "SELECT state, count(*) FROM claims GROUP BY state", 0, NULL, st, lost);
    if (!r) return st->code;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t state = store_pg_col_i64(r, i, 0);
        if (state >= 0 && state < DC_STATE_COUNT) counts[state] = store_pg_col_i64(r, i, 1);
    }
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_claim_counts(void *self, int64_t counts[DC_STATE_COUNT], dc_status *st) {
    return store_pg_retry(self, counts_op, counts, st);
}

typedef struct {
    const char *sql;
    const char *p1, *p2;
    uint8_t **data;
    size_t *len;
} blob_arg;

static dc_error_class blob_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    blob_arg *a = arg;
    const char *p[] = {a->p1, a->p2};
    PGresult *r = store_pg_execv(pg, a->sql, a->p2 ? 2 : 1, p, NULL, NULL, true, st, lost);
    if (!r) return st->code;
    dc_error_class rc = DC_OK;
    if (PQntuples(r) == 1) {
        size_t n = (size_t)PQgetlength(r, 0, 0);
        *a->data = malloc(n + 1); /* +1: a NUL so that text callers can use it as a string */
        if (!*a->data) {
            rc = dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
        } else {
            if (n) memcpy(*a->data, PQgetvalue(r, 0, 0), n);
            (*a->data)[n] = 0;
            if (a->len) *a->len = n;
        }
    }
    PQclear(r);
    return rc;
}

dc_error_class store_pg_assessment_get(void *self, const char *claim_id, char **json,
                                       dc_status *st) {
    *json = NULL;
    blob_arg a = {"SELECT json FROM assessments WHERE claim_id = $1", claim_id, NULL,
                  (uint8_t **)json, NULL};
    return store_pg_retry(self, blob_op, &a, st);
}

dc_error_class store_pg_artifact_get(void *self, const char *claim_id, const char *name,
                                     uint8_t **data, size_t *len, dc_status *st) {
    *data = NULL;
    blob_arg a = {"SELECT data FROM artifacts WHERE claim_id = $1 AND name = $2", claim_id, name,
                  data, len};
    return store_pg_retry(self, blob_op, &a, st);
}

/* ---- reviews ------------------------------------------------------------------------------ */

dc_error_class store_pg_review_add(void *self, const char *claim_id, const dc_store_review *rv,
                                   const char *reviewer, dc_status *st) {
    /* Not retried after a lost connection: a COMMIT that happened would record the review
     * twice. The caller gets DC_ERR_RESOURCE and the reviewer sees the error. */
    store_pg *pg = self;
    bool lost = false;
    char *json = NULL;
    if (store_pg_connect(pg, st) != DC_OK) return st->code;
    dc_error_class rc = store_pg_begin(pg, st, &lost);
    if (rc != DC_OK) return rc;
    const char *p1[] = {claim_id};
    PGresult *r = store_pg_exec(pg,
                                "SELECT c.state, c.video_sha256, a.json FROM claims c"
                                " LEFT JOIN assessments a ON a.claim_id = c.id"
                                " WHERE c.id = $1 FOR UPDATE OF c",
                                1, p1, st, &lost);
    if (!r) goto fail;
    if (PQntuples(r) != 1) {
        PQclear(r);
        dc_fail(st, DC_ERR_INPUT, "review: no claim %s", claim_id);
        goto fail;
    }
    int state = (int)store_pg_col_i64(r, 0, 0);
    char sha[65];
    store_pg_col(r, 0, 1, sha, sizeof sha);
    json = PQgetisnull(r, 0, 2) ? NULL : strdup(PQgetvalue(r, 0, 2));
    PQclear(r);
    if (state != DC_STATE_DONE && state != DC_STATE_FAILED) {
        dc_fail(st, DC_ERR_INPUT, "review: claim %s is %s, not finished yet", claim_id,
                dc_claim_state_name((dc_claim_state)state));
        goto fail;
    }
    char sev[16], fault[16], now[24];
    snprintf(sev, sizeof sev, "%d", rv->severity);
    snprintf(fault, sizeof fault, "%d", rv->fault_ratio);
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    const char *p[] = {claim_id,
                       reviewer,
                       dc_review_decision_name(rv->decision),
                       rv->has_severity ? sev : NULL,
                       rv->has_fault_ratio ? fault : NULL,
                       rv->has_fraud_flag ? (rv->fraud_flag ? "t" : "f") : NULL,
                       rv->reasoning,
                       now};
    if (store_pg_run(pg,
                     "WITH r AS (INSERT INTO reviews (claim_id, reviewer, decision, severity,"
                     "   fault_ratio, fraud_flag, reasoning, created_ms)"
                     "   VALUES ($1, $2, $3, $4, $5, $6, $7, $8))"
                     "UPDATE claims SET last_decision = $3, updated_ms = $8 WHERE id = $1",
                     8, p, st, &lost) != DC_OK)
        goto fail;
    dc_audit_row rows[4];
    int n = store_audit_review(rows, claim_id, sha, rv, reviewer, json);
    for (int i = 0; i < n; i++)
        if (store_pg_audit_append_tx(pg, &rows[i], st, &lost) != DC_OK) goto fail;
    free(json);
    return store_pg_commit(pg, st, &lost);
fail:
    free(json);
    store_pg_rollback(pg);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}
