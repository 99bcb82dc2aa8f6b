/* White-box checks of the service's tables (src/serve/serve_internal.h):
 *   - the route table and the OpenAPI document agree: every API operation of the document has a
 *     row with the same method and the roles its x-roles names, and every row under /v1,
 *     /metrics and /healthz is in the document (a route added to one and not the other fails);
 *   - matching: parameters, 404 for unknown paths and malformed ids, 405 for a wrong method;
 *   - what uploaded bytes are: the signatures of the video containers, and that HTML, SVG and
 *     script never come out as anything but opaque bytes; the declared types an upload may
 *     have, and that a stored type is made safe before it is served. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "serve_internal.h"

static unsigned roles_from_json(const json_t *a) {
    unsigned roles = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        int role = dc_role_from_name(json_string_value(v));
        assert_true(role >= 0);
        roles |= SERVE_ROLE_BIT(role);
    }
    return roles;
}

static const serve_route *row_for(const char *method, const char *pattern) {
    for (size_t i = 0; i < serve_route_count; i++)
        if (!strcasecmp(serve_routes[i].method, method) &&
            !strcmp(serve_routes[i].pattern, pattern))
            return &serve_routes[i];
    return NULL;
}

static void test_table_matches_openapi(void **state) {
    (void)state;
    const serve_asset *a = serve_asset_find("openapi.json");
    assert_non_null(a);
    json_error_t err;
    json_t *doc = json_loadb((const char *)a->data, a->size, 0, &err);
    assert_non_null(doc);
    json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *ops;
    int operations = 0;
    json_object_foreach(paths, path, ops) {
        const char *method;
        json_t *op;
        json_object_foreach(ops, method, op) {
            const serve_route *row = row_for(method, path);
            if (!row)
                fail_msg("%s %s is in the OpenAPI document but not in the table", method, path);
            json_t *xr = json_object_get(op, "x-roles");
            if (!json_is_array(xr)) fail_msg("%s %s has no x-roles", method, path);
            if (roles_from_json(xr) != row->roles)
                fail_msg("%s %s: x-roles and the table disagree", method, path);
            operations++;
        }
    }
    assert_true(operations >= 11);
    for (size_t i = 0; i < serve_route_count; i++) {
        const char *p = serve_routes[i].pattern;
        if (strncmp(p, "/v1/", 4) && strcmp(p, "/metrics") && strcmp(p, "/healthz")) continue;
        char method[8];
        snprintf(method, sizeof method, "%s", serve_routes[i].method);
        for (char *m = method; *m; m++) *m = (char)(*m - 'A' + 'a');
        if (!json_object_get(json_object_get(paths, p), method))
            fail_msg("%s %s is in the table but not in the OpenAPI document", method, p);
    }
    json_decref(doc);
}

static void test_matching(void **state) {
    (void)state;
    serve_match m;
    const char *id = "clm_0123456789abcdef0123456789abcdef";
    char url[128];
    snprintf(url, sizeof url, "/v1/claims/%s/frames/12.jpg", id);
    serve_route_match("GET", url, &m);
    assert_non_null(m.route);
    assert_ptr_equal(m.route->handler, serve_claim_frame);
    assert_string_equal(m.claim_id, id);
    assert_int_equal(m.frame, 12);
    serve_route_match("HEAD", url, &m); /* GET rows answer HEAD */
    assert_ptr_equal(m.route->handler, serve_claim_frame);
    snprintf(url, sizeof url, "/v1/claims/%s/frames/012.jpg", id);
    serve_route_match("GET", url, &m);
    assert_null(m.route);
    assert_int_equal(m.status, 404);
    snprintf(url, sizeof url, "/v1/claims/%s/review", id);
    serve_route_match("GET", url, &m);
    assert_null(m.route);
    assert_int_equal(m.status, 405);
    serve_route_match("POST", url, &m);
    assert_ptr_equal(m.route->handler, serve_claim_review);
    serve_route_match("DELETE", "/v1/claims", &m);
    assert_int_equal(m.status, 405);
    serve_route_match("GET", "/v1/claims/", &m); /* the old trailing slash still lists */
    assert_ptr_equal(m.route->handler, serve_claims_list);
    serve_route_match("GET", "/v1/claims/clm_XYZ", &m);
    assert_int_equal(m.status, 404);
    serve_route_match("GET", "/v1/claims/../metrics", &m);
    assert_int_equal(m.status, 404);
    serve_route_match("GET", "/ui/app.js", &m);
    assert_ptr_equal(m.route->handler, serve_ui);
    assert_string_equal(m.asset, "app.js");
    serve_route_match("GET", "/ui/login.html", &m); /* the login form has its own route */
    assert_int_equal(m.status, 404);
    serve_route_match("GET", "/ui/nothing.js", &m);
    assert_int_equal(m.status, 404);
    serve_route_match("GET", "/ui/style.css", &m); /* public: the login form needs it */
    assert_int_equal(m.route->roles, 0);
    serve_route_match("POST", "/login", &m);
    assert_true(m.route->browser_form);
}

static void test_sniffing(void **state) {
    (void)state;
    unsigned char mp4[16] = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm'};
    assert_string_equal(serve_sniff_video(mp4, sizeof mp4), "video/mp4");
    unsigned char mov[16] = {0, 0, 0, 0x14, 'f', 't', 'y', 'p', 'q', 't', ' ', ' '};
    assert_string_equal(serve_sniff_video(mov, sizeof mov), "video/quicktime");
    unsigned char mkv[40] = {0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88, 'm', 'a', 't', 'r'};
    assert_string_equal(serve_sniff_video(mkv, sizeof mkv), "video/x-matroska");
    unsigned char webm[40] = {0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm'};
    assert_string_equal(serve_sniff_video(webm, sizeof webm), "video/webm");
    unsigned char ts[3 * 188] = {0};
    ts[0] = ts[188] = ts[376] = 0x47;
    assert_string_equal(serve_sniff_video(ts, sizeof ts), "video/mp2t");
    assert_string_equal(serve_sniff_video(ts, 200), "application/octet-stream");
    unsigned char avi[16] = {'R', 'I', 'F', 'F', 1, 2, 3, 4, 'A', 'V', 'I', ' '};
    assert_string_equal(serve_sniff_video(avi, sizeof avi), "video/x-msvideo");
    const char *hostile[] = {"<html><script>alert(1)</script>",
                             "<svg xmlns=\"http://www.w3.org/"
                             "2000/svg\" onload=\"alert(1)\"/>",
                             "<?xml version=\"1.0\"?><svg/>", "%PDF-1.7", ""};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        assert_string_equal(
            serve_sniff_video((const unsigned char *)hostile[i], strlen(hostile[i])),
            "application/octet-stream");
}

static void test_declared_types(void **state) {
    (void)state;
    assert_true(serve_upload_type_allowed("video/mp4"));
    assert_true(serve_upload_type_allowed("VIDEO/MP4; codecs=avc1"));
    assert_true(serve_upload_type_allowed("application/octet-stream"));
    assert_true(serve_upload_type_allowed("video/mp2t"));
    const char *refused[] = {"video/html",
                             "application/octet-stream-html",
                             "text/html",
                             "image/svg+xml",
                             "video/mp4html",
                             "video/",
                             "",
                             "video/mp4x"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (serve_upload_type_allowed(refused[i])) fail_msg("'%s' was accepted", refused[i]);
    assert_false(serve_upload_type_allowed(NULL));
    /* what older stores may hold is made safe before it is sent */
    assert_string_equal(serve_video_type_safe("text/html"), "application/octet-stream");
    assert_string_equal(serve_video_type_safe("image/svg+xml"), "application/octet-stream");
    assert_string_equal(serve_video_type_safe("video/mp4"), "video/mp4");
    assert_string_equal(serve_video_extension("video/x-matroska"), "mkv");
    assert_string_equal(serve_video_extension("application/octet-stream"), "bin");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_openapi),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_sniffing),
        cmocka_unit_test(test_declared_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
