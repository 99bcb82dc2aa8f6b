/* What only the SQLite backend can show from outside: the database file is in WAL mode, the
 * audit table refuses UPDATE and DELETE from any client (the triggers live in the database, not
 * in dashclaim), claims cannot be deleted, and a trail edited behind the triggers' back (they
 * dropped, a row changed) is caught by dc_store_audit_verify at that row. And the group commit
 * (src/store/store_sqlite_shared.h): threads completing jobs at once share fsyncs, every
 * completion is still its own fenced transaction (a stale one is refused, the others stand), and
 * the trail stays one chain. */
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <cmocka.h>

#include "dashclaim/store.h"
#include "store/store_test_util.h"
#include "store_sqlite_shared.h"

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

/* A one-byte video stored, and a new claim of it by uploader "u". */
static void new_claim(dc_store *s, dc_store_new_claim *nc) {
    dc_store_video_writer *w = dc_store_video_begin(s, NULL);
    assert_non_null(w);
    assert_int_equal(dc_store_video_write(w, "v", 1, NULL), DC_OK);
    memset(nc, 0, sizeof *nc);
    assert_int_equal(dc_store_video_commit(w, &nc->video, NULL), DC_OK);
    strcpy(nc->uploader, "u");
}

static int sql(sqlite3 *db, const char *text) { return sqlite3_exec(db, text, NULL, NULL, NULL); }

static void test_append_only_and_tamper(void **state) {
    (void)state;
    if (test_store_is_pg()) skip();
    char url[512];
    dc_store *s = test_store_open("sqlite_audit", NULL, url, sizeof url);
    assert_non_null(s);
    assert_string_equal(dc_store_backend_name(s), "sqlite");
    add_events(s, 5);
    dc_store_new_claim nc;
    new_claim(s, &nc);
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

#define GC_THREADS 8
#define GC_JOBS 40 /* per thread */

typedef struct {
    const char *url;
    int index;
    int completed, refused_stale, errors;
} gc_worker;

static void *gc_drain(void *arg) {
    gc_worker *w = arg;
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(w->url, NULL, &st);
    if (!s) {
        w->errors++;
        return NULL;
    }
    dc_assessment *a = calloc(1, sizeof *a);
    char name[32];
    snprintf(name, sizeof name, "gc/%d", w->index);
    for (;;) {
        dc_store_job job;
        bool got = false, accepted = false;
        if (dc_store_job_claim(s, name, &job, &got, &st) != DC_OK) {
            w->errors++;
            break;
        }
        if (!got) break;
        dc_assessment_init(a);
        snprintf(a->claim_id, sizeof a->claim_id, "%s", job.claim_id);
        snprintf(a->video.sha256, sizeof a->video.sha256, "%s", job.video_sha256);
        snprintf(a->engine.name, sizeof a->engine.name, "signals");
        a->severity = DC_SEVERITY_LOW;
        dc_claim_decide(a, NULL, NULL);
        char *json = dc_assessment_to_json(a, 0);
        dc_store_result r = {.assessment = a, .assessment_json = json};
        if (dc_store_job_complete(s, &job, &r, &accepted, &st) != DC_OK || !accepted) w->errors++;
        else w->completed++;
        /* the same attempt again, while the other threads' completions are being committed:
         * refused on its own (no error), theirs stand */
        accepted = true;
        if (dc_store_job_complete(s, &job, &r, &accepted, &st) != DC_OK) w->errors++;
        else if (!accepted) w->refused_stale++;
        free(json);
    }
    free(a);
    dc_store_close(s);
    return NULL;
}

static void test_group_commit(void **state) {
    (void)state;
    if (test_store_is_pg()) skip();
    char url[512];
    dc_store *s = test_store_open("sqlite_group", NULL, url, sizeof url);
    assert_non_null(s);
    dc_store_new_claim nc;
    new_claim(s, &nc);
    for (int i = 0; i < GC_THREADS * GC_JOBS; i++) {
        dc_store_claim c;
        assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, NULL), DC_OK);
    }
    char db[600];
    snprintf(db, sizeof db, "%s/dashclaim.db", url);
    uint64_t fsyncs0, commits0, fsyncs1, commits1;
    sq_shared_sync_counts(db, &fsyncs0, &commits0);
    /* one durable commit per insert so far, each waited for */
    assert_true(commits0 >= GC_THREADS * GC_JOBS);
    assert_true(fsyncs0 >= 1);

    gc_worker w[GC_THREADS];
    pthread_t t[GC_THREADS];
    for (int i = 0; i < GC_THREADS; i++) {
        w[i] = (gc_worker){.url = url, .index = i};
        assert_int_equal(pthread_create(&t[i], NULL, gc_drain, &w[i]), 0);
    }
    int completed = 0, stale = 0;
    for (int i = 0; i < GC_THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].errors, 0);
        completed += w[i].completed;
        stale += w[i].refused_stale;
    }
    assert_int_equal(completed, GC_THREADS * GC_JOBS);
    assert_int_equal(stale, GC_THREADS * GC_JOBS);
    sq_shared_sync_counts(db, &fsyncs1, &commits1);
    uint64_t commits = commits1 - commits0, fsyncs = fsyncs1 - fsyncs0;
    assert_int_equal(commits, GC_THREADS * GC_JOBS); /* every completion waited for an fsync */
    assert_true(fsyncs >= 1 && fsyncs <= commits);
    /* On a disk an fsync takes milliseconds, and the 7 other threads commit meanwhile: they
     * share the next one. (On a tmpfs an fsync is instant and sharing is a matter of luck.) */
    struct statfs fs;
    if (statfs(url, &fs) == 0 && fs.f_type != 0x01021994 /* TMPFS_MAGIC */)
        assert_true(fsyncs < commits);
    fprintf(stderr, "group commit: %llu completions, %llu fsyncs\n", (unsigned long long)commits,
            (unsigned long long)fsyncs);

    int64_t counts[DC_STATE_COUNT] = {0};
    assert_int_equal(dc_store_claim_counts(s, counts, NULL), DC_OK);
    assert_int_equal(counts[DC_STATE_DONE], GC_THREADS * GC_JOBS);
    int64_t rows = 0, bad = -1;
    assert_int_equal(dc_store_audit_verify(s, &rows, &bad, NULL), DC_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(rows, 2 * GC_THREADS * GC_JOBS); /* claim.created + assessment each */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(raw,
                                        "SELECT (SELECT count(*) FROM assessments), "
                                        "(SELECT count(*) FROM jobs), "
                                        "(SELECT count(DISTINCT claim_id) FROM audit "
                                        " WHERE action = 'assessment')",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), GC_THREADS * GC_JOBS);
    assert_int_equal(sqlite3_column_int(q, 1), 0);
    assert_int_equal(sqlite3_column_int(q, 2), GC_THREADS * GC_JOBS);
    sqlite3_finalize(q);
    sqlite3_close(raw);
    dc_store_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_only_and_tamper),
        cmocka_unit_test(test_deleted_row_breaks_chain),
        cmocka_unit_test(test_group_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
