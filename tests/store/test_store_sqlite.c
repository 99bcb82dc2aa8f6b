/* What only the SQLite backend can show from outside: the database file is in WAL mode, the
 * audit table refuses UPDATE and DELETE from any client (the triggers live in the database, not
 * in dashclaim), claims cannot be deleted, and a trail edited behind the triggers' back (they
 * dropped, a row changed) is caught by dc_store_audit_verify at that row. */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dashclaim/store.h"
#include "store/store_test_util.h"

static void add_events(dc_store *s, int n) {
    for (int i = 0; i < n; i++) {
        dc_audit_row e;
        memset(&e, 0, sizeof e);
        strcpy(e.actor, "tester");
        snprintf(e.action, sizeof e.action, "event.%d", i);
        dc_status st = DC_STATUS_OK;
        assert_int_equal(dc_store_audit_append(s, &e, &st), DC_OK);
    }
}

static int sql(sqlite3 *db, const char *text) {
    return sqlite3_exec(db, text, NULL, NULL, NULL);
}

static void test_append_only_and_tamper(void **state) {
    (void)state;
    if (test_store_is_pg()) skip();
    char url[512];
    dc_store *s = test_store_open("sqlite_audit", NULL, url, sizeof url);
    assert_non_null(s);
    assert_string_equal(dc_store_backend_name(s), "sqlite");
    add_events(s, 5);
    dc_store_video_writer *w = dc_store_video_begin(s, NULL);
    dc_store_video_write(w, "v", 1, NULL);
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    assert_int_equal(dc_store_video_commit(w, &nc.video, NULL), DC_OK);
    strcpy(nc.uploader, "u");
    dc_store_claim c;
    assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, NULL), DC_OK);

    char path[600];
    snprintf(path, sizeof path, "%s/dashclaim.db", url);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);

    assert_int_not_equal(sql(db, "UPDATE audit SET reason = 'forged' WHERE seq = 2"), SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
    assert_int_not_equal(sql(db, "DELETE FROM audit WHERE seq = 3"), SQLITE_OK);
    assert_int_not_equal(sql(db, "DELETE FROM claims"), SQLITE_OK);

    int64_t rows = 0, bad = -1;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_verify(s, &rows, &bad, &st), DC_OK);
    assert_int_equal(rows, 6);
    assert_int_equal(bad, 0);

    /* someone with the file drops the trigger and edits row 3: the chain breaks there */
    assert_int_equal(sql(db, "DROP TRIGGER audit_no_update"), SQLITE_OK);
    assert_int_equal(sql(db, "UPDATE audit SET reason = 'forged' WHERE seq = 3"), SQLITE_OK);
    assert_int_equal(dc_store_audit_verify(s, &rows, &bad, &st), DC_OK);
    assert_int_equal(bad, 3);
    assert_int_equal(rows, 2);
    sqlite3_close(db);
    dc_store_close(s);
}

static void test_deleted_row_breaks_chain(void **state) {
    (void)state;
    if (test_store_is_pg()) skip();
    char url[512];
    dc_store *s = test_store_open("sqlite_gap", NULL, url, sizeof url);
    assert_non_null(s);
    add_events(s, 4);
    char path[600];
    snprintf(path, sizeof path, "%s/dashclaim.db", url);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sql(db, "DROP TRIGGER audit_no_delete"), SQLITE_OK);
    assert_int_equal(sql(db, "DELETE FROM audit WHERE seq = 4"), SQLITE_OK); /* the last row */
    int64_t rows = 0, bad = -1;
    assert_int_equal(dc_store_audit_verify(s, &rows, &bad, NULL), DC_OK);
    /* removing the newest row cannot be seen from the chain alone; removing one inside it can */
    assert_int_equal(bad, 0);
    assert_int_equal(sql(db, "DELETE FROM audit WHERE seq = 2"), SQLITE_OK);
    assert_int_equal(dc_store_audit_verify(s, &rows, &bad, NULL), DC_OK);
    assert_int_equal(bad, 3);
    sqlite3_close(db);
    dc_store_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_only_and_tamper),
        cmocka_unit_test(test_deleted_row_breaks_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
