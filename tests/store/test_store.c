/* The store's contract (include/dashclaim/store.h), on whichever backend the run asks for
 * (store_test_util.h): videos in and out by hash, claims with idempotency keys, the queue's
 * leases, attempt fencing, attempt limits and release, results written once, reviews with
 * overrides, the audit chain, and keys. Each test would fail if its feature were removed: e.g.
 * the fencing test completes a job with a stale attempt and expects the refusal. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "dashclaim/store.h"
#include "store/store_test_util.h"

static dc_store *open_store(const char *name, int lease_sec, int max_attempts, char *url,
                            size_t size) {
    dc_store_options o;
    dc_store_options_init(&o);
    if (lease_sec) o.lease_sec = lease_sec;
    if (max_attempts) o.max_attempts = max_attempts;
    o.retry_delay_sec = 0;
    dc_store *s = test_store_open(name, &o, url, size);
    assert_non_null(s);
    return s;
}

static void put_video(dc_store *s, const char *text, dc_store_video *v) {
    dc_status st = DC_STATUS_OK;
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    assert_non_null(w);
    /* in two pieces: the hash must cover the whole stream, not the last write */
    size_t n = strlen(text), half = n / 2;
    assert_int_equal(dc_store_video_write(w, text, half, &st), DC_OK);
    assert_int_equal(dc_store_video_write(w, text + half, n - half, &st), DC_OK);
    assert_int_equal(dc_store_video_written(w), (int64_t)n);
    assert_int_equal(dc_store_video_commit(w, v, &st), DC_OK);
}

static void new_claim(dc_store *s, const char *uploader, const char *video_text, const char *idem,
                      dc_store_claim *c, bool *existed) {
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    put_video(s, video_text, &nc.video);
    strcpy(nc.content_type, "video/mp4");
    strcpy(nc.uploader, uploader);
    if (idem) strcpy(nc.idempotency_key, idem);
    strcpy(nc.fields.policy_id, "POL-1");
    strcpy(nc.fields.plate, "AB-123");
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_insert(s, &nc, c, existed, &st), DC_OK);
}

/* A finished assessment for the job, with the given priority. */
static dc_error_class complete_job(dc_store *s, const dc_store_job *job, dc_review_priority prio,
                                   bool failed, bool *accepted) {
    dc_assessment *a = calloc(1, sizeof *a);
    dc_assessment_init(a);
    snprintf(a->claim_id, sizeof a->claim_id, "%s", job->claim_id);
    snprintf(a->video.sha256, sizeof a->video.sha256, "%s", job->video_sha256);
    snprintf(a->engine.name, sizeof a->engine.name, "signals");
    if (failed) {
        dc_status fst = {.code = DC_ERR_INPUT};
        snprintf(fst.message, sizeof fst.message, "not a video");
        dc_assessment_fail(a, &fst);
    } else {
        a->severity = DC_SEVERITY_HIGH;
    }
    dc_claim_decide(a, NULL, NULL);
    if (!failed) { /* after the rules, so that the review test knows the "before" values */
        a->fault_has_ratio = true;
        a->fault_ratio = 70;
        a->fraud_score = 0.25;
    }
    a->review_priority = prio;
    char *json = dc_assessment_to_json(a, 0);
    static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xd9};
    const uint8_t *frames[] = {jpeg};
    size_t lens[] = {sizeof jpeg};
    dc_store_result r = {.assessment = a,
                         .assessment_json = json,
                         .report_html = "<html>report</html>",
                         .report_html_len = 19,
                         .frame_count = 1,
                         .frames_jpeg = frames,
                         .frames_jpeg_len = lens};
    dc_status st = DC_STATUS_OK;
    dc_error_class rc = dc_store_job_complete(s, job, &r, accepted, &st);
    free(json);
    free(a);
    return rc;
}

static void claim_one(dc_store *s, const char *worker, dc_store_job *job) {
    bool got = false;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_job_claim(s, worker, job, &got, &st), DC_OK);
    assert_true(got);
}

static void get_claim(dc_store *s, const char *id, dc_store_claim *c) {
    bool found = false;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_get(s, id, c, &found, &st), DC_OK);
    assert_true(found);
}

static void verify_chain(dc_store *s) {
    int64_t rows = 0, bad = -1;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_verify(s, &rows, &bad, &st), DC_OK);
    assert_true(rows > 0);
    assert_int_equal(bad, 0);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_video_round_trip(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("video", 0, 0, url, sizeof url);
    dc_store_video v, v2;
    put_video(s, "abc", &v);
    /* SHA-256("abc") */
    assert_string_equal(v.sha256,
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(v.bytes, 3);
    put_video(s, "abc", &v2); /* the same bytes again: same name, still readable */
    assert_string_equal(v.sha256, v2.sha256);

    dc_status st = DC_STATUS_OK;
    dc_store_video_reader *r = NULL;
    assert_int_equal(dc_store_video_open(s, v.sha256, &r, &st), DC_OK);
    assert_non_null(r);
    assert_int_equal(dc_store_video_size(r), 3);
    char buf[8] = {0};
    size_t n = 0;
    assert_int_equal(dc_store_video_read(r, 1, buf, sizeof buf, &n, &st), DC_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "bc", 2);
    assert_int_equal(dc_store_video_read(r, 3, buf, sizeof buf, &n, &st), DC_OK);
    assert_int_equal(n, 0);
    dc_store_video_close(r);

    char path[1024];
    bool temporary = true;
    assert_int_equal(dc_store_video_fetch(s, v.sha256, "/tmp", path, sizeof path, &temporary, &st),
                     DC_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, sizeof buf, f), 3);
    fclose(f);
    if (temporary) unlink(path);

    /* an aborted upload leaves nothing, and an unknown hash is simply not there */
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    assert_int_equal(dc_store_video_write(w, "zzz", 3, &st), DC_OK);
    dc_store_video_abort(w);
    assert_int_equal(dc_store_video_open(s,
                                         "00000000000000000000000000000000000000000000000000000000"
                                         "00000000",
                                         &r, &st),
                     DC_OK);
    assert_null(r);
    assert_int_equal(dc_store_video_open(s, "../../etc/passwd", &r, &st), DC_OK);
    assert_null(r);
    dc_store_close(s);
}

static void test_idempotency(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("idem", 0, 0, url, sizeof url);
    dc_store_claim a, b, c;
    bool ex = true;
    new_claim(s, "alice", "video-1", "key-1", &a, &ex);
    assert_false(ex);
    assert_int_equal(a.state, DC_STATE_QUEUED);
    assert_int_equal(strlen(a.id), 36);
    new_claim(s, "alice", "video-1", "key-1", &b, &ex);
    assert_true(ex);
    assert_string_equal(a.id, b.id);
    /* the key is scoped to its uploader */
    new_claim(s, "bob", "video-1", "key-1", &c, &ex);
    assert_false(ex);
    assert_string_not_equal(a.id, c.id);
    /* no key: every upload is a claim of its own, even of the same bytes */
    new_claim(s, "alice", "video-1", NULL, &b, &ex);
    assert_false(ex);
    assert_string_not_equal(a.id, b.id);
    int64_t counts[DC_STATE_COUNT];
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_counts(s, counts, &st), DC_OK);
    assert_int_equal(counts[DC_STATE_QUEUED], 3);

    /* a claim whose video was never stored is refused */
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    memset(nc.video.sha256, 'a', 64);
    strcpy(nc.uploader, "alice");
    assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, &st), DC_ERR_INPUT);
    dc_store_close(s);
}

static void test_queue_happy_path(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("queue", 0, 0, url, sizeof url);
    dc_store_claim c;
    new_claim(s, "alice", "video-q", NULL, &c, NULL);
    dc_store_job job;
    claim_one(s, "w1", &job);
    assert_string_equal(job.claim_id, c.id);
    assert_int_equal(job.attempt, 1);
    assert_int_equal(job.charged, 1);
    assert_string_equal(job.fields.policy_id, "POL-1");
    assert_string_equal(job.video_sha256, c.video_sha256);
    dc_store_claim now;
    get_claim(s, c.id, &now);
    assert_int_equal(now.state, DC_STATE_RUNNING);

    /* nothing else to claim */
    bool got = true, held = false, accepted = false;
    dc_status st = DC_STATUS_OK;
    dc_store_job other;
    assert_int_equal(dc_store_job_claim(s, "w2", &other, &got, &st), DC_OK);
    assert_false(got);
    int64_t before = job.lease_until_ms;
    usleep(5000);
    assert_int_equal(dc_store_job_heartbeat(s, &job, &held, &st), DC_OK);
    assert_true(held);
    assert_true(job.lease_until_ms > before);

    assert_int_equal(complete_job(s, &job, DC_PRIORITY_URGENT, false, &accepted), DC_OK);
    assert_true(accepted);
    get_claim(s, c.id, &now);
    assert_int_equal(now.state, DC_STATE_DONE);
    assert_int_equal(now.review_priority, DC_PRIORITY_URGENT);
    assert_int_equal(now.severity, DC_SEVERITY_HIGH);
    assert_int_equal(now.attempts, 1);

    char *json = NULL;
    assert_int_equal(dc_store_assessment_get(s, c.id, &json, &st), DC_OK);
    assert_non_null(json);
    assert_non_null(strstr(json, "dashclaim.assessment/1"));
    free(json);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(dc_store_artifact_get(s, c.id, "frame-0.jpg", &data, &len, &st), DC_OK);
    assert_int_equal(len, 4);
    assert_int_equal(data[0], 0xff);
    free(data);
    assert_int_equal(dc_store_artifact_get(s, c.id, "report.html", &data, &len, &st), DC_OK);
    assert_int_equal(len, 19);
    free(data);

    /* done is final: a second completion, heartbeat or release of the same attempt is refused */
    assert_int_equal(complete_job(s, &job, DC_PRIORITY_LOW, false, &accepted), DC_OK);
    assert_false(accepted);
    assert_int_equal(dc_store_job_heartbeat(s, &job, &held, &st), DC_OK);
    assert_false(held);
    assert_int_equal(dc_store_job_release(s, &job, &accepted, &st), DC_OK);
    assert_false(accepted);
    get_claim(s, c.id, &now);
    assert_int_equal(now.state, DC_STATE_DONE);
    assert_int_equal(now.review_priority, DC_PRIORITY_URGENT);
    verify_chain(s);
    dc_store_close(s);
}

static void test_lease_expiry_and_fencing(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("fence", 1, 3, url, sizeof url);
    dc_store_claim c;
    new_claim(s, "alice", "video-f", NULL, &c, NULL);
    dc_store_job a, b;
    claim_one(s, "dead-worker", &a);
    usleep(1200 * 1000); /* the lease (1 s) passes without a heartbeat */
    claim_one(s, "live-worker", &b);
    assert_string_equal(a.claim_id, b.claim_id);
    assert_int_equal(b.attempt, 2);
    assert_int_equal(b.charged, 2);

    bool held = true, accepted = true;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_job_heartbeat(s, &a, &held, &st), DC_OK);
    assert_false(held);
    assert_int_equal(complete_job(s, &a, DC_PRIORITY_LOW, false, &accepted), DC_OK);
    assert_false(accepted); /* the stale attempt writes nothing */
    char *json = NULL;
    assert_int_equal(dc_store_assessment_get(s, c.id, &json, &st), DC_OK);
    assert_null(json);
    assert_int_equal(complete_job(s, &b, DC_PRIORITY_STANDARD, false, &accepted), DC_OK);
    assert_true(accepted);
    dc_store_claim now;
    get_claim(s, c.id, &now);
    assert_int_equal(now.state, DC_STATE_DONE);
    assert_int_equal(now.attempts, 2);
    assert_int_equal(now.review_priority, DC_PRIORITY_STANDARD);
    dc_store_close(s);
}

static void test_attempts_run_out(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("attempts", 1, 2, url, sizeof url);
    dc_store_claim c;
    new_claim(s, "alice", "video-poison", NULL, &c, NULL);
    dc_store_job j;
    claim_one(s, "w", &j);
    usleep(1200 * 1000);
    claim_one(s, "w", &j);
    assert_int_equal(j.attempt, 2);
    usleep(1200 * 1000);
    int requeued = -1, failed = -1;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_jobs_rescue(s, &requeued, &failed, &st), DC_OK);
    assert_int_equal(requeued, 0);
    assert_int_equal(failed, 1);
    dc_store_claim now;
    get_claim(s, c.id, &now);
    assert_int_equal(now.state, DC_STATE_FAILED);
    assert_int_equal(now.error_class, DC_ERR_INTERNAL);
    assert_int_equal(now.attempts, 2);
    assert_non_null(strstr(now.error_message, "expired 2 times"));
    char *json = NULL;
    assert_int_equal(dc_store_assessment_get(s, c.id, &json, &st), DC_OK);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"failed\""));
    free(json);
    bool got = true;
    assert_int_equal(dc_store_job_claim(s, "w", &j, &got, &st), DC_OK);
    assert_false(got); /* it never loops */
    verify_chain(s);
    dc_store_close(s);
}

static void test_fail_and_release(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("fail", 0, 2, url, sizeof url);
    dc_store_claim c1, c2;
    new_claim(s, "alice", "video-retry", NULL, &c1, NULL);
    dc_store_job j;
    bool accepted = false;
    dc_status st = DC_STATUS_OK;
    /* release gives the attempt back: three releases do not use up two attempts */
    for (int i = 0; i < 3; i++) {
        claim_one(s, "w", &j);
        assert_int_equal(j.charged, 1);
        assert_int_equal(dc_store_job_release(s, &j, &accepted, &st), DC_OK);
        assert_true(accepted);
    }
    dc_store_claim now;
    get_claim(s, c1.id, &now);
    assert_int_equal(now.state, DC_STATE_QUEUED);
    assert_int_equal(now.attempts, 0);
    /* a retryable failure queues it again while attempts are left, then fails it for good */
    claim_one(s, "w", &j);
    assert_int_equal(j.attempt, 4); /* the fence still grew */
    assert_int_equal(
        dc_store_job_fail(s, &j, DC_ERR_RESOURCE, "out of memory", true, &accepted, &st), DC_OK);
    assert_true(accepted);
    get_claim(s, c1.id, &now);
    assert_int_equal(now.state, DC_STATE_QUEUED);
    claim_one(s, "w", &j);
    assert_int_equal(j.charged, 2);
    assert_int_equal(
        dc_store_job_fail(s, &j, DC_ERR_RESOURCE, "out of memory again", true, &accepted, &st),
        DC_OK);
    get_claim(s, c1.id, &now);
    assert_int_equal(now.state, DC_STATE_FAILED);
    assert_int_equal(now.error_class, DC_ERR_RESOURCE);
    assert_string_equal(now.error_message, "out of memory again");

    /* a failed assessment (bad input) ends the claim failed with class input at once */
    new_claim(s, "alice", "not a video", NULL, &c2, NULL);
    claim_one(s, "w", &j);
    assert_int_equal(complete_job(s, &j, DC_PRIORITY_STANDARD, true, &accepted), DC_OK);
    assert_true(accepted);
    get_claim(s, c2.id, &now);
    assert_int_equal(now.state, DC_STATE_FAILED);
    assert_int_equal(now.error_class, DC_ERR_INPUT);
    assert_int_equal(now.severity, -1);
    verify_chain(s);
    dc_store_close(s);
}

static void test_list_order_filter_paging(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("list", 0, 0, url, sizeof url);
    /* 12 claims; finish 9 of them with priorities cycling LOW, STANDARD, URGENT */
    char ids[12][DC_STORE_ID_LEN];
    for (int i = 0; i < 12; i++) {
        char text[32];
        snprintf(text, sizeof text, "video-%d", i);
        dc_store_claim c;
        new_claim(s, i % 2 ? "alice" : "bob", text, NULL, &c, NULL);
        strcpy(ids[i], c.id);
        usleep(2000); /* distinct ages */
    }
    for (int i = 0; i < 9; i++) {
        dc_store_job j;
        bool accepted = false;
        claim_one(s, "w", &j);
        assert_string_equal(j.claim_id, ids[i]); /* oldest first */
        assert_int_equal(complete_job(s, &j, (dc_review_priority)(i % 3), false, &accepted), DC_OK);
    }
    /* all rows, pages of 2: priority desc, then age; every row exactly once */
    dc_store_claim rows[2];
    char cursor[DC_STORE_CURSOR_LEN] = "";
    char seen[12][DC_STORE_ID_LEN];
    int total = 0, last_prio = 99;
    dc_status st = DC_STATUS_OK;
    for (;;) {
        dc_store_claim_filter f = {.state = -1, .priority = -1, .cursor = cursor, .limit = 2};
        int n = 0;
        char next[DC_STORE_CURSOR_LEN];
        assert_int_equal(dc_store_claims_list(s, &f, rows, &n, next, &st), DC_OK);
        for (int i = 0; i < n; i++) {
            assert_true(rows[i].review_priority <= last_prio);
            last_prio = rows[i].review_priority;
            strcpy(seen[total++], rows[i].id);
        }
        if (!next[0]) break;
        strcpy(cursor, next);
    }
    assert_int_equal(total, 12);
    assert_string_equal(seen[0], ids[2]); /* the oldest URGENT */
    assert_string_equal(seen[1], ids[5]);
    assert_string_equal(seen[2], ids[8]);
    assert_string_equal(seen[9], ids[9]); /* then those without an assessment, oldest first */
    /* filtered before paging: the 3 URGENT claims fit a page of 3 with no next page */
    dc_store_claim urgent[3];
    dc_store_claim_filter f = {.state = DC_STATE_DONE, .priority = DC_PRIORITY_URGENT, .limit = 3};
    int n = 0;
    char next[DC_STORE_CURSOR_LEN];
    assert_int_equal(dc_store_claims_list(s, &f, urgent, &n, next, &st), DC_OK);
    assert_int_equal(n, 3);
    assert_string_equal(next, "");
    /* by uploader */
    dc_store_claim mine[12];
    dc_store_claim_filter g = {.state = -1, .priority = -1, .uploader = "alice", .limit = 12};
    assert_int_equal(dc_store_claims_list(s, &g, mine, &n, next, &st), DC_OK);
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++) assert_string_equal(mine[i].uploader, "alice");
    dc_store_claim_filter bad = {.state = -1, .priority = -1, .cursor = "1.x.y", .limit = 2};
    assert_int_equal(dc_store_claims_list(s, &bad, rows, &n, next, &st), DC_ERR_INPUT);
    dc_store_close(s);
}

static void test_review_and_audit(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("review", 0, 0, url, sizeof url);
    dc_store_claim c;
    new_claim(s, "alice", "video-r", NULL, &c, NULL);
    dc_store_review r;
    memset(&r, 0, sizeof r);
    r.decision = DC_DECISION_APPROVE;
    dc_status st = DC_STATUS_OK;
    /* not finished yet */
    assert_int_equal(dc_store_review_add(s, c.id, &r, "rita", &st), DC_ERR_INPUT);
    dc_store_job j;
    bool accepted;
    claim_one(s, "w", &j);
    assert_int_equal(complete_job(s, &j, DC_PRIORITY_STANDARD, false, &accepted), DC_OK);
    r.decision = DC_DECISION_REJECT;
    r.has_fault_ratio = true;
    r.fault_ratio = 0; /* 0 is a real override */
    r.has_fraud_flag = true;
    r.fraud_flag = true;
    strcpy(r.reasoning, "the other car reversed into ours");
    assert_int_equal(dc_store_review_add(s, c.id, &r, "rita", &st), DC_OK);
    r.fault_ratio = 101;
    assert_int_equal(dc_store_review_add(s, c.id, &r, "rita", &st), DC_ERR_INPUT);

    dc_store_claim now;
    get_claim(s, c.id, &now);
    assert_string_equal(now.last_decision, "REJECT");

    dc_audit_row rows[16];
    int n = 0;
    assert_int_equal(dc_store_audit_list(s, c.id, 0, rows, 16, &n, &st), DC_OK);
    assert_int_equal(n, 5);
    assert_string_equal(rows[0].action, "claim.created");
    assert_string_equal(rows[0].actor, "alice");
    assert_string_equal(rows[1].action, "assessment");
    assert_string_equal(rows[1].actor, "worker:w");
    assert_string_equal(rows[1].model, "signals");
    assert_string_equal(rows[1].rules_version, DC_RULES_VERSION);
    assert_string_equal(rows[1].video_sha256, c.video_sha256);
    assert_string_equal(rows[2].action, "review");
    assert_string_equal(rows[2].actor, "rita");
    assert_string_equal(rows[2].reason, "the other car reversed into ours");
    assert_string_equal(rows[3].action, "override.fault_ratio");
    assert_string_equal(rows[3].before, "{\"fault_ratio\":70}");
    assert_string_equal(rows[3].after, "{\"fault_ratio\":0}");
    assert_string_equal(rows[4].action, "override.fraud_flag");
    assert_string_equal(rows[4].after, "{\"fraud_flag\":true}");
    for (int i = 1; i < n; i++) assert_string_equal(rows[i].prev_hash, rows[i - 1].hash);
    verify_chain(s);

    /* an event from outside the store joins the same chain */
    dc_audit_row e;
    memset(&e, 0, sizeof e);
    strcpy(e.actor, "admin-cli");
    strcpy(e.action, "note");
    strcpy(e.reason, "checked by hand");
    assert_int_equal(dc_store_audit_append(s, &e, &st), DC_OK);
    verify_chain(s);
    dc_store_close(s);
}

static void test_keys(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("keys", 0, 0, url, sizeof url);
    char key[DC_KEY_LEN], key2[DC_KEY_LEN];
    dc_store_key info, found_key;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_key_add(s, "rita", DC_ROLE_REVIEWER, key, &info, &st), DC_OK);
    assert_int_equal(strlen(key), 57);
    assert_int_equal(strncmp(key, "dck_", 4), 0);
    assert_int_equal(dc_store_key_add(s, "rita", DC_ROLE_ADMIN, key2, NULL, &st), DC_ERR_INPUT);
    assert_int_equal(dc_store_key_add(s, "ulla", DC_ROLE_UPLOADER, key2, NULL, &st), DC_OK);
    bool found = false;
    assert_int_equal(dc_store_key_lookup(s, key, &found_key, &found, &st), DC_OK);
    assert_true(found);
    assert_string_equal(found_key.name, "rita");
    assert_int_equal(found_key.role, DC_ROLE_REVIEWER);
    /* right id, wrong secret */
    char wrong[DC_KEY_LEN];
    strcpy(wrong, key);
    wrong[40] = wrong[40] == 'a' ? 'b' : 'a';
    assert_int_equal(dc_store_key_lookup(s, wrong, &found_key, &found, &st), DC_OK);
    assert_false(found);
    assert_int_equal(dc_store_key_lookup(s, "Bearer nonsense", &found_key, &found, &st), DC_OK);
    assert_false(found);
    dc_store_key list[8];
    int n = 0;
    assert_int_equal(dc_store_key_list(s, list, 8, &n, &st), DC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(dc_store_key_revoke(s, "rita", &st), DC_OK);
    assert_int_equal(dc_store_key_lookup(s, key, &found_key, &found, &st), DC_OK);
    assert_false(found);
    assert_int_equal(dc_store_key_revoke(s, "rita", &st), DC_ERR_INPUT);
    /* revoked by id: ulla's, wherever the listing put it (two keys made in the same instant
     * have no defined order) */
    int ulla = !strcmp(list[0].name, "ulla") ? 0 : 1;
    assert_string_equal(list[ulla].name, "ulla");
    assert_int_equal(dc_store_key_revoke(s, list[ulla].id, &st), DC_OK);
    /* the name is free again after revocation */
    assert_int_equal(dc_store_key_add(s, "rita", DC_ROLE_REVIEWER, key, NULL, &st), DC_OK);
    dc_audit_row rows[8];
    assert_int_equal(dc_store_audit_list(s, NULL, 0, rows, 8, &n, &st), DC_OK);
    assert_int_equal(n, 5);                                                 /* 3 added, 2 revoked */
    for (int i = 0; i < n; i++) assert_null(strstr(rows[i].after, "dck_")); /* no key in a log */
    verify_chain(s);
    dc_store_close(s);
}

/* Four connections claim and complete 200 jobs at once: each is done exactly once. */
typedef struct {
    const char *url;
    int done;
    int worker;
} racer;

static void *race(void *arg) {
    racer *r = arg;
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(r->url, NULL, &st);
    if (!s) return NULL;
    char name[32];
    snprintf(name, sizeof name, "racer-%d", r->worker);
    for (;;) {
        dc_store_job j;
        bool got = false, accepted = false;
        if (dc_store_job_claim(s, name, &j, &got, &st) != DC_OK || !got) break;
        if (complete_job(s, &j, DC_PRIORITY_LOW, false, &accepted) == DC_OK && accepted) r->done++;
    }
    dc_store_close(s);
    return NULL;
}

static void test_concurrent_claimers(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("race", 0, 0, url, sizeof url);
    for (int i = 0; i < 200; i++) {
        char text[32];
        snprintf(text, sizeof text, "race-%d", i);
        dc_store_claim c;
        new_claim(s, "alice", text, NULL, &c, NULL);
    }
    racer rs[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        rs[i] = (racer){.url = url, .worker = i};
        pthread_create(&t[i], NULL, race, &rs[i]);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += rs[i].done;
    }
    assert_int_equal(total, 200);
    int64_t counts[DC_STATE_COUNT];
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_counts(s, counts, &st), DC_OK);
    assert_int_equal(counts[DC_STATE_DONE], 200);
    assert_int_equal(counts[DC_STATE_QUEUED] + counts[DC_STATE_RUNNING], 0);
    verify_chain(s);
    dc_store_close(s);
}

static void test_bad_urls(void **state) {
    (void)state;
    dc_status st = DC_STATUS_OK;
    assert_null(dc_store_open("ftp://example/db", NULL, &st));
    assert_int_equal(st.code, DC_ERR_INPUT);
    assert_null(dc_store_open("", NULL, &st));
    assert_null(dc_store_open("/proc/no-such/dir", NULL, &st));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_video_round_trip),
        cmocka_unit_test(test_idempotency),
        cmocka_unit_test(test_queue_happy_path),
        cmocka_unit_test(test_lease_expiry_and_fencing),
        cmocka_unit_test(test_attempts_run_out),
        cmocka_unit_test(test_fail_and_release),
        cmocka_unit_test(test_list_order_filter_paging),
        cmocka_unit_test(test_review_and_audit),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_concurrent_claimers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
