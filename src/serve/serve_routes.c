/* The route table: every method and path the service answers, who may call it, what body it
 * takes and which handler answers. The OpenAPI document (web/openapi.json) names the same roles
 * per operation (x-roles); tests/serve check that the two agree and that every route answers as
 * its row says. There is no DELETE anywhere: claims, videos and audit rows are never removed
 * through the API.
 *
 * Matching walks the rows in order; a path that matches a row's pattern but not its method is
 * 405 (unless another row takes the method), a path no row matches is 404. Both are decided
 * before the key is looked at, which reveals nothing: the table is public (the OpenAPI
 * document). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_footage.h"
#include "serve_internal.h"

#define U SERVE_ROLE_UPLOADER
#define R SERVE_ROLE_REVIEWER
#define A SERVE_ROLE_ADMIN

const serve_route serve_routes[] = {
    /* method, pattern, roles, body, browser_form, asset, begin, handler */
    {"GET", "/healthz", 0, SERVE_BODY_NONE, false, NULL, NULL, serve_healthz},
    {"GET", "/login", 0, SERVE_BODY_NONE, false, NULL, NULL, serve_login_form},
    {"POST", "/login", 0, SERVE_BODY_SMALL, true, NULL, NULL, serve_login},
    {"POST", "/logout", 0, SERVE_BODY_SMALL, true, NULL, NULL, serve_logout},
    {"GET", "/favicon.ico", 0, SERVE_BODY_NONE, false, NULL, NULL, serve_favicon},
    /* the login form's style: public, holds nothing */
    {"GET", "/ui/style.css", 0, SERVE_BODY_NONE, false, "style.css", NULL, serve_ui},
    {"GET", "/", R | A, SERVE_BODY_NONE, false, "index.html", NULL, serve_ui},
    {"GET", "/ui", R | A, SERVE_BODY_NONE, false, "index.html", NULL, serve_ui},
    {"GET", "/ui/", R | A, SERVE_BODY_NONE, false, "index.html", NULL, serve_ui},
    {"GET", "/ui/{asset}", R | A, SERVE_BODY_NONE, false, NULL, NULL, serve_ui},
    {"GET", "/v1/openapi.json", U | R | A, SERVE_BODY_NONE, false, NULL, NULL, serve_openapi},
    {"GET", "/metrics", A, SERVE_BODY_NONE, false, NULL, NULL, serve_metrics_page},
    {"POST", "/v1/claims", U | A, SERVE_BODY_UPLOAD, false, NULL, serve_upload_begin,
     serve_upload_end},
    {"GET", "/v1/claims", R | A, SERVE_BODY_NONE, false, NULL, NULL, serve_claims_list},
    {"GET", "/v1/claims/{id}", U | R | A, SERVE_BODY_NONE, false, NULL, NULL, serve_claim_get},
    {"GET", "/v1/claims/{id}/report", R | A, SERVE_BODY_NONE, false, NULL, NULL,
     serve_claim_report},
    {"GET", "/v1/claims/{id}/frames/{n}.jpg", R | A, SERVE_BODY_NONE, false, NULL, NULL,
     serve_claim_frame},
    {"GET", "/v1/claims/{id}/video", R | A, SERVE_BODY_NONE, false, NULL, NULL, serve_claim_video},
    /* a claim of several videos: add to an open one, list them, one by position, submit */
    {"POST", "/v1/claims/{id}/videos", U | A, SERVE_BODY_UPLOAD, false, NULL,
     serve_videos_add_begin, serve_videos_add_end},
    {"GET", "/v1/claims/{id}/videos", U | R | A, SERVE_BODY_NONE, false, NULL, NULL,
     serve_claim_videos_list},
    {"GET", "/v1/claims/{id}/videos/{n}", R | A, SERVE_BODY_NONE, false, NULL, NULL,
     serve_claim_video},
    {"POST", "/v1/claims/{id}/submit", U | A, SERVE_BODY_NONE, false, NULL, NULL,
     serve_claim_submit},
    {"GET", "/v1/claims/{id}/audit", R | A, SERVE_BODY_NONE, false, NULL, NULL, serve_claim_audit},
    /* claims whose videos show this claim's footage (serve_footage.c) */
    {"GET", "/v1/claims/{id}/matches", R | A, SERVE_BODY_NONE, false, NULL, NULL,
     serve_claim_matches},
    {"POST", "/v1/claims/{id}/review", R | A, SERVE_BODY_SMALL, false, NULL, NULL,
     serve_claim_review},
};
const size_t serve_route_count = sizeof serve_routes / sizeof serve_routes[0];

/* A claim id: "clm_" and 32 lowercase hex digits. */
static bool take_id(const char *seg, size_t n, serve_match *m) {
    if (n != 36 || strncmp(seg, "clm_", 4) != 0) return false;
    for (size_t i = 4; i < n; i++)
        if (!((seg[i] >= '0' && seg[i] <= '9') || (seg[i] >= 'a' && seg[i] <= 'f'))) return false;
    memcpy(m->claim_id, seg, n);
    m->claim_id[n] = 0;
    return true;
}

/* 0..999, no leading zero. */
static bool take_frame(const char *seg, size_t n, serve_match *m) {
    if (n < 1 || n > 3 || (seg[0] == '0' && n > 1)) return false;
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i] < '0' || seg[i] > '9') return false;
        k = k * 10 + (seg[i] - '0');
    }
    m->frame = k;
    return true;
}

/* A file of the review page; the login form has its own route. */
static bool take_asset(const char *seg, size_t n, serve_match *m) {
    if (n == 0 || n >= sizeof m->asset || memchr(seg, '/', n)) return false;
    memcpy(m->asset, seg, n);
    m->asset[n] = 0;
    return serve_asset_find(m->asset) && strcmp(m->asset, "login.html") != 0;
}

/* Does url match pattern? Fills m's parameters as it goes. */
static bool pattern_match(const char *pattern, const char *url, serve_match *m) {
    const char *p = pattern, *u = url;
    while (*p) {
        if (*p != '{') {
            if (*p++ != *u++) return false;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) return false;
        size_t name_len = (size_t)(close - p - 1);
        const char *after = close + 1;
        /* the parameter runs to the next '/' of the url, less a literal suffix like ".jpg" */
        const char *seg_end = u + strcspn(u, "/");
        size_t suffix = strcspn(after, "/");
        if ((size_t)(seg_end - u) < suffix || strncmp(seg_end - suffix, after, suffix) != 0)
            return false;
        size_t n = (size_t)(seg_end - u) - suffix;
        bool ok = !strncmp(p + 1, "id", name_len) && name_len == 2      ? take_id(u, n, m)
                  : !strncmp(p + 1, "n", name_len) && name_len == 1     ? take_frame(u, n, m)
                  : !strncmp(p + 1, "asset", name_len) && name_len == 5 ? take_asset(u, n, m)
                                                                        : false;
        if (!ok) return false;
        p = after + suffix;
        u = seg_end;
    }
    return *u == 0;
}

static bool method_fits(const char *want, const char *method) {
    return !strcmp(want, method) || (!strcmp(want, "GET") && !strcmp(method, "HEAD"));
}

void serve_route_match(const char *method, const char *url, serve_match *m) {
    memset(m, 0, sizeof *m);
    m->status = 404;
    if (!url || !method) return;
    /* "/v1/claims/" is "/v1/claims", as it always was */
    char path[256];
    size_t n = strlen(url);
    if (n >= sizeof path) return;
    memcpy(path, url, n + 1);
    if (n > 1 && path[n - 1] == '/' && strcmp(path, "/ui/") != 0) path[n - 1] = 0;
    for (size_t i = 0; i < serve_route_count; i++) {
        serve_match try = {0};
        if (!pattern_match(serve_routes[i].pattern, path, &try)) continue;
        if (!method_fits(serve_routes[i].method, method)) {
            m->status = 405;
            continue;
        }
        *m = try;
        m->route = &serve_routes[i];
        m->status = 0;
        if (serve_routes[i].asset) snprintf(m->asset, sizeof m->asset, "%s", serve_routes[i].asset);
        return;
    }
}
