/* A claim of several videos through the HTTP API, in process (a real server on a free port with
 * one worker, signals engine), on whichever backend the run asks for (store_test_util.h):
 *   - multipart with a front and a rear video -> one claim with two videos, roles kept, one
 *     audit row each, each video served by position; the worker assesses both as one claim;
 *   - open -> add (raw, then multipart with cameras' file names: roles from the names) ->
 *     submit; an open claim is not run, another uploader cannot add to it, a submitted one
 *     takes no more;
 *   - 33 videos in one form are refused with a clear error;
 *   - incident_time / incident_place are checked, stored and reach the fraud rows
 *     (X-TIME-MISMATCH, X-PLACE-MISMATCH) on a video with GPS telemetry (synth-telemetry), and
 *     a second claim whose GPS puts it at the first one's place and time (X-REPEAT-LOCATION).
 * Test videos come from the build's synth-video and synth-telemetry. */
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
    dc_server *server;
    int port;
    char uploader[DC_KEY_LEN], uploader2[DC_KEY_LEN], reviewer[DC_KEY_LEN];
    char *front, *rear, *gps;
    size_t front_len, rear_len, gps_len;
    char front_name[256], rear_name[256]; /* the camera's (BlackVue) names */
} g;

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

static http_response post(const char *key, const char *path, const void *body, size_t len,
                          const char *content_type) {
    char h[512];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\nContent-Type: %s\r\n", key, content_type);
    return http_request_ex(g.port, "POST", path, h, body, len, 0);
}

static json_t *json_of(const http_response *r) {
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);
    if (!j) fprintf(stderr, "not JSON (%d): %s\n", r->status, r->body);
    return j;
}

static const char *str(json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

/* A multipart body: text parts (name, value) in order, then video parts (file name, bytes). */
typedef struct {
    const char *name, *value;
} text_part;
typedef struct {
    const char *file_name;
    const char *data;
    size_t len;
} video_part;

#define BOUNDARY "dcvideos26"
#define MULTIPART "multipart/form-data; boundary=" BOUNDARY

static char *multipart(const text_part *t, int nt, const video_part *v, int nv, size_t *len) {
    size_t cap = 4096;
    for (int i = 0; i < nv; i++) cap += v[i].len + 512;
    char *b = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < nt; i++)
        n +=
            (size_t)snprintf(b + n, cap - n,
                             "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                             "%s\r\n",
                             t[i].name, t[i].value);
    for (int i = 0; i < nv; i++) {
        n += (size_t)snprintf(b + n, cap - n,
                              "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"video\"; "
                              "filename=\"%s\"\r\nContent-Type: video/mp4\r\n\r\n",
                              v[i].file_name);
        memcpy(b + n, v[i].data, v[i].len);
        n += v[i].len;
        n += (size_t)snprintf(b + n, cap - n, "\r\n");
    }
    n += (size_t)snprintf(b + n, cap - n, "--" BOUNDARY "--\r\n");
    *len = n;
    return b;
}

/* Polls GET /v1/claims/{id} until it is done or failed; returns the claim JSON. */
static json_t *wait_finished(const char *id) {
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    for (int i = 0; i < 900; i++) {
        http_response r = http_get(g.port, path, g.reviewer);
        assert_int_equal(r.status, 200);
        json_t *j = json_of(&r);
        http_response_free(&r);
        const char *s = str(j, "status");
        if (s && (!strcmp(s, "done") || !strcmp(s, "failed"))) return j;
        json_decref(j);
        usleep(100 * 1000);
    }
    fail_msg("claim %s did not finish", id);
    return NULL;
}

static json_t *get_claim(const char *id, const char *key) {
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    http_response r = http_get(g.port, path, key);
    assert_int_equal(r.status, 200);
    json_t *j = json_of(&r);
    http_response_free(&r);
    return j;
}

static bool has_indicator(json_t *claim, const char *id) {
    json_t *list = json_object_get(json_object_get(json_object_get(claim, "assessment"), "fraud"),
                                   "indicators");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) if (!strcmp(str(x, "id") ? str(x, "id") : "", id)) return true;
    return false;
}

static int setup(void **state) {
    (void)state;
    const char *bin = getenv("DC_BIN"), *tmp = getenv("DC_TEST_TMP");
    if (!bin || !tmp) return -1;
    char dir[700], cmd[4096], path[1024], plain[800];
    snprintf(dir, sizeof dir, "%s/serve_claim_videos_%d", tmp, (int)getpid());
    /* a BlackVue front + rear pair, names as the camera writes them */
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && '%s/synth-video' --out '%s/rec' --pair collision "
             "--duration 4 --size 320x240 --camera blackvue > '%s/files.txt' 2>/dev/null",
             dir, dir, bin, dir, dir);
    if (system(cmd) != 0) return -1;
    snprintf(path, sizeof path, "%s/files.txt", dir);
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        const char *base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
        if (strstr(base, "F.mp4")) {
            snprintf(g.front_name, sizeof g.front_name, "%.200s", base);
            g.front = read_file(line, &g.front_len);
        } else if (strstr(base, "R.mp4")) {
            snprintf(g.rear_name, sizeof g.rear_name, "%.200s", base);
            g.rear = read_file(line, &g.rear_len);
        }
    }
    if (f) fclose(f);
    if (!g.front || !g.rear) return -1;
    /* a clip with GPS (synth-telemetry's default track: 47.3769, 8.5417 at
     * 2026-03-14T09:26:53Z) */
    snprintf(plain, sizeof plain, "%s/plain.mp4", dir);
    snprintf(path, sizeof path, "%s/gps.mp4", dir);
    snprintf(cmd, sizeof cmd,
             "'%s/synth-video' --duration 4 --size 320x240 -o '%s' >/dev/null 2>&1 && "
             "'%s/synth-telemetry' --format gpmf --in '%s' -o '%s' --duration 4 >/dev/null 2>&1",
             bin, plain, bin, plain, path);
    if (system(cmd) != 0 || !(g.gps = read_file(path, &g.gps_len))) return -1;

    test_store_url("serve_videos", g.url, sizeof g.url);
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(g.url, NULL, &st);
    if (!s) return -1;
    dc_store_key_add(s, "ulla", DC_ROLE_UPLOADER, g.uploader, NULL, &st);
    dc_store_key_add(s, "uwe", DC_ROLE_UPLOADER, g.uploader2, NULL, &st);
    dc_store_key_add(s, "rita", DC_ROLE_REVIEWER, g.reviewer, NULL, &st);
    dc_store_close(s);
    dc_serve_options o;
    dc_serve_options_init(&o);
    o.store_url = g.url;
    o.listen = "127.0.0.1:0";
    o.http_threads = 2;
    o.max_upload_bytes = 3 * 1000 * 1000;
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
    return 0;
}

static int teardown(void **state) {
    (void)state;
    dc_server_stop(g.server);
    free(g.front);
    free(g.rear);
    free(g.gps);
    return 0;
}

/* Audit rows of the claim that name this video. */
static int audit_rows_naming(const char *id, const char *sha) {
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s/audit", id);
    http_response r = http_get(g.port, path, g.reviewer);
    assert_int_equal(r.status, 200);
    json_t *j = json_of(&r);
    http_response_free(&r);
    json_t *rows = json_is_array(j) ? j : json_object_get(j, "rows");
    if (!rows) rows = json_object_get(j, "audit");
    int hits = 0;
    size_t i;
    json_t *x;
    json_array_foreach(rows, i, x) if (str(x, "video_sha256") &&
                                       !strcmp(str(x, "video_sha256"), sha)) hits++;
    json_decref(j);
    return hits;
}

static void test_front_and_rear_in_one_form(void **state) {
    (void)state;
    text_part t[] = {{"policy_id", "POL-26"}, {"role", "front"}, {"role", "rear"}};
    video_part v[] = {{"a.mp4", g.front, g.front_len}, {"b.mp4", g.rear, g.rear_len}};
    size_t n;
    char *body = multipart(t, 3, v, 2, &n);
    http_response r = post(g.uploader, "/v1/claims", body, n, MULTIPART);
    free(body);
    assert_int_equal(r.status, 202);
    json_t *c = json_of(&r);
    http_response_free(&r);
    assert_int_equal(json_integer_value(json_object_get(c, "video_count")), 2);
    json_t *videos = json_object_get(c, "videos");
    assert_int_equal(json_array_size(videos), 2);
    json_t *v0 = json_array_get(videos, 0), *v1 = json_array_get(videos, 1);
    assert_string_equal(str(v0, "role"), "front");
    assert_string_equal(str(v1, "role"), "rear");
    assert_string_equal(str(v1, "file_name"), "b.mp4");
    assert_string_equal(str(v1, "content_type"), "video/mp4");
    char id[DC_STORE_ID_LEN], sha0[65], sha1[65];
    snprintf(id, sizeof id, "%s", str(c, "id"));
    snprintf(sha0, sizeof sha0, "%s", str(v0, "sha256"));
    snprintf(sha1, sizeof sha1, "%s", str(v1, "sha256"));
    json_decref(c);
    assert_int_equal(audit_rows_naming(id, sha0), 1);
    assert_int_equal(audit_rows_naming(id, sha1), 1);
    /* the rear channel, by position, is the rear file's bytes */
    char path[160];
    snprintf(path, sizeof path, "/v1/claims/%s/videos/1", id);
    r = http_get(g.port, path, g.reviewer);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, g.rear_len);
    assert_memory_equal(r.body, g.rear, g.rear_len);
    http_response_free(&r);
    snprintf(path, sizeof path, "/v1/claims/%s/videos/2", id);
    r = http_get(g.port, path, g.reviewer);
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    /* the worker assessed both as one claim; the record names them by hash, never a path */
    json_t *done = wait_finished(id);
    json_t *rec = json_object_get(json_object_get(done, "assessment"), "videos");
    assert_int_equal(json_array_size(rec), 2);
    assert_string_equal(str(json_array_get(rec, 1), "role"), "rear");
    assert_string_equal(str(json_array_get(rec, 1), "sha256"), sha1);
    assert_string_equal(str(json_array_get(rec, 1), "path"), sha1);
    json_decref(done);
}

static void test_open_add_submit(void **state) {
    (void)state;
    const char *open_body = "{\"open\": true, \"policy_id\": \"POL-OPEN\"}";
    http_response r =
        post(g.uploader, "/v1/claims", open_body, strlen(open_body), "application/json");
    assert_int_equal(r.status, 201);
    json_t *c = json_of(&r);
    http_response_free(&r);
    assert_string_equal(str(c, "status"), "open");
    char id[DC_STORE_ID_LEN], path[512];
    snprintf(id, sizeof id, "%s", str(c, "id"));
    json_decref(c);
    snprintf(path, sizeof path, "/v1/claims/%s/submit", id);
    r = post(g.uploader, path, "", 0, "application/json");
    assert_int_equal(r.status, 409); /* no video yet */
    http_response_free(&r);

    /* a raw video with its role in the query; another uploader and a reviewer cannot add */
    snprintf(path, sizeof path, "/v1/claims/%s/videos?role=front", id);
    r = post(g.uploader2, path, g.front, g.front_len, "video/mp4");
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    r = post(g.reviewer, path, g.front, g.front_len, "video/mp4");
    assert_int_equal(r.status, 403);
    http_response_free(&r);
    snprintf(path, sizeof path, "/v1/claims/%s/videos?role=front&file_name=%s", id, g.front_name);
    r = post(g.uploader, path, g.front, g.front_len, "video/mp4");
    assert_int_equal(r.status, 201);
    http_response_free(&r);
    /* a multipart part named as the camera names it: its role comes from the name */
    video_part v[] = {{g.rear_name, g.rear, g.rear_len}};
    size_t n;
    char *body = multipart(NULL, 0, v, 1, &n);
    snprintf(path, sizeof path, "/v1/claims/%s/videos", id);
    r = post(g.uploader, path, body, n, MULTIPART);
    free(body);
    assert_int_equal(r.status, 201);
    c = json_of(&r);
    http_response_free(&r);
    assert_int_equal(json_integer_value(json_object_get(c, "video_count")), 2);
    assert_string_equal(str(json_array_get(json_object_get(c, "videos"), 1), "role"), "rear");
    assert_string_equal(str(json_array_get(json_object_get(c, "videos"), 1), "file_name"),
                        g.rear_name);
    json_decref(c);

    /* never run while open */
    usleep(500 * 1000);
    c = get_claim(id, g.uploader);
    assert_string_equal(str(c, "status"), "open");
    json_decref(c);

    snprintf(path, sizeof path, "/v1/claims/%s/submit", id);
    r = post(g.uploader, path, "", 0, "application/json");
    assert_int_equal(r.status, 202);
    c = json_of(&r);
    http_response_free(&r);
    /* (the worker may have taken it already) */
    assert_true(!strcmp(str(c, "status"), "queued") || !strcmp(str(c, "status"), "running"));
    json_decref(c);
    /* submitted: no more videos */
    snprintf(path, sizeof path, "/v1/claims/%s/videos?role=interior", id);
    r = post(g.uploader, path, g.front, g.front_len, "video/mp4");
    assert_int_equal(r.status, 409);
    http_response_free(&r);
    json_t *done = wait_finished(id);
    assert_string_equal(str(done, "status"), "done");
    /* the worker laid the two out by their names (the group module): one moment, both at 0 */
    json_t *rec = json_object_get(json_object_get(done, "assessment"), "videos");
    assert_int_equal(json_array_size(rec), 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(str(json_array_get(rec, i), "start_source"), "file-name");
        assert_true(json_number_value(json_object_get(json_array_get(rec, i), "offset_sec")) == 0);
    }
    json_decref(done);
}

static void test_thirty_three_refused(void **state) {
    (void)state;
    video_part v[DC_MAX_CLAIM_VIDEOS + 1];
    for (int i = 0; i <= DC_MAX_CLAIM_VIDEOS; i++) v[i] = (video_part){"seg.mp4", "0123456789", 10};
    size_t n;
    char *body = multipart(NULL, 0, v, DC_MAX_CLAIM_VIDEOS + 1, &n);
    http_response r = post(g.uploader, "/v1/claims", body, n, MULTIPART);
    free(body);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "at most 32 videos"));
    http_response_free(&r);
}

/* Uploads the GPS clip with the claimant's time and place; the finished claim. */
static json_t *gps_claim(const char *when, const char *where) {
    char path[256];
    snprintf(path, sizeof path, "/v1/claims?incident_time=%s&incident_place=%s", when, where);
    http_response r = post(g.uploader, path, g.gps, g.gps_len, "video/mp4");
    assert_int_equal(r.status, 202);
    json_t *c = json_of(&r);
    http_response_free(&r);
    json_t *done = wait_finished(str(c, "id"));
    json_decref(c);
    return done;
}

static void test_incident_time_and_place(void **state) {
    (void)state;
    /* checked before anything is stored */
    http_response r =
        post(g.uploader, "/v1/claims?incident_time=last%20tuesday", g.gps, g.gps_len, "video/mp4");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "incident_time"));
    http_response_free(&r);
    r = post(g.uploader, "/v1/claims?incident_place=Main%20Street", g.gps, g.gps_len, "video/mp4");
    assert_int_equal(r.status, 400);
    http_response_free(&r);
    /* where and when the GPS says: no indicator */
    json_t *ok = gps_claim("2026-03-14T09:27:00Z", "47.3769,8.5417");
    assert_string_equal(str(json_object_get(ok, "metadata"), "incident_time"),
                        "2026-03-14T09:27:00Z");
    assert_false(has_indicator(ok, "X-TIME-MISMATCH"));
    assert_false(has_indicator(ok, "X-PLACE-MISMATCH"));
    assert_false(has_indicator(ok, "X-REPEAT-LOCATION")); /* the first claim at that place */
    /* a year earlier, in Paris: both fire */
    json_t *off = gps_claim("2025-03-14T09:27:00Z", "48.8566,2.3522");
    assert_true(has_indicator(off, "X-TIME-MISMATCH"));
    assert_true(has_indicator(off, "X-PLACE-MISMATCH"));
    /* and its dashcam puts it where and when the first claim's did: X-REPEAT-LOCATION, from the
     * two claims' telemetry (the footage index's places), naming the first */
    assert_true(has_indicator(off, "X-REPEAT-LOCATION"));
    json_t *near =
        json_object_get(json_object_get(json_object_get(off, "assessment"), "footage"), "near");
    assert_int_equal(json_array_size(near), 1);
    assert_string_equal(str(json_array_get(near, 0), "claim_id"), str(ok, "id"));
    assert_true(json_real_value(json_object_get(json_array_get(near, 0), "distance_m")) < 1.0);
    json_decref(ok);
    json_decref(off);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_front_and_rear_in_one_form),
        cmocka_unit_test(test_open_add_submit),
        cmocka_unit_test(test_thirty_three_refused),
        cmocka_unit_test(test_incident_time_and_place),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
