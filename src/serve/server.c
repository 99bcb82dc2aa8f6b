/* The HTTP daemon: libmicrohttpd with a thread pool, and the one access handler every request
 * goes through.
 *
 * Order of events for a request, and what is decided when:
 *   1. headers received (first call, no body read yet): route, then the key (Bearer header or the
 *      login cookie) is looked up and the role checked -> 401 / 403 here, before a single body
 *      byte is accepted; an upload whose Content-Length is over the limit gets 413 here too. A
 *      response queued at this point makes libmicrohttpd discard the body and close, and a client
 *      that sent "Expect: 100-continue" never sends it.
 *   2. body chunks: streamed into the store (uploads) or into a small bounded buffer (review JSON,
 *      login form); an upload that would pass the limit stops being written at once.
 *   3. body done: the handler answers.
 * Limits: connection timeout, total and per-IP connection caps, and a per-connection memory cap
 * are always set (libmicrohttpd's default timeout is none).
 *
 * Keys never reach a log: nothing here prints headers, and failures name the route, not the key. */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve_internal.h"

void dc_serve_options_init(dc_serve_options *o) {
    memset(o, 0, sizeof *o);
    dc_store_options_init(&o->store);
    o->listen = "127.0.0.1:8080";
    o->http_threads = 4;
    o->max_upload_bytes = 500LL * 1000 * 1000;
    o->connection_timeout_sec = 30;
    o->header_timeout_sec = 10;
    o->min_body_rate = 1024;
    o->session_ttl_sec = 8 * 3600;
    o->max_connections = 512;
    o->per_ip_connections = 128;
    dc_worker_options_init(&o->workers);
}

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#ifdef DC_TEST_HOOKS
void serve_crash_if(const dc_server *s, const char *point) {
    if (s->o.crash_point && !strcmp(s->o.crash_point, point)) kill(getpid(), SIGKILL);
}
#endif

/* ---- one store connection per pool thread ------------------------------------------------- */

static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;

static void close_thread_store(void *p) { dc_store_close(p); }
static void make_store_key(void) { pthread_key_create(&store_key, close_thread_store); }

dc_store *serve_store(dc_server *s, dc_status *st) {
    pthread_once(&store_key_once, make_store_key);
    dc_store *db = pthread_getspecific(store_key);
    if (db) return db;
    db = dc_store_open(s->store_url, &s->o.store, st);
    if (db) pthread_setspecific(store_key, db);
    return db;
}

/* ---- responses ------------------------------------------------------------------------------ */

static void common_headers(struct MHD_Response *resp) {
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

enum MHD_Result serve_bytes(struct MHD_Connection *c, serve_request *r, int status,
                            const char *content_type, const void *data, size_t len, bool copy) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", content_type);
    common_headers(resp);
    if (status == 401 && r->match.route >= ROUTE_OPENAPI)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"dashclaim\"");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ret;
}

enum MHD_Result serve_json(struct MHD_Connection *c, serve_request *r, int status, json_t *body) {
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) return serve_bytes(c, r, 500, "application/json",
                                  "{\"error\":\"out of memory\"}", 25, false);
    size_t n = strlen(text);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(n, text, free);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    common_headers(resp);
    if (status == 401) MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"dashclaim\"");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ret;
}

enum MHD_Result serve_error(struct MHD_Connection *c, serve_request *r, int status,
                            const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_object();
    json_object_set_new(o, "error", json_string(msg));
    json_object_set_new(o, "status", json_integer(status));
    return serve_json(c, r, status, o);
}

/* ---- metrics -------------------------------------------------------------------------------- */

const double serve_latency_bounds[SERVE_LATENCY_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,  0.1,    0.25,  0.5,  1,
                                                            2.5,   10};

void serve_metrics_request(serve_metrics *m, int status, double seconds) {
    int k = status / 100;
    atomic_fetch_add(&m->requests[k >= 1 && k <= 5 ? k : 0], 1);
    int i = 0;
    while (i < SERVE_LATENCY_BUCKETS && seconds > serve_latency_bounds[i]) i++;
    atomic_fetch_add(&m->latency_buckets[i], 1);
    atomic_fetch_add(&m->latency_count, 1);
    atomic_fetch_add(&m->latency_sum_us, (long long)(seconds * 1e6));
}

/* ---- auth ----------------------------------------------------------------------------------- */

/* The key from "Authorization: Bearer KEY" or, for the browser, the login cookie. */
static const char *presented_key(struct MHD_Connection *c) {
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (h) {
        if (strncasecmp(h, "Bearer ", 7) != 0) return "";
        h += 7;
        while (*h == ' ') h++;
        return h;
    }
    return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "dashclaim_key");
}

/* 0 when the request may go on, else the status already answered. */
static int check_auth(dc_server *s, struct MHD_Connection *c, serve_request *r,
                      enum MHD_Result *ret) {
    if (!r->match.roles) return 0;
    const char *key = presented_key(c);
    bool found = false;
    if (key && *key) {
        dc_status st = DC_STATUS_OK;
        dc_store *db = serve_store(s, &st);
        if (!db || dc_store_key_lookup(db, key, &r->key, &found, &st) != DC_OK) {
            *ret = serve_error(c, r, 503, "the store is not available: %s", st.message);
            return 503;
        }
    }
    if (!found) {
        atomic_fetch_add(&s->metrics.auth_failures, 1);
        if (r->match.route == ROUTE_UI)
            *ret = serve_login_page(c, r, 401, key && *key ? "That key is not valid." : NULL);
        else
            *ret = serve_error(c, r, 401, key && *key ? "unknown or revoked API key"
                                                      : "an API key is needed (Authorization: "
                                                        "Bearer KEY)");
        return 401;
    }
    r->authed = true;
    if (!(r->match.roles & SERVE_ROLE_BIT(r->key.role))) {
        *ret = serve_error(c, r, 403, "the role '%s' may not do this", dc_role_name(r->key.role));
        return 403;
    }
    return 0;
}

/* ---- the handler ---------------------------------------------------------------------------- */

static enum MHD_Result small_body(serve_request *r, const char *data, size_t *size) {
    /* Review JSON and the login form are small; anything larger is refused at the end. */
    if (r->body.len + *size > 64 * 1024) {
        r->too_large = true;
        *size = 0;
        return MHD_YES;
    }
    dc_str_appendn(&r->body, data, *size);
    if (r->body.failed) return MHD_NO;
    *size = 0;
    return MHD_YES;
}

static enum MHD_Result dispatch(dc_server *s, struct MHD_Connection *c, serve_request *r) {
    switch (r->match.route) {
    case ROUTE_HEALTHZ: {
        json_t *o = json_object();
        json_object_set_new(o, "status", json_string("ok"));
        return serve_json(c, r, 200, o);
    }
    case ROUTE_LOGIN_PAGE: return serve_login_page(c, r, 200, NULL);
    case ROUTE_LOGIN: return serve_login(s, c, r);
    case ROUTE_LOGOUT: return serve_logout(s, c, r);
    case ROUTE_UI: return serve_ui(s, c, r);
    case ROUTE_OPENAPI: {
        const serve_asset *a = serve_asset_find("openapi.json");
        if (!a) return serve_error(c, r, 404, "no OpenAPI document in this build");
        return serve_bytes(c, r, 200, a->content_type, a->data, a->size, false);
    }
    case ROUTE_METRICS: return serve_metrics_page(s, c, r);
    case ROUTE_UPLOAD: return serve_upload_end(s, c, r);
    case ROUTE_LIST: return serve_claims_list(s, c, r);
    case ROUTE_CLAIM: return serve_claim_get(s, c, r);
    case ROUTE_REPORT:
    case ROUTE_FRAME: return serve_claim_artifact(s, c, r);
    case ROUTE_VIDEO: return serve_claim_video(s, c, r);
    case ROUTE_AUDIT: return serve_claim_audit(s, c, r);
    case ROUTE_REVIEW:
        if (r->too_large) return serve_error(c, r, 413, "a review body is at most 64 KiB");
        return serve_claim_review(s, c, r);
    case ROUTE_FAVICON: return serve_bytes(c, r, 204, "image/x-icon", "", 0, false);
    case ROUTE_BAD_METHOD: return serve_error(c, r, 405, "method not allowed here");
    case ROUTE_NONE:
    case ROUTE_NOT_FOUND: break;
    }
    return serve_error(c, r, 404, "no such resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    dc_server *s = cls;
    serve_request *r = *con_cls;
    if (!r) {
        /* First call: headers only. Decide everything that does not need the body now. */
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *con_cls = r;
        r->server = s;
        r->t0 = mono();
        serve_route_match(method, url, &r->match);
        enum MHD_Result ret = MHD_YES;
        if (r->match.route == ROUTE_NOT_FOUND || r->match.route == ROUTE_BAD_METHOD)
            return dispatch(s, c, r);
        if (check_auth(s, c, r, &ret)) return ret;
        if (r->match.route == ROUTE_UPLOAD) return serve_upload_begin(s, c, r);
        return MHD_YES;
    }
    if (r->status) {
        /* Already answered (e.g. a failed upload): drop whatever body is still coming. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (r->match.route == ROUTE_UPLOAD) return serve_upload_data(s, c, r, upload_data, upload_data_size);
        if (r->match.route == ROUTE_REVIEW || r->match.route == ROUTE_LOGIN)
            return small_body(r, upload_data, upload_data_size);
        *upload_data_size = 0; /* a body where none is expected is ignored */
        return MHD_YES;
    }
    return dispatch(s, c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    dc_server *s = cls;
    serve_request *r = *con_cls;
    if (!r) return;
    serve_upload_cleanup(r);
    if (r->status) serve_metrics_request(&s->metrics, r->status, mono() - r->t0);
    dc_str_free(&r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- start / stop --------------------------------------------------------------------------- */

static dc_error_class parse_listen(const char *listen, struct sockaddr_storage *ss,
                                   socklen_t *len, dc_status *st) {
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
        return dc_fail(st, DC_ERR_INPUT, "serve: --listen wants HOST:PORT, not '%s'", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return dc_fail(st, DC_ERR_INPUT, "serve: bad port in --listen '%s'", listen);
    /* [::1]:8080 */
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%ld", port);
    int e = getaddrinfo(host, ps, &hints, &ai);
    if (e != 0 || !ai)
        return dc_fail(st, DC_ERR_INPUT, "serve: cannot resolve '%s': %s", host, gai_strerror(e));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return DC_OK;
}

dc_server *dc_server_start(const dc_serve_options *o, dc_status *st) {
    if (!o->store_url || !*o->store_url) {
        dc_fail(st, DC_ERR_INPUT, "serve: no store given (--data DIR or --db URL)");
        return NULL;
    }
    dc_server *s = calloc(1, sizeof *s);
    if (!s) {
        dc_fail(st, DC_ERR_RESOURCE, "serve: out of memory");
        return NULL;
    }
    s->o = *o;
    snprintf(s->store_url, sizeof s->store_url, "%s", o->store_url);
    s->o.store_url = s->store_url;
    if (s->o.http_threads <= 0) s->o.http_threads = 4;
    if (s->o.max_upload_bytes <= 0) s->o.max_upload_bytes = 500LL * 1000 * 1000;
    if (s->o.connection_timeout_sec <= 0) s->o.connection_timeout_sec = 30;
    if (s->o.max_connections <= 0) s->o.max_connections = 512;
    if (s->o.per_ip_connections <= 0) s->o.per_ip_connections = 128;
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    if (parse_listen(o->listen ? o->listen : "127.0.0.1:8080", &addr, &addr_len, st) != DC_OK)
        goto fail;
    /* Open (create, migrate) the store once here so that a bad --data fails the start, not the
     * first request. */
    dc_store *probe = dc_store_open(s->store_url, &s->o.store, st);
    if (!probe) goto fail;
    dc_store_close(probe);
    if (o->workers.threads > 0) {
        dc_worker_options wo = o->workers;
        wo.store_url = s->store_url;
        wo.store = s->o.store;
        if (!(s->workers = dc_workers_start(&wo, st))) goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.http_threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o.connection_timeout_sec,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->o.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->o.per_ip_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        dc_fail(st, DC_ERR_RESOURCE, "serve: cannot listen on %s (in use, or not an address of "
                                     "this machine)", o->listen);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s;
fail:
    dc_workers_stop(s->workers);
    free(s);
    return NULL;
}

int dc_server_port(const dc_server *s) { return s->port; }

void dc_server_stop(dc_server *s) {
    if (!s) return;
    /* Workers first: they release or finish their jobs while the daemon still answers. */
    dc_workers_stop(s->workers);
    s->workers = NULL;
    if (s->daemon) MHD_stop_daemon(s->daemon);
    free(s);
}
