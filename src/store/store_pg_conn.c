/* PostgreSQL backend: the connection, its backoff, and statements.
 *
 * A worker on another machine must ride out a database restart without a person: every
 * operation that finds the server gone reconnects with exponential backoff (50 ms doubling to
 * 2 s, with jitter so that a fleet of workers does not reconnect in lock-step) for up to
 * reconnect_s seconds. TCP keepalives are on so that a server that vanished without closing the
 * socket (a machine lost, a cable pulled) is noticed in about 30 s instead of the kernel's two
 * hours.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashclaim/deadline.h"
#include "store_pg_internal.h"

void store_pg_init(store_pg *pg, const char *url) {
    memset(pg, 0, sizeof *pg);
    snprintf(pg->url, sizeof pg->url, "%s", url ? url : "");
    /* Messages name the database without its password: postgresql://user@host:port/db. */
    const char *at = strrchr(pg->url, '@');
    const char *scheme_end = strstr(pg->url, "://");
    if (at && scheme_end) {
        const char *user_end = scheme_end + 3;
        while (user_end < at && *user_end != ':') user_end++;
        snprintf(pg->url_safe, sizeof pg->url_safe, "%.*s%s", (int)(user_end - pg->url), pg->url,
                 at);
    } else {
        snprintf(pg->url_safe, sizeof pg->url_safe, "%s", pg->url);
    }
    pg->reconnect_s = 120;
    pg->full_scan_every_s = 1.0;
    pg->notified_min = INT64_MAX;
}

void store_pg_close(store_pg *pg) {
    if (!pg) return;
    if (pg->conn) PQfinish(pg->conn);
    pg->conn = NULL;
}

static void sleep_seconds(double s) {
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* One attempt. Defaults first: the URL's own parameters override them. */
static PGconn *connect_once(const char *url) {
    const char *keys[] = {
        "connect_timeout",     "application_name", "keepalives", "keepalives_idle",
        "keepalives_interval", "keepalives_count", "dbname",     NULL};
    const char *vals[] = {"10", "dashclaim", "1", "10", "5", "4", url, NULL};
    return PQconnectdbParams(keys, vals, 1);
}

/* The server's notices ("terminating connection due to immediate shutdown", ...) would go to
 * stderr through libpq's default processor; what matters reaches the caller as a dc_status. */
static void quiet_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* Session settings every dashclaim connection wants. An idle-in-transaction session of ours
 * (a process stopped in a debugger, a bug) would hold back vacuum of the hot jobs table; the
 * server ends such a session after a minute, well before it matters. */
static bool configure_session(PGconn *conn) {
    PGresult *r = PQexec(conn, "SET idle_in_transaction_session_timeout = '60s';"
                               "SET client_min_messages = warning");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

dc_error_class store_pg_connect(store_pg *pg, dc_status *st) {
    if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK) return DC_OK;
    store_pg_close(pg);
    if (strncmp(pg->url, "postgresql://", 13) != 0 && strncmp(pg->url, "postgres://", 11) != 0)
        return dc_fail(st, DC_ERR_INPUT, "database URL must start with postgresql://");
    double give_up = dc_now() + pg->reconnect_s;
    double delay = 0.05;
    char last_error[256] = "";
    for (;;) {
        PGconn *conn = connect_once(pg->url);
        if (conn) PQsetNoticeProcessor(conn, quiet_notice, NULL);
        if (conn && PQstatus(conn) == CONNECTION_OK && configure_session(conn)) {
            pg->conn = conn;
            break;
        }
        snprintf(last_error, sizeof last_error, "%s",
                 conn ? PQerrorMessage(conn) : "out of memory");
        size_t n = strlen(last_error);
        while (n > 0 && (last_error[n - 1] == '\n' || last_error[n - 1] == ' '))
            last_error[--n] = 0;
        if (conn) PQfinish(conn);
        /* A wrong password or a missing database will not fix itself: report at once. */
        if (strstr(last_error, "authentication failed") || strstr(last_error, "does not exist"))
            return dc_fail(st, DC_ERR_INPUT, "store: cannot connect to %s: %s", pg->url_safe,
                           last_error);
        if (dc_now() + delay > give_up)
            return dc_fail(st, DC_ERR_RESOURCE,
                           "store: cannot connect to %s (gave up after %.0f s): %s", pg->url_safe,
                           pg->reconnect_s, last_error);
        sleep_seconds(delay * (0.75 + 0.5 * (double)rand() / RAND_MAX));
        delay = delay * 2 > 2.0 ? 2.0 : delay * 2;
    }
    if (pg->listening) {
        PGresult *r = PQexec(pg->conn, "LISTEN " STORE_PG_CHANNEL);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            store_pg_close(pg);
            return dc_fail(st, DC_ERR_RESOURCE, "LISTEN failed after reconnecting");
        }
    }
    return DC_OK;
}

dc_error_class store_pg_reconnect(store_pg *pg, dc_status *st) {
    store_pg_close(pg);
    pg->reconnects++;
    /* Notifications sent while we were away are lost: the next claim scans from the start. */
    pg->notified_min = 1;
    return store_pg_connect(pg, st);
}

bool store_pg_failure_is_lost(PGconn *conn, const PGresult *res) {
    if (!conn || PQstatus(conn) != CONNECTION_OK) return true;
    if (!res) return true;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (!state) return PQresultStatus(res) == PGRES_FATAL_ERROR && PQstatus(conn) != CONNECTION_OK;
    /* 08: connection exceptions; 57P01-03: the server is shutting down or starting up;
     * 25P03: our idle-in-transaction timeout ended the session. */
    return strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0 ||
           strcmp(state, "25P03") == 0;
}

static PGresult *checked(store_pg *pg, PGresult *res, dc_status *st, bool *lost);

PGresult *store_pg_exec(store_pg *pg, const char *sql, int nparams, const char *const *params,
                        dc_status *st, bool *lost) {
    return store_pg_execv(pg, sql, nparams, params, NULL, NULL, false, st, lost);
}

PGresult *store_pg_execv(store_pg *pg, const char *sql, int nparams, const char *const *params,
                         const int *lengths, const int *formats, bool result_binary, dc_status *st,
                         bool *lost) {
    if (lost) *lost = false;
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        if (lost) *lost = true;
        dc_fail(st, DC_ERR_RESOURCE, "not connected to the database");
        return NULL;
    }
    PGresult *res =
        PQexecParams(pg->conn, sql, nparams, NULL, params, lengths, formats, result_binary ? 1 : 0);
    return checked(pg, res, st, lost);
}

/* res itself when it is a success; otherwise NULL (res cleared) with *st and *lost filled. */
static PGresult *checked(store_pg *pg, PGresult *res, dc_status *st, bool *lost) {
    ExecStatusType s = PQresultStatus(res);
    if (res && (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)) return res;
    bool gone = store_pg_failure_is_lost(pg->conn, res);
    if (lost) *lost = gone;
    char msg[300];
    snprintf(msg, sizeof msg, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /* Constraint violations and bad values are the caller's input; the rest is the database's. */
    dc_error_class cls =
        (!gone && state && (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0))
            ? DC_ERR_INPUT
            : DC_ERR_RESOURCE;
    /* A constraint or trigger of ours refusing a change is an invariant of the store. */
    if (!gone && state && strcmp(state, "23001") == 0) cls = DC_ERR_INTERNAL;
    dc_fail(st, cls, "store: database %s: %s", pg->url_safe, msg[0] ? msg : "connection lost");
    PQclear(res);
    return NULL;
}

dc_error_class store_pg_run(store_pg *pg, const char *sql, int nparams, const char *const *params,
                            dc_status *st, bool *lost) {
    PGresult *r = store_pg_exec(pg, sql, nparams, params, st, lost);
    if (!r) return st ? st->code : DC_ERR_RESOURCE;
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_pipeline(store_pg *pg, int n, const store_pg_stmt *q, PGresult **res,
                                 dc_status *st, bool *lost) {
    if (lost) *lost = false;
    for (int i = 0; i < n; i++) res[i] = NULL;
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        if (lost) *lost = true;
        return dc_fail(st, DC_ERR_RESOURCE, "not connected to the database");
    }
    PGconn *c = pg->conn;
    if (PQenterPipelineMode(c) != 1) {
        if (lost) *lost = PQstatus(c) != CONNECTION_OK;
        return dc_fail(st, DC_ERR_RESOURCE, "store: database %s: cannot enter pipeline mode: %s",
                       pg->url_safe, PQerrorMessage(c));
    }
    int sent = 0;
    while (sent < n && PQsendQueryParams(c, q[sent].sql, q[sent].nparams, NULL, q[sent].params,
                                         q[sent].lengths, q[sent].formats, 0) == 1)
        sent++;
    bool synced = PQpipelineSync(c) == 1;
    /* Every statement sent has one result (then NULL); after an error the rest of the batch
     * comes back PGRES_PIPELINE_ABORTED. The first failure is the one reported. */
    dc_error_class rc = DC_OK;
    for (int i = 0; i < sent; i++) {
        PGresult *r = PQgetResult(c);
        if (!r) { /* the connection broke */
            if (rc == DC_OK) {
                if (lost) *lost = true;
                rc = dc_fail(st, DC_ERR_RESOURCE, "store: database %s: connection lost",
                             pg->url_safe);
            }
            break;
        }
        PGresult *extra; /* a statement's results end with a NULL (no second result here) */
        while ((extra = PQgetResult(c)) != NULL) PQclear(extra);
        if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED) {
            PQclear(r);
            continue;
        }
        if (rc != DC_OK) {
            PQclear(r);
            continue;
        }
        bool gone = false;
        res[i] = checked(pg, r, st, &gone);
        if (!res[i]) {
            rc = st ? st->code : DC_ERR_RESOURCE;
            if (lost) *lost = gone;
        }
    }
    if (synced && PQstatus(c) == CONNECTION_OK) {
        PGresult *r;
        while ((r = PQgetResult(c)) && PQresultStatus(r) != PGRES_PIPELINE_SYNC) PQclear(r);
        PQclear(r);
    }
    if (sent < n && rc == DC_OK) {
        if (lost) *lost = PQstatus(c) != CONNECTION_OK;
        rc = dc_fail(st, DC_ERR_RESOURCE, "store: database %s: sending: %s", pg->url_safe,
                     PQerrorMessage(c));
    }
    if (PQexitPipelineMode(c) != 1 && rc == DC_OK) {
        if (lost) *lost = true;
        rc = dc_fail(st, DC_ERR_RESOURCE, "store: database %s: pipeline left unfinished",
                     pg->url_safe);
    }
    if (rc != DC_OK)
        for (int i = 0; i < n; i++) {
            PQclear(res[i]);
            res[i] = NULL;
        }
    return rc;
}

dc_error_class store_pg_begin(store_pg *pg, dc_status *st, bool *lost) {
    return store_pg_run(pg, "BEGIN", 0, NULL, st, lost);
}

dc_error_class store_pg_commit(store_pg *pg, dc_status *st, bool *lost) {
    dc_error_class rc = store_pg_run(pg, "COMMIT", 0, NULL, st, lost);
    if (rc != DC_OK) store_pg_rollback(pg);
    return rc;
}

dc_error_class store_pg_retry(store_pg *pg,
                              dc_error_class (*fn)(store_pg *, void *, dc_status *, bool *),
                              void *arg, dc_status *st) {
    for (int attempt = 0;; attempt++) {
        bool lost = false;
        if (store_pg_connect(pg, st) != DC_OK) return st->code;
        dc_error_class rc = fn(pg, arg, st, &lost);
        if (rc == DC_OK) return DC_OK;
        store_pg_rollback(pg);
        if (!lost || attempt >= 1) return rc;
        if (store_pg_reconnect(pg, st) != DC_OK) return st->code;
    }
}

void store_pg_col(const PGresult *r, int row, int col, char *dst, size_t size) {
    const char *v = PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
    snprintf(dst, size, "%s", v);
}

int64_t store_pg_col_i64(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void row_text(const store_row *r, int col, char *dst, size_t size) {
    store_pg_col(r->src, r->index, col, dst, size);
}

static int64_t row_i64(const store_row *r, int col) {
    const PGresult *res = r->src;
    if (PQgetisnull(res, r->index, col)) return 0;
    const char *v = PQgetvalue(res, r->index, col);
    if (!strcmp(v, "t")) return 1; /* boolean */
    if (!strcmp(v, "f")) return 0;
    return strtoll(v, NULL, 10);
}

store_row store_pg_row(const PGresult *r, int index) {
    return (store_row){.text = row_text, .i64 = row_i64, .src = r, .index = index};
}

void store_pg_rollback(store_pg *pg) {
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) return;
    if (PQtransactionStatus(pg->conn) == PQTRANS_IDLE) return;
    PQclear(PQexec(pg->conn, "ROLLBACK"));
}

dc_error_class store_pg_listen(store_pg *pg, dc_status *st) {
    if (pg->listening) return DC_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool lost = false;
        if (store_pg_connect(pg, st) != DC_OK) return st->code;
        if (store_pg_run(pg, "LISTEN " STORE_PG_CHANNEL, 0, NULL, st, &lost) == DC_OK) {
            pg->listening = true;
            return DC_OK;
        }
        if (!lost) return st->code;
        if (store_pg_reconnect(pg, st) != DC_OK) return st->code;
    }
    return st->code;
}

int store_pg_drain_notifies(store_pg *pg) {
    int n = 0;
    PGnotify *note;
    while (pg->conn && (note = PQnotifies(pg->conn)) != NULL) {
        /* The payload is the id of a job that became claimable; anything else (an older
         * dashclaim, a person's NOTIFY) could be any job: scan from the start. */
        char *end = NULL;
        long long id = strtoll(note->extra, &end, 10);
        if (!note->extra[0] || (end && *end) || id < 1) id = 1;
        if (id < pg->notified_min) pg->notified_min = id;
        PQfreemem(note);
        n++;
    }
    return n;
}

int store_pg_wait(store_pg *pg, double timeout_s, dc_status *st) {
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        if (store_pg_reconnect(pg, st) != DC_OK) return -1;
        return 1;
    }
    if (store_pg_drain_notifies(pg) > 0) return 1;
    double until = dc_now() + (timeout_s > 0 ? timeout_s : 0);
    for (;;) {
        double left = until - dc_now();
        if (left <= 0) return 0;
        struct pollfd pfd = {.fd = PQsocket(pg->conn), .events = POLLIN};
        int rc = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (rc < 0 && errno == EINTR) return 0; /* a signal: let the caller look at its flags */
        if (rc <= 0) continue;
        if (!PQconsumeInput(pg->conn) || PQstatus(pg->conn) != CONNECTION_OK) {
            if (store_pg_reconnect(pg, st) != DC_OK) return -1;
            return 1;
        }
        if (store_pg_drain_notifies(pg) > 0) return 1;
    }
}
