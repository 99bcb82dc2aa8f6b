/* Every response of the service, errors and 416 included, leaves through serve_send, so that each
 * carries the same security headers; a route cannot forget one because no route adds them.
 *
 *   X-Content-Type-Options: nosniff      a browser never guesses a type we did not send
 *   Referrer-Policy: no-referrer         claim ids in URLs do not travel to other sites
 *   Cache-Control: no-store              nothing stays in a shared or browser cache after logout
 *   X-Frame-Options / frame-ancestors    only the claim report may be framed, by our own page
 *   Content-Security-Policy by kind      data: nothing runs; HTML: our own files only;
 *                                        report: no script at all; video: sandboxed
 *
 * The one exception to "through MHD_queue_response" is serve_error_mid_body (see there), which
 * writes the same header set itself. A leaf: calls nothing else in this folder. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "serve_internal.h"

static const char csp_data[] = "default-src 'none'; frame-ancestors 'none'; sandbox";
static const char csp_ui[] = "default-src 'self'; img-src 'self' data:; media-src 'self'; "
                             "frame-src 'self'; style-src 'self'; script-src 'self'; "
                             "object-src 'none'; base-uri 'none'; form-action 'self'; "
                             "frame-ancestors 'none'";
/* The report is one self-contained page (inline style, data: images) and needs no script: none
 * may run, whatever a model or an uploader wrote into it. */
static const char csp_report[] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                                 "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
                                 "sandbox";
/* A video opened directly is a download (Content-Disposition) and a sandboxed, script-less
 * document should a browser render it anyway; <video src> ignores both. */
static const char csp_video[] = "sandbox; default-src 'none'; media-src 'self'; "
                                "frame-ancestors 'none'";

typedef struct {
    const char *name, *value;
} header;

enum { MAX_HEADERS = 16 };

/* The headers of a response, in the order they are sent. */
static int header_list(const serve_request *r, int status, const serve_headers *h,
                       header out[MAX_HEADERS]) {
    int n = 0;
    out[n++] = (header){"Content-Type", h->content_type ? h->content_type : "application/json"};
    out[n++] = (header){"X-Content-Type-Options", "nosniff"};
    out[n++] = (header){"Referrer-Policy", "no-referrer"};
    out[n++] = (header){"Cache-Control", "no-store"};
    out[n++] = (header){"X-Frame-Options", h->kind == SERVE_HTML_REPORT ? "SAMEORIGIN" : "DENY"};
    const char *csp = h->kind == SERVE_HTML_UI       ? csp_ui
                      : h->kind == SERVE_HTML_REPORT ? csp_report
                      : h->kind == SERVE_VIDEO       ? csp_video
                                                     : csp_data;
    out[n++] = (header){"Content-Security-Policy", csp};
    if (h->location) out[n++] = (header){"Location", h->location};
    if (h->set_cookie) out[n++] = (header){"Set-Cookie", h->set_cookie};
    if (h->content_range) out[n++] = (header){"Content-Range", h->content_range};
    if (h->disposition) out[n++] = (header){"Content-Disposition", h->disposition};
    if (h->allow) out[n++] = (header){"Allow", h->allow};
    if (h->accept_ranges) out[n++] = (header){"Accept-Ranges", "bytes"};
    /* API clients are told how to authenticate; the review page's routes answer with the login
     * form instead (a browser would otherwise pop up its own password dialog). */
    if (status == 401 && h->kind == SERVE_DATA)
        out[n++] = (header){"WWW-Authenticate", "Bearer realm=\"dashclaim\""};
    if (r->close_after) out[n++] = (header){"Connection", "close"};
    return n;
}

enum MHD_Result serve_send(serve_request *r, int status, struct MHD_Response *resp,
                           const serve_headers *h) {
    if (!resp) return MHD_NO;
    header list[MAX_HEADERS];
    int n = header_list(r, status, h, list);
    for (int i = 0; i < n; i++) MHD_add_response_header(resp, list[i].name, list[i].value);
    enum MHD_Result ret = MHD_queue_response(r->c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ret;
}

enum MHD_Result serve_bytes(serve_request *r, int status, serve_kind kind, const char *content_type,
                            const void *data, size_t len, bool persistent) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)data, persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    return serve_send(r, status, resp,
                      &(serve_headers){.kind = kind, .content_type = content_type});
}

enum MHD_Result serve_json(serve_request *r, int status, json_t *body) {
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\",\"status\":503}";
        return serve_bytes(r, 503, SERVE_DATA, "application/json", oom, sizeof oom - 1, true);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(strlen(text), text, free);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    return serve_send(r, status, resp, &(serve_headers){.content_type = "application/json"});
}

static json_t *error_body(int status, const char *message) {
    json_t *o = json_object();
    json_object_set_new(o, "error", json_string(message));
    json_object_set_new(o, "status", json_integer(status));
    return o;
}

enum MHD_Result serve_error(serve_request *r, int status, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return serve_json(r, status, error_body(status, msg));
}

enum MHD_Result serve_store_error(serve_request *r, const dc_status *st) {
    fprintf(stderr, "dashclaim serve: store: %s\n", st && st->message[0] ? st->message : "failed");
    return serve_error(r, 503, "the store is not available now; try again later");
}

static const char *reason_phrase(int status) {
    switch (status) {
    case 400: return "Bad Request";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    default: return "Error";
    }
}

enum MHD_Result serve_error_mid_body(serve_request *r, int status, const char *message) {
    /* libmicrohttpd 0.9.75 refuses MHD_queue_response while a body is being received
     * (connection.c: only HEADERS_PROCESSED or FULL_REQ_RECEIVED), and reading a body far past
     * the limit just to say 413 is what the limit is there to prevent. So the answer is written
     * here, on the connection's thread, into an empty send buffer (nothing was sent on this
     * connection for this request but perhaps "100 Continue"); then the socket is half-closed
     * (FIN after the answer) and MHD_NO makes libmicrohttpd close the connection. A client that
     * reads while it sends (curl, browsers) sees the answer. */
    r->close_after = true;
    r->status = status;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return MHD_NO;
    json_t *o = error_body(status, message);
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    header list[MAX_HEADERS];
    int n = header_list(r, status, &(serve_headers){.content_type = "application/json"}, list);
    dc_str out = {0};
    dc_str_appendf(&out, "HTTP/1.1 %d %s\r\n", status, reason_phrase(status));
    for (int i = 0; i < n; i++) dc_str_appendf(&out, "%s: %s\r\n", list[i].name, list[i].value);
    dc_str_appendf(&out, "Content-Length: %zu\r\n\r\n%s", body ? strlen(body) : 0,
                   body ? body : "");
    free(body);
    if (!out.failed) {
        size_t off = 0;
        while (off < out.len) {
            ssize_t k = send(ci->connect_fd, out.data + off, out.len - off, MSG_NOSIGNAL);
            if (k <= 0) break; /* a full buffer or a gone client: the close says enough */
            off += (size_t)k;
        }
        shutdown(ci->connect_fd, SHUT_WR);
    }
    dc_str_free(&out);
    return MHD_NO;
}
