/* The review page's plumbing: the login form, sign-in and sign-out, the page's static files, the
 * OpenAPI document and the health check.
 *
 * A browser cannot add an Authorization header to a page load, a <video> or an <iframe>, so the
 * page signs in once: the login form posts the key, the server checks it (reviewer and admin
 * keys only) and answers with a session cookie of its own (see serve_auth.c); the key is not kept
 * anywhere in the browser. The page's source holds no key and its scripts cannot read the
 * cookie. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/report.h"
#include "serve_internal.h"

enum MHD_Result serve_healthz(serve_request *r) {
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("ok"));
    return serve_json(r, 200, o);
}

/* No icon: 204, so that browsers stop asking. */
enum MHD_Result serve_favicon(serve_request *r) {
    return serve_bytes(r, 204, SERVE_DATA, "image/x-icon", "", 0, true);
}

enum MHD_Result serve_openapi(serve_request *r) {
    const serve_asset *a = serve_asset_find("openapi.json");
    if (!a) return serve_error(r, 404, "no OpenAPI document in this build");
    return serve_bytes(r, 200, SERVE_DATA, a->content_type, a->data, a->size, true);
}

enum MHD_Result serve_ui(serve_request *r) {
    const serve_asset *a = serve_asset_find(r->match.asset);
    if (!a) return serve_error(r, 404, "no such page");
    serve_kind kind = strstr(a->content_type, "text/html") ? SERVE_HTML_UI : SERVE_DATA;
    /* scripts and styles of the page are loaded by it under its own policy */
    return serve_bytes(r, 200, kind, a->content_type, a->data, a->size, true);
}

enum MHD_Result serve_login_page(serve_request *r, int status, const char *note) {
    const serve_asset *a = serve_asset_find("login.html");
    if (!a) return serve_error(r, status, "sign in with an API key");
    /* The page has one marker where a note goes; the note is our own text, escaped anyway. */
    const char *mark = "<!--NOTE-->";
    const char *at = memmem(a->data, a->size, mark, strlen(mark));
    char *esc = dc_html_escape(note ? note : "");
    if (!esc || !at) {
        free(esc);
        return serve_bytes(r, status, SERVE_HTML_UI, "text/html; charset=utf-8", a->data, a->size,
                           true);
    }
    size_t head = (size_t)(at - (const char *)a->data);
    dc_str page = {0};
    dc_str_appendn(&page, (const char *)a->data, head);
    if (note) dc_str_appendf(&page, "<p class=\"note\">%s</p>", esc);
    dc_str_appendn(&page, at + strlen(mark), a->size - head - strlen(mark));
    free(esc);
    size_t len = page.len;
    char *text = dc_str_finish(&page);
    if (!text) return serve_error(r, 503, "out of memory");
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, text, free);
    if (!resp) free(text);
    return serve_send(
        r, status, resp,
        &(serve_headers){.kind = SERVE_HTML_UI, .content_type = "text/html; charset=utf-8"});
}

enum MHD_Result serve_login_form(serve_request *r) { return serve_login_page(r, 200, NULL); }

static int hex_digit(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* The value of name in an application/x-www-form-urlencoded body, decoded into out. false when
 * absent, too long, or holding a NUL. */
static bool form_value(const char *body, const char *name, char *out, size_t size) {
    size_t nl = strlen(name);
    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            size_t o = 0;
            for (size_t i = nl + 1; i < len; i++) {
                char ch = p[i];
                if (ch == '+') ch = ' ';
                else if (ch == '%' && i + 2 < len && hex_digit(p[i + 1]) >= 0 &&
                         hex_digit(p[i + 2]) >= 0) {
                    ch = (char)(hex_digit(p[i + 1]) * 16 + hex_digit(p[i + 2]));
                    i += 2;
                }
                if (ch == 0 || o + 1 >= size) return false;
                out[o++] = ch;
            }
            out[o] = 0;
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

static void session_cookie(serve_request *r, const char *token, int max_age, char *out,
                           size_t size) {
    snprintf(out, size, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
             SERVE_SESSION_COOKIE, token, max_age, r->secure ? "; Secure" : "");
}

enum MHD_Result serve_login(serve_request *r) {
    char key[128] = "";
    if (r->too_large || !r->body.len || !form_value(r->body.data, "key", key, sizeof key))
        return serve_login_page(r, 400, "Paste your API key.");
    /* trim what a paste may bring along */
    size_t n = strlen(key);
    while (n && (key[n - 1] == ' ' || key[n - 1] == '\n' || key[n - 1] == '\r')) key[--n] = 0;
    const char *k = key;
    while (*k == ' ') k++;
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(r->server, &st);
    dc_store_key info;
    bool found = false;
    dc_error_class e = db ? dc_store_key_lookup(db, k, &info, &found, &st) : st.code;
    memset(key, 0, sizeof key);
    if (e != DC_OK) return serve_store_error(r, &st);
    if (!found) {
        atomic_fetch_add(&r->server->metrics.auth_failures, 1);
        return serve_login_page(r, 401, "That key is not valid.");
    }
    if (info.role == DC_ROLE_UPLOADER)
        return serve_login_page(r, 403, "An uploader key cannot open the review page.");
    char token[DC_SESSION_TOKEN_LEN];
    if (dc_store_session_create(db, &info, r->server->o.session_ttl_sec, token, &st) != DC_OK)
        return serve_store_error(r, &st);
    char cookie[256];
    session_cookie(r, token, r->server->o.session_ttl_sec, cookie, sizeof cookie);
    memset(token, 0, sizeof token);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = serve_send(
        r, 303, resp,
        &(serve_headers){.content_type = "text/plain", .location = "/ui/", .set_cookie = cookie});
    memset(cookie, 0, sizeof cookie);
    return ret;
}

enum MHD_Result serve_logout(serve_request *r) {
    /* The session ends on the server (serve_auth_check found it), then in the browser. */
    if (r->session[0]) {
        dc_status st = DC_STATUS_OK;
        dc_store *db = serve_store(r->server, &st);
        if (!db || dc_store_session_revoke(db, r->session, &st) != DC_OK)
            return serve_store_error(r, &st);
    }
    char cookie[160];
    session_cookie(r, "", 0, cookie, sizeof cookie);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    return serve_send(
        r, 303, resp,
        &(serve_headers){.content_type = "text/plain", .location = "/login", .set_cookie = cookie});
}
