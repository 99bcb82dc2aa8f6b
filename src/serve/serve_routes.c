/* The route table: which method and path go to which handler, and which roles may call it.
 *
 *   route                                  roles
 *   GET  /healthz                          none (no key)
 *   GET  /login, POST /login, POST /logout none (the login form; it holds no data)
 *   GET  /ui/style.css, /favicon.ico       none (the login form's style; no icon: 204)
 *   GET  /, /ui/, /ui/<asset>              reviewer, admin (the review page)
 *   GET  /v1/openapi.json                  any key
 *   GET  /metrics                          admin
 *   POST /v1/claims                        uploader, admin
 *   GET  /v1/claims                        reviewer, admin
 *   GET  /v1/claims/{id}                   any key (an uploader sees only its own claims)
 *   GET  /v1/claims/{id}/report            reviewer, admin
 *   GET  /v1/claims/{id}/frames/{n}.jpg    reviewer, admin
 *   GET  /v1/claims/{id}/video             reviewer, admin
 *   GET  /v1/claims/{id}/audit             reviewer, admin
 *   POST /v1/claims/{id}/review            reviewer, admin
 * There is no DELETE anywhere: claims, videos and audit rows are never removed through the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

#define U SERVE_ROLE_BIT(DC_ROLE_UPLOADER)
#define R SERVE_ROLE_BIT(DC_ROLE_REVIEWER)
#define A SERVE_ROLE_BIT(DC_ROLE_ADMIN)

static void set(serve_match *m, const char *method, const char *want, serve_route route,
                unsigned roles) {
    if (strcmp(method, want) != 0 && !(strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0)) {
        m->route = ROUTE_BAD_METHOD;
        m->roles = 0;
        return;
    }
    m->route = route;
    m->roles = roles;
}

/* A claim id segment: copied when it has the right length and alphabet, else "not found". */
static bool take_id(const char *seg, size_t n, serve_match *m) {
    if (n != 36 || strncmp(seg, "clm_", 4) != 0) return false;
    for (size_t i = 4; i < n; i++)
        if (!((seg[i] >= '0' && seg[i] <= '9') || (seg[i] >= 'a' && seg[i] <= 'f'))) return false;
    memcpy(m->claim_id, seg, n);
    m->claim_id[n] = 0;
    return true;
}

void serve_route_match(const char *method, const char *url, serve_match *m) {
    memset(m, 0, sizeof *m);
    m->route = ROUTE_NOT_FOUND;
    if (!url || !method) return;
    if (!strcmp(url, "/healthz")) {
        set(m, method, "GET", ROUTE_HEALTHZ, 0);
        return;
    }
    if (!strcmp(url, "/login")) {
        if (!strcmp(method, "POST")) {
            set(m, method, "POST", ROUTE_LOGIN, 0);
            return;
        }
        {
            set(m, method, "GET", ROUTE_LOGIN_PAGE, 0);
            return;
        }
    }
    if (!strcmp(url, "/logout")) {
        set(m, method, "POST", ROUTE_LOGOUT, 0);
        return;
    }
    if (!strcmp(url, "/") || !strcmp(url, "/ui") || !strcmp(url, "/ui/")) {
        snprintf(m->asset, sizeof m->asset, "index.html");
        {
            set(m, method, "GET", ROUTE_UI, R | A);
            return;
        }
    }
    if (!strcmp(url, "/favicon.ico")) {
        set(m, method, "GET", ROUTE_FAVICON, 0);
        return;
    }
    if (!strcmp(url, "/ui/style.css")) { /* the login form's style: public, holds nothing */
        snprintf(m->asset, sizeof m->asset, "style.css");
        set(m, method, "GET", ROUTE_UI, 0);
        return;
    }
    if (!strncmp(url, "/ui/", 4)) {
        const char *name = url + 4;
        if (strlen(name) >= sizeof m->asset || strchr(name, '/') || !serve_asset_find(name) ||
            !strcmp(name, "login.html"))
            return;
        snprintf(m->asset, sizeof m->asset, "%s", name);
        {
            set(m, method, "GET", ROUTE_UI, R | A);
            return;
        }
    }
    if (!strcmp(url, "/v1/openapi.json")) {
        set(m, method, "GET", ROUTE_OPENAPI, U | R | A);
        return;
    }
    if (!strcmp(url, "/metrics")) {
        set(m, method, "GET", ROUTE_METRICS, A);
        return;
    }
    if (!strcmp(url, "/v1/claims") || !strcmp(url, "/v1/claims/")) {
        if (!strcmp(method, "POST")) {
            set(m, method, "POST", ROUTE_UPLOAD, U | A);
            return;
        }
        {
            set(m, method, "GET", ROUTE_LIST, R | A);
            return;
        }
    }
    if (strncmp(url, "/v1/claims/", 11) != 0) return;
    const char *id = url + 11;
    const char *slash = strchr(id, '/');
    size_t idn = slash ? (size_t)(slash - id) : strlen(id);
    if (!take_id(id, idn, m)) return;
    if (!slash || !slash[1]) {
        set(m, method, "GET", ROUTE_CLAIM, U | R | A);
        return;
    }
    const char *rest = slash + 1;
    if (!strcmp(rest, "report")) {
        set(m, method, "GET", ROUTE_REPORT, R | A);
        return;
    }
    if (!strcmp(rest, "video")) {
        set(m, method, "GET", ROUTE_VIDEO, R | A);
        return;
    }
    if (!strcmp(rest, "audit")) {
        set(m, method, "GET", ROUTE_AUDIT, R | A);
        return;
    }
    if (!strcmp(rest, "review")) {
        set(m, method, "POST", ROUTE_REVIEW, R | A);
        return;
    }
    if (!strncmp(rest, "frames/", 7)) {
        const char *n = rest + 7;
        char *end;
        long k = strtol(n, &end, 10);
        if (end == n || k < 0 || k > 999 || strcmp(end, ".jpg") != 0 ||
            (n[0] == '0' && end - n > 1))
            return;
        m->frame = (int)k;
        {
            set(m, method, "GET", ROUTE_FRAME, R | A);
            return;
        }
    }
}
