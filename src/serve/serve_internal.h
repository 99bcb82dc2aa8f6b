/* Inside the service. The files, and which may call which (calls go down this list, never up:
 * a handler never calls back into the file that dispatched it):
 *
 *   server.c            the daemon and the one access handler: route, check, stream, dispatch
 *     -> serve_routes.c   the route table {method, pattern, roles, body, handler}; matching
 *     -> serve_guard.c    the connection watchdog (header deadline, body rate) and the framing
 *                         check (Content-Length / Transfer-Encoding)
 *     -> serve_auth.c     who is asking (Bearer key or session cookie), role, same-origin check
 *     -> handlers         serve_pages.c (login, logout, review page, OpenAPI, health),
 *                         (serve_auth.c's verdict is answered by server.c, which may call
 *                         serve_login_page; handlers read r->secure, never call serve_auth.c)
 *                         serve_upload.c, serve_claims.c, serve_metrics.c (/metrics)
 *          -> serve_sniff.c       what uploaded bytes are (a video type, or opaque bytes)
 *          -> serve_store_conn.c  the calling thread's store connection
 *          -> serve_response.c    every response: one header set, one place (a leaf)
 *   worker.c            the worker threads (no HTTP; called by server.c to start and stop)
 *
 * Handlers take the request and answer through serve_response.c; they know nothing of the
 * daemon. serve_response.c and serve_sniff.c call nothing else in this folder. */
#ifndef DASHCLAIM_SERVE_INTERNAL_H
#define DASHCLAIM_SERVE_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/serve.h"
#include "dashclaim/store.h"
#include "dashclaim/str.h"

/* ---- embedded files (web_assets.c, generated at build time from src/serve/web/) --------------- */

typedef struct {
    const char *name; /* "index.html", "app.js", "openapi.json", ... */
    const char *content_type;
    const unsigned char *data;
    size_t size;
} serve_asset;

/* NULL when no asset has that name. */
const serve_asset *serve_asset_find(const char *name);

/* ---- metrics (serve_metrics.c) --------------------------------------------------------------- */

#define SERVE_LATENCY_BUCKETS 12
extern const double serve_latency_bounds[SERVE_LATENCY_BUCKETS];

typedef struct {
    atomic_llong requests[6]; /* by status class: [1] 1xx .. [5] 5xx, [0] other */
    atomic_llong latency_buckets[SERVE_LATENCY_BUCKETS + 1]; /* last: +Inf */
    atomic_llong latency_count;
    atomic_llong latency_sum_us;
    atomic_llong upload_bytes;
    atomic_llong uploads_accepted, uploads_rejected_size, auth_failures;
    atomic_llong connections_cut; /* closed by the watchdog: headers or body too slow */
} serve_metrics;

void serve_metrics_request(serve_metrics *m, int status, double seconds);

/* ---- the server ------------------------------------------------------------------------------ */

typedef struct serve_guard serve_guard;

struct dc_server {
    dc_serve_options o;
    char store_url[1024];
    struct MHD_Daemon *daemon;
    dc_workers *workers;
    serve_metrics metrics;
    serve_guard *guard;
    int port;
};

/* ---- routes (serve_routes.c) ----------------------------------------------------------------- */

#define SERVE_ROLE_BIT(r) (1u << (r))
#define SERVE_ROLE_UPLOADER SERVE_ROLE_BIT(DC_ROLE_UPLOADER)
#define SERVE_ROLE_REVIEWER SERVE_ROLE_BIT(DC_ROLE_REVIEWER)
#define SERVE_ROLE_ADMIN SERVE_ROLE_BIT(DC_ROLE_ADMIN)

typedef enum {
    SERVE_BODY_NONE = 0, /* a body is read and dropped */
    SERVE_BODY_SMALL,    /* kept in serve_request.body, at most SERVE_SMALL_BODY_MAX */
    SERVE_BODY_UPLOAD,   /* streamed into the store by serve_upload.c */
} serve_body;

#define SERVE_SMALL_BODY_MAX (64 * 1024)

typedef struct serve_request serve_request;
typedef enum MHD_Result (*serve_handler)(serve_request *r);

typedef struct {
    const char *method;  /* "GET" (also answers HEAD) or "POST" */
    const char *pattern; /* "/v1/claims/{id}/frames/{n}.jpg": {id} a claim id, {n} 0..999 without
                            leading zeros, {asset} a file of the review page */
    unsigned roles;      /* SERVE_ROLE_* bits; 0 = no key needed */
    serve_body body;
    bool browser_form;   /* a form the browser posts without a key (login, logout): same-origin
                            is checked even without a cookie */
    const char *asset;   /* the file a fixed UI route serves ("index.html"), or NULL */
    serve_handler begin; /* called when the headers are in and checked (uploads), or NULL */
    serve_handler handler;
} serve_route;

extern const serve_route serve_routes[];
extern const size_t serve_route_count;

typedef struct {
    const serve_route *route; /* NULL: see status */
    int status;               /* 0 when matched, else 404 or 405 */
    char claim_id[DC_STORE_ID_LEN + 8];
    int frame;
    char asset[64];
} serve_match;

/* Matches method + url against the table; never fails. */
void serve_route_match(const char *method, const char *url, serve_match *m);

/* ---- requests -------------------------------------------------------------------------------- */

struct serve_request {
    dc_server *server;
    struct MHD_Connection *c;
    serve_match match;
    dc_store_key key;
    bool authed;
    bool via_cookie; /* signed in by the session cookie, not an Authorization header */
    bool presented;  /* credentials were sent (valid or not) */
    bool secure;     /* served over TLS or behind a proxy that says so (serve_auth_secure) */
    char session[DC_SESSION_TOKEN_LEN]; /* the cookie's session token, "" = none */
    bool close_after; /* answer with Connection: close (framing errors, cut uploads) */
    double t0;
    /* upload (POST /v1/claims, POST /v1/claims/{id}/videos): the videos committed so far are
     * nc.videos[0..nc.video_count); writer is the one being received */
    dc_store_video_writer *writer;
    struct MHD_PostProcessor *pp;
    bool multipart, file_seen, too_large, failed;
    bool json_body;       /* application/json: an open claim without a video (kept in body) */
    bool adding;          /* videos for the open claim match.claim_id, not a new claim */
    unsigned fields_seen; /* bit per metadata field: a repeated one is refused */
    int fail_status;
    char fail_message[600];
    int64_t received, discarded; /* received: bytes of the video being received */
    int64_t received_total;
    unsigned char head[1024]; /* the video's first bytes, for serve_sniff_video */
    size_t head_len;
    char part_file[256];                 /* the file name of the multipart part being received */
    char roles[DC_MAX_CLAIM_VIDEOS][16]; /* `role` parts (or ?role=), in order, video by video */
    int nroles;
    char segments[DC_MAX_CLAIM_VIDEOS][12]; /* `segment` parts, likewise */
    int nsegments;
    bool list_overflow; /* more role or segment values than a claim has videos */
    char open_text[8];  /* the `open` field: "true" opens the claim instead of queueing it */
    dc_store_new_claim nc;
    /* small bodies: review JSON, login form */
    dc_str body;
    int status; /* what was answered (for metrics); 0 = nothing yet */
};

/* ---- responses (serve_response.c) ------------------------------------------------------------ */

typedef enum {
    SERVE_DATA = 0,    /* JSON, text, images: CSP "default-src 'none'", never framed */
    SERVE_HTML_UI,     /* the review page and login form: their own scripts and styles only */
    SERVE_HTML_REPORT, /* a claim report: no script at all; framed by the review page only */
    SERVE_VIDEO,       /* an uploaded video: sandboxed, an attachment when opened directly */
} serve_kind;

typedef struct {
    serve_kind kind;
    const char *content_type;
    const char *location; /* 303 */
    const char *set_cookie;
    const char *content_range; /* 206, 416 */
    const char *disposition;   /* Content-Disposition */
    const char *allow;         /* 405 */
    bool accept_ranges;
} serve_headers;

/* Every response goes through here: the security headers (nosniff, Referrer-Policy no-referrer,
 * Cache-Control no-store, X-Frame-Options, a Content-Security-Policy by kind), then h's, then
 * Connection: close when r->close_after. Takes resp (destroys it); NULL resp -> MHD_NO. */
enum MHD_Result serve_send(serve_request *r, int status, struct MHD_Response *resp,
                           const serve_headers *h);
/* Bytes of the given type (copied unless persistent). */
enum MHD_Result serve_bytes(serve_request *r, int status, serve_kind kind, const char *content_type,
                            const void *data, size_t len, bool persistent);
/* Takes body (decref'd). */
enum MHD_Result serve_json(serve_request *r, int status, json_t *body);
/* {"error": msg, "status": status}. Messages are written for the client: never a server path. */
enum MHD_Result serve_error(serve_request *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 503 "the store is not available now"; the store's own message (which may name a folder of
 * this machine) goes to the server's log only. */
enum MHD_Result serve_store_error(serve_request *r, const dc_status *st);
/* For a request whose body is still arriving (libmicrohttpd 0.9 cannot queue a response then):
 * writes the error response, with the same headers, straight to the socket, half-closes it and
 * returns MHD_NO so that the connection ends. */
enum MHD_Result serve_error_mid_body(serve_request *r, int status, const char *message);

/* ---- guard (serve_guard.c) ------------------------------------------------------------------- */

serve_guard *serve_guard_start(int header_timeout_sec, int min_body_rate, atomic_llong *cut);
void serve_guard_stop(serve_guard *g);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback (cls = the guard). */
void serve_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
/* The request's headers are in (and a body follows or not) / body bytes arrived / the whole
 * request is in / the request is over (the connection may carry another). */
void serve_guard_headers(struct MHD_Connection *c, bool body_expected);
void serve_guard_body(struct MHD_Connection *c, size_t n);
void serve_guard_answered(struct MHD_Connection *c);
void serve_guard_done(struct MHD_Connection *c);
/* NULL when the framing headers are sound, else why not (Content-Length twice, with
 * Transfer-Encoding, a Transfer-Encoding other than chunked, a malformed length). */
const char *serve_guard_framing(struct MHD_Connection *c);

/* ---- auth (serve_auth.c) --------------------------------------------------------------------- */

#define SERVE_SESSION_COOKIE "dashclaim_session"

typedef enum {
    SERVE_ALLOWED = 0,
    SERVE_UNAUTHENTICATED, /* no credentials, or unknown, revoked, expired (r->presented says) */
    SERVE_ROLE_REFUSED,    /* the key's role may not call the route */
    SERVE_CROSS_SITE,      /* a browser write from another site */
    SERVE_STORE_DOWN,      /* the credentials could not be looked up (*st says why) */
} serve_verdict;

/* Who is asking and may they (fills r->key, r->authed, r->via_cookie, r->session,
 * r->presented). Answers nothing: the caller turns the verdict into a response. */
serve_verdict serve_auth_check(serve_request *r, dc_status *st);
/* A browser request from another site: an Origin that is not this server's, or a
 * Sec-Fetch-Site other than same-origin/none. */
bool serve_auth_cross_site(serve_request *r);
/* Served over TLS (--secure-cookies) or behind a trusted proxy that says so. */
bool serve_auth_secure(serve_request *r);

/* ---- sniffing (serve_sniff.c) ---------------------------------------------------------------- */

/* The video type the first bytes of a file show ("video/mp4", "video/quicktime",
 * "video/x-matroska", "video/webm", "video/mp2t", "video/x-msvideo"), or
 * "application/octet-stream": never a type a browser renders as a document. */
const char *serve_sniff_video(const unsigned char *head, size_t n);
/* True when an upload's declared Content-Type (parameters allowed) is one we take. */
bool serve_upload_type_allowed(const char *content_type);
/* A stored type made safe to send (claims stored before sniffing may hold anything): the type
 * when it is one of the video types above, else application/octet-stream. */
const char *serve_video_type_safe(const char *stored);
/* The file extension for a served type ("mp4", "mkv", ..., "bin"). */
const char *serve_video_extension(const char *type);

/* ---- store connection (serve_store_conn.c) ---------------------------------------------------- */

/* The calling thread's store connection (opened on first use, closed when the thread ends). */
dc_store *serve_store(dc_server *s, dc_status *st);

/* ---- handlers -------------------------------------------------------------------------------- */

enum MHD_Result serve_healthz(serve_request *r);
enum MHD_Result serve_favicon(serve_request *r);
enum MHD_Result serve_openapi(serve_request *r);
enum MHD_Result serve_ui(serve_request *r);
enum MHD_Result serve_login_form(serve_request *r);
enum MHD_Result serve_login(serve_request *r);
enum MHD_Result serve_logout(serve_request *r);
/* The login page with status (200, or 401 where a page needed a key). */
enum MHD_Result serve_login_page(serve_request *r, int status, const char *note);

enum MHD_Result serve_upload_begin(serve_request *r);
/* POST /v1/claims/{id}/videos: the same body forms, each video added to the open claim. */
enum MHD_Result serve_videos_add_begin(serve_request *r);
enum MHD_Result serve_videos_add_end(serve_request *r);
enum MHD_Result serve_upload_data(serve_request *r, const char *data, size_t *size);
enum MHD_Result serve_upload_end(serve_request *r);
void serve_upload_cleanup(serve_request *r);

enum MHD_Result serve_claims_list(serve_request *r);
enum MHD_Result serve_claim_get(serve_request *r);
enum MHD_Result serve_claim_report(serve_request *r);
enum MHD_Result serve_claim_frame(serve_request *r);
enum MHD_Result serve_claim_video(serve_request *r);
enum MHD_Result serve_claim_audit(serve_request *r);
enum MHD_Result serve_claim_review(serve_request *r);
enum MHD_Result serve_claim_submit(serve_request *r);
enum MHD_Result serve_claim_videos_list(serve_request *r);
enum MHD_Result serve_metrics_page(serve_request *r);

/* A claim as the API shows it (the assessment is added by the caller when wanted). */
json_t *serve_claim_json(const dc_store_claim *c);
/* The claim's videos as the API shows them: [{position, role, segment, sha256, bytes,
 * content_type, file_name}], or NULL with *st when the store fails. */
json_t *serve_claim_videos_json(dc_store *db, const char *claim_id, dc_status *st);

#endif
