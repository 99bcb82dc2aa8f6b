/* Two defences libmicrohttpd 0.9.75 does not give on its own.
 *
 * 1. Deadlines for slow senders. Its connection timeout is an idle timeout: a client sending one
 *    header line every few seconds ("slowloris") or a body at a trickle holds a connection for
 *    ever. Here every connection is tracked from its accept (MHD_OPTION_NOTIFY_CONNECTION): the
 *    request line and headers must be in within header_timeout seconds of the accept (or of the
 *    end of the previous request on a kept-alive connection), and once they are, the body must
 *    keep an average of min_body_rate bytes/s after a grace of header_timeout seconds. A
 *    watchdog thread looks every quarter second and cuts a connection that falls behind with
 *    shutdown(2): libmicrohttpd then reads end-of-file and closes it in its own thread. The
 *    tracker is removed in the CLOSED notification, which libmicrohttpd sends before it closes
 *    the socket (daemon.c, MHD_cleanup_connections), under the same mutex the watchdog holds
 *    while it cuts: a cut never reaches a descriptor that was closed and reused.
 *
 * 2. Request framing. Two Content-Length headers, or Content-Length with Transfer-Encoding, are
 *    read differently by a proxy in front and by libmicrohttpd (which picks one): the bytes one
 *    of them takes for a body the other answers as a next request (request smuggling). Such a
 *    request is refused with 400 and the connection closed. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "serve_internal.h"

typedef struct tracker {
    struct tracker *prev, *next;
    struct serve_guard *guard;
    int fd;
    double since;      /* accept, or the end of the previous request */
    double headers_at; /* 0 while the headers are not in */
    int64_t body_bytes;
    bool answered; /* the request is all in (or has no body): nothing more to wait for
                            from the client, however long the answer takes */
    bool cut;
} tracker;

struct serve_guard {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t thread;
    bool stop, started;
    tracker *head;
    double header_timeout, min_rate;
    atomic_llong *cut_count;
};

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool too_slow(const serve_guard *g, const tracker *t, double now) {
    if (t->cut || t->answered) return false;
    if (t->headers_at == 0) return now - t->since > g->header_timeout;
    double owed = g->min_rate * (now - t->headers_at - g->header_timeout);
    return owed > 0 && (double)t->body_bytes < owed;
}

static void *watch(void *arg) {
    serve_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g->wake, &g->mu, &ts);
        double now = now_sec();
        for (tracker *t = g->head; t; t = t->next) {
            if (!too_slow(g, t, now)) continue;
            t->cut = true;
            shutdown(t->fd, SHUT_RDWR);
            atomic_fetch_add(g->cut_count, 1);
        }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

serve_guard *serve_guard_start(int header_timeout_sec, int min_body_rate, atomic_llong *cut) {
    serve_guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->header_timeout = header_timeout_sec > 0 ? header_timeout_sec : 10;
    g->min_rate = min_body_rate > 0 ? min_body_rate : 1024;
    g->cut_count = cut;
    if (pthread_create(&g->thread, NULL, watch, g) != 0) {
        serve_guard_stop(g);
        return NULL;
    }
    g->started = true;
    return g;
}

void serve_guard_stop(serve_guard *g) {
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
    if (g->started) pthread_join(g->thread, NULL);
    /* the daemon is stopped first and has sent CLOSED for every connection; anything left
     * would be a tracker it never closed */
    while (g->head) {
        tracker *t = g->head;
        g->head = t->next;
        free(t);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void serve_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code) {
    serve_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        tracker *t = ci ? calloc(1, sizeof *t) : NULL;
        *socket_context = t;
        if (!t) return; /* out of memory: the idle timeout still applies */
        t->guard = g;
        t->fd = ci->connect_fd;
        t->since = now_sec();
        pthread_mutex_lock(&g->mu);
        t->next = g->head;
        if (g->head) g->head->prev = t;
        g->head = t;
        pthread_mutex_unlock(&g->mu);
        return;
    }
    tracker *t = *socket_context;
    if (!t) return;
    pthread_mutex_lock(&g->mu);
    if (t->prev) t->prev->next = t->next;
    else g->head = t->next;
    if (t->next) t->next->prev = t->prev;
    pthread_mutex_unlock(&g->mu);
    free(t);
    *socket_context = NULL;
}

/* The connection's tracker (NULL when it could not be made). Its fields are written by the
 * connection's own thread and read by the watchdog, both under the guard's mutex. */
static tracker *tracker_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void serve_guard_headers(struct MHD_Connection *c, bool body_expected) {
    tracker *t = tracker_of(c);
    if (!t) return;
    pthread_mutex_lock(&t->guard->mu);
    t->headers_at = now_sec();
    t->body_bytes = 0;
    t->answered = !body_expected;
    pthread_mutex_unlock(&t->guard->mu);
}

void serve_guard_body(struct MHD_Connection *c, size_t n) {
    tracker *t = tracker_of(c);
    if (!t) return;
    pthread_mutex_lock(&t->guard->mu);
    t->body_bytes += (int64_t)n;
    pthread_mutex_unlock(&t->guard->mu);
}

void serve_guard_answered(struct MHD_Connection *c) {
    tracker *t = tracker_of(c);
    if (!t) return;
    pthread_mutex_lock(&t->guard->mu);
    t->answered = true;
    pthread_mutex_unlock(&t->guard->mu);
}

void serve_guard_done(struct MHD_Connection *c) {
    tracker *t = tracker_of(c);
    if (!t) return;
    pthread_mutex_lock(&t->guard->mu);
    /* the next request on a kept-alive connection gets its own header deadline from now */
    t->since = now_sec();
    t->headers_at = 0;
    t->answered = false;
    pthread_mutex_unlock(&t->guard->mu);
}

/* ---- framing --------------------------------------------------------------------------------- */

typedef struct {
    int lengths, encodings;
    bool bad_length, bad_encoding;
} framing;

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    (void)kind;
    framing *f = cls;
    if (!strcasecmp(key, "Content-Length")) {
        f->lengths++;
        const char *v = value ? value : "";
        if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18) f->bad_length = true;
    } else if (!strcasecmp(key, "Transfer-Encoding")) {
        f->encodings++;
        if (!value || strcasecmp(value, "chunked") != 0) f->bad_encoding = true;
    }
    return MHD_YES;
}

const char *serve_guard_framing(struct MHD_Connection *c) {
    framing f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
    if (f.lengths > 1) return "Content-Length is given more than once";
    if (f.lengths && f.encodings) return "Content-Length and Transfer-Encoding are both given";
    if (f.encodings > 1 || f.bad_encoding) return "the only Transfer-Encoding taken is chunked";
    if (f.bad_length) return "Content-Length is not a number";
    return NULL;
}
