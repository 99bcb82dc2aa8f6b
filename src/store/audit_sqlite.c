/* The SQLite backend's read_snapshot: queries run in one deferred transaction, which in WAL mode
 * reads one snapshot from its first SELECT to its end, while writers go on (they append to the
 * WAL; this reader never takes the write lock). For audit verify, which compares tables with
 * each other and must not see half of a concurrent review. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

static void row_text(const store_row *r, int col, char *dst, size_t size) {
    const unsigned char *t = sqlite3_column_text((sqlite3_stmt *)r->src, col);
    store_copy(dst, size, t ? (const char *)t : "");
}

static int64_t row_i64(const store_row *r, int col) {
    return sqlite3_column_int64((sqlite3_stmt *)r->src, col);
}

static dc_error_class failed(sqlite3 *db, const char *dir, const char *what, dc_status *st) {
    int code = sqlite3_extended_errcode(db) & 0xff;
    dc_error_class cls =
        code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR || code == SQLITE_NOMEM
            ? DC_ERR_RESOURCE
            : DC_ERR_INTERNAL;
    return dc_fail(st, cls, "store: %s in %s/dashclaim.db: %s", what, dir, sqlite3_errmsg(db));
}

static dc_error_class run_one(sqlite3 *db, const char *dir, const store_read *q, dc_status *st) {
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, q->sql, -1, &stmt, NULL) != SQLITE_OK)
        return failed(db, dir, "preparing a read", st);
    if (sqlite3_bind_parameter_count(stmt) != q->nparams) {
        sqlite3_finalize(stmt);
        return dc_fail(st, DC_ERR_INTERNAL, "store: a read names %d parameters, %d given",
                       sqlite3_bind_parameter_count(stmt), q->nparams);
    }
    for (int i = 0; i < q->nparams; i++) {
        /* "$N" must be parameter N (see store_read): a read written out of order is a bug here,
         * not a wrong answer. */
        char want[16];
        snprintf(want, sizeof want, "$%d", i + 1);
        const char *name = sqlite3_bind_parameter_name(stmt, i + 1);
        if (!name || strcmp(name, want) != 0) {
            sqlite3_finalize(stmt);
            return dc_fail(st, DC_ERR_INTERNAL, "store: a read's parameter %d is not %s", i + 1,
                           want);
        }
        sqlite3_bind_text(stmt, i + 1, q->params[i] ? q->params[i] : "", -1, SQLITE_TRANSIENT);
    }
    store_row row = {.text = row_text, .i64 = row_i64, .src = stmt};
    dc_error_class rc = DC_OK;
    int r;
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW)
        if ((rc = q->row(q->ctx, &row, st)) != DC_OK) break;
    if (rc == DC_OK && r != SQLITE_DONE) rc = failed(db, dir, "reading", st);
    sqlite3_finalize(stmt);
    return rc;
}

dc_error_class store_sqlite_read(sqlite3 *db, const char *dir, int n, const store_read *q,
                                 dc_status *st) {
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return failed(db, dir, "starting a read", st);
    dc_error_class rc = DC_OK;
    for (int i = 0; i < n && rc == DC_OK; i++) rc = run_one(db, dir, &q[i], st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL); /* read-only: nothing to lose */
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
