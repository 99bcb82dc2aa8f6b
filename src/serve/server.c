/* The HTTP daemon: libmicrohttpd with a thread pool, and the one access handler every request
 * goes through (see serve_internal.h for the files and who calls whom).
 *
 * Order of events for a request, and what is decided when:
 *   1. connection accepted: the watchdog (serve_guard.c) starts its header deadline.
 *   2. headers received (first call, no body read yet): framing (a doubled or conflicting
 *      Content-Length / Transfer-Encoding is 400 and the connection closes), the route (404,
 *      405), who is asking and from where (401, 403: serve_auth.c), and for uploads the
 *      declared size and type (413, 415). A response queued at this point makes libmicrohttpd
 *      skip the body, and a client that sent "Expect: 100-continue" never sends it.
 *   3. body chunks: streamed into the store (uploads) or into a small bounded buffer (review
 *      JSON, login form), at a minimum rate the watchdog enforces; an upload that passes the
 *      limit is answered 413 at once and the connection closed.
 *   4. body done: the route's handler answers, through serve_response.c.
 * Limits: the header deadline and body rate, an idle timeout, total and per-IP connection caps
 * and a per-connection memory cap are always set (libmicrohttpd's default timeout is none).
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

/* ---- the handler ---------------------------------------------------------------------------- */

static enum MHD_Result small_body(serve_request *r, const char *data, size_t *size) {
    /* Review JSON and the login form are small; anything larger is refused at the end. */
    if (r->body.len + *size > SERVE_SMALL_BODY_MAX) {
        r->too_large = true;
        *size = 0;
        return MHD_YES;
    }
    dc_str_appendn(&r->body, data, *size);
    if (r->body.failed) return MHD_NO;
    *size = 0;
    return MHD_YES;
}

static bool body_expected(struct MHD_Connection *c) {
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding") ||
           (cl && strtoll(cl, NULL, 10) > 0);
}

/* The first call: the headers are in, no body byte has been read. Everything that does not
 * need the body is decided here; a response queued now makes libmicrohttpd skip the body. */
static enum MHD_Result on_headers(serve_request *r, const char *method, const char *url) {
    serve_guard_headers(r->c, body_expected(r->c));
    const char *framing = serve_guard_framing(r->c);
    if (framing) {
        r->close_after = true;
        return serve_error(r, 400, "%s", framing);
    }
    serve_route_match(method, url, &r->match);
    if (!r->match.route) {
        if (r->match.status == 405) return serve_error(r, 405, "method not allowed here");
        return serve_error(r, 404, "no such resource");
    }
    r->secure = serve_auth_secure(r);
    dc_status st = DC_STATUS_OK;
    switch (serve_auth_check(r, &st)) {
    case SERVE_ALLOWED: break;
    case SERVE_STORE_DOWN: return serve_store_error(r, &st);
    case SERVE_CROSS_SITE:
        return serve_error(r, 403,
                           "cross-site request refused: this form must be sent from the "
                           "service's own pages");
    case SERVE_ROLE_REFUSED:
        return serve_error(r, 403, "the role '%s' may not do this", dc_role_name(r->key.role));
    case SERVE_UNAUTHENTICATED:
        /* the review page's routes answer with the login form, the API with a JSON 401 */
        if (r->match.route->handler == serve_ui)
            return serve_login_page(r, 401,
                                    r->presented ? "Your session has ended: sign in "
                                                   "again."
                                                 : NULL);
        return serve_error(r, 401,
                           r->presented ? "unknown, revoked or expired credentials"
                                        : "an API key is needed (Authorization: Bearer "
                                          "KEY)");
    }
    if (r->match.route->begin) return r->match.route->begin(r);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)version;
    dc_server *s = cls;
    serve_request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *con_cls = r;
        r->server = s;
        r->c = c;
        r->t0 = mono();
        enum MHD_Result ret = on_headers(r, method, url);
        /* answered on the headers: the body is not waited for, however slowly it comes */
        if (r->status) serve_guard_answered(c);
        return ret;
    }
    if (r->status) {
        /* Already answered (e.g. a failed upload): drop whatever body is still coming. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        serve_guard_body(c, *upload_data_size);
        switch (r->match.route->body) {
        case SERVE_BODY_UPLOAD: return serve_upload_data(r, upload_data, upload_data_size);
        case SERVE_BODY_SMALL: return small_body(r, upload_data, upload_data_size);
        case SERVE_BODY_NONE: break;
        }
        *upload_data_size = 0; /* a body where none is expected is ignored */
        return MHD_YES;
    }
    serve_guard_answered(c);
    if (r->match.route->body == SERVE_BODY_SMALL && r->too_large)
        return serve_error(r, 413, "a form or review body is at most %d KiB",
                           SERVE_SMALL_BODY_MAX / 1024);
    return r->match.route->handler(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)toe;
    dc_server *s = cls;
    serve_request *r = *con_cls;
    serve_guard_done(c);
    if (!r) return;
    serve_upload_cleanup(r);
    if (r->status) serve_metrics_request(&s->metrics, r->status, mono() - r->t0);
    dc_str_free(&r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- start / stop --------------------------------------------------------------------------- */

static dc_error_class parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                                   dc_status *st) {
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
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
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
    if (s->o.header_timeout_sec <= 0) s->o.header_timeout_sec = 10;
    if (s->o.min_body_rate <= 0) s->o.min_body_rate = 1024;
    if (s->o.session_ttl_sec <= 0) s->o.session_ttl_sec = 8 * 3600;
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
    if (!(s->guard = serve_guard_start(s->o.header_timeout_sec, s->o.min_body_rate,
                                       &s->metrics.connections_cut))) {
        dc_fail(st, DC_ERR_RESOURCE, "serve: cannot start the connection watchdog");
        goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.http_threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->o.connection_timeout_sec, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->o.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)s->o.per_ip_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, serve_guard_notify, s->guard, MHD_OPTION_END);
    if (!s->daemon) {
        dc_fail(st, DC_ERR_RESOURCE,
                "serve: cannot listen on %s (in use, or not an address of "
                "this machine)",
                o->listen);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s;
fail:
    dc_workers_stop(s->workers);
    serve_guard_stop(s->guard);
    free(s);
    return NULL;
}

int dc_server_port(const dc_server *s) { return s->port; }

bool dc_server_stop(dc_server *s) {
    if (!s) return true;
    /* Workers first: they release or finish their jobs while the daemon still answers. */
    bool ended = dc_workers_stop(s->workers);
    s->workers = NULL;
    if (s->daemon) MHD_stop_daemon(s->daemon);
    serve_guard_stop(
        s->guard); /* after the daemon: it has closed (and untracked) every connection */
    free(s);
    return ended;
}
