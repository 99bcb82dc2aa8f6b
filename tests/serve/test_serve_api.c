/* The HTTP API end to end, in process: a real server on a free port with one worker (signals
 * engine) on a fresh store, driven over TCP like any client.
 *   - every route's 401 (no key, unknown key, revoked key) and 403 (each role not allowed);
 *   - upload -> processed -> report, frames, video ranges -> review with overrides -> audit rows
 *     -> chain verified;
 *   - size limit with and without Content-Length (413, nothing left on disk);
 *   - bad media ends failed/input, malformed JSON gets 400 with a message;
 *   - multipart with metadata, Idempotency-Key, an uploader sees only its own claims;
 *   - /metrics is Prometheus text. */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dashclaim/serve.h"
#include "dashclaim/store.h"
#include "serve/http_client.h"
#include "store/store_test_util.h"

static struct {
    char url[512];
    char clip[1024];
    dc_server *server;
    int port;
    char uploader[DC_KEY_LEN], uploader2[DC_KEY_LEN], reviewer[DC_KEY_LEN], admin[DC_KEY_LEN],
        revoked[DC_KEY_LEN];
    char *video;
    size_t video_len;
    char claim_id[DC_STORE_ID_LEN]; /* a processed claim, for the auth matrix */
} g;

#define LIMIT (3 * 1000 * 1000)

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static http_response upload(const char *key, const char *query, const void *body, size_t len,
                            const char *content_type, const char *idem) {
    char h[512], path[512];
    int n = snprintf(h, sizeof h, "Authorization: Bearer %s\r\nContent-Type: %s\r\n", key,
                     content_type);
    if (idem) snprintf(h + n, sizeof h - (size_t)n, "Idempotency-Key: %s\r\n", idem);
    snprintf(path, sizeof path, "/v1/claims%s", query ? query : "");
    return http_request_ex(g.port, "POST", path, h, body, len, 0);
}

static json_t *json_of(const http_response *r) {
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);
    if (!j) fprintf(stderr, "not JSON (%d): %s\n", r->status, r->body);
    return j;
}

/* Polls GET /v1/claims/{id} until it is done or failed; returns the claim JSON. */
static json_t *wait_finished(const char *id, const char *key) {
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    for (int i = 0; i < 600; i++) {
        http_response r = http_get(g.port, path, key);
        assert_int_equal(r.status, 200);
        json_t *j = json_of(&r);
        http_response_free(&r);
        const char *s = json_string_value(json_object_get(j, "status"));
        if (s && (!strcmp(s, "done") || !strcmp(s, "failed"))) return j;
        json_decref(j);
        usleep(100 * 1000);
    }
    fail_msg("claim %s did not finish", id);
    return NULL;
}

static int setup(void **state) {
    (void)state;
    const char *bin = getenv("DC_BIN"), *tmp = getenv("DC_TEST_TMP");
    if (!bin || !tmp) return -1;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tmp);
    if (system(cmd) != 0) return -1;
    snprintf(g.clip, sizeof g.clip, "%s/serve_api_clip.mp4", tmp);
    snprintf(cmd, sizeof cmd,
             "'%s/synth-video' --duration 4 --size 320x240 -o '%s' >/dev/null 2>&1", bin, g.clip);
    if (system(cmd) != 0) return -1;
    if (!(g.video = read_file(g.clip, &g.video_len))) return -1;
    test_store_url("serve_api", g.url, sizeof g.url);
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(g.url, NULL, &st);
    if (!s) return -1;
    dc_store_key_add(s, "ulla", DC_ROLE_UPLOADER, g.uploader, NULL, &st);
    dc_store_key_add(s, "uwe", DC_ROLE_UPLOADER, g.uploader2, NULL, &st);
    dc_store_key_add(s, "rita", DC_ROLE_REVIEWER, g.reviewer, NULL, &st);
    dc_store_key_add(s, "ada", DC_ROLE_ADMIN, g.admin, NULL, &st);
    dc_store_key_add(s, "gone", DC_ROLE_ADMIN, g.revoked, NULL, &st);
    dc_store_key_revoke(s, "gone", &st);
    dc_store_close(s);
    dc_serve_options o;
    dc_serve_options_init(&o);
    o.store_url = g.url;
    o.listen = "127.0.0.1:0";
    o.http_threads = 2;
    o.max_upload_bytes = LIMIT;
    o.workers.threads = 1;
    o.workers.poll_sec = 0.05;
    o.workers.scratch_dir = tmp;
    o.store.retry_delay_sec = 0;
    g.server = dc_server_start(&o, &st);
    if (!g.server) {
        fprintf(stderr, "server: %s\n", st.message);
        return -1;
    }
    g.port = dc_server_port(g.server);
    /* one processed claim for the routes that need an id */
    http_response r = upload(g.uploader, "?policy_id=POL-7&plate=K-AB-12&reported_damage=HIGH",
                             g.video, g.video_len, "video/mp4", NULL);
    if (r.status != 202) return -1;
    json_t *j = json_of(&r);
    snprintf(g.claim_id, sizeof g.claim_id, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    http_response_free(&r);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    dc_server_stop(g.server);
    free(g.video);
    return 0;
}

/* ---- the auth matrix ------------------------------------------------------------------------ */

#define U 1
#define R 2
#define A 4

static void test_auth_every_route(void **state) {
    (void)state;
    json_decref(wait_finished(g.claim_id, g.admin));
    char p[8][160];
    snprintf(p[0], sizeof p[0], "/v1/claims/%s", g.claim_id);
    snprintf(p[1], sizeof p[1], "/v1/claims/%s/report", g.claim_id);
    snprintf(p[2], sizeof p[2], "/v1/claims/%s/frames/0.jpg", g.claim_id);
    snprintf(p[3], sizeof p[3], "/v1/claims/%s/video", g.claim_id);
    snprintf(p[4], sizeof p[4], "/v1/claims/%s/audit", g.claim_id);
    snprintf(p[5], sizeof p[5], "/v1/claims/%s/review", g.claim_id);
    const struct {
        const char *method, *path;
        unsigned allowed;
    } routes[] = {
        {"POST", "/v1/claims", U | A}, {"GET", "/v1/claims", R | A},
        {"GET", p[0], U | R | A},      {"GET", p[1], R | A},
        {"GET", p[2], R | A},          {"GET", p[3], R | A},
        {"GET", p[4], R | A},          {"POST", p[5], R | A},
        {"GET", "/metrics", A},        {"GET", "/v1/openapi.json", U | R | A},
        {"GET", "/ui/", R | A},        {"GET", "/ui/app.js", R | A},
    };
    const char *keys[3] = {g.uploader, g.reviewer, g.admin};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const char *body = !strcmp(routes[i].method, "POST") ? "{}" : NULL;
        /* no key, a made-up key, a revoked key: 401, and the body is never read */
        const char *bad[3] = {NULL, "dck_000000000000_0000000000000000000000000000000000000000",
                              g.revoked};
        for (int k = 0; k < 3; k++) {
            char h[256] = "Content-Type: application/json\r\n";
            if (bad[k])
                snprintf(h, sizeof h,
                         "Authorization: Bearer %s\r\nContent-Type: application/json\r\n", bad[k]);
            http_response r =
                http_request_ex(g.port, routes[i].method, routes[i].path, h, body, body ? 2 : 0, 0);
            if (r.status != 401)
                fail_msg("%s %s with bad key %d: %d", routes[i].method, routes[i].path, k,
                         r.status);
            http_response_free(&r);
        }
        for (int role = 0; role < 3; role++) {
            if (routes[i].allowed & (1u << role)) continue;
            char h[256];
            snprintf(h, sizeof h, "Authorization: Bearer %s\r\nContent-Type: application/json\r\n",
                     keys[role]);
            http_response r =
                http_request_ex(g.port, routes[i].method, routes[i].path, h, body, body ? 2 : 0, 0);
            if (r.status != 403)
                fail_msg("%s %s as role %d: %d", routes[i].method, routes[i].path, role, r.status);
            http_response_free(&r);
        }
    }
    http_response r = http_get(g.port, "/healthz", NULL);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    /* the login form is public; the queue page without a key is a 401 that shows it */
    r = http_get(g.port, "/ui/", NULL);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "name=\"key\""));
    const char *all[] = {g.uploader, g.uploader2, g.reviewer, g.admin, g.revoked};
    for (int k = 0; k < 5; k++) assert_null(strstr(r.body, all[k])); /* no key in the page */
    http_response_free(&r);
    /* no DELETE: claims are never removed through the API */
    char h[256];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", g.admin);
    r = http_request_ex(g.port, "DELETE", p[0], h, NULL, 0, 0);
    assert_int_equal(r.status, 405);
    http_response_free(&r);
}

/* ---- the claim's life ----------------------------------------------------------------------- */

static void test_upload_process_review_audit(void **state) {
    (void)state;
    json_t *c = wait_finished(g.claim_id, g.uploader);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "done");
    json_t *a = json_object_get(c, "assessment");
    assert_string_equal(json_string_value(json_object_get(a, "schema")), "dashclaim.assessment/1");
    assert_string_equal(json_string_value(json_object_get(a, "claim_id")), g.claim_id);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(c, "metadata"), "policy_id")), "POL-7");
    assert_string_equal(json_string_value(json_object_get(c, "uploader")), "ulla");
    json_decref(c);

    char path[200];
    snprintf(path, sizeof path, "/v1/claims/%s/report", g.claim_id);
    http_response r = http_get(g.port, path, g.reviewer);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(http_header(&r, "Content-Type"), "text/html"));
    assert_non_null(strstr(r.body, "<html"));
    http_response_free(&r);
    snprintf(path, sizeof path, "/v1/claims/%s/frames/0.jpg", g.claim_id);
    r = http_get(g.port, path, g.reviewer);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > 100 && (unsigned char)r.body[0] == 0xff &&
                (unsigned char)r.body[1] == 0xd8);
    http_response_free(&r);
    snprintf(path, sizeof path, "/v1/claims/%s/frames/999.jpg", g.claim_id);
    r = http_get(g.port, path, g.reviewer);
    assert_int_equal(r.status, 404);
    http_response_free(&r);

    /* the video, whole and in ranges, byte for byte */
    snprintf(path, sizeof path, "/v1/claims/%s/video", g.claim_id);
    r = http_get(g.port, path, g.reviewer);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, g.video_len);
    assert_memory_equal(r.body, g.video, g.video_len);
    http_response_free(&r);
    char h[256];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nRange: bytes=100-199\r\n", g.reviewer);
    r = http_request_ex(g.port, "GET", path, h, NULL, 0, 0);
    assert_int_equal(r.status, 206);
    assert_int_equal(r.body_len, 100);
    assert_memory_equal(r.body, g.video + 100, 100);
    char want[64];
    snprintf(want, sizeof want, "bytes 100-199/%zu", g.video_len);
    assert_string_equal(http_header(&r, "Content-Range"), want);
    http_response_free(&r);
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nRange: bytes=-10\r\n", g.reviewer);
    r = http_request_ex(g.port, "GET", path, h, NULL, 0, 0);
    assert_int_equal(r.status, 206);
    assert_memory_equal(r.body, g.video + g.video_len - 10, 10);
    http_response_free(&r);
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nRange: bytes=999999999-\r\n", g.reviewer);
    r = http_request_ex(g.port, "GET", path, h, NULL, 0, 0);
    assert_int_equal(r.status, 416);
    http_response_free(&r);

    /* review with overrides; the reviewer is the key's owner */
    snprintf(path, sizeof path, "/v1/claims/%s/review", g.claim_id);
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nContent-Type: application/json\r\n",
             g.reviewer);
    const char *review = "{\"decision\":\"REJECT\",\"fault_ratio\":0,\"severity\":\"LOW\","
                         "\"reasoning\":\"staged: the other car reversed\"}";
    r = http_request_ex(g.port, "POST", path, h, review, strlen(review), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_of(&r);
    assert_string_equal(json_string_value(json_object_get(j, "last_decision")), "REJECT");
    assert_string_equal(json_string_value(json_object_get(j, "reviewer")), "rita");
    json_decref(j);
    http_response_free(&r);

    snprintf(path, sizeof path, "/v1/claims/%s/audit", g.claim_id);
    r = http_get(g.port, path, g.admin);
    assert_int_equal(r.status, 200);
    j = json_of(&r);
    json_t *rows = json_object_get(j, "rows");
    const char *want_actions[] = {"claim.created", "assessment", "review", "override.severity",
                                  "override.fault_ratio"};
    assert_int_equal(json_array_size(rows), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(rows, i), "action")),
                            want_actions[i]);
    json_t *ov = json_array_get(rows, 4);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(ov, "after"), "fault_ratio")), 0);
    assert_string_equal(json_string_value(json_object_get(ov, "actor")), "rita");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "model")),
                        "signals");
    json_decref(j);
    http_response_free(&r);

    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(g.url, NULL, &st);
    int64_t n = 0, bad = -1;
    assert_int_equal(dc_store_audit_verify(s, &n, &bad, &st), DC_OK);
    assert_int_equal(bad, 0);
    assert_true(n >= 10);
    dc_store_close(s);
}

static void test_bad_review_bodies(void **state) {
    (void)state;
    json_decref(wait_finished(g.claim_id, g.admin));
    char path[200], h[256];
    snprintf(path, sizeof path, "/v1/claims/%s/review", g.claim_id);
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nContent-Type: application/json\r\n",
             g.reviewer);
    const struct {
        const char *body;
        int status;
        const char *says;
    } cases[] = {
        {"{\"decision\":\"APPROVE\",", 400, "malformed JSON"},
        {"{\"decision\":\"MAYBE\"}", 400, "decision"},
        {"{\"decision\":\"APPROVE\",\"fault_ratio\":101}", 400, "fault_ratio"},
        {"{\"decision\":\"APPROVE\",\"severity\":\"HUGE\"}", 400, "severity"},
        {"{\"decision\":\"APPROVE\",\"reviewer\":\"mallory\"}", 400, "reviewer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_response r =
            http_request_ex(g.port, "POST", path, h, cases[i].body, strlen(cases[i].body), 0);
        assert_int_equal(r.status, cases[i].status);
        assert_non_null(strstr(r.body, cases[i].says));
        http_response_free(&r);
    }
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nContent-Type: text/plain\r\n", g.reviewer);
    http_response r = http_request_ex(g.port, "POST", path, h, "{}", 2, 0);
    assert_int_equal(r.status, 415);
    http_response_free(&r);
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nContent-Type: application/json\r\n",
             g.reviewer);
    r = http_request_ex(g.port, "POST", "/v1/claims/clm_00000000000000000000000000000000/review", h,
                        "{\"decision\":\"APPROVE\"}", 22, 0);
    assert_int_equal(r.status, 404);
    http_response_free(&r);
}

static int files_in(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static void test_upload_limit(void **state) {
    (void)state;
    size_t big = LIMIT + 1000;
    char *body = calloc(1, big);
    /* declared too large: refused on the headers */
    http_response r = upload(g.uploader, NULL, body, big, "video/mp4", NULL);
    assert_int_equal(r.status, 413);
    http_response_free(&r);
    /* chunked, no length: refused once it would pass the limit, nothing kept */
    char h[256];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nContent-Type: video/mp4\r\n", g.uploader);
    r = http_request_ex(g.port, "POST", "/v1/claims", h, body, big, 64 * 1024);
    assert_int_equal(r.status, 413);
    http_response_free(&r);
    char tmpdir[700];
    snprintf(tmpdir, sizeof tmpdir, "%s/videos/tmp", g.url);
    if (!test_store_is_pg()) assert_int_equal(files_in(tmpdir), 0);
    /* exactly at the limit is fine */
    r = upload(g.uploader, NULL, body, LIMIT, "application/octet-stream", NULL);
    assert_int_equal(r.status, 202);
    http_response_free(&r);
    free(body);
    /* other refusals of the upload itself */
    r = upload(g.uploader, NULL, "x", 1, "text/plain", NULL);
    assert_int_equal(r.status, 415);
    http_response_free(&r);
    r = upload(g.uploader, NULL, "", 0, "video/mp4", NULL);
    assert_int_equal(r.status, 400);
    http_response_free(&r);
}

static void test_bad_media_fails_input(void **state) {
    (void)state;
    const char junk[] = "this is not a video at all, just words in a file";
    http_response r = upload(g.uploader, NULL, junk, sizeof junk, "video/mp4", NULL);
    assert_int_equal(r.status, 202);
    json_t *j = json_of(&r);
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    http_response_free(&r);
    json_t *c = wait_finished(id, g.uploader);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "failed");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "error"), "class")),
                        "input");
    assert_int_equal(json_integer_value(json_object_get(c, "attempts")), 1); /* never retried */
    /* The uploader reads the error and the record: they name the video by its hash, never a
     * file of the server (the store's folder, the workers' scratch folder). */
    const char *msg = json_string_value(json_object_get(json_object_get(c, "error"), "message"));
    const char *sha = json_string_value(json_object_get(json_object_get(c, "video"), "sha256"));
    assert_non_null(msg);
    assert_non_null(sha);
    char name[32];
    snprintf(name, sizeof name, "video %.8s", sha);
    assert_non_null(strstr(msg, name));
    char *text = json_dumps(c, 0);
    assert_non_null(text);
    assert_null(strstr(text, getenv("DC_TEST_TMP")));
    assert_null(strstr(text, "/tmp"));
    if (!test_store_is_pg()) assert_null(strstr(text, g.url));
    free(text);
    json_decref(c);
}

static void test_multipart_idempotency_isolation(void **state) {
    (void)state;
    const char *b = "dcboundary42";
    size_t cap = g.video_len + 2048, n = 0;
    char *body = malloc(cap);
    n += (size_t)snprintf(
        body + n, cap - n,
        "--%s\r\nContent-Disposition: form-data; name=\"policy_id\"\r\n\r\nPOL-MP\r\n"
        "--%s\r\nContent-Disposition: form-data; name=\"claimant\"\r\n\r\nJ. Doe\r\n"
        "--%s\r\nContent-Disposition: form-data; name=\"video\"; filename=\"../../x.mp4\"\r\n"
        "Content-Type: video/mp4\r\n\r\n",
        b, b, b);
    memcpy(body + n, g.video, g.video_len);
    n += g.video_len;
    n += (size_t)snprintf(body + n, cap - n, "\r\n--%s--\r\n", b);
    char ct[128];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", b);
    http_response r1 = upload(g.uploader, NULL, body, n, ct, "order-77");
    assert_int_equal(r1.status, 202);
    http_response r2 = upload(g.uploader, NULL, body, n, ct, "order-77");
    assert_int_equal(r2.status, 202);
    json_t *j1 = json_of(&r1), *j2 = json_of(&r2);
    assert_string_equal(json_string_value(json_object_get(j1, "id")),
                        json_string_value(json_object_get(j2, "id")));
    assert_false(json_is_true(json_object_get(j1, "duplicate")));
    assert_true(json_is_true(json_object_get(j2, "duplicate")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j1, "metadata"), "claimant")), "J. Doe");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j1, "video"), "sha256")),
                        json_string_value(json_object_get(json_object_get(j2, "video"), "sha256")));
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", json_string_value(json_object_get(j1, "id")));
    /* another uploader cannot see it; a reviewer can */
    http_response r = http_get(g.port, path, g.uploader2);
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    r = http_get(g.port, path, g.reviewer);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    json_decref(j1);
    json_decref(j2);
    http_response_free(&r1);
    http_response_free(&r2);
    free(body);
}

static void test_list_and_metrics(void **state) {
    (void)state;
    http_response r = http_get(g.port, "/v1/claims?status=done&limit=2", g.reviewer);
    assert_int_equal(r.status, 200);
    json_t *j = json_of(&r);
    json_t *arr = json_object_get(j, "claims");
    assert_true(json_array_size(arr) >= 1);
    for (size_t i = 0; i < json_array_size(arr); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(arr, i), "status")),
                            "done");
    json_decref(j);
    http_response_free(&r);
    r = http_get(g.port, "/v1/claims?status=sleeping", g.reviewer);
    assert_int_equal(r.status, 400);
    http_response_free(&r);
    r = http_get(g.port, "/v1/claims?cursor=garbage", g.reviewer);
    assert_int_equal(r.status, 400);
    http_response_free(&r);

    r = http_get(g.port, "/metrics", g.admin);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(http_header(&r, "Content-Type"), "text/plain"));
    assert_non_null(strstr(r.body, "# TYPE dashclaim_queue_depth gauge\ndashclaim_queue_depth "));
    assert_non_null(strstr(r.body, "dashclaim_claims{status=\"done\"} "));
    assert_non_null(strstr(r.body, "dashclaim_http_request_duration_seconds_bucket{le=\"+Inf\"} "));
    assert_non_null(strstr(r.body, "dashclaim_model_loaded 0\n"));
    assert_non_null(strstr(r.body, "dashclaim_resident_memory_bytes "));
    assert_null(strstr(r.body, g.admin));
    http_response_free(&r);

    r = http_get(g.port, "/v1/openapi.json", g.uploader);
    assert_int_equal(r.status, 200);
    j = json_of(&r);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "openapi")), "3.0.3");
    json_decref(j);
    http_response_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_every_route),
        cmocka_unit_test(test_upload_process_review_audit),
        cmocka_unit_test(test_bad_review_bodies),
        cmocka_unit_test(test_upload_limit),
        cmocka_unit_test(test_bad_media_fails_input),
        cmocka_unit_test(test_multipart_idempotency_isolation),
        cmocka_unit_test(test_list_and_metrics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
