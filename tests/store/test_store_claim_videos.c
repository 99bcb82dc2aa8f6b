/* A claim of several videos in the store (include/dashclaim/store.h), on whichever backend the
 * run asks for (store_test_util.h): a claim inserted with a front and a rear video keeps both
 * with their roles, one audit row each and the bytes stored once; an open claim takes videos
 * one call at a time and is not run until submitted; a 33rd video is refused; the incident's
 * time and place reach the worker's job; a store of schema 2 is migrated (its claims become
 * one video each). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "dashclaim/store.h"
#include "store/store_test_util.h"

static dc_store *open_store(const char *name, char *url, size_t size) {
    dc_store_options o;
    dc_store_options_init(&o);
    dc_store *s = test_store_open(name, &o, url, size);
    assert_non_null(s);
    return s;
}

static void put_video(dc_store *s, const char *text, dc_store_claim_video *v, dc_video_role role,
                      const char *file_name) {
    memset(v, 0, sizeof *v);
    dc_status st = DC_STATUS_OK;
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    assert_non_null(w);
    assert_int_equal(dc_store_video_write(w, text, strlen(text), &st), DC_OK);
    assert_int_equal(dc_store_video_commit(w, &v->video, &st), DC_OK);
    strcpy(v->content_type, "video/mp4");
    snprintf(v->file_name, sizeof v->file_name, "%s", file_name);
    v->role = role;
    v->segment = -1;
}

/* Audit rows of the claim that name this video. */
static int rows_naming(dc_store *s, const char *claim_id, const char *sha) {
    static dc_audit_row rows[80];
    int n = 0, hits = 0;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_list(s, claim_id, 0, rows, 80, &n, &st), DC_OK);
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].video_sha256, sha)) hits++;
    return hits;
}

static void expect_intact(dc_store *s) {
    dc_audit_report rep;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_check(s, NULL, NULL, &rep, &st), DC_OK);
    if (rep.finding != DC_AUDIT_INTACT) fprintf(stderr, "audit: %s\n", rep.message);
    assert_int_equal(rep.finding, DC_AUDIT_INTACT);
}

static void test_front_and_rear(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("two", url, sizeof url);
    static dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    strcpy(nc.uploader, "alice");
    strcpy(nc.fields.incident_time, "2026-03-14T09:26:00Z");
    strcpy(nc.fields.incident_place, "48.8566, 2.3522");
    put_video(s, "front bytes", &nc.videos[0], DC_ROLE_FRONT, "20260314_092656_NF.mp4");
    put_video(s, "rear bytes", &nc.videos[1], DC_ROLE_REAR, "20260314_092656_NR.mp4");
    nc.videos[1].segment = 7;
    nc.video_count = 2;
    dc_store_claim c;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, &st), DC_OK);
    assert_int_equal(c.video_count, 2);
    assert_int_equal(c.state, DC_STATE_QUEUED);
    assert_string_equal(c.video_sha256, nc.videos[0].video.sha256);
    assert_string_equal(c.fields.incident_place, "48.8566, 2.3522");

    dc_store_claim_video rows[DC_MAX_CLAIM_VIDEOS];
    int n = 0;
    assert_int_equal(dc_store_claim_videos(s, c.id, rows, DC_MAX_CLAIM_VIDEOS, &n, &st), DC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].role, DC_ROLE_FRONT);
    assert_int_equal(rows[1].role, DC_ROLE_REAR);
    assert_int_equal(rows[1].segment, 7);
    assert_string_equal(rows[1].file_name, "20260314_092656_NR.mp4");
    assert_string_equal(rows[1].video.sha256, nc.videos[1].video.sha256);
    /* one audit row per video */
    assert_int_equal(rows_naming(s, c.id, rows[0].video.sha256), 1);
    assert_int_equal(rows_naming(s, c.id, rows[1].video.sha256), 1);

    /* the same rear bytes in another claim are stored once: still one file, two claims */
    static dc_store_new_claim again;
    memset(&again, 0, sizeof again);
    strcpy(again.uploader, "alice");
    put_video(s, "rear bytes", &again.videos[0], DC_ROLE_REAR, "");
    again.video_count = 1;
    assert_string_equal(again.videos[0].video.sha256, rows[1].video.sha256);
    dc_store_claim c2;
    assert_int_equal(dc_store_claim_insert(s, &again, &c2, NULL, &st), DC_OK);
    /* ... and discarding them keeps them: a claim names them */
    assert_int_equal(dc_store_video_discard(s, rows[1].video.sha256, &st), DC_OK);
    dc_store_video_reader *rd = NULL;
    assert_int_equal(dc_store_video_open(s, rows[1].video.sha256, &rd, &st), DC_OK);
    assert_non_null(rd);
    dc_store_video_close(rd);

    /* the worker's job carries the incident's time and place */
    dc_store_job job;
    bool got = false;
    assert_int_equal(dc_store_job_claim(s, "w1", &job, &got, &st), DC_OK);
    assert_true(got);
    assert_string_equal(job.claim_id, c.id);
    assert_string_equal(job.fields.incident_time, "2026-03-14T09:26:00Z");
    assert_string_equal(job.fields.incident_place, "48.8566, 2.3522");
    expect_intact(s);
    dc_store_close(s);
}

static void test_open_add_submit(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("open", url, sizeof url);
    static dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    strcpy(nc.uploader, "bob");
    nc.open = true;
    dc_store_claim c;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, &st), DC_OK);
    assert_int_equal(c.state, DC_STATE_OPEN);
    assert_int_equal(c.video_count, 0);
    /* nothing to submit yet */
    dc_store_claim after;
    assert_int_equal(dc_store_claim_submit(s, c.id, "bob", &after, &st), DC_ERR_INPUT);

    dc_store_claim_video front, rear;
    put_video(s, "open front", &front, DC_ROLE_FRONT, "front.mp4");
    put_video(s, "open rear", &rear, DC_ROLE_REAR, "rear.mp4");
    int pos = -1;
    assert_int_equal(dc_store_claim_video_add(s, c.id, &front, "bob", &pos, &st), DC_OK);
    assert_int_equal(pos, 0);
    assert_int_equal(dc_store_claim_video_add(s, c.id, &rear, "bob", &pos, &st), DC_OK);
    assert_int_equal(pos, 1);
    assert_int_equal(rows_naming(s, c.id, front.video.sha256), 1);
    assert_int_equal(rows_naming(s, c.id, rear.video.sha256), 1);

    /* an open claim is never run */
    dc_store_job job;
    bool got = true;
    assert_int_equal(dc_store_job_claim(s, "w1", &job, &got, &st), DC_OK);
    assert_false(got);
    int64_t counts[DC_STATE_COUNT];
    assert_int_equal(dc_store_claim_counts(s, counts, &st), DC_OK);
    assert_int_equal(counts[DC_STATE_OPEN], 1);
    assert_int_equal(counts[DC_STATE_QUEUED], 0);

    assert_int_equal(dc_store_claim_submit(s, c.id, "bob", &after, &st), DC_OK);
    assert_int_equal(after.state, DC_STATE_QUEUED);
    assert_int_equal(after.video_count, 2);
    assert_string_equal(after.video_sha256, front.video.sha256);
    /* a second submit changes nothing; a video after it is refused */
    assert_int_equal(dc_store_claim_submit(s, c.id, "bob", &after, &st), DC_OK);
    assert_int_equal(after.state, DC_STATE_QUEUED);
    assert_int_equal(dc_store_claim_video_add(s, c.id, &rear, "bob", &pos, &st), DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "open claim only"));

    assert_int_equal(dc_store_job_claim(s, "w1", &job, &got, &st), DC_OK);
    assert_true(got);
    assert_string_equal(job.claim_id, c.id);
    assert_string_equal(job.video_sha256, front.video.sha256);
    expect_intact(s);
    dc_store_close(s);
}

static void test_thirty_three_refused(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("limit", url, sizeof url);
    static dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    strcpy(nc.uploader, "carol");
    dc_store_claim_video v;
    put_video(s, "a segment", &v, DC_ROLE_FRONT, "");
    for (int i = 0; i < DC_MAX_CLAIM_VIDEOS; i++) nc.videos[i] = v;
    nc.video_count = DC_MAX_CLAIM_VIDEOS + 1;
    dc_store_claim c;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, &st), DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "32"));
    /* an open claim takes 32 and refuses the 33rd */
    nc.video_count = 0;
    nc.open = true;
    assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, &st), DC_OK);
    for (int i = 0; i < DC_MAX_CLAIM_VIDEOS; i++)
        assert_int_equal(dc_store_claim_video_add(s, c.id, &v, "carol", NULL, &st), DC_OK);
    assert_int_equal(dc_store_claim_video_add(s, c.id, &v, "carol", NULL, &st), DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "32 videos"));
    dc_store_close(s);
}

/* Makes the store at url look as schema 2 left it: no claim_videos, no incident columns. */
static void back_to_v2(const char *url) {
    if (test_store_is_pg()) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "psql -q '%s' -c 'DROP TABLE claim_videos; ALTER TABLE claims DROP COLUMN "
                 "incident_time, DROP COLUMN incident_place, ALTER COLUMN video_sha256 SET NOT "
                 "NULL; DELETE FROM schema_migrations WHERE version = 3' >/dev/null",
                 url);
        assert_int_equal(system(cmd), 0);
        return;
    }
    char path[700];
    snprintf(path, sizeof path, "%s/dashclaim.db", url);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db,
                          "DROP TABLE claim_videos; ALTER TABLE claims DROP COLUMN incident_time;"
                          "ALTER TABLE claims DROP COLUMN incident_place;"
                          "PRAGMA user_version = 2;",
                          NULL, NULL, &err);
    if (rc != SQLITE_OK) fprintf(stderr, "sqlite: %s\n", err);
    sqlite3_free(err);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);
}

static void test_migration_from_v2(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("migrate", url, sizeof url);
    static dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    strcpy(nc.uploader, "dave");
    dc_store_claim_video v;
    put_video(s, "one old video", &v, DC_ROLE_UNKNOWN, "");
    nc.video = v.video; /* the one-video form of before */
    strcpy(nc.content_type, "video/mp4");
    dc_store_claim c;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, &st), DC_OK);
    dc_store_close(s);
    back_to_v2(url);

    s = dc_store_open(url, NULL, &st);
    assert_non_null(s);
    dc_store_claim got;
    bool found = false;
    assert_int_equal(dc_store_claim_get(s, c.id, &got, &found, &st), DC_OK);
    assert_true(found);
    assert_int_equal(got.video_count, 1);
    assert_string_equal(got.fields.incident_time, "");
    dc_store_claim_video rows[2];
    int n = 0;
    assert_int_equal(dc_store_claim_videos(s, c.id, rows, 2, &n, &st), DC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].video.sha256, v.video.sha256);
    assert_int_equal(rows[0].video.bytes, v.video.bytes);
    assert_int_equal(rows[0].role, DC_ROLE_UNKNOWN);
    assert_int_equal(rows[0].segment, -1);
    /* the migrated claim runs as before */
    dc_store_job job;
    bool taken = false;
    assert_int_equal(dc_store_job_claim(s, "w1", &job, &taken, &st), DC_OK);
    assert_true(taken);
    assert_string_equal(job.video_sha256, v.video.sha256);
    expect_intact(s);
    dc_store_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_front_and_rear),
        cmocka_unit_test(test_open_add_submit),
        cmocka_unit_test(test_thirty_three_refused),
        cmocka_unit_test(test_migration_from_v2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
