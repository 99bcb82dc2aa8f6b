/* PostgreSQL backend: browser sessions (the token is made, parsed and hashed in
 * store_sessions.c; this file keeps the rows). Each operation is one transaction, safe to repeat
 * after a lost connection (store_pg_retry): a create whose COMMIT reply was lost finds its row. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_internal.h"

/* store_row_key's columns, then the session's hash and expiry */
#define SESSION_KEY_COLS                                                                           \
    "k.id, k.name, k.role, k.revoked, k.created_ms, k.revoked_ms, s.hash, s.expires_ms"

typedef struct {
    const char *id, *hash, *key_id;
    int64_t expires_ms;
    dc_audit_row *audit;
    bool retried;
} insert_arg;

static dc_error_class insert_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    insert_arg *a = arg;
    PGresult *r;
    if (a->retried) {
        const char *q[] = {a->id, a->hash};
        r = store_pg_exec(pg, "SELECT 1 FROM sessions WHERE id = $1 AND hash = $2", 2, q, st, lost);
        if (!r) return st->code;
        bool there = PQntuples(r) == 1;
        PQclear(r);
        if (there) return DC_OK;
    }
    a->retried = true;
    char now[24], expires[24];
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    snprintf(expires, sizeof expires, "%" PRId64, a->expires_ms);
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    const char *pp[] = {now};
    if ((rc = store_pg_run(pg, "DELETE FROM sessions WHERE expires_ms <= $1", 1, pp, st, lost)) !=
        DC_OK)
        return rc;
    const char *p[] = {a->id, a->hash, now, expires, a->key_id};
    r = store_pg_exec(pg,
                      "INSERT INTO sessions (id, key_id, hash, created_ms, expires_ms)"
                      " SELECT $1, id, $2, $3, $4 FROM keys WHERE id = $5 AND NOT revoked",
                      5, p, st, lost);
    if (!r) return st->code;
    bool inserted = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (!inserted) {
        store_pg_rollback(pg);
        return dc_fail(st, DC_ERR_INPUT, "sessions: no active key with id '%s'", a->key_id);
    }
    dc_audit_row audit = *a->audit;
    if ((rc = store_pg_audit_append_tx(pg, &audit, st, lost)) != DC_OK) return rc;
    if ((rc = store_pg_commit(pg, st, lost)) != DC_OK) return rc;
    *a->audit = audit;
    return DC_OK;
}

dc_error_class store_pg_session_insert(void *self, const char *id, const char *hash,
                                       const char *key_id, int64_t expires_ms, dc_audit_row *audit,
                                       dc_status *st) {
    insert_arg a = {id, hash, key_id, expires_ms, audit, false};
    return store_pg_retry(self, insert_op, &a, st);
}

typedef struct {
    const char *id;
    dc_store_key *key;
    char *hash;
    int64_t *expires_ms;
    bool *found;
} get_arg;

static dc_error_class get_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    get_arg *a = arg;
    const char *p[] = {a->id};
    PGresult *r = store_pg_exec(pg,
                                "SELECT " SESSION_KEY_COLS " FROM sessions s"
                                " JOIN keys k ON k.id = s.key_id WHERE s.id = $1",
                                1, p, st, lost);
    if (!r) return st->code;
    if (PQntuples(r) == 1) {
        store_row row = store_pg_row(r, 0);
        store_row_key(&row, a->key, a->hash);
        *a->expires_ms = store_pg_col_i64(r, 0, 7);
        *a->found = true;
    }
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_session_get(void *self, const char *id, dc_store_key *key, char *hash,
                                    int64_t *expires_ms, bool *found, dc_status *st) {
    get_arg a = {id, key, hash, expires_ms, found};
    *found = false;
    return store_pg_retry(self, get_op, &a, st);
}

typedef struct {
    const char *id, *hash;
    bool *revoked;
} revoke_arg;

static dc_error_class revoke_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    revoke_arg *a = arg;
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    const char *p[] = {a->id, a->hash, now};
    /* The delete returns the session's key, for the audit row's actor. */
    PGresult *r =
        store_pg_exec(pg,
                      "WITH s AS (DELETE FROM sessions WHERE id = $1 AND hash = $2"
                      "  AND expires_ms > $3::bigint RETURNING key_id, hash, expires_ms)"
                      " SELECT " SESSION_KEY_COLS " FROM s JOIN keys k ON k.id = s.key_id",
                      3, p, st, lost);
    if (!r) return st->code;
    if (PQntuples(r) != 1) { /* unknown, expired or revoked before (maybe by our lost COMMIT) */
        PQclear(r);
        store_pg_rollback(pg);
        return DC_OK;
    }
    dc_store_key k;
    store_row row = store_pg_row(r, 0);
    store_row_key(&row, &k, NULL);
    PQclear(r);
    dc_audit_row audit;
    store_audit_session(&audit, "session.revoked", &k, a->id);
    if ((rc = store_pg_audit_append_tx(pg, &audit, st, lost)) != DC_OK) return rc;
    if ((rc = store_pg_commit(pg, st, lost)) != DC_OK) return rc;
    *a->revoked = true;
    return DC_OK;
}

dc_error_class store_pg_session_revoke(void *self, const char *id, const char *hash, bool *revoked,
                                       dc_status *st) {
    revoke_arg a = {id, hash, revoked};
    *revoked = false;
    return store_pg_retry(self, revoke_op, &a, st);
}
