/* PostgreSQL backend: the audit chain and the API keys.
 *
 * The chain must never fork: each row carries the hash of the one before, so two transactions
 * must not both read the same "last row". Under READ COMMITTED a transaction-level advisory lock
 * does this: the appender takes it in one statement, and the next statement (a new snapshot,
 * taken after the lock was granted) sees the last row that the previous holder committed. The
 * lock is released at COMMIT or ROLLBACK, so callers append their audit rows last, just before
 * committing. Rows are sealed (seq, prev_hash, hash) by store_audit_seal, the same code as the
 * SQLite backend's, so both produce the same chain.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_internal.h"

const char store_pg_audit_insert_sql[] =
    "INSERT INTO audit (" STORE_AUDIT_COLUMNS ") VALUES (" STORE_AUDIT_PG_PARAMS ")";

void store_pg_audit_seal_after(const PGresult *last, dc_audit_row *row) {
    int64_t prev_seq = 0;
    char prev_hash[65] = "";
    if (PQntuples(last) == 1) {
        prev_seq = store_pg_col_i64(last, 0, 0);
        store_pg_col(last, 0, 1, prev_hash, sizeof prev_hash);
    }
    store_audit_seal(row, prev_seq, prev_hash);
}

void store_pg_audit_params(const dc_audit_row *row, char seq[24],
                           const char *p[STORE_AUDIT_NFIELDS]) {
    /* seq is the one number (audit_fields.c checks that at compile time through the table) */
    for (int i = 0; i < STORE_AUDIT_NFIELDS; i++) p[i] = store_audit_field_text(row, i, seq);
}

dc_error_class store_pg_audit_append_tx(store_pg *pg, dc_audit_row *row, dc_status *st,
                                        bool *lost) {
    /* The lock first, the read in the next statement: its snapshot is taken after the lock is
     * granted (see the top of this file). One round trip for both. */
    store_pg_stmt q[] = {{STORE_PG_AUDIT_LOCK_SQL, 0, NULL, NULL, NULL},
                         {STORE_PG_AUDIT_LAST_SQL, 0, NULL, NULL, NULL}};
    PGresult *r[2];
    dc_error_class rc = store_pg_pipeline(pg, 2, q, r, st, lost);
    if (rc != DC_OK) return rc;
    store_pg_audit_seal_after(r[1], row);
    PQclear(r[0]);
    PQclear(r[1]);
    char seq[24];
    const char *p[STORE_AUDIT_NFIELDS];
    store_pg_audit_params(row, seq, p);
    return store_pg_run(pg, store_pg_audit_insert_sql, STORE_AUDIT_NFIELDS, p, st, lost);
}

typedef struct {
    dc_audit_row *row;
    dc_audit_row sealed;
} append_arg;

static dc_error_class append_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    append_arg *a = arg;
    a->sealed = *a->row;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc == DC_OK) rc = store_pg_audit_append_tx(pg, &a->sealed, st, lost);
    if (rc == DC_OK) rc = store_pg_commit(pg, st, lost);
    return rc;
}

dc_error_class store_pg_audit_append(void *self, dc_audit_row *row, dc_status *st) {
    /* Not retried after a lost connection: the COMMIT may have happened, and a second append
     * would record the event twice. The caller sees DC_ERR_RESOURCE. */
    store_pg *pg = self;
    append_arg a = {row, {0}};
    bool lost = false;
    if (store_pg_connect(pg, st) != DC_OK) return st->code;
    dc_error_class rc = append_op(pg, &a, st, &lost);
    if (rc != DC_OK) {
        store_pg_rollback(pg);
        return rc;
    }
    *row = a.sealed;
    return DC_OK;
}

typedef struct {
    const char *claim_id;
    int64_t after_seq;
    dc_audit_row *rows;
    int max;
    int *count;
} list_arg;

static dc_error_class list_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    list_arg *a = arg;
    char after[24], max[16];
    snprintf(after, sizeof after, "%" PRId64, a->after_seq);
    snprintf(max, sizeof max, "%d", a->max);
    const char *p[] = {after, max, a->claim_id};
    PGresult *r = store_pg_exec(
        pg,
        "SELECT " STORE_AUDIT_COLUMNS " FROM audit"
        " WHERE seq > $1 AND ($3::text IS NULL OR claim_id = $3) ORDER BY seq LIMIT $2",
        3, p, st, lost);
    if (!r) return st->code;
    int n = PQntuples(r);
    for (int i = 0; i < n && i < a->max; i++) {
        store_row row = store_pg_row(r, i);
        store_row_audit(&row, &a->rows[i]);
    }
    *a->count = n < a->max ? n : a->max;
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_audit_list(void *self, const char *claim_id, int64_t after_seq,
                                   dc_audit_row *rows, int max, int *count, dc_status *st) {
    list_arg a = {claim_id, after_seq, rows, max, count};
    *count = 0;
    return store_pg_retry(self, list_op, &a, st);
}

dc_error_class store_pg_read_snapshot(void *self, int n, const store_read *q, dc_status *st) {
    /* REPEATABLE READ: every statement sees the snapshot of the first. Not retried after a lost
     * connection: the rows handed out so far came from the lost snapshot, and a second one would
     * mix two states of the database (the caller reports DC_ERR_RESOURCE; run it again). */
    store_pg *pg = self;
    bool lost = false;
    if (store_pg_connect(pg, st) != DC_OK) return st->code;
    dc_error_class rc =
        store_pg_run(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, st, &lost);
    for (int i = 0; i < n && rc == DC_OK; i++) {
        PGresult *r = store_pg_exec(pg, q[i].sql, q[i].nparams, q[i].params, st, &lost);
        if (!r) {
            rc = st->code;
            break;
        }
        for (int j = 0; j < PQntuples(r) && rc == DC_OK; j++) {
            store_row row = store_pg_row(r, j);
            rc = q[i].row(q[i].ctx, &row, st);
        }
        PQclear(r);
    }
    if (rc == DC_OK) return store_pg_commit(pg, st, &lost);
    store_pg_rollback(pg);
    return rc;
}

/* ---- keys --------------------------------------------------------------------------------- */

#define KEY_COLS "id, name, role, revoked, created_ms, revoked_ms, hash"

static void read_key(const PGresult *r, int i, dc_store_key *k, char *hash) {
    store_row row = store_pg_row(r, i);
    store_row_key(&row, k, hash);
}

typedef struct {
    const dc_store_key *k;
    const char *hash;
    dc_audit_row *audit;
    bool retried;
} key_insert_arg;

static dc_error_class key_insert_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    key_insert_arg *a = arg;
    bool retried = a->retried;
    a->retried = true;
    char role[8], created[24];
    snprintf(role, sizeof role, "%d", (int)a->k->role);
    snprintf(created, sizeof created, "%" PRId64, a->k->created_ms);
    const char *p[] = {a->k->id, a->k->name, role, a->hash, created};
    if (retried) {
        /* The first try's COMMIT may have happened: the key with our id and hash is then ours. */
        const char *q[] = {a->k->id, a->hash};
        PGresult *r =
            store_pg_exec(pg, "SELECT 1 FROM keys WHERE id = $1 AND hash = $2", 2, q, st, lost);
        if (!r) return st->code;
        bool there = PQntuples(r) == 1;
        PQclear(r);
        if (there) return DC_OK;
    }
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    PGresult *r = store_pg_exec(pg,
                                "INSERT INTO keys (id, name, role, hash, revoked, created_ms,"
                                " revoked_ms) VALUES ($1, $2, $3, $4, false, $5, 0)"
                                " ON CONFLICT DO NOTHING",
                                5, p, st, lost);
    if (!r) return st->code;
    bool inserted = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (!inserted) {
        store_pg_rollback(pg);
        return dc_fail(st, DC_ERR_INPUT, "keys: an active key named '%s' exists (revoke it first)",
                       a->k->name);
    }
    dc_audit_row audit = *a->audit;
    if ((rc = store_pg_audit_append_tx(pg, &audit, st, lost)) != DC_OK) return rc;
    if ((rc = store_pg_commit(pg, st, lost)) != DC_OK) return rc;
    *a->audit = audit;
    return DC_OK;
}

dc_error_class store_pg_key_insert(void *self, const dc_store_key *info, const char *hash,
                                   dc_audit_row *audit, dc_status *st) {
    key_insert_arg a = {info, hash, audit, false};
    return store_pg_retry(self, key_insert_op, &a, st);
}

typedef struct {
    const char *id;
    dc_store_key *out;
    char *hash;
    bool *found;
    dc_store_key *rows;
    int max;
    int *count;
} key_read_arg;

static dc_error_class key_get_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    key_read_arg *a = arg;
    const char *p[] = {a->id};
    PGresult *r = store_pg_exec(pg, "SELECT " KEY_COLS " FROM keys WHERE id = $1", 1, p, st, lost);
    if (!r) return st->code;
    if (PQntuples(r) == 1) {
        read_key(r, 0, a->out, a->hash);
        *a->found = true;
    }
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_key_get(void *self, const char *id, dc_store_key *out, char *hash,
                                bool *found, dc_status *st) {
    key_read_arg a = {.id = id, .out = out, .hash = hash, .found = found};
    *found = false;
    return store_pg_retry(self, key_get_op, &a, st);
}

static dc_error_class key_list_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    key_read_arg *a = arg;
    char max[16];
    snprintf(max, sizeof max, "%d", a->max);
    const char *p[] = {max};
    PGresult *r = store_pg_exec(
        pg, "SELECT " KEY_COLS " FROM keys ORDER BY created_ms, id LIMIT $1", 1, p, st, lost);
    if (!r) return st->code;
    int n = PQntuples(r) < a->max ? PQntuples(r) : a->max;
    for (int i = 0; i < n; i++) read_key(r, i, &a->rows[i], NULL);
    *a->count = n;
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_key_list(void *self, dc_store_key *rows, int max, int *count,
                                 dc_status *st) {
    key_read_arg a = {.rows = rows, .max = max, .count = count};
    *count = 0;
    return store_pg_retry(self, key_list_op, &a, st);
}

typedef struct {
    const char *id_or_name;
    dc_audit_row *audit;
    bool *found;
} key_revoke_arg;

static dc_error_class key_revoke_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    key_revoke_arg *a = arg;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    const char *p[] = {a->id_or_name};
    PGresult *r = store_pg_exec(pg,
                                "SELECT " KEY_COLS " FROM keys WHERE (id = $1 OR name = $1)"
                                " AND NOT revoked ORDER BY created_ms LIMIT 1 FOR UPDATE",
                                1, p, st, lost);
    if (!r) return st->code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        store_pg_rollback(pg);
        return DC_OK;
    }
    dc_store_key k;
    read_key(r, 0, &k, NULL);
    PQclear(r);
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    const char *q[] = {k.id, now};
    if ((rc = store_pg_run(pg, "UPDATE keys SET revoked = true, revoked_ms = $2 WHERE id = $1", 2,
                           q, st, lost)) != DC_OK)
        return rc;
    dc_audit_row audit;
    store_audit_key(&audit, "key.revoked", &k);
    if ((rc = store_pg_audit_append_tx(pg, &audit, st, lost)) != DC_OK) return rc;
    if ((rc = store_pg_commit(pg, st, lost)) != DC_OK) return rc;
    *a->audit = audit;
    *a->found = true;
    return DC_OK;
}

dc_error_class store_pg_key_revoke(void *self, const char *id_or_name, dc_audit_row *audit,
                                   bool *found, dc_status *st) {
    /* A retry after a lost COMMIT finds the key already revoked: *found is then false, which the
     * caller reports as "no such key"; revoking is still done, exactly once. */
    key_revoke_arg a = {id_or_name, audit, found};
    *found = false;
    return store_pg_retry(self, key_revoke_op, &a, st);
}
