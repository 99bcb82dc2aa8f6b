/* The review page's plumbing: the login form, the session cookie, and the static assets.
 *
 * A browser cannot add an Authorization header to a page load, a <video> or an <iframe>, so the
 * page signs in once: the login form posts the key, the server checks it and sets it as an
 * HttpOnly, SameSite=Strict cookie, which the same key check then accepts on every route. The
 * page's source holds no key (scripts cannot even read the cookie), and only reviewer and admin
 * keys may sign in. Cross-site requests carry no SameSite=Strict cookie, and the one write the
 * page makes (a review) must be application/json, which a cross-site form cannot send. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/report.h"
#include "serve_internal.h"

static const char ui_csp[] = "default-src 'self'; img-src 'self' data:; media-src 'self'; "
                             "frame-src 'self'; style-src 'self'; script-src 'self'; "
                             "object-src 'none'; base-uri 'none'; form-action 'self'; "
                             "frame-ancestors 'none'";

static enum MHD_Result queue(struct MHD_Connection *c, serve_request *r, int status,
                             struct MHD_Response *resp) {
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ret;
}

enum MHD_Result serve_login_page(struct MHD_Connection *c, serve_request *r, int status,
                                 const char *note) {
    const serve_asset *a = serve_asset_find("login.html");
    if (!a) return serve_error(c, r, status, "sign in with an API key");
    /* The page has one marker where a note goes; the note is our own text, escaped anyway. */
    const char *mark = "<!--NOTE-->";
    const char *at = memmem(a->data, a->size, mark, strlen(mark));
    char *esc = dc_html_escape(note ? note : "");
    size_t n = a->size + (esc ? strlen(esc) : 0) + 64;
    char *page = malloc(n);
    if (!page || !esc || !at) {
        free(page);
        free(esc);
        return serve_bytes(c, r, status, "text/html; charset=utf-8", a->data, a->size, false);
    }
    size_t head = (size_t)(at - (const char *)a->data);
    int k = snprintf(page, n, "%.*s%s%s%s%.*s", (int)head, (const char *)a->data,
                     note ? "<p class=\"note\">" : "", esc, note ? "</p>" : "",
                     (int)(a->size - head - strlen(mark)), at + strlen(mark));
    free(esc);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback((size_t)k, page, free);
    if (!resp) {
        free(page);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Security-Policy", ui_csp);
    return queue(c, r, status, resp);
}

enum MHD_Result serve_ui(dc_server *s, struct MHD_Connection *c, serve_request *r) {
    const serve_asset *a = serve_asset_find(r->match.asset);
    if (!a) return serve_error(c, r, 404, "no such page");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(a->size, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", a->content_type);
    MHD_add_response_header(resp, "Content-Security-Policy", ui_csp);
    return queue(c, r, 200, resp);
}

static int hex(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* The value of name in an application/x-www-form-urlencoded body, decoded into out. */
static bool form_value(const char *body, const char *name, char *out, size_t size) {
    size_t nl = strlen(name);
    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            size_t o = 0;
            for (size_t i = nl + 1; i < len && o + 1 < size; i++) {
                char ch = p[i];
                if (ch == '+') ch = ' ';
                else if (ch == '%' && i + 2 < len + 1 && hex(p[i + 1]) >= 0 && hex(p[i + 2]) >= 0) {
                    ch = (char)(hex(p[i + 1]) * 16 + hex(p[i + 2]));
                    i += 2;
                }
                out[o++] = ch;
            }
            out[o] = 0;
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

enum MHD_Result serve_login(dc_server *s, struct MHD_Connection *c, serve_request *r) {
    char key[128] = "";
    if (r->too_large || !r->body.len || !form_value(r->body.data, "key", key, sizeof key))
        return serve_login_page(c, r, 400, "Paste your API key.");
    /* trim what a paste may bring along */
    size_t n = strlen(key);
    while (n && (key[n - 1] == ' ' || key[n - 1] == '\n' || key[n - 1] == '\r')) key[--n] = 0;
    const char *k = key;
    while (*k == ' ') k++;
    dc_status st = DC_STATUS_OK;
    dc_store *db = serve_store(s, &st);
    dc_store_key info;
    bool found = false;
    if (!db || dc_store_key_lookup(db, k, &info, &found, &st) != DC_OK)
        return serve_error(c, r, 503, "the store is not available: %s", st.message);
    if (!found) {
        atomic_fetch_add(&s->metrics.auth_failures, 1);
        memset(key, 0, sizeof key);
        return serve_login_page(c, r, 401, "That key is not valid.");
    }
    if (info.role == DC_ROLE_UPLOADER) {
        memset(key, 0, sizeof key);
        return serve_login_page(c, r, 403, "An uploader key cannot open the review page.");
    }
    char cookie[256];
    snprintf(cookie, sizeof cookie, "dashclaim_key=%s; Path=/; HttpOnly; SameSite=Strict", k);
    memset(key, 0, sizeof key);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Set-Cookie", cookie);
    MHD_add_response_header(resp, "Location", "/ui/");
    memset(cookie, 0, sizeof cookie);
    return queue(c, r, 303, resp);
}

enum MHD_Result serve_logout(dc_server *s, struct MHD_Connection *c, serve_request *r) {
    (void)s;
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Set-Cookie",
                            "dashclaim_key=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    MHD_add_response_header(resp, "Location", "/login");
    return queue(c, r, 303, resp);
}
