/* What only the PostgreSQL backend promises, on a real server (run under tests/store/with-pg;
 * the shared contract is test_store.c, run on both backends):
 *   - processes starting together migrate the schema once (advisory lock);
 *   - finished jobs leave the hot jobs table;
 *   - an idle worker is woken by NOTIFY, not by its poll timeout;
 *   - a server restart under a worker that holds a job: heartbeat and completion reconnect;
 *   - a video streams in groups that each commit (no transaction open while the client is slow),
 *     comes back byte for byte, and a damaged object is refused on read-back;
 *   - the object of an upload whose process died is collected.
 * Each test fails with its feature removed (e.g. without NOTIFY the waiter sleeps its full 20 s;
 * with one transaction per upload the probe sees "idle in transaction"). */
#include <libpq-fe.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dashclaim/store.h"
#include "store/store_test_util.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static dc_store *open_pg(const char *name, char *url, size_t size) {
    dc_store_options o;
    dc_store_options_init(&o);
    o.retry_delay_sec = 0;
    dc_store *s = test_store_open(name, &o, url, size);
    assert_non_null(s);
    assert_string_equal(dc_store_backend_name(s), "postgresql");
    return s;
}

/* One value of a query on a side connection (the test's own eyes on the database). */
static long long sql_value(const char *url, const char *sql) {
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return v;
}

static void put_text_video(dc_store *s, const char *text, dc_store_video *v) {
    dc_status st = DC_STATUS_OK;
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    assert_non_null(w);
    assert_int_equal(dc_store_video_write(w, text, strlen(text), &st), DC_OK);
    assert_int_equal(dc_store_video_commit(w, v, &st), DC_OK);
}

static void claim_of_video(dc_store *s, const dc_store_video *video, dc_store_claim *c) {
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    nc.video = *video;
    strcpy(nc.content_type, "video/mp4");
    strcpy(nc.uploader, "test");
    dc_status st = DC_STATUS_OK;
    bool existed = false;
    assert_int_equal(dc_store_claim_insert(s, &nc, c, &existed, &st), DC_OK);
}

static void new_claim(dc_store *s, const char *video_text, dc_store_claim *c) {
    dc_store_video video;
    put_text_video(s, video_text, &video);
    claim_of_video(s, &video, c);
}

static dc_error_class complete(dc_store *s, const dc_store_job *job, bool *accepted,
                               dc_status *st) {
    dc_assessment *a = calloc(1, sizeof *a);
    dc_assessment_init(a);
    snprintf(a->claim_id, sizeof a->claim_id, "%s", job->claim_id);
    snprintf(a->video.sha256, sizeof a->video.sha256, "%s", job->video_sha256);
    snprintf(a->engine.name, sizeof a->engine.name, "signals");
    a->severity = DC_SEVERITY_LOW;
    dc_claim_decide(a, NULL, NULL);
    char *json = dc_assessment_to_json(a, 0);
    dc_store_result r = {.assessment = a, .assessment_json = json};
    dc_error_class rc = dc_store_job_complete(s, job, &r, accepted, st);
    free(json);
    free(a);
    return rc;
}

/* ---- migrations ---------------------------------------------------------------------------- */

static void test_migrations_race(void **state) {
    (void)state;
    char url[512];
    test_store_url("migrate", url, sizeof url); /* a fresh, empty database */
    enum { N = 6 };
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            dc_status st = DC_STATUS_OK;
            dc_store *s = dc_store_open(url, NULL, &st);
            if (!s) fprintf(stderr, "child %d: %s\n", i, st.message);
            _exit(s ? 0 : 1);
        }
    }
    for (int i = 0; i < N; i++) {
        int status = 0;
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* every migration once, none missing (1 .. the newest) */
    assert_true(sql_value(url, "SELECT max(version) FROM schema_migrations") >= 2);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM schema_migrations"),
                     sql_value(url, "SELECT max(version) FROM schema_migrations"));
    assert_int_equal(sql_value(url, "SELECT count(*) FROM queue_rescue"), 1);
    /* a database newer than this build is refused, not used with the wrong shape */
    PGconn *c = PQconnectdb(url);
    PQclear(PQexec(c, "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')"));
    PQfinish(c);
    dc_status st = DC_STATUS_OK;
    assert_null(dc_store_open(url, NULL, &st));
    assert_int_equal(st.code, DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "newer"));
}

/* ---- the hot table ------------------------------------------------------------------------- */

static void test_finished_jobs_leave_hot_table(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_pg("hot", url, sizeof url);
    enum { N = 12 };
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof text, "video %d", i);
        dc_store_claim c;
        new_claim(s, text, &c);
    }
    assert_int_equal(sql_value(url, "SELECT count(*) FROM jobs"), N);
    dc_status st = DC_STATUS_OK;
    for (int i = 0; i < N; i++) {
        dc_store_job job;
        bool got = false, accepted = false;
        assert_int_equal(dc_store_job_claim(s, "w", &job, &got, &st), DC_OK);
        assert_true(got);
        if (i % 3 == 2) {
            assert_int_equal(dc_store_job_fail(s, &job, DC_ERR_INPUT, "bad", false, &accepted, &st),
                             DC_OK);
        } else {
            assert_int_equal(complete(s, &job, &accepted, &st), DC_OK);
        }
        assert_true(accepted);
    }
    assert_int_equal(sql_value(url, "SELECT count(*) FROM jobs"), 0);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM claims WHERE state IN (2, 3)"), N);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM assessments"), N);
    /* the claim is the record that stays: the database refuses to delete it or the audit */
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQexec(c, "DELETE FROM claims");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    r = PQexec(c, "UPDATE audit SET actor = 'someone else'");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    r = PQexec(c, "TRUNCATE audit");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    PQfinish(c);
    dc_store_close(s);
}

/* ---- behind an old snapshot --------------------------------------------------------------- */

/* Index entries the jobs table's indexes have handed out, as counted by the statistics of the
 * sessions that have ended, once those of the sessions that finished `jobs` jobs have arrived
 * (a session flushes its counts when its backend exits, a moment after it was closed; the rows
 * it deleted, one per finished job, come in the same flush). */
static long long jobs_index_reads_after(const char *url, long long jobs) {
    for (int tries = 0; tries < 100; tries++) {
        if (sql_value(url, "SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'jobs'") >=
            jobs)
            break;
        usleep(100 * 1000);
    }
    assert_true(
        sql_value(url, "SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'jobs'") >= jobs);
    return sql_value(url, "SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes"
                          " WHERE relname = 'jobs'");
}

/* One claim inserted, claimed and completed: the queue's whole path for one job. */
static void churn_one(dc_store *s, const dc_store_video *video) {
    dc_store_claim c;
    claim_of_video(s, video, &c);
    dc_status st = DC_STATUS_OK;
    bool got = false, accepted = false;
    dc_store_job job;
    assert_int_equal(dc_store_job_claim(s, "w", &job, &got, &st), DC_OK);
    assert_true(got);
    assert_int_equal(complete(s, &job, &accepted, &st), DC_OK);
    assert_true(accepted);
}

/* A session idle in a transaction keeps every row version deleted since it began: the jobs
 * indexes fill with entries of finished jobs that no one can remove, while the statistics count
 * only the few live rows. The planner then prices every lookup in a bloated index as dear and
 * may walk a whole small-looking index instead (the lease index for a job looked up by claim
 * id, the primary key end to end for the claimed id): thousands of dead entries per claim. The
 * queue's statements leave it no such plan: a job costs a handful of index entries however
 * long the snapshot has lasted. */
static void test_old_snapshot_index_reads(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_pg("snapshot", url, sizeof url);
    dc_store_video video;
    put_text_video(s, "one video for every claim", &video);
    PGconn *idle = PQconnectdb(url);
    assert_int_equal(PQstatus(idle), CONNECTION_OK);
    PQclear(PQexec(idle, "BEGIN ISOLATION LEVEL REPEATABLE READ"));
    PQclear(PQexec(idle, "SELECT count(*) FROM claims"));
    enum { CHURN = 1500, MEASURED = 200 };
    for (int i = 0; i < CHURN; i++) churn_one(s, &video);
    dc_store_close(s);
    /* what autovacuum's analyze does here by itself within a second or two (the table's
     * thresholds are absolute), done now so that the plans below see it */
    PGconn *side = PQconnectdb(url);
    PQclear(PQexec(side, "ANALYZE jobs"));
    PQfinish(side);
    long long before = jobs_index_reads_after(url, CHURN);
    assert_true(
        sql_value(url, "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'jobs'") >=
        CHURN);
    /* A new session's first claim scans the queued index from its start once (two dead entries
     * per finished job): 2 * CHURN / MEASURED of the figure below. */
    dc_status st = DC_STATUS_OK;
    s = dc_store_open(url, NULL, &st);
    assert_non_null(s);
    for (int i = 0; i < MEASURED; i++) churn_one(s, &video);
    dc_store_close(s);
    long long after = jobs_index_reads_after(url, CHURN + MEASURED);
    double per_job = (double)(after - before) / MEASURED;
    fprintf(stderr, "behind the snapshot, %d dead jobs: %.1f index entries read per job\n", CHURN,
            per_job);
    if (per_job >= 60) { /* which index: the plan to look at */
        PGconn *c = PQconnectdb(url);
        PGresult *r =
            PQexec(c, "SELECT indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes"
                      " WHERE relname = 'jobs' ORDER BY indexrelname");
        for (int i = 0; i < PQntuples(r); i++)
            fprintf(stderr, "  %s: %s scans, %s entries\n", PQgetvalue(r, i, 0),
                    PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
        PQclear(r);
        PQfinish(c);
    }
    assert_true(after > before);
    assert_true(per_job < 60);
    PQclear(PQexec(idle, "ROLLBACK"));
    PQfinish(idle);
}

/* ---- LISTEN/NOTIFY ------------------------------------------------------------------------- */

typedef struct {
    const char *url;
    double waited;
    bool supported;
    dc_error_class rc;
} waiter;

static void *wait_main(void *arg) {
    waiter *w = arg;
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(w->url, NULL, &st);
    if (!s) return NULL;
    dc_store_job job;
    bool got = true;
    dc_store_job_claim(s, "idle", &job, &got, &st); /* empty: the worker goes idle */
    double t0 = now_s();
    w->rc = dc_store_job_wait(s, 20.0, &w->supported, &st);
    w->waited = now_s() - t0;
    dc_store_close(s);
    return NULL;
}

static void test_notify_wakes_idle_worker(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_pg("notify", url, sizeof url);
    waiter w = {.url = url, .waited = -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_main, &w), 0);
    usleep(1500 * 1000); /* the waiter is listening by now */
    dc_store_claim c;
    new_claim(s, "wake up", &c);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, DC_OK);
    assert_true(w.supported);
    /* woken by the insert's NOTIFY, far before the 20 s timeout */
    assert_true(w.waited > 0 && w.waited < 10.0);
    dc_store_close(s);
}

/* ---- reconnect ----------------------------------------------------------------------------- */

static void test_server_restart_under_a_job(void **state) {
    (void)state;
    const char *restart = getenv("DC_TEST_PG_RESTART");
    assert_non_null(restart);
    char url[512];
    dc_store *s = open_pg("restart", url, sizeof url);
    dc_store_claim c;
    new_claim(s, "restart me", &c);
    dc_store_job job;
    bool got = false, held = false, accepted = false;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_job_claim(s, "w", &job, &got, &st), DC_OK);
    assert_true(got);
    /* immediate stop (like a crash) and start: the connection is gone */
    assert_int_equal(system(restart), 0);
    assert_int_equal(dc_store_job_heartbeat(s, &job, &held, &st), DC_OK);
    assert_true(held);
    assert_int_equal(complete(s, &job, &accepted, &st), DC_OK);
    assert_true(accepted);
    dc_store_claim after;
    bool found = false;
    assert_int_equal(dc_store_claim_get(s, c.id, &after, &found, &st), DC_OK);
    assert_true(found);
    assert_int_equal(after.state, DC_STATE_DONE);
    int64_t rows = 0, bad = -1;
    assert_int_equal(dc_store_audit_verify(s, &rows, &bad, &st), DC_OK);
    assert_int_equal(bad, 0);
    dc_store_close(s);
}

/* ---- video bytes --------------------------------------------------------------------------- */

static uint8_t pattern_byte(size_t i) { return (uint8_t)((i * 2654435761u) >> 13); }

static void test_video_streamed_in_groups(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_pg("bigvideo", url, sizeof url);
    dc_status st = DC_STATUS_OK;
    const size_t total = 5 * 1024 * 1024 + 12345, piece = 64 * 1024;
    uint8_t *buf = malloc(piece);
    assert_non_null(buf);
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    assert_non_null(w);
    bool probed = false;
    for (size_t off = 0; off < total; off += piece) {
        size_t n = total - off < piece ? total - off : piece;
        for (size_t i = 0; i < n; i++) buf[i] = pattern_byte(off + i);
        assert_int_equal(dc_store_video_write(w, buf, n, &st), DC_OK);
        if (!probed && off > 3 * 1024 * 1024) {
            /* mid-upload: groups so far are committed, and no transaction is left open while
             * the client sends the rest */
            probed = true;
            assert_int_equal(sql_value(url, "SELECT count(*) FROM pg_stat_activity WHERE state"
                                            " LIKE 'idle in transaction%'"),
                             0);
            assert_true(sql_value(url, "SELECT coalesce(sum(length(data)), 0)"
                                       " FROM pg_largeobject") >= 3 * 1024 * 1024);
        }
    }
    dc_store_video v;
    assert_int_equal(dc_store_video_commit(w, &v, &st), DC_OK);
    assert_int_equal(v.bytes, (int64_t)total);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM video_uploads"), 0);

    /* the same bytes again: stored once, the second object dropped */
    w = dc_store_video_begin(s, &st);
    for (size_t off = 0; off < total; off += piece) {
        size_t n = total - off < piece ? total - off : piece;
        for (size_t i = 0; i < n; i++) buf[i] = pattern_byte(off + i);
        assert_int_equal(dc_store_video_write(w, buf, n, &st), DC_OK);
    }
    dc_store_video v2;
    assert_int_equal(dc_store_video_commit(w, &v2, &st), DC_OK);
    assert_string_equal(v.sha256, v2.sha256);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM pg_largeobject_metadata"), 1);

    /* read back byte for byte into a scratch file */
    char path[1024];
    bool temporary = false;
    const char *tmp = getenv("DC_TEST_TMP") ? getenv("DC_TEST_TMP") : "/tmp";
    assert_int_equal(dc_store_video_fetch(s, v.sha256, tmp, path, sizeof path, &temporary, &st),
                     DC_OK);
    assert_true(temporary);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t pos = 0, n;
    while ((n = fread(buf, 1, piece, f)) > 0) {
        for (size_t i = 0; i < n; i++)
            if (buf[i] != pattern_byte(pos + i)) fail_msg("byte %zu differs", pos + i);
        pos += n;
    }
    fclose(f);
    unlink(path);
    assert_int_equal(pos, total);

    /* one damaged byte in the database: the worker's read-back refuses it */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(lo_put(oid, 4000000, '\\x00'::bytea)) FROM videos WHERE sha256 = '%s'",
             v.sha256);
    assert_int_equal(sql_value(url, sql), 1);
    st = DC_STATUS_OK;
    assert_int_equal(dc_store_video_fetch(s, v.sha256, tmp, path, sizeof path, &temporary, &st),
                     DC_ERR_RESOURCE);
    assert_non_null(strstr(st.message, "SHA-256"));
    free(buf);
    dc_store_close(s);
}

static void test_dead_upload_collected(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_pg("deadupload", url, sizeof url);
    dc_store_close(s);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        /* an upload whose process dies half-way: nothing aborts it */
        dc_status st = DC_STATUS_OK;
        dc_store *k = dc_store_open(url, NULL, &st);
        dc_store_video_writer *w = k ? dc_store_video_begin(k, &st) : NULL;
        static uint8_t mb[1 << 20];
        for (int i = 0; w && i < 3; i++) dc_store_video_write(w, mb, sizeof mb, &st);
        _exit(w ? 0 : 1);
    }
    int status = 0;
    waitpid(kid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM video_uploads"), 1);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM pg_largeobject_metadata"), 1);
    /* young: a store opening now leaves it (it may be a live upload) */
    dc_status st = DC_STATUS_OK;
    s = dc_store_open(url, NULL, &st);
    assert_non_null(s);
    dc_store_close(s);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM pg_largeobject_metadata"), 1);
    /* a day old: removed when a store opens */
    assert_int_equal(sql_value(url, "WITH u AS (UPDATE video_uploads SET started_at = now() -"
                                    " interval '2 days' RETURNING 1) SELECT count(*) FROM u"),
                     1);
    s = dc_store_open(url, NULL, &st);
    assert_non_null(s);
    dc_store_close(s);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM video_uploads"), 0);
    assert_int_equal(sql_value(url, "SELECT count(*) FROM pg_largeobject_metadata"), 0);
}

int main(void) {
    if (!test_store_is_pg()) {
        fprintf(stderr, "test_store_pg: run it under tests/store/with-pg (DC_TEST_DB=pg)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations_race),
        cmocka_unit_test(test_finished_jobs_leave_hot_table),
        cmocka_unit_test(test_old_snapshot_index_reads),
        cmocka_unit_test(test_notify_wakes_idle_worker),
        cmocka_unit_test(test_server_restart_under_a_job),
        cmocka_unit_test(test_video_streamed_in_groups),
        cmocka_unit_test(test_dead_upload_collected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
