/* Who is asking, and may they.
 *
 * Two credentials: an API key in "Authorization: Bearer KEY" (scripts, other services), or the
 * review page's session cookie. The cookie holds a session token of its own, made at /login for
 * a reviewer or admin key and revoked at /logout (dc_store_session_*), never the key: a copied
 * cookie dies with the session, and logging out ends it on the server, not only in the browser.
 * It is HttpOnly (scripts cannot read it), SameSite=Strict, and Secure when the service is served
 * over TLS (--secure-cookies) or behind a proxy that says so (--trust-proxy + X-Forwarded-Proto).
 *
 * A browser sends the cookie with any request to this origin, including a form another site
 * posts (cross-site request forgery) and a form on another port of the same host (same site, so
 * SameSite does not stop it). So every state-changing request made with the cookie, and the
 * login and logout forms whatever they carry, must come from this origin: its Sec-Fetch-Site
 * same-origin (or none: typed by the user), or, from a browser that sends no fetch metadata, its
 * Origin this server's. Requests with a Bearer key are made by programs, which no other site can
 * make a browser send; they are not checked. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "serve_internal.h"

bool serve_auth_secure(serve_request *r) {
    if (r->server->o.secure_cookies) return true;
    if (!r->server->o.trust_proxy) return false;
    const char *p = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "X-Forwarded-Proto");
    return p && !strcasecmp(p, "https");
}

bool serve_auth_cross_site(serve_request *r) {
    /* Fetch metadata first: browsers send Sec-Fetch-Site on every request, whatever the page's
     * referrer policy. Origin cannot come first: under our own Referrer-Policy: no-referrer a
     * browser sends "Origin: null" even for a form or fetch() of our own pages (Fetch standard,
     * "serializing a request origin"). */
    const char *site = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site) return strcasecmp(site, "same-origin") != 0 && strcasecmp(site, "none") != 0;
    /* A browser too old for fetch metadata: the Origin, when it sends one, must be ours ("null",
     * an opaque origin such as a sandboxed frame of another site, is not). */
    const char *origin = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Origin");
    if (!origin) return false;
    const char *host = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Host");
    if (!host || !*host) return true;
    char own[300];
    snprintf(own, sizeof own, "%s://%s", serve_auth_secure(r) ? "https" : "http", host);
    return strcasecmp(origin, own) != 0;
}

/* Bearer key: the key's row. */
static dc_error_class by_key(serve_request *r, dc_store *db, const char *key, bool *found,
                             dc_status *st) {
    return dc_store_key_lookup(db, key, &r->key, found, st);
}

/* Session cookie: the key the session was made for (still valid, not revoked). */
static dc_error_class by_session(serve_request *r, dc_store *db, const char *token, bool *found,
                                 dc_status *st) {
    if (strlen(token) >= sizeof r->session) {
        *found = false;
        return DC_OK;
    }
    dc_error_class e = dc_store_session_lookup(db, token, &r->key, found, st);
    if (e == DC_OK && *found) {
        snprintf(r->session, sizeof r->session, "%s", token);
        r->via_cookie = true;
    }
    return e;
}

serve_verdict serve_auth_check(serve_request *r, dc_status *st) {
    const serve_route *route = r->match.route;
    const char *bearer = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(r->c, MHD_COOKIE_KIND, SERVE_SESSION_COOKIE);
    /* Look the session up even where no role is needed: logout revokes it. */
    bool found = false;
    r->presented = false;
    if (route->roles || (route->browser_form && cookie && *cookie)) {
        dc_store *db = NULL;
        dc_error_class e = DC_OK;
        if (bearer) {
            r->presented = true;
            const char *k = strncasecmp(bearer, "Bearer ", 7) == 0 ? bearer + 7 : "";
            while (*k == ' ') k++;
            if (*k) e = (db = serve_store(r->server, st)) ? by_key(r, db, k, &found, st) : st->code;
        } else if (cookie && *cookie) {
            r->presented = true;
            e = (db = serve_store(r->server, st)) ? by_session(r, db, cookie, &found, st)
                                                  : st->code;
        }
        if (e != DC_OK) return SERVE_STORE_DOWN;
    }
    /* Cross-site checks come before the key's verdict: a forged form learns nothing. */
    bool writes = strcmp(route->method, "POST") == 0;
    if ((route->browser_form || (writes && !bearer && cookie)) && serve_auth_cross_site(r))
        return SERVE_CROSS_SITE;
    if (!route->roles) return SERVE_ALLOWED;
    if (!found) {
        atomic_fetch_add(&r->server->metrics.auth_failures, 1);
        return SERVE_UNAUTHENTICATED;
    }
    r->authed = true;
    if (!(route->roles & SERVE_ROLE_BIT(r->key.role))) return SERVE_ROLE_REFUSED;
    return SERVE_ALLOWED;
}
