/* PostgreSQL backend: the job queue.
 *
 * Claiming follows River's JobGetAvailable: a CTE picks the oldest claimable row with
 * FOR UPDATE SKIP LOCKED (concurrent workers skip each other's rows instead of queueing behind a
 * lock), and one UPDATE marks it running with attempt = attempt + 1 and a lease. The claims row
 * changes in the same statement, so a reader never sees a running job under a queued claim.
 *
 * The same guarantees as the SQLite backend (include/dashclaim/store.h):
 * - The attempt number fences: heartbeat, complete, fail and release lock the job row
 *   (SELECT ... FOR UPDATE) and act only when it is still running under the caller's attempt.
 *   The assessment, the claim's final state, the job's removal and the audit row are one
 *   transaction (Que's rule).
 * - Expired leases are rescued by every claim (no rescuer process to keep alive): queued again,
 *   or the claim failed once its attempts are spent.
 * - A finished job's row leaves the hot table; what stays is in claims and assessments.
 *
 * Conditions on times use now() (the statement's start in autocommit), not clock_timestamp():
 * a volatile function cannot bound an index scan, which then reads the whole index.
 *
 * Staying fast behind an old snapshot (a session idle in a transaction keeps every deleted row
 * version): the claim scan starts after the last id this connection claimed (claim_hint), the
 * rescuer sweeps from where it last stopped (queue_rescue), and job lookups are written so that
 * the planner cannot pick a bloated partial index. Why each, and what it costs, is in
 * src/store/README.md ("PostgreSQL"); test_old_snapshot_index_reads measures it.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/deadline.h"
#include "store_pg_internal.h"

/* Expired leases are looked for at most once per RESCUE_EVERY across all workers, from
 * RESCUE_MARGIN before the point the last complete sweep reached (queue_rescue.swept_to). */
#define RESCUE_EVERY "1 second"
#define RESCUE_MARGIN "10 seconds"

/* ---- rescue ------------------------------------------------------------------------------- */

typedef struct {
    int requeued, failed;
} rescue_counts;

/* Our turn to look for expired leases? One statement that changes nothing unless a second has
 * passed; it returns swept_to when we won. (Taking swept_to here and passing it on as a constant
 * matters: joined in one statement, the planner may drive the scan from the jobs side, through
 * every dead entry.) */
static const char rescue_turn_sql[] = "UPDATE queue_rescue SET last_at = now()"
                                      " WHERE last_at <= now() - interval '" RESCUE_EVERY "'"
                                      " RETURNING swept_to";

/* The claims whose lease has expired since swept_to (minus the margin), outside any
 * transaction. *scan_at gets the time the look was taken as (text). */
static dc_error_class expired_ids(store_pg *pg, const char *swept_to, char (*ids)[DC_STORE_ID_LEN],
                                  int max, int *n, char *scan_at, size_t scan_at_size,
                                  dc_status *st, bool *lost) {
    *n = 0;
    /* The array holds at most 64 ids: claim ids are [a-z0-9_], so its text needs no unquoting. */
    const char *p[] = {swept_to};
    PGresult *r = store_pg_exec(
        pg,
        "SELECT ARRAY(SELECT claim_id FROM jobs WHERE state = 1 AND lease_until < now()"
        "  AND lease_until >= $1::timestamptz - interval '" RESCUE_MARGIN "' LIMIT 64), now()",
        1, p, st, lost);
    if (!r) return st->code;
    store_pg_col(r, 0, 1, scan_at, scan_at_size);
    const char *arr = PQgetvalue(r, 0, 0);
    if (*arr == '{') arr++;
    while (*arr && *arr != '}' && *n < max) {
        size_t len = strcspn(arr, ",}");
        if (len > 0 && len < DC_STORE_ID_LEN) {
            memcpy(ids[*n], arr, len);
            ids[*n][len] = 0;
            (*n)++;
        }
        arr += len;
        if (*arr == ',') arr++;
    }
    PQclear(r);
    return DC_OK;
}

/* Records that every lease ending before scan_at has been looked at. */
static dc_error_class advance_sweep(store_pg *pg, const char *scan_at, dc_status *st, bool *lost) {
    const char *p[] = {scan_at};
    return store_pg_run(pg,
                        "UPDATE queue_rescue SET swept_to = $1::timestamptz"
                        " WHERE swept_to < $1::timestamptz",
                        1, p, st, lost);
}

/* One expired job inside the caller's transaction, re-checked under its row lock. */
static dc_error_class rescue_one_tx(store_pg *pg, const char *claim_id, rescue_counts *c,
                                    dc_status *st, bool *lost) {
    const char *p1[] = {claim_id};
    PGresult *r = store_pg_exec(pg,
                                "SELECT j.charged, c.video_sha256 FROM jobs j"
                                " JOIN claims c ON c.id = j.claim_id"
                                " WHERE j.claim_id = $1 AND j.state <> 0" /* running */
                                "   AND j.lease_until < clock_timestamp()"
                                " FOR UPDATE OF j SKIP LOCKED",
                                1, p1, st, lost);
    if (!r) return st->code;
    if (PQntuples(r) == 0) { /* renewed, finished or being rescued by someone else meanwhile */
        PQclear(r);
        return DC_OK;
    }
    int charged = (int)store_pg_col_i64(r, 0, 0);
    char sha[65];
    store_pg_col(r, 0, 1, sha, sizeof sha);
    PQclear(r);
    dc_error_class rc;
    if (charged < pg->opts.max_attempts) {
        char now[24], ch[16];
        snprintf(now, sizeof now, "%" PRId64, store_now_ms());
        snprintf(ch, sizeof ch, "%d", charged);
        const char *p[] = {claim_id, now, ch};
        rc = store_pg_run(pg,
                          "WITH j AS (UPDATE jobs SET state = 0, worker = '', lease_until = NULL,"
                          "    run_after = clock_timestamp(), requeued_by = NULL,"
                          "    id = nextval(pg_get_serial_sequence('jobs', 'id'))"
                          "  WHERE claim_id = $1 RETURNING claim_id, id),"
                          " c AS (UPDATE claims SET state = 0, attempts = $3, updated_ms = $2"
                          "       FROM j WHERE claims.id = j.claim_id)"
                          "SELECT pg_notify('" STORE_PG_CHANNEL "', id::text) FROM j",
                          3, p, st, lost);
        if (rc == DC_OK) c->requeued++;
        return rc;
    }
    char msg[256];
    snprintf(msg, sizeof msg, STORE_LEASE_LOST_MESSAGE, charged);
    char *json = store_failed_assessment_json(claim_id, sha, DC_ERR_INTERNAL, msg);
    if (!json) return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
    dc_audit_row audit;
    store_audit_claim_failed(&audit, claim_id, sha, "system", DC_ERR_INTERNAL, msg, json);
    rc = store_pg_finish_tx(pg, claim_id, 0, charged, json, DC_STATE_FAILED, DC_ERR_INTERNAL, msg,
                            store_failed_priority(), -1, &audit, st, lost);
    free(json);
    if (rc == DC_OK) c->failed++;
    return rc;
}

/* Rescues the expired leases after swept_to ("-infinity": all), once the turn is ours. */
static dc_error_class rescue_from(store_pg *pg, const char *swept_to, rescue_counts *c,
                                  dc_status *st, bool *lost) {
    char ids[64][DC_STORE_ID_LEN], scan_at[64];
    int n = 0;
    dc_error_class rc = expired_ids(pg, swept_to, ids, 64, &n, scan_at, sizeof scan_at, st, lost);
    if (rc != DC_OK) return rc;
    /* A sweep that saw fewer than its limit saw everything up to scan_at. */
    bool complete = n < 64;
    if (n == 0) return complete ? advance_sweep(pg, scan_at, st, lost) : DC_OK;
    if ((rc = store_pg_begin(pg, st, lost)) != DC_OK) return rc;
    rescue_counts mine = {0, 0};
    for (int i = 0; i < n; i++)
        if ((rc = rescue_one_tx(pg, ids[i], &mine, st, lost)) != DC_OK) return rc;
    if (complete && (rc = advance_sweep(pg, scan_at, st, lost)) != DC_OK) return rc;
    if ((rc = store_pg_commit(pg, st, lost)) != DC_OK) return rc;
    c->requeued += mine.requeued;
    c->failed += mine.failed;
    return DC_OK;
}

/* everything: every running job (dc_store_jobs_rescue), whoever's turn it is. */
static dc_error_class rescue(store_pg *pg, bool everything, rescue_counts *c, dc_status *st,
                             bool *lost) {
    if (everything) return rescue_from(pg, "-infinity", c, st, lost);
    PGresult *t = store_pg_exec(pg, rescue_turn_sql, 0, NULL, st, lost);
    if (!t) return st->code;
    char swept_to[64] = "";
    bool turn = PQntuples(t) == 1;
    if (turn) store_pg_col(t, 0, 0, swept_to, sizeof swept_to);
    PQclear(t);
    return turn ? rescue_from(pg, swept_to, c, st, lost) : DC_OK;
}

typedef struct {
    rescue_counts counts;
} rescue_arg;

static dc_error_class rescue_all_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    rescue_arg *a = arg;
    /* Batches of 64 until none is left (a queue after an outage may hold many). */
    for (;;) {
        rescue_counts before = a->counts;
        dc_error_class rc = rescue(pg, true, &a->counts, st, lost);
        if (rc != DC_OK) return rc;
        if (a->counts.requeued + a->counts.failed == before.requeued + before.failed) return DC_OK;
    }
}

dc_error_class store_pg_jobs_rescue(void *self, int *requeued, int *failed, dc_status *st) {
    rescue_arg a = {{0, 0}};
    dc_error_class rc = store_pg_retry(self, rescue_all_op, &a, st);
    *requeued = a.counts.requeued;
    *failed = a.counts.failed;
    return rc;
}

/* ---- claim -------------------------------------------------------------------------------- */

/* The claim: River's CTE (see the top of this file), plus what the hint needs. */
static const char claim_sql[] =
    "WITH picked AS ("
    "  SELECT id FROM jobs WHERE state = 0 AND id > $3 AND run_after <= now()"
    "  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED),"
    " claimed AS ("
    "  UPDATE jobs j SET state = 1, attempt = j.attempt + 1, charged = j.charged + 1,"
    "    worker = $1, lease_until = clock_timestamp() + make_interval(secs => $2::int)"
    "  WHERE j.id = (SELECT id FROM picked)"
    "  RETURNING j.id, j.claim_id, j.attempt, j.charged, j.lease_until),"
    " c AS ("
    "  UPDATE claims SET state = 1, attempts = claimed.charged, updated_ms = $4"
    "  FROM claimed WHERE claims.id = claimed.claim_id"
    "  RETURNING claims.id, claims.video_sha256, claims.policy_id, claims.claimant,"
    "            claims.plate, claims.location, claims.reported_damage, claims.incident_time,"
    "            claims.incident_place)"
    "SELECT r.*, (SELECT last_value FROM jobs_id_seq),"
    "       (SELECT min(id) FROM jobs WHERE state = 0 AND id > $3 AND run_after > now())"
    " FROM (SELECT 1) one LEFT JOIN ("
    "  SELECT claimed.id, claimed.claim_id, claimed.attempt, claimed.charged,"
    "         (extract(epoch FROM claimed.lease_until) * 1000)::bigint,"
    "         c.video_sha256, c.policy_id, c.claimant, c.plate, c.location,"
    "         c.reported_damage, c.incident_time, c.incident_place"
    "  FROM claimed JOIN c ON c.id = claimed.claim_id) r ON true";

/* One claim scan over ids after `after`. *seq_last gets the sequence's last value and
 * *delayed_min the smallest queued id after `after` still waiting out its retry delay (0: none),
 * for the hint (see claim_op). With turn (not NULL), the rescue turn is asked in the same round
 * trip, before the scan: *turn says whether it was won, and swept_to[64] then where to look from. */
static dc_error_class claim_after(store_pg *pg, const char *worker, int64_t after,
                                  dc_store_job *job, bool *got, int64_t *seq_last,
                                  int64_t *delayed_min, bool *turn, char *swept_to, dc_status *st,
                                  bool *lost) {
    char lease[16], hint[24], now[24];
    snprintf(lease, sizeof lease, "%d", pg->opts.lease_sec);
    snprintf(hint, sizeof hint, "%" PRId64, after);
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    const char *p[] = {worker, lease, hint, now};
    store_pg_stmt q[] = {{rescue_turn_sql, 0, NULL, NULL, NULL}, {claim_sql, 4, p, NULL, NULL}};
    PGresult *res[2] = {NULL, NULL};
    dc_error_class rc = turn ? store_pg_pipeline(pg, 2, q, res, st, lost)
                             : store_pg_pipeline(pg, 1, q + 1, res + 1, st, lost);
    if (rc != DC_OK) return rc;
    if (turn) {
        *turn = PQntuples(res[0]) == 1;
        if (*turn) store_pg_col(res[0], 0, 0, swept_to, 64);
        PQclear(res[0]);
    }
    PGresult *r = res[1];
    *seq_last = store_pg_col_i64(r, 0, 13);
    *delayed_min = store_pg_col_i64(r, 0, 14);
    if (!PQgetisnull(r, 0, 0)) {
        int64_t id = store_pg_col_i64(r, 0, 0);
        /* Below the hint (a notified id): what lies between it and the hint is still to be
         * scanned, so the next scan starts right after it. */
        if (id < pg->claim_hint && id + 1 < pg->notified_min) pg->notified_min = id + 1;
        if (id > pg->claim_hint) pg->claim_hint = id;
        memset(job, 0, sizeof *job);
        store_pg_col(r, 0, 1, job->claim_id, sizeof job->claim_id);
        job->attempt = (int)store_pg_col_i64(r, 0, 2);
        job->charged = (int)store_pg_col_i64(r, 0, 3);
        job->lease_until_ms = store_pg_col_i64(r, 0, 4);
        store_pg_col(r, 0, 5, job->video_sha256, sizeof job->video_sha256);
        store_row row = store_pg_row(r, 0);
        store_row_fields(&row, 6, &job->fields);
        store_row_incident(&row, 11, &job->fields);
        store_copy(job->worker, sizeof job->worker, worker);
        *got = true;
    }
    PQclear(r);
    return DC_OK;
}

typedef struct {
    const char *worker;
    dc_store_job *job;
    bool *got;
} claim_arg;

static dc_error_class claim_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    claim_arg *a = arg;
    dc_error_class rc;
    /* Listening is what makes it safe to move the hint past ids that had nothing to claim: a
     * job that commits after this scan's snapshot notifies its id, and the next scan starts
     * below it. Notifications read so far are covered by this scan. */
    bool listening = pg->listening || store_pg_listen(pg, st) == DC_OK;
    if (pg->conn) PQconsumeInput(pg->conn);
    store_pg_drain_notifies(pg);
    int64_t from = pg->claim_hint;
    if (pg->notified_min <= from) from = pg->notified_min - 1;
    pg->notified_min = INT64_MAX;
    int64_t seq_last = 0, delayed_min = 0;
    /* The rescue turn rides with the scan (one round trip). Expired leases are rescued after
     * the scan, so a job rescued now is claimed by the next scan: at once, below, when this one
     * found nothing. */
    bool turn = false;
    char swept_to[64] = "";
    rc = claim_after(pg, a->worker, from, a->job, a->got, &seq_last, &delayed_min, &turn, swept_to,
                     st, lost);
    if (rc != DC_OK) {
        pg->notified_min = from + 1; /* nothing was covered: scan from there again */
        return rc;
    }
    if (turn) {
        rescue_counts c = {0, 0};
        if ((rc = rescue_from(pg, swept_to, &c, st, lost)) != DC_OK) return rc;
        if (!*a->got && c.requeued > 0) {
            /* rescued ids are new (above the hint): a scan after `from` sees them */
            rc = claim_after(pg, a->worker, from, a->job, a->got, &seq_last, &delayed_min, NULL,
                             NULL, st, lost);
            if (rc != DC_OK) return rc;
        }
    }
    if (!*a->got && listening) {
        /* Nothing claimable after `from` at this snapshot: the next scan may start at the
         * newest id, but not past a job that waits out a retry delay (it gets no new
         * notification when the delay ends). */
        int64_t next = seq_last;
        if (delayed_min > 0 && delayed_min - 1 < next) next = delayed_min - 1;
        if (next > pg->claim_hint) pg->claim_hint = next;
    }
    if (!*a->got && dc_now() - pg->last_full_scan >= pg->full_scan_every_s) {
        /* Insurance, not the path: a scan from the start. When it is slow (dead entries vacuum
         * cannot remove behind an old snapshot), it runs less often, up to every 30 s. */
        double t0 = dc_now();
        rc = claim_after(pg, a->worker, 0, a->job, a->got, &seq_last, &delayed_min, NULL, NULL, st,
                         lost);
        pg->last_full_scan = dc_now();
        double took = pg->last_full_scan - t0;
        pg->full_scan_every_s =
            took > 0.005 ? (pg->full_scan_every_s * 2 > 30 ? 30 : pg->full_scan_every_s * 2) : 1.0;
    }
    return rc;
}

dc_error_class store_pg_job_claim(void *self, const char *worker, dc_store_job *job, bool *got,
                                  dc_status *st) {
    claim_arg a = {worker, job, got};
    *got = false;
    return store_pg_retry(self, claim_op, &a, st);
}

/* ---- heartbeat ---------------------------------------------------------------------------- */

typedef struct {
    dc_store_job *job;
    bool *held;
} heartbeat_arg;

static dc_error_class heartbeat_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    heartbeat_arg *a = arg;
    char attempt[16], lease[16];
    snprintf(attempt, sizeof attempt, "%d", a->job->attempt);
    snprintf(lease, sizeof lease, "%d", pg->opts.lease_sec);
    const char *p[] = {a->job->claim_id, attempt, lease};
    /* lease_until is indexed only in jobs_lease; the update is cheap either way. */
    PGresult *r = store_pg_exec(
        pg,
        "UPDATE jobs SET lease_until = clock_timestamp() + make_interval(secs => $3::int)"
        " WHERE claim_id = $1 AND attempt = $2 AND state <> 0" /* running */
        " RETURNING (extract(epoch FROM lease_until) * 1000)::bigint",
        3, p, st, lost);
    if (!r) return st->code;
    *a->held = PQntuples(r) == 1;
    if (*a->held) a->job->lease_until_ms = store_pg_col_i64(r, 0, 0);
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_job_heartbeat(void *self, dc_store_job *job, bool *held, dc_status *st) {
    heartbeat_arg a = {job, held};
    *held = false;
    return store_pg_retry(self, heartbeat_op, &a, st);
}

/* ---- fence, finish ------------------------------------------------------------------------ */

/* Inside a transaction: locks the job row; *holds when job->attempt is its running attempt. */
static dc_error_class fence_tx(store_pg *pg, const dc_store_job *job, bool *holds, int *charged,
                               dc_status *st, bool *lost) {
    *holds = false;
    const char *p[] = {job->claim_id};
    PGresult *r =
        store_pg_exec(pg, "SELECT state, attempt, charged FROM jobs WHERE claim_id = $1 FOR UPDATE",
                      1, p, st, lost);
    if (!r) return st->code;
    if (PQntuples(r) == 1) {
        *holds = store_pg_col_i64(r, 0, 0) == 1 && store_pg_col_i64(r, 0, 1) == job->attempt;
        *charged = (int)store_pg_col_i64(r, 0, 2);
    }
    PQclear(r);
    return DC_OK;
}

/* After a lost connection the first try's COMMIT may have happened: the claim is then finished
 * by this very attempt (an assessment of this attempt exists), or, for a retry or release, queued
 * again by it (requeued_by names it; a rescue leaves requeued_by NULL). That is success. */
static dc_error_class done_by(store_pg *pg, const dc_store_job *job, bool requeue, bool *yes,
                              dc_status *st, bool *lost) {
    char attempt[16];
    snprintf(attempt, sizeof attempt, "%d", job->attempt);
    const char *p[] = {job->claim_id, attempt, requeue ? "t" : "f"};
    PGresult *r = store_pg_exec(
        pg,
        "SELECT EXISTS (SELECT 1 FROM assessments WHERE claim_id = $1 AND attempt = $2)"
        "    OR ($3::bool AND EXISTS (SELECT 1 FROM jobs WHERE claim_id = $1 AND attempt = $2"
        "                             AND state <> 1 AND requeued_by = $2))", /* queued */
        3, p, st, lost);
    if (!r) return st->code;
    *yes = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return DC_OK;
}

dc_error_class store_pg_finish_tx(store_pg *pg, const char *claim_id, int attempt, int charged,
                                  const char *json, dc_claim_state state, dc_error_class cls,
                                  const char *message, int priority, int severity,
                                  dc_audit_row *audit, dc_status *st, bool *lost) {
    char a[16], ch[16], stt[8], cl[8], pr[16], sv[16], now[24];
    snprintf(a, sizeof a, "%d", attempt);
    snprintf(ch, sizeof ch, "%d", charged);
    snprintf(stt, sizeof stt, "%d", (int)state);
    snprintf(cl, sizeof cl, "%d", (int)cls);
    snprintf(pr, sizeof pr, "%d", priority);
    snprintf(sv, sizeof sv, "%d", severity);
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    const char *p[] = {claim_id, a, json, now, stt, cl, message ? message : "", pr, sv, ch};
    /* assessments.claim_id is the primary key: a second final assessment is impossible. */
    dc_error_class rc = store_pg_run(
        pg,
        "WITH a AS (INSERT INTO assessments (claim_id, attempt, json, created_ms)"
        "           VALUES ($1, $2, $3, $4)),"
        " j AS (DELETE FROM jobs WHERE claim_id = $1)"
        "UPDATE claims SET state = $5, error_class = $6, error_message = $7, priority = $8,"
        "  severity = $9, attempts = $10, updated_ms = $4 WHERE id = $1",
        10, p, st, lost);
    if (rc != DC_OK) return rc;
    return store_pg_audit_append_tx(pg, audit, st, lost);
}

/* ---- complete ----------------------------------------------------------------------------- */

typedef struct {
    const dc_store_job *job;
    const dc_store_result *res;
    dc_audit_row *audit;
    bool *accepted;
    bool retried;
} complete_arg;

static const char artifact_sql[] =
    "INSERT INTO artifacts (claim_id, name, data) VALUES ($1, $2, $3)"
    " ON CONFLICT (claim_id, name) DO UPDATE SET data = $3";

/* The fence and the claim's end in one statement: the job row is locked (and, under READ
 * COMMITTED, re-read after any wait) only if this attempt still holds it running; everything else
 * happens only when it does. Returns the job's charged attempts, or no row when fenced out. */
static const char complete_sql[] =
    "WITH f AS (SELECT charged FROM jobs WHERE claim_id = $1 AND state <> 0 AND attempt = $2"
    "           FOR UPDATE),"
    " a AS (INSERT INTO assessments (claim_id, attempt, json, created_ms)"
    "       SELECT $1, $2, $3, $4 FROM f),"
    " j AS (DELETE FROM jobs WHERE claim_id = $1 AND EXISTS (SELECT 1 FROM f)),"
    " c AS (UPDATE claims SET state = $5, error_class = $6, error_message = $7, priority = $8,"
    "       severity = $9, attempts = f.charged, updated_ms = $4 FROM f WHERE claims.id = $1)"
    "SELECT charged FROM f";

#define MAX_COMPLETE_STMTS (6 + DC_MAX_EVIDENCE * 4)

/* Two round trips (there were seven): BEGIN, the fenced completion, the artifacts, the audit
 * lock and the audit chain's last row go together; then the sealed audit row and COMMIT, or a
 * ROLLBACK when the attempt was fenced out (the artifacts written meanwhile go with it). */
static dc_error_class complete_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    complete_arg *a = arg;
    const dc_store_job *job = a->job;
    const dc_store_result *res = a->res;
    bool retried = a->retried;
    a->retried = true;
    const dc_assessment *as = res->assessment;
    bool failed = as->status == DC_CLAIM_FAILED;
    dc_error_class cls =
        failed ? (as->error_class == DC_OK ? DC_ERR_INTERNAL : as->error_class) : DC_OK;
    char at[16], now[24], stt[8], cl[8], pr[16], sv[16];
    snprintf(at, sizeof at, "%d", job->attempt);
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    snprintf(stt, sizeof stt, "%d", (int)(failed ? DC_STATE_FAILED : DC_STATE_DONE));
    snprintf(cl, sizeof cl, "%d", (int)cls);
    snprintf(pr, sizeof pr, "%d", (int)as->review_priority);
    snprintf(sv, sizeof sv, "%d", failed ? -1 : (int)as->severity);
    const char *cp[] = {job->claim_id,
                        at,
                        res->assessment_json,
                        now,
                        stt,
                        cl,
                        failed ? as->error_message : "",
                        pr,
                        sv};
    store_pg_stmt q[MAX_COMPLETE_STMTS];
    char names[DC_MAX_EVIDENCE * 4 + 1][32];
    const char *ap[DC_MAX_EVIDENCE * 4 + 1][3];
    int alen[DC_MAX_EVIDENCE * 4 + 1][3], afmt[DC_MAX_EVIDENCE * 4 + 1][3];
    int n = 0, na = 0;
    q[n++] = (store_pg_stmt){"BEGIN", 0, NULL, NULL, NULL};
    int fence = n;
    q[n++] = (store_pg_stmt){complete_sql, 9, cp, NULL, NULL};
    for (int i = -1; i < res->frame_count; i++) {
        const void *data = i < 0 ? (const void *)res->report_html : res->frames_jpeg[i];
        size_t len = i < 0 ? res->report_html_len : res->frames_jpeg_len[i];
        if (!data) continue;
        if (i >= 0) snprintf(names[na], sizeof names[na], "frame-%d.jpg", i);
        const char *name = i < 0 ? "report.html" : names[na];
        ap[na][0] = job->claim_id;
        ap[na][1] = name;
        ap[na][2] = data;
        alen[na][0] = alen[na][1] = 0;
        alen[na][2] = (int)len;
        afmt[na][0] = afmt[na][1] = 0;
        afmt[na][2] = 1;
        q[n++] = (store_pg_stmt){artifact_sql, 3, ap[na], alen[na], afmt[na]};
        na++;
    }
    int last = n + 1;
    q[n++] = (store_pg_stmt){STORE_PG_AUDIT_LOCK_SQL, 0, NULL, NULL, NULL};
    q[n++] = (store_pg_stmt){STORE_PG_AUDIT_LAST_SQL, 0, NULL, NULL, NULL};
    PGresult *r[MAX_COMPLETE_STMTS];
    dc_error_class rc = store_pg_pipeline(pg, n, q, r, st, lost);
    if (rc != DC_OK) return rc;
    bool holds = PQntuples(r[fence]) == 1;
    dc_audit_row audit = *a->audit; /* sealed afresh on a retry */
    if (holds) store_pg_audit_seal_after(r[last], &audit);
    for (int i = 0; i < n; i++) PQclear(r[i]);
    if (!holds) {
        store_pg_rollback(pg);
        if (retried) return done_by(pg, job, false, a->accepted, st, lost);
        return DC_OK;
    }
    char seq[24];
    const char *p[STORE_AUDIT_NFIELDS];
    store_pg_audit_params(&audit, seq, p);
    store_pg_stmt fin[] = {{store_pg_audit_insert_sql, STORE_AUDIT_NFIELDS, p, NULL, NULL},
                           {"COMMIT", 0, NULL, NULL, NULL}};
    PGresult *fr[2];
    if ((rc = store_pg_pipeline(pg, 2, fin, fr, st, lost)) != DC_OK) {
        store_pg_rollback(pg);
        return rc;
    }
    PQclear(fr[0]);
    PQclear(fr[1]);
    *a->audit = audit;
    *a->accepted = true;
    return DC_OK;
}

dc_error_class store_pg_job_complete(void *self, const dc_store_job *job,
                                     const dc_store_result *result, dc_audit_row *audit,
                                     bool *accepted, dc_status *st) {
    complete_arg a = {job, result, audit, accepted, false};
    *accepted = false;
    return store_pg_retry(self, complete_op, &a, st);
}

/* ---- fail, release ------------------------------------------------------------------------ */

typedef struct {
    const dc_store_job *job;
    dc_error_class cls;
    const char *message;
    bool retryable;
    const char *final_json;
    dc_audit_row *final_audit;
    bool *accepted;
    bool retried;
    bool release;
} fail_arg;

static dc_error_class requeue_tx(store_pg *pg, const char *claim_id, int attempt, int charged,
                                 double delay_s, dc_status *st, bool *lost) {
    char ch[16], delay[32], now[24], at[16];
    snprintf(ch, sizeof ch, "%d", charged);
    snprintf(delay, sizeof delay, "%.3f", delay_s);
    snprintf(now, sizeof now, "%" PRId64, store_now_ms());
    snprintf(at, sizeof at, "%d", attempt);
    const char *p[] = {claim_id, ch, delay, now, at};
    /* A new id puts the job behind every id a worker has claimed (see the top of this file). */
    return store_pg_run(
        pg,
        "WITH j AS (UPDATE jobs SET state = 0, worker = '', lease_until = NULL, charged = $2,"
        "    run_after = clock_timestamp() + make_interval(secs => $3::float8),"
        "    requeued_by = $5, id = nextval(pg_get_serial_sequence('jobs', 'id'))"
        "  WHERE claim_id = $1 RETURNING claim_id, id),"
        " c AS (UPDATE claims SET state = 0, attempts = $2, updated_ms = $4"
        "       FROM j WHERE claims.id = j.claim_id)"
        "SELECT pg_notify('" STORE_PG_CHANNEL "', id::text) FROM j",
        5, p, st, lost);
}

static dc_error_class fail_op(store_pg *pg, void *arg, dc_status *st, bool *lost) {
    fail_arg *a = arg;
    const dc_store_job *job = a->job;
    bool retried = a->retried;
    a->retried = true;
    dc_error_class rc = store_pg_begin(pg, st, lost);
    if (rc != DC_OK) return rc;
    bool holds;
    int charged = 0;
    if ((rc = fence_tx(pg, job, &holds, &charged, st, lost)) != DC_OK) return rc;
    if (!holds) {
        store_pg_rollback(pg);
        if (retried) return done_by(pg, job, true, a->accepted, st, lost);
        return DC_OK;
    }
    dc_audit_row audit;
    if (a->release) {
        rc = requeue_tx(pg, job->claim_id, job->attempt, charged - 1, 0, st, lost);
    } else if (a->retryable && charged < pg->opts.max_attempts) {
        /* Back off: retry_delay_sec, doubled for each attempt already charged. */
        double delay = pg->opts.retry_delay_sec * pow(2.0, charged > 1 ? charged - 1 : 0);
        rc = requeue_tx(pg, job->claim_id, job->attempt, charged, delay, st, lost);
    } else {
        audit = *a->final_audit;
        rc = store_pg_finish_tx(pg, job->claim_id, job->attempt, charged, a->final_json,
                                DC_STATE_FAILED, a->cls == DC_OK ? DC_ERR_INTERNAL : a->cls,
                                a->message, store_failed_priority(), -1, &audit, st, lost);
    }
    if (rc != DC_OK) return rc;
    if ((rc = store_pg_commit(pg, st, lost)) != DC_OK) return rc;
    *a->accepted = true;
    return DC_OK;
}

dc_error_class store_pg_job_fail(void *self, const dc_store_job *job, dc_error_class cls,
                                 const char *message, bool retryable, const char *final_json,
                                 dc_audit_row *final_audit, bool *accepted, dc_status *st) {
    fail_arg a = {job, cls, message, retryable, final_json, final_audit, accepted, false, false};
    *accepted = false;
    return store_pg_retry(self, fail_op, &a, st);
}

dc_error_class store_pg_job_release(void *self, const dc_store_job *job, bool *accepted,
                                    dc_status *st) {
    fail_arg a = {job, DC_OK, NULL, false, NULL, NULL, accepted, false, true};
    *accepted = false;
    return store_pg_retry(self, fail_op, &a, st);
}

/* ---- wait --------------------------------------------------------------------------------- */

dc_error_class store_pg_job_wait(void *self, double timeout_sec, dc_status *st) {
    /* LISTEN once per connection (store_pg_connect repeats it after a reconnect); a notification
     * that arrived since is already buffered and returns at once. Lost connections are a
     * wake-up too: jobs may have been queued while we were away. */
    store_pg *pg = self;
    if (store_pg_listen(pg, st) != DC_OK) return st->code;
    return store_pg_wait(pg, timeout_sec, st) < 0 ? st->code : DC_OK;
}
