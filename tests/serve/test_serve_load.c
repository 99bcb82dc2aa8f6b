/* 1000 small uploads at once, from 25 client threads: every one is answered 202 and stored
 * exactly once (1000 claims, 1000 distinct ids), and sending 100 of them again with their
 * Idempotency-Key creates nothing new. No workers run: this is about the upload path. */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dashclaim/serve.h"
#include "dashclaim/store.h"
#include "serve/http_client.h"
#include "store/store_test_util.h"

#define CLIENTS 25
#define PER_CLIENT 40
#define TOTAL (CLIENTS * PER_CLIENT)

static struct {
    int port;
    char key[DC_KEY_LEN];
    char ids[TOTAL][DC_STORE_ID_LEN];
    int status[TOTAL];
    int dup_status[TOTAL];
    bool dup_flag[TOTAL];
} g;

static void *client(void *arg) {
    int c = (int)(intptr_t)arg;
    for (int i = 0; i < PER_CLIENT; i++) {
        int k = c * PER_CLIENT + i;
        char body[1024];
        memset(body, 'a' + k % 26, sizeof body);
        snprintf(body, sizeof body, "upload %d", k); /* distinct bytes, distinct hashes */
        char h[256];
        snprintf(h, sizeof h,
                 "Authorization: Bearer %s\r\nContent-Type: video/mp4\r\n"
                 "Idempotency-Key: load-%d\r\n",
                 g.key, k);
        http_response r = http_request_ex(g.port, "POST", "/v1/claims", h, body, sizeof body, 0);
        g.status[k] = r.status;
        json_t *j = r.status == 202 ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
        snprintf(g.ids[k], sizeof g.ids[k], "%s",
                 j ? json_string_value(json_object_get(j, "id")) : "");
        json_decref(j);
        http_response_free(&r);
        if (k % 10 == 0) { /* the client retries: same key, same claim */
            r = http_request_ex(g.port, "POST", "/v1/claims", h, body, sizeof body, 0);
            g.dup_status[k] = r.status;
            j = r.status == 202 ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
            g.dup_flag[k] = j && json_is_true(json_object_get(j, "duplicate")) &&
                            !strcmp(json_string_value(json_object_get(j, "id")), g.ids[k]);
            json_decref(j);
            http_response_free(&r);
        }
    }
    return NULL;
}

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

static void test_thousand_uploads(void **state) {
    (void)state;
    char url[512];
    test_store_url("serve_load", url, sizeof url);
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(url, NULL, &st);
    assert_non_null(s);
    assert_int_equal(dc_store_key_add(s, "loader", DC_ROLE_UPLOADER, g.key, NULL, &st), DC_OK);
    dc_serve_options o;
    dc_serve_options_init(&o);
    o.store_url = url;
    o.listen = "127.0.0.1:0";
    o.workers.threads = 0;
    o.http_threads = 4;
    dc_server *srv = dc_server_start(&o, &st);
    assert_non_null(srv);
    g.port = dc_server_port(srv);
    pthread_t t[CLIENTS];
    for (int c = 0; c < CLIENTS; c++) pthread_create(&t[c], NULL, client, (void *)(intptr_t)c);
    for (int c = 0; c < CLIENTS; c++) pthread_join(t[c], NULL);
    for (int k = 0; k < TOTAL; k++) {
        if (g.status[k] != 202) fail_msg("upload %d: status %d", k, g.status[k]);
        if (k % 10 == 0 && (g.dup_status[k] != 202 || !g.dup_flag[k]))
            fail_msg("retry of upload %d: status %d, same claim %d", k, g.dup_status[k],
                     g.dup_flag[k]);
    }
    qsort(g.ids, TOTAL, sizeof g.ids[0], cmp);
    for (int k = 1; k < TOTAL; k++) assert_string_not_equal(g.ids[k - 1], g.ids[k]);
    int64_t counts[DC_STATE_COUNT];
    assert_int_equal(dc_store_claim_counts(s, counts, &st), DC_OK);
    assert_int_equal(counts[DC_STATE_QUEUED], TOTAL);
    int64_t rows = 0, bad = -1;
    assert_int_equal(dc_store_audit_verify(s, &rows, &bad, &st), DC_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(rows, TOTAL + 1); /* claim.created each, and key.added */
    dc_server_stop(srv);
    dc_store_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_thousand_uploads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
