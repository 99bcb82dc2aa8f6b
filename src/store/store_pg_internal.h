/* The PostgreSQL backend of the store: internal interface shared by src/store/store_pg*.c.
 *
 * One store_pg is one libpq connection, used by one thread at a time (as a PGconn is). Every
 * operation is one transaction; when the server goes away (restart, failover, network) the
 * operation reconnects with exponential backoff for up to reconnect_s seconds and is tried once
 * more. Operations are written so that this retry is safe: inserts are keyed by ids the caller
 * chose (ON CONFLICT DO NOTHING), and a completion whose COMMIT reply was lost is recognised on
 * the retry as already done.
 *
 * Files:
 *   store_pg.c         opening (connect, migrate), the store_ops table
 *   store_pg_conn.c    connecting, backoff, statements, lost-connection detection, LISTEN
 *   store_pg_schema.c  versioned migrations, run at open under an advisory lock
 *   store_pg_claims.c  claims, results, reviews
 *   store_pg_queue.c   the hot jobs table: claim (SKIP LOCKED), heartbeat, complete, fail,
 *                      release, rescue of expired leases
 *   store_pg_audit.c   the audit chain and API keys
 *   store_pg_video.c   video bytes as large objects, streamed in both directions (store.c checks
 *                      the SHA-256 of what a worker reads back)
 *   store_pg_sessions.c browser sessions
 */
#ifndef DASHCLAIM_STORE_PG_INTERNAL_H
#define DASHCLAIM_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_internal.h"

/* The channel enqueue NOTIFYs and idle workers LISTEN on. */
#define STORE_PG_CHANNEL "dashclaim_jobs"

typedef struct {
    PGconn *conn;
    char url[1024];
    char url_safe[1024]; /* url without a password, for messages */
    /* How long an operation keeps reconnecting before it reports DC_ERR_RESOURCE (default 120 s:
     * a server restart or a failover takes seconds to a minute). */
    double reconnect_s;
    /* true once LISTEN was issued; re-issued after each reconnect. */
    bool listening;
    dc_store_options opts;
    /* Counters for tests and metrics. */
    unsigned long reconnects;
    /* Queue: the id of the last job this connection claimed. New jobs get larger ids, so the
     * claim query starts its index scan there instead of walking index entries of finished jobs
     * that vacuum cannot remove yet (an old snapshot elsewhere). A full scan still runs when the
     * hinted one finds nothing and the last full scan is older than full_scan_every_s, so a job
     * whose id is below the hint (requeued, or inserted by a transaction that committed late) is
     * still found within that time. */
    int64_t claim_hint;
    double last_full_scan;
    double full_scan_every_s;
    /* The smallest job id named by a notification not yet covered by a scan (INT64_MAX: none).
     * Every job that becomes claimable (queued, requeued, released, retried) is notified with
     * its id, so a listening connection may move claim_hint past every id its scan found nothing
     * claimable at, and start the next scan below the smallest id notified since. */
    int64_t notified_min;
} store_pg;

/* ---- connection (store_pg_conn.c) ---------------------------------------------------- */

/* Zeroes *pg and copies url; nothing is connected yet. */
void store_pg_init(store_pg *pg, const char *url);
/* Connects (with backoff up to reconnect_s) if not connected. */
dc_error_class store_pg_connect(store_pg *pg, dc_status *st);
/* Drops the connection (if any) and connects again with backoff. */
dc_error_class store_pg_reconnect(store_pg *pg, dc_status *st);
/* Closes the connection; safe on a zeroed or closed store_pg. */
void store_pg_close(store_pg *pg);

/* Runs one statement with text parameters. Returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK) or NULL with *st filled; *lost (may be NULL) says whether the failure was
 * the connection going away, the one case worth a reconnect and retry. The caller PQclear()s. */
PGresult *store_pg_exec(store_pg *pg, const char *sql, int nparams, const char *const *params,
                        dc_status *st, bool *lost);
/* store_pg_exec for statements whose result is not needed. */
dc_error_class store_pg_run(store_pg *pg, const char *sql, int nparams, const char *const *params,
                            dc_status *st, bool *lost);
/* "ROLLBACK" that ignores failure (the connection may be gone). */
void store_pg_rollback(store_pg *pg);
/* True when the failure in res (or the connection state) means the server is gone. */
bool store_pg_failure_is_lost(PGconn *conn, const PGresult *res);

/* Takes the notifications libpq has read, lowering notified_min; returns how many. */
int store_pg_drain_notifies(store_pg *pg);
/* LISTENs on STORE_PG_CHANNEL (remembered across reconnects). */
dc_error_class store_pg_listen(store_pg *pg, dc_status *st);
/* Waits until a notification arrives or timeout_s passes. Returns 1 when woken by a
 * notification, 0 on timeout, or -1 with *st filled after the connection was lost and could not
 * be re-established within reconnect_s. A lost connection that comes back counts as a wake-up
 * (jobs may have been queued meanwhile). */
int store_pg_wait(store_pg *pg, double timeout_s, dc_status *st);

/* ---- schema (store_pg_schema.c) ------------------------------------------------------ */

/* Brings the schema to the newest version. Two processes starting together serialise on a
 * transaction-level advisory lock; each migration step and its version row commit together. */
dc_error_class store_pg_migrate(store_pg *pg, dc_status *st);
/* The newest schema version this build knows. */
int store_pg_schema_version(void);

/* The same with explicit lengths and formats (binary bytea in or out): lengths/formats may be
 * NULL (text); result_binary asks for every result column in binary. */
PGresult *store_pg_execv(store_pg *pg, const char *sql, int nparams, const char *const *params,
                         const int *lengths, const int *formats, bool result_binary, dc_status *st,
                         bool *lost);
/* Statements sent together in one round trip (libpq pipeline mode). */
typedef struct {
    const char *sql;
    int nparams;
    const char *const *params;
    const int *lengths; /* NULL = text */
    const int *formats; /* NULL = text */
} store_pg_stmt;
/* Sends n statements at once and reads their results: res[i] gets statement i's result, or NULL
 * when it failed or did not run (a statement after a failed one does not). DC_OK when all ran;
 * otherwise *st says why the first failure failed (as store_pg_execv), and *lost whether the
 * connection went away. The caller PQclears every non-NULL res[i]. Result sets must be small
 * (the connection stays in blocking mode). */
dc_error_class store_pg_pipeline(store_pg *pg, int n, const store_pg_stmt *q, PGresult **res,
                                 dc_status *st, bool *lost);
/* Runs fn(pg, arg, st, &lost), and once more after a reconnect when the connection went away
 * during the first run. fn must be safe to repeat (see the top of this file). */
dc_error_class store_pg_retry(store_pg *pg,
                              dc_error_class (*fn)(store_pg *, void *, dc_status *, bool *),
                              void *arg, dc_status *st);
/* BEGIN / COMMIT; on a failed COMMIT the transaction is rolled back. */
dc_error_class store_pg_begin(store_pg *pg, dc_status *st, bool *lost);
dc_error_class store_pg_commit(store_pg *pg, dc_status *st, bool *lost);
/* Text of a column ("" for NULL), copied into dst[size]. */
void store_pg_col(const PGresult *r, int row, int col, char *dst, size_t size);
int64_t store_pg_col_i64(const PGresult *r, int row, int col);
/* Row index of r for the shared row readers (store_rows.c); a boolean column reads as 1 or 0. */
store_row store_pg_row(const PGresult *r, int index);

/* ---- the store_ops of this backend, one file per concern ------------------------------ */

/* The audit append in pieces, for a caller that sends them with other statements: the lock,
 * then (a later statement, so that its snapshot follows the lock) the last row; the row sealed
 * after it (store_pg_audit_seal_after), then inserted with store_pg_audit_params. */
#define STORE_PG_AUDIT_LOCK_SQL "SELECT pg_advisory_xact_lock(6442451911262184558)"
#define STORE_PG_AUDIT_LAST_SQL "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
extern const char store_pg_audit_insert_sql[];
void store_pg_audit_seal_after(const PGresult *last, dc_audit_row *row);
/* The STORE_AUDIT_NFIELDS parameters of store_pg_audit_insert_sql (seq is written into
 * seq[24]). */
void store_pg_audit_params(const dc_audit_row *row, char seq[24],
                           const char *p[STORE_AUDIT_NFIELDS]);
/* Appends row to the audit chain inside the caller's transaction: an advisory lock held to the
 * end of the transaction serialises appenders, then the last row's seq and hash are read
 * (store_pg_audit.c). */
dc_error_class store_pg_audit_append_tx(store_pg *pg, dc_audit_row *row, dc_status *st, bool *lost);
/* Reads the claim row with this id into out inside the caller's transaction or alone;
 * *found false when none (store_pg_claims.c). */
dc_error_class store_pg_claim_read(store_pg *pg, const char *id, dc_store_claim *out, bool *found,
                                   dc_status *st, bool *lost);
/* Ends a claim inside the caller's transaction: its one final assessment, its state, the job
 * leaves the hot table, the audit row (store_pg_queue.c). */
dc_error_class store_pg_finish_tx(store_pg *pg, const char *claim_id, int attempt, int charged,
                                  const char *json, dc_claim_state state, dc_error_class cls,
                                  const char *message, int priority, int severity,
                                  dc_audit_row *audit, dc_status *st, bool *lost);

/* store_pg_claims.c */
dc_error_class store_pg_claim_insert(void *self, const char *id, const dc_store_new_claim *nc,
                                     dc_audit_row *audit, int naudit, dc_store_claim *out,
                                     bool *existed, dc_status *st);
dc_error_class store_pg_claim_video_add(void *self, const char *claim_id,
                                        const dc_store_claim_video *v, const char *actor,
                                        int *position, dc_status *st);
dc_error_class store_pg_claim_submit(void *self, const char *claim_id, const char *actor,
                                     dc_store_claim *out, dc_status *st);
dc_error_class store_pg_claim_videos(void *self, const char *claim_id, dc_store_claim_video *rows,
                                     int max, int *count, dc_status *st);
dc_error_class store_pg_claim_get(void *self, const char *id, dc_store_claim *out, bool *found,
                                  dc_status *st);
dc_error_class store_pg_claims_list(void *self, const dc_store_claim_filter *f,
                                    dc_store_claim *rows, int *count, char *next_cursor,
                                    dc_status *st);
dc_error_class store_pg_claim_counts(void *self, int64_t counts[DC_STATE_COUNT], dc_status *st);
dc_error_class store_pg_assessment_get(void *self, const char *claim_id, char **json,
                                       dc_status *st);
dc_error_class store_pg_artifact_get(void *self, const char *claim_id, const char *name,
                                     uint8_t **data, size_t *len, dc_status *st);
dc_error_class store_pg_review_add(void *self, const char *claim_id, const dc_store_review *r,
                                   const char *reviewer, dc_status *st);

/* store_pg_queue.c */
dc_error_class store_pg_job_claim(void *self, const char *worker, dc_store_job *job, bool *got,
                                  dc_status *st);
dc_error_class store_pg_job_heartbeat(void *self, dc_store_job *job, bool *held, dc_status *st);
dc_error_class store_pg_job_complete(void *self, const dc_store_job *job,
                                     const dc_store_result *result, dc_audit_row *audit,
                                     bool *accepted, dc_status *st);
dc_error_class store_pg_job_fail(void *self, const dc_store_job *job, dc_error_class cls,
                                 const char *message, bool retryable, const char *final_json,
                                 dc_audit_row *final_audit, bool *accepted, dc_status *st);
dc_error_class store_pg_job_release(void *self, const dc_store_job *job, bool *accepted,
                                    dc_status *st);
dc_error_class store_pg_jobs_rescue(void *self, int *requeued, int *failed, dc_status *st);
dc_error_class store_pg_job_wait(void *self, double timeout_sec, dc_status *st);

/* store_pg_audit.c */
dc_error_class store_pg_audit_append(void *self, dc_audit_row *row, dc_status *st);
dc_error_class store_pg_audit_list(void *self, const char *claim_id, int64_t after_seq,
                                   dc_audit_row *rows, int max, int *count, dc_status *st);
dc_error_class store_pg_read_snapshot(void *self, int n, const store_read *q, dc_status *st);
dc_error_class store_pg_key_insert(void *self, const dc_store_key *info, const char *hash,
                                   dc_audit_row *audit, dc_status *st);
dc_error_class store_pg_key_get(void *self, const char *id, dc_store_key *out, char *hash,
                                bool *found, dc_status *st);
dc_error_class store_pg_key_list(void *self, dc_store_key *rows, int max, int *count,
                                 dc_status *st);
dc_error_class store_pg_key_revoke(void *self, const char *id_or_name, dc_audit_row *audit,
                                   bool *found, dc_status *st);

/* store_pg_video.c: uploads go to a large object in groups (each its own short transaction:
 * an upload never holds a transaction open while the client is slow); reads are lo_get calls,
 * one statement each. */
#define STORE_PG_VIDEO_GROUP (1 << 20)
dc_error_class store_pg_video_sink_open(void *self, void **sink, dc_status *st);
dc_error_class store_pg_video_sink_write(void *sink, const void *data, size_t n, dc_status *st);
dc_error_class store_pg_video_sink_commit(void *sink, const char *sha256, int64_t bytes,
                                          dc_status *st);
void store_pg_video_sink_abort(void *sink);
dc_error_class store_pg_video_source_open(void *self, const char *sha256, void **src, int64_t *size,
                                          dc_status *st);
dc_error_class store_pg_video_source_read(void *src, int64_t offset, void *buf, size_t cap,
                                          size_t *n, dc_status *st);
void store_pg_video_source_close(void *src);
/* Removes the objects of uploads started more than older_than_s ago that never committed;
 * returns how many, or -1 with *st. Run at open. */
int store_pg_video_collect(store_pg *pg, double older_than_s, dc_status *st);
dc_error_class store_pg_video_discard(void *self, const char *sha256, dc_status *st);

/* store_pg_sessions.c: browser sessions */
dc_error_class store_pg_session_insert(void *self, const char *id, const char *hash,
                                       const char *key_id, int64_t expires_ms, dc_audit_row *audit,
                                       dc_status *st);
dc_error_class store_pg_session_get(void *self, const char *id, dc_store_key *key, char *hash,
                                    int64_t *expires_ms, bool *found, dc_status *st);
dc_error_class store_pg_session_revoke(void *self, const char *id, const char *hash, bool *revoked,
                                       dc_status *st);

#endif
