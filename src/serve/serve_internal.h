/* Inside the service: the request context, the routes, metrics and the embedded web assets. */
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
    const char *name;         /* "index.html", "app.js", "openapi.json", ... */
    const char *content_type;
    const unsigned char *data;
    size_t size;
} serve_asset;

/* NULL when no asset has that name. */
const serve_asset *serve_asset_find(const char *name);

/* ---- metrics -------------------------------------------------------------------------------- */

#define SERVE_LATENCY_BUCKETS 12
extern const double serve_latency_bounds[SERVE_LATENCY_BUCKETS];

typedef struct {
    atomic_llong requests[6]; /* by status class: [1] 1xx .. [5] 5xx, [0] other */
    atomic_llong latency_buckets[SERVE_LATENCY_BUCKETS + 1]; /* last: +Inf */
    atomic_llong latency_count;
    atomic_llong latency_sum_us;
    atomic_llong upload_bytes;
    atomic_llong uploads_accepted, uploads_rejected_size, auth_failures;
} serve_metrics;

void serve_metrics_request(serve_metrics *m, int status, double seconds);

/* ---- server and requests -------------------------------------------------------------------- */

struct dc_server {
    dc_serve_options o;
    char store_url[1024];
    struct MHD_Daemon *daemon;
    dc_workers *workers;
    serve_metrics metrics;
    int port;
};

typedef enum {
    ROUTE_NONE = 0,
    ROUTE_HEALTHZ,
    ROUTE_LOGIN_PAGE, /* GET /login */
    ROUTE_LOGIN,      /* POST /login: form key=... -> cookie */
    ROUTE_LOGOUT,     /* POST /logout */
    ROUTE_UI,         /* GET /, /ui/, /ui/<asset> */
    ROUTE_OPENAPI,
    ROUTE_METRICS,
    ROUTE_UPLOAD,     /* POST /v1/claims */
    ROUTE_LIST,       /* GET /v1/claims */
    ROUTE_CLAIM,      /* GET /v1/claims/{id} */
    ROUTE_REPORT,
    ROUTE_FRAME,
    ROUTE_VIDEO,
    ROUTE_AUDIT,
    ROUTE_REVIEW,     /* POST /v1/claims/{id}/review */
    ROUTE_FAVICON,    /* GET /favicon.ico: 204, so browsers stop asking */
    ROUTE_NOT_FOUND,
    ROUTE_BAD_METHOD,
} serve_route;

#define SERVE_ROLE_BIT(r) (1u << (r))
#define SERVE_ANY_ROLE 7u

typedef struct {
    serve_route route;
    unsigned roles; /* roles allowed; 0 = no key needed */
    char claim_id[DC_STORE_ID_LEN + 8];
    int frame;
    char asset[64];
} serve_match;

/* Routes method + url; never fails (unknown paths become ROUTE_NOT_FOUND). */
void serve_route_match(const char *method, const char *url, serve_match *m);

typedef struct {
    dc_server *server;
    serve_match match;
    dc_store_key key;
    bool authed;
    double t0;
    /* upload */
    dc_store_video_writer *writer;
    struct MHD_PostProcessor *pp;
    bool multipart, file_seen, too_large, failed;
    int fail_status;
    char fail_message[600];
    int64_t received, discarded;
    dc_store_new_claim nc;
    /* small bodies: review JSON, login form */
    dc_str body;
    int status; /* what was answered (for metrics) */
} serve_request;

/* The calling thread's store connection (opened on first use, closed when the thread ends). */
dc_store *serve_store(dc_server *s, dc_status *st);

/* Responses. Each queues the response and returns MHD's result. */
enum MHD_Result serve_json(struct MHD_Connection *c, serve_request *r, int status, json_t *body);
enum MHD_Result serve_error(struct MHD_Connection *c, serve_request *r, int status,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
enum MHD_Result serve_bytes(struct MHD_Connection *c, serve_request *r, int status,
                            const char *content_type, const void *data, size_t len,
                            bool copy);

/* Handlers (serve_claims.c, serve_upload.c, serve_pages.c). */
enum MHD_Result serve_upload_begin(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_upload_data(dc_server *s, struct MHD_Connection *c, serve_request *r,
                                  const char *data, size_t *size);
enum MHD_Result serve_upload_end(dc_server *s, struct MHD_Connection *c, serve_request *r);
void serve_upload_cleanup(serve_request *r);

enum MHD_Result serve_claims_list(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_claim_get(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_claim_artifact(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_claim_video(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_claim_audit(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_claim_review(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_metrics_page(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_ui(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_login(dc_server *s, struct MHD_Connection *c, serve_request *r);
enum MHD_Result serve_logout(dc_server *s, struct MHD_Connection *c, serve_request *r);
/* The login page with status (200, or 401 where a page needed a key). */
enum MHD_Result serve_login_page(struct MHD_Connection *c, serve_request *r, int status,
                                 const char *note);

/* A claim as the API shows it (the assessment is added by the caller when wanted). */
json_t *serve_claim_json(const dc_store_claim *c);

#ifdef DC_TEST_HOOKS
void serve_crash_if(const dc_server *s, const char *point);
#else
static inline void serve_crash_if(const dc_server *s, const char *point) {
    (void)s;
    (void)point;
}
#endif

#endif
