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

#define CLAIM_COLS                                                                                 \
    "id, state, video_sha256, video_bytes, content_type, coalesce(idempotency_key, ''),"           \
    " uploader, policy_id, claimant, plate, location, reported_damage, attempts, error_class,"     \
    " error_message, priority, severity, last_decision, created_ms, updated_ms"

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
    /* FOR KEY SHARE to the end of the transaction: a dc_store_video_discard of these bytes (FOR
     * UPDATE on the same row) waits for this insert to commit and then sees its claim, or went
     * first and this finds no row. The foreign key would refuse the claim too, later and with a
     * less useful message. */
    const char *pv[] = {nc->video.sha256};
    PGresult *r =
        store_pg_exec(pg, "SELECT 1 FROM videos WHERE sha256 = $1 FOR KEY SHARE", 1, pv, st, lost);
    if (!r) return st->code;
    bool stored = PQntuples(r) == 1;
    PQclear(r);
    if (!stored) {
        store_pg_rollback(pg);
        return dc_fail(st, DC_ERR_INPUT, "store: video %s is not stored", nc->video.sha256);
    }
    if (nc->idempotency_key[0]) {
        if ((rc = by_idempotency_key(pg, nc, a->out, &found, st, lost)) != DC_OK) return rc;
        if (found) {
            store_pg_rollback(pg);
            *a->existed = true;
            return DC_OK;
        }
    }
    char bytes[24], now[24];
    snprintf(bytes, sizeof bytes, "%" PRId64, nc->video.bytes);
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    const char *p[] = {a->id,
                       nc->video.sha256,
                       bytes,
                       nc->content_type,
                       nc->idempotency_key[0] ? nc->idempotency_key : NULL,
                       nc->uploader,
                       nc->fields.policy_id,
                       nc->fields.claimant,
                       nc->fields.plate,
                       nc->fields.location,
                       nc->fields.reported_damage,
                       now};
    r = store_pg_exec(pg,
                      "WITH c AS ("
                      "  INSERT INTO claims (id, state, video_sha256, video_bytes, content_type,"
                      "    idempotency_key, uploader, policy_id, claimant, plate, location,"
                      "    reported_damage, created_ms, updated_ms)"
                      "  VALUES ($1, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
                      "  ON CONFLICT DO NOTHING RETURNING id)"
                      "INSERT INTO jobs (claim_id, created_ms) SELECT id, $12 FROM c RETURNING id",
                      12, p, st, lost);
    if (!r) return st->code;
    bool inserted = PQntuples(r) == 1;
    char job_id[24] = "";
    if (inserted) store_pg_col(r, 0, 0, job_id, sizeof job_id);
    PQclear(r);
    if (!inserted) {
        /* Another upload with this idempotency key committed while we looked: its claim. */
        store_pg_rollback(pg);
        if ((rc = by_idempotency_key(pg, nc, a->out, &found, st, lost)) != DC_OK) return rc;
        if (!found) return dc_fail(st, DC_ERR_INTERNAL, "store: claim %s exists twice", a->id);
        *a->existed = true;
        return DC_OK;
    }
    dc_audit_row audit = *a->audit;
    /* The payload is the job's id: a worker starts its next scan no later than there. */
    const char *pn[] = {job_id};
    if ((rc = store_pg_run(pg, "SELECT pg_notify('" STORE_PG_CHANNEL "', $1)", 1, pn, st, lost)) !=
            DC_OK ||
        (rc = store_pg_audit_append_tx(pg, &audit, st, lost)) != DC_OK ||
        (rc = store_pg_commit(pg, st, lost)) != DC_OK)
        return rc;
    *a->audit = audit;
    if ((rc = store_pg_claim_read(pg, a->id, a->out, &found, st, lost)) != DC_OK) return rc;
    return found ? DC_OK : dc_fail(st, DC_ERR_INTERNAL, "store: new claim %s not found", a->id);
}

dc_error_class store_pg_claim_insert(void *self, const char *id, const dc_store_new_claim *nc,
                                     dc_audit_row *audit, dc_store_claim *out, bool *existed,
                                     dc_status *st) {
    insert_arg a = {id, nc, audit, out, existed, false};
    *existed = false;
    return store_pg_retry(self, insert_op, &a, st);
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
