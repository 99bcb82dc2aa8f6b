/* The embedded SQLite backend: DIR/dashclaim.db and the content-addressed DIR/videos/.
 *
 * Guarantees and how they are kept:
 *   - Durable before 2xx: a durable transaction returns after the WAL is fsynced past its commit
 *     (group commit: one fsync serves every thread that committed before it started, see
 *     store_sqlite_shared.h); videos are fsynced, renamed into place and their folder fsynced
 *     before the claim row that names them is inserted.
 *   - One writer at a time, no lost updates: every write is a BEGIN IMMEDIATE transaction (the
 *     write lock is taken up front, so two claimers never both read "queued" and both take the
 *     job, and no transaction ever has to upgrade a read lock and deadlock); threads of one
 *     process queue on a mutex first, and a database locked by another process is waited on up
 *     to busy_timeout_ms.
 *   - Fencing: complete, fail, release and heartbeat re-read the job row in their transaction and
 *     act only when it is still running under the caller's attempt number.
 *   - One final assessment: assessments.claim_id is the primary key, and the claim's final state,
 *     its assessment, the job's removal and the audit row are one transaction.
 *   - Append-only audit: triggers refuse UPDATE and DELETE on audit (and DELETE on claims).
 *
 * Schema (user_version 3; version 1 and 2 stores are migrated at open, see migrate()):
 *   claims(id, state, video_sha256, video_bytes, content_type, idempotency_key, uploader, policy_id,
 *          claimant, plate, location, reported_damage, attempts, error_class, error_message,
 *          priority, severity, last_decision, created_ms, updated_ms, incident_time,
 *          incident_place)  -- video_sha256/bytes/content_type: position 0's ('' while an open
 *          claim has none)
 *   claim_videos(claim_id, position, role, segment, video_sha256, bytes, content_type, file_name,
 *          created_ms)   -- v3: every video of a claim
 *   jobs(claim_id, state 0 queued | 1 running, attempt, charged, lease_until_ms, run_after_ms,
 *        worker, created_ms)    -- the hot table: a row lives only while its claim is unfinished
 *   assessments(claim_id, attempt, json, created_ms), artifacts(claim_id, name, data)
 *   reviews(id, claim_id, reviewer, decision, severity, fault_ratio, fraud_flag, reasoning, created_ms)
 *   audit(seq, at, actor, action, claim_id, before, after, reason, model, prompt_version,
 *         rules_version, video_sha256, prev_hash, hash)
 *   keys(id, name, role, hash, revoked, created_ms, revoked_ms)
 *   sessions(id, key_id, hash, created_ms, expires_ms)   -- v2: browser sessions, see
 *        store_sessions.c; a row lives until it expires (pruned at the next create) or is revoked
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_internal.h"
#include "store_sqlite_shared.h"

enum {
    Q_LAST_AUDIT,
    Q_INSERT_AUDIT,
    Q_CLAIM_BY_IDEM,
    Q_INSERT_CLAIM,
    Q_INSERT_JOB,
    Q_CLAIM_GET,
    Q_COUNTS,
    Q_EXPIRED,
    Q_REQUEUE,
    Q_CLAIM_STATE,
    Q_NEXT_JOB,
    Q_TAKE_JOB,
    Q_JOB_READ,
    Q_HEARTBEAT,
    Q_JOB_FENCE,
    Q_INSERT_ASSESSMENT,
    Q_FINISH_CLAIM,
    Q_DELETE_JOB,
    Q_INSERT_ARTIFACT,
    Q_RETRY_JOB,
    Q_RELEASE_JOB,
    Q_ASSESSMENT_GET,
    Q_ARTIFACT_GET,
    Q_REVIEW_CLAIM,
    Q_INSERT_REVIEW,
    Q_CLAIM_DECISION,
    Q_AUDIT_ALL,
    Q_AUDIT_CLAIM,
    Q_INSERT_KEY,
    Q_KEY_GET,
    Q_KEY_LIST,
    Q_KEY_FIND,
    Q_KEY_REVOKE,
    Q_SESSION_PRUNE,
    Q_SESSION_INSERT,
    Q_SESSION_GET,
    Q_SESSION_FIND,
    Q_SESSION_DELETE,
    Q_VIDEO_USED,
    Q_INSERT_CLAIM_VIDEO,
    Q_CLAIM_VIDEOS,
    Q_CLAIM_VIDEO_COUNT,
    Q_CLAIM_FIRST_VIDEO,
    Q_CLAIM_SUBMIT,
    Q_COUNT
};

#define CLAIM_INSERT_COLS                                                                          \
    "id, state, video_sha256, video_bytes, content_type, idempotency_key, uploader, policy_id, "   \
    "claimant, plate, location, reported_damage, attempts, error_class, error_message, "           \
    "priority, severity, last_decision, created_ms, updated_ms, incident_time, incident_place"
#define CLAIM_COLS CLAIM_INSERT_COLS ", " STORE_CLAIM_VIDEO_COUNT
#define CLAIM_VIDEO_COLS "role, segment, video_sha256, bytes, content_type, file_name"

static const char *const sql_text[Q_COUNT] = {
    [Q_LAST_AUDIT] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [Q_INSERT_AUDIT] = "INSERT INTO audit(" STORE_AUDIT_COLUMNS ") VALUES(" STORE_AUDIT_QMARKS ")",
    [Q_CLAIM_BY_IDEM] =
        "SELECT " CLAIM_COLS " FROM claims WHERE uploader = ? AND idempotency_key = ?",
    [Q_INSERT_CLAIM] = "INSERT INTO claims(" CLAIM_INSERT_COLS
                       ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,0,0,'',-1,-1,'',?,?,?,?)",
    [Q_INSERT_JOB] = "INSERT INTO jobs(claim_id, state, attempt, charged, lease_until_ms, "
                     "run_after_ms, worker, created_ms) VALUES(?,0,0,0,0,?,'',?)",
    [Q_CLAIM_GET] = "SELECT " CLAIM_COLS " FROM claims WHERE id = ?",
    [Q_COUNTS] = "SELECT state, count(*) FROM claims GROUP BY state",
    [Q_EXPIRED] = "SELECT j.claim_id, j.charged, c.video_sha256 FROM jobs j JOIN claims c ON "
                  "c.id = j.claim_id WHERE j.state = 1 AND j.lease_until_ms < ? LIMIT 64",
    [Q_REQUEUE] = "UPDATE jobs SET state = 0, worker = '', run_after_ms = ? WHERE claim_id = ?",
    [Q_CLAIM_STATE] = "UPDATE claims SET state = ?, attempts = ?, updated_ms = ? WHERE id = ?",
    [Q_NEXT_JOB] = "SELECT claim_id FROM jobs WHERE state = 0 AND run_after_ms <= ? "
                   "ORDER BY created_ms, claim_id LIMIT 1",
    [Q_TAKE_JOB] = "UPDATE jobs SET state = 1, attempt = attempt + 1, charged = charged + 1, "
                   "lease_until_ms = ?, worker = ? WHERE claim_id = ? AND state = 0",
    [Q_JOB_READ] = "SELECT j.attempt, j.charged, j.lease_until_ms, c.video_sha256, c.policy_id, "
                   "c.claimant, c.plate, c.location, c.reported_damage, c.incident_time, "
                   "c.incident_place FROM jobs j JOIN claims c ON c.id = j.claim_id "
                   "WHERE j.claim_id = ?",
    [Q_HEARTBEAT] = "UPDATE jobs SET lease_until_ms = ? WHERE claim_id = ? AND attempt = ? AND "
                    "state = 1",
    [Q_JOB_FENCE] = "SELECT state, attempt, charged FROM jobs WHERE claim_id = ?",
    [Q_INSERT_ASSESSMENT] = "INSERT INTO assessments(claim_id, attempt, json, created_ms) "
                            "VALUES(?,?,?,?)",
    [Q_FINISH_CLAIM] = "UPDATE claims SET state = ?, error_class = ?, error_message = ?, "
                       "priority = ?, severity = ?, attempts = ?, updated_ms = ? WHERE id = ?",
    [Q_DELETE_JOB] = "DELETE FROM jobs WHERE claim_id = ?",
    [Q_INSERT_ARTIFACT] = "INSERT OR REPLACE INTO artifacts(claim_id, name, data) VALUES(?,?,?)",
    [Q_RETRY_JOB] = "UPDATE jobs SET state = 0, worker = '', run_after_ms = ? WHERE claim_id = ?",
    [Q_RELEASE_JOB] = "UPDATE jobs SET state = 0, worker = '', charged = charged - 1, "
                      "run_after_ms = ? WHERE claim_id = ?",
    [Q_ASSESSMENT_GET] = "SELECT json FROM assessments WHERE claim_id = ?",
    [Q_ARTIFACT_GET] = "SELECT data FROM artifacts WHERE claim_id = ? AND name = ?",
    [Q_REVIEW_CLAIM] = "SELECT c.state, c.video_sha256, a.json FROM claims c LEFT JOIN assessments "
                       "a ON a.claim_id = c.id WHERE c.id = ?",
    [Q_INSERT_REVIEW] = "INSERT INTO reviews(claim_id, reviewer, decision, severity, fault_ratio, "
                        "fraud_flag, reasoning, created_ms) VALUES(?,?,?,?,?,?,?,?)",
    [Q_CLAIM_DECISION] = "UPDATE claims SET last_decision = ?, updated_ms = ? WHERE id = ?",
    [Q_AUDIT_ALL] = "SELECT " STORE_AUDIT_COLUMNS " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
    [Q_AUDIT_CLAIM] = "SELECT " STORE_AUDIT_COLUMNS " FROM audit "
                      "WHERE claim_id = ? AND seq > ? ORDER BY seq LIMIT ?",
    [Q_INSERT_KEY] = "INSERT INTO keys(id, name, role, hash, revoked, created_ms, revoked_ms) "
                     "VALUES(?,?,?,?,0,?,0)",
    [Q_KEY_GET] = "SELECT id, name, role, revoked, created_ms, revoked_ms, hash FROM keys "
                  "WHERE id = ?",
    [Q_KEY_LIST] = "SELECT id, name, role, revoked, created_ms, revoked_ms, hash FROM keys "
                   "ORDER BY created_ms, id LIMIT ?",
    [Q_KEY_FIND] = "SELECT id, name, role, revoked, created_ms, revoked_ms, hash FROM keys "
                   "WHERE (id = ?1 OR name = ?1) AND revoked = 0 LIMIT 1",
    [Q_KEY_REVOKE] = "UPDATE keys SET revoked = 1, revoked_ms = ? WHERE id = ?",
    [Q_SESSION_PRUNE] = "DELETE FROM sessions WHERE expires_ms <= ?",
    /* only for a key that exists and is not revoked: no row otherwise */
    [Q_SESSION_INSERT] = "INSERT INTO sessions(id, key_id, hash, created_ms, expires_ms) "
                         "SELECT ?1, id, ?2, ?3, ?4 FROM keys WHERE id = ?5 AND revoked = 0",
    [Q_SESSION_GET] = "SELECT k.id, k.name, k.role, k.revoked, k.created_ms, k.revoked_ms, "
                      "s.hash, s.expires_ms FROM sessions s JOIN keys k ON k.id = s.key_id "
                      "WHERE s.id = ?",
    [Q_SESSION_FIND] = "SELECT k.id, k.name, k.role, k.revoked, k.created_ms, k.revoked_ms "
                       "FROM sessions s JOIN keys k ON k.id = s.key_id "
                       "WHERE s.id = ? AND s.hash = ? AND s.expires_ms > ?",
    [Q_SESSION_DELETE] = "DELETE FROM sessions WHERE id = ?",
    /* every video of every claim has a claim_videos row (v3 moved the older ones there) */
    [Q_VIDEO_USED] = "SELECT 1 FROM claim_videos WHERE video_sha256 = ? LIMIT 1",
    [Q_INSERT_CLAIM_VIDEO] = "INSERT INTO claim_videos(claim_id, position, " CLAIM_VIDEO_COLS
                             ", created_ms) VALUES(?,?,?,?,?,?,?,?,?)",
    [Q_CLAIM_VIDEOS] = "SELECT " CLAIM_VIDEO_COLS " FROM claim_videos WHERE claim_id = ? "
                       "ORDER BY position LIMIT ?",
    [Q_CLAIM_VIDEO_COUNT] = "SELECT c.state, c.video_sha256, (SELECT count(*) FROM claim_videos v "
                            "WHERE v.claim_id = c.id) FROM claims c WHERE c.id = ?",
    [Q_CLAIM_FIRST_VIDEO] = "UPDATE claims SET video_sha256 = ?, video_bytes = ?, "
                            "content_type = ?, updated_ms = ? WHERE id = ?",
    [Q_CLAIM_SUBMIT] = "UPDATE claims SET state = 0, updated_ms = ? WHERE id = ? AND state = 4",
};

static const char schema_v1[] =
    "CREATE TABLE claims("
    " id TEXT PRIMARY KEY, state INTEGER NOT NULL, video_sha256 TEXT NOT NULL,"
    " video_bytes INTEGER NOT NULL, content_type TEXT NOT NULL, idempotency_key TEXT,"
    " uploader TEXT NOT NULL, policy_id TEXT NOT NULL, claimant TEXT NOT NULL,"
    " plate TEXT NOT NULL, location TEXT NOT NULL, reported_damage TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, error_class INTEGER NOT NULL, error_message TEXT NOT NULL,"
    " priority INTEGER NOT NULL, severity INTEGER NOT NULL, last_decision TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX claims_idempotency ON claims(uploader, idempotency_key)"
    " WHERE idempotency_key IS NOT NULL;"
    "CREATE INDEX claims_queue ON claims(priority DESC, created_ms, id);"
    "CREATE INDEX claims_by_state ON claims(state, priority DESC, created_ms, id);"
    "CREATE TABLE jobs("
    " claim_id TEXT PRIMARY KEY REFERENCES claims(id), state INTEGER NOT NULL,"
    " attempt INTEGER NOT NULL, charged INTEGER NOT NULL, lease_until_ms INTEGER NOT NULL,"
    " run_after_ms INTEGER NOT NULL, worker TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX jobs_ready ON jobs(state, created_ms, claim_id);"
    "CREATE INDEX jobs_lease ON jobs(state, lease_until_ms);"
    "CREATE TABLE assessments("
    " claim_id TEXT PRIMARY KEY REFERENCES claims(id), attempt INTEGER NOT NULL,"
    " json TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE artifacts("
    " claim_id TEXT NOT NULL REFERENCES claims(id), name TEXT NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY(claim_id, name));"
    "CREATE TABLE reviews("
    " id INTEGER PRIMARY KEY, claim_id TEXT NOT NULL REFERENCES claims(id),"
    " reviewer TEXT NOT NULL, decision TEXT NOT NULL, severity INTEGER, fault_ratio INTEGER,"
    " fraud_flag INTEGER, reasoning TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE audit("
    " seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " claim_id TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL, reason TEXT NOT NULL,"
    " model TEXT NOT NULL, prompt_version TEXT NOT NULL, rules_version TEXT NOT NULL,"
    " video_sha256 TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_by_claim ON audit(claim_id, seq);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
    "CREATE TRIGGER claims_no_delete BEFORE DELETE ON claims"
    " BEGIN SELECT RAISE(ABORT, 'claims are never deleted'); END;"
    "CREATE TABLE keys("
    " id TEXT PRIMARY KEY, name TEXT NOT NULL, role INTEGER NOT NULL, hash TEXT NOT NULL,"
    " revoked INTEGER NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX keys_active_name ON keys(name) WHERE revoked = 0;"
    "PRAGMA user_version = 1;";

/* Version 2: browser sessions, claims by video (dc_store_video_discard asks whether any claim
 * names a video), reviews by claim (audit verify reads a batch of claims' reviews at a time). */
static const char schema_v2[] =
    "CREATE TABLE sessions("
    " id TEXT PRIMARY KEY, key_id TEXT NOT NULL REFERENCES keys(id), hash TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
    "CREATE INDEX sessions_expiry ON sessions(expires_ms);"
    "CREATE INDEX claims_by_video ON claims(video_sha256);"
    "CREATE INDEX reviews_by_claim ON reviews(claim_id, id);"
    "PRAGMA user_version = 2;";

/* Version 3: a claim is one or more videos (claim_videos: the claim's videos by position, with
 * role, segment and the uploader's file name; the bytes stay content-addressed under
 * videos/ab/<sha256>), the claimant's incident time and place, and open claims (state 4, no
 * job until submitted). Every claim of before becomes one row at position 0, role unknown. */
static const char schema_v3[] =
    "ALTER TABLE claims ADD COLUMN incident_time TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE claims ADD COLUMN incident_place TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE claim_videos("
    " claim_id TEXT NOT NULL REFERENCES claims(id), position INTEGER NOT NULL,"
    " role TEXT NOT NULL, segment INTEGER NOT NULL, video_sha256 TEXT NOT NULL,"
    " bytes INTEGER NOT NULL, content_type TEXT NOT NULL, file_name TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, PRIMARY KEY(claim_id, position));"
    "CREATE INDEX claim_videos_by_video ON claim_videos(video_sha256);"
    "INSERT INTO claim_videos(claim_id, position, role, segment, video_sha256, bytes,"
    " content_type, file_name, created_ms)"
    " SELECT id, 0, 'unknown', -1, video_sha256, video_bytes, content_type, '', created_ms"
    " FROM claims;"
    "PRAGMA user_version = 3;";
#define SCHEMA_VERSION 3

typedef struct {
    sqlite3 *db;
    dc_store_options opts;
    char dir[PATH_MAX];
    char videos[PATH_MAX + 16];
    sqlite3_stmt *q[Q_COUNT];
    sq_shared *g; /* this process's writer lock and group commit for the file */
    bool locked;  /* holds g's writer lock (inside a write transaction) */
    bool durable; /* the open transaction waits for its fsync at commit */
    double busy_since;
    unsigned seed;
    int wal_pages; /* the WAL's size after this connection's last commit (on_wal) */
} sq;

/* ---- plumbing ------------------------------------------------------------------------------- */

/* Busy, locked, I/O and full-disk errors are the machine's problem (retry may work); anything
 * else (a constraint, a schema mismatch) is ours. */
static dc_error_class sq_fail(sq *s, dc_status *st, const char *what) {
    int code = sqlite3_extended_errcode(s->db) & 0xff;
    dc_error_class cls = (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR ||
                          code == SQLITE_FULL || code == SQLITE_NOMEM || code == SQLITE_CANTOPEN ||
                          code == SQLITE_READONLY || code == SQLITE_PROTOCOL)
                             ? DC_ERR_RESOURCE
                             : DC_ERR_INTERNAL;
    return dc_fail(st, cls, "store: %s in %s/dashclaim.db: %s", what, s->dir,
                   sqlite3_errmsg(s->db));
}

static sqlite3_stmt *prep(sq *s, int which, dc_status *st) {
    if (!s->q[which] && sqlite3_prepare_v3(s->db, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT,
                                           &s->q[which], NULL) != SQLITE_OK) {
        sq_fail(s, st, "preparing a statement");
        return NULL;
    }
    sqlite3_reset(s->q[which]);
    sqlite3_clear_bindings(s->q[which]);
    return s->q[which];
}

static void bind_text(sqlite3_stmt *q, int i, const char *text) {
    sqlite3_bind_text(q, i, text ? text : "", -1, SQLITE_TRANSIENT);
}

static void col_text(sqlite3_stmt *q, int i, char *dst, size_t size) {
    const unsigned char *t = sqlite3_column_text(q, i);
    store_copy(dst, size, t ? (const char *)t : "");
}

/* The statement's current row for the shared row readers (store_rows.c). */
static void row_text(const store_row *r, int col, char *dst, size_t size) {
    col_text((sqlite3_stmt *)r->src, col, dst, size);
}

static int64_t row_i64(const store_row *r, int col) {
    return sqlite3_column_int64((sqlite3_stmt *)r->src, col);
}

static store_row row_of(sqlite3_stmt *q) {
    return (store_row){.text = row_text, .i64 = row_i64, .src = q};
}

/* Runs a statement that returns no rows; done with it afterwards. */
static dc_error_class run(sq *s, sqlite3_stmt *q, const char *what, dc_status *st) {
    int rc = sqlite3_step(q);
    dc_error_class e = rc == SQLITE_DONE || rc == SQLITE_ROW ? DC_OK : sq_fail(s, st, what);
    sqlite3_reset(q);
    return e;
}

static dc_error_class exec(sq *s, const char *sql, dc_status *st) {
    char *err = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) == SQLITE_OK) return DC_OK;
    dc_error_class rc = sq_fail(s, st, sql);
    sqlite3_free(err);
    return rc;
}

/* Durability per transaction. Every transaction commits with synchronous=NORMAL: its WAL frames
 * are written before COMMIT returns (safe against a killed process) and the write lock is released
 * at once. One that anything behind a 2xx or a result depends on ("durable": begin()) then waits
 * in commit() until the WAL is fsynced past it, sharing that fsync with the commits of the other
 * threads (group commit, store_sqlite_shared.h; as durable as synchronous=FULL, which fsynced
 * once per transaction inside the write lock). Taking a job, renewing its lease, releasing it and
 * queueing expired leases again do not wait: after a power loss the database is a prefix of its
 * history (the next durable commit's fsync covers every frame before it), in which a lost claim
 * or lease renewal is simply a job that runs again.
 *
 * Every write transaction of this process also holds the shared writer lock from BEGIN to
 * COMMIT or ROLLBACK, so threads take turns without SQLite's sleeping busy handler. */
static dc_error_class begin_sync(sq *s, bool durable, dc_status *st) {
    sq_shared_write_lock(s->g);
    s->locked = true;
    s->durable = durable;
    dc_error_class rc = exec(s, "BEGIN IMMEDIATE", st);
    if (rc != DC_OK) {
        s->locked = false;
        sq_shared_write_unlock(s->g);
    }
    return rc;
}

static dc_error_class begin(sq *s, dc_status *st) { return begin_sync(s, true, st); }

static void write_unlock(sq *s) {
    if (!s->locked) return;
    s->locked = false;
    sq_shared_write_unlock(s->g);
}

/* SQLite's automatic checkpoint (every 1000 WAL pages) would run inside COMMIT, holding the
 * writer lock through its two fsyncs while every other thread waits; it is off (on_wal replaces
 * it) and run here instead, after the lock is released, by one thread of the process at a time.
 * PASSIVE: it copies what no reader still needs and never blocks a writer. With
 * synchronous=NORMAL it fsyncs the WAL before copying and the database after. */
#define SQ_CHECKPOINT_PAGES 1000

static int on_wal(void *arg, sqlite3 *db, const char *name, int pages) {
    (void)db;
    (void)name;
    ((sq *)arg)->wal_pages = pages;
    return SQLITE_OK;
}

static void checkpoint_if_due(sq *s) {
    if (s->wal_pages < SQ_CHECKPOINT_PAGES) return;
    s->wal_pages = 0;
    if (!sq_shared_checkpoint_begin(s->g)) return; /* another thread is at it */
    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    sq_shared_checkpoint_end(s->g);
}

static dc_error_class commit(sq *s, dc_status *st) {
    dc_error_class rc = exec(s, "COMMIT", st);
    /* A failed COMMIT (disk full, I/O) leaves the transaction open: roll it back so that the
     * connection is usable for the next request. */
    if (rc != DC_OK && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    uint64_t ticket = rc == DC_OK && s->durable ? sq_shared_committed(s->g) : 0;
    write_unlock(s);
    if (rc != DC_OK) return st ? st->code : DC_ERR_RESOURCE;
    if (ticket) rc = sq_shared_sync(s->g, ticket, st);
    checkpoint_if_due(s);
    return rc;
}

static void rollback(sq *s) {
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    write_unlock(s);
}

/* Across processes a locked database is still waited on by SQLite: in short naps (0.1 ms
 * doubling to 5 ms, with jitter) rather than its default 1 ... 100 ms, until busy_timeout_ms. */
static int on_busy(void *arg, int count) {
    sq *s = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double t = (double)now.tv_sec + now.tv_nsec / 1e9;
    if (count == 0) s->busy_since = t;
    if ((t - s->busy_since) * 1000.0 >= s->opts.busy_timeout_ms) return 0;
    long us = count < 6 ? 100L << count : 5000L;
    us += (long)(rand_r(&s->seed) % (unsigned)(us / 2 + 1));
    struct timespec nap = {0, us * 1000L};
    nanosleep(&nap, NULL);
    return 1;
}

/* Appends row inside the caller's transaction: the last row's seq and hash are read under the
 * same write lock, so the chain never forks. */
static dc_error_class audit_append_tx(sq *s, dc_audit_row *row, dc_status *st) {
    sqlite3_stmt *q = prep(s, Q_LAST_AUDIT, st);
    if (!q) return st->code;
    int64_t prev_seq = 0;
    char prev_hash[65] = "";
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        prev_seq = sqlite3_column_int64(q, 0);
        col_text(q, 1, prev_hash, sizeof prev_hash);
    } else if (rc != SQLITE_DONE) {
        return sq_fail(s, st, "reading the audit chain");
    }
    sqlite3_reset(q);
    store_audit_seal(row, prev_seq, prev_hash);
    q = prep(s, Q_INSERT_AUDIT, st);
    if (!q) return st->code;
    for (int i = 0; i < STORE_AUDIT_NFIELDS; i++) {
        char buf[24];
        int64_t v;
        if (store_audit_fields[i].kind != STORE_AUDIT_INT) {
            bind_text(q, i + 1, store_audit_field_text(row, i, buf));
            continue;
        }
        memcpy(&v, (const char *)row + store_audit_fields[i].offset, sizeof v);
        sqlite3_bind_int64(q, i + 1, v);
    }
    return run(s, q, "appending to the audit trail", st);
}

static void read_claim(sqlite3_stmt *q, dc_store_claim *c) {
    store_row r = row_of(q);
    store_row_claim(&r, c);
}

/* ---- opening -------------------------------------------------------------------------------- */

static dc_error_class make_dir(const char *path, dc_status *st) {
    if (mkdir(path, 0750) == 0 || errno == EEXIST) return DC_OK;
    return dc_fail(st, DC_ERR_INPUT, "store: cannot create folder %s: %s", path, strerror(errno));
}

static void sq_close(void *self) {
    sq *s = self;
    if (!s) return;
    for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    sq_shared_put(s->g);
    free(s);
}

/* Uploads interrupted by a crash leave their temporary files; one older than a day belongs to
 * no live upload (a 500 MB body does not take a day), so it is removed at start. */
static void remove_stale_uploads(const sq *s) {
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/tmp", s->videos);
    DIR *d = opendir(tmp);
    if (!d) return;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "upload-", 7) != 0) continue;
        struct stat sb;
        if (fstatat(dirfd(d), e->d_name, &sb, 0) == 0 && now - sb.st_mtime > 86400)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

static dc_error_class migrate(sq *s, dc_status *st) {
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    sqlite3_stmt *q = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    /* Each step runs once, in order, in this one transaction: a store of any older version
     * (an older dashclaim's) comes up to date, or stays as it was. */
    if (version < 0) rc = sq_fail(s, st, "reading the schema version");
    else if (version > SCHEMA_VERSION)
        rc = dc_fail(st, DC_ERR_INPUT,
                     "store: %s/dashclaim.db has schema version %d, newer than "
                     "this dashclaim (%d)",
                     s->dir, version, SCHEMA_VERSION);
    if (rc == DC_OK && version == 0) rc = exec(s, schema_v1, st);
    if (rc == DC_OK && version >= 0 && version < 2) rc = exec(s, schema_v2, st);
    if (rc == DC_OK && version >= 0 && version < 3) rc = exec(s, schema_v3, st);
    if (rc != DC_OK || version == SCHEMA_VERSION) { /* (up to date: nothing to commit, no fsync) */
        rollback(s);
        return rc;
    }
    return commit(s, st);
}

dc_error_class store_sqlite_open(const char *dir, const dc_store_options *o, const store_ops **ops,
                                 void **self, dc_status *st);

static const store_ops sqlite_ops;

dc_error_class store_sqlite_open(const char *dir, const dc_store_options *o, const store_ops **ops,
                                 void **self, dc_status *st) {
    sq *s = calloc(1, sizeof *s);
    if (!s) return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
    s->opts = *o;
    dc_error_class rc = DC_OK;
    if (!store_copy(s->dir, sizeof s->dir, dir)) {
        rc = dc_fail(st, DC_ERR_INPUT, "store: data folder path too long");
        goto fail;
    }
    snprintf(s->videos, sizeof s->videos, "%s/videos", s->dir);
    char path[PATH_MAX + 32];
    if (!o->read_only) {
        snprintf(path, sizeof path, "%s/tmp", s->videos);
        if ((rc = make_dir(s->dir, st)) || (rc = make_dir(s->videos, st)) ||
            (rc = make_dir(path, st)))
            goto fail;
    }
    snprintf(path, sizeof path, "%s/dashclaim.db", s->dir);
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (o->read_only ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        rc = dc_fail(st, o->read_only ? DC_ERR_INPUT : DC_ERR_RESOURCE, "store: cannot open %s: %s",
                     path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    s->seed = (unsigned)getpid() ^ (unsigned)(uintptr_t)s;
    sqlite3_busy_handler(s->db, on_busy, s);
    sqlite3_wal_hook(s->db, on_wal, s);
    sqlite3_extended_result_codes(s->db, 1);
    /* synchronous = NORMAL: durable commits wait for the group fsync instead (begin_sync) */
    if ((rc = exec(s, "PRAGMA journal_mode = WAL", st)) ||
        (rc = exec(s, "PRAGMA synchronous = NORMAL", st)) ||
        (rc = exec(s, "PRAGMA foreign_keys = ON", st)))
        goto fail;
    if (!(s->g = sq_shared_get(path, st))) {
        rc = st ? st->code : DC_ERR_RESOURCE;
        goto fail;
    }
    if (!o->read_only) {
        if ((rc = migrate(s, st))) goto fail;
        remove_stale_uploads(s);
    }
    *ops = &sqlite_ops;
    *self = s;
    return DC_OK;
fail:
    sq_close(s);
    return rc;
}

/* ---- videos --------------------------------------------------------------------------------- */

typedef struct {
    sq *s;
    int fd;
    char tmp[PATH_MAX + 64];
} sq_sink;

static void video_path(const sq *s, const char *sha, char *out, size_t size) {
    snprintf(out, size, "%s/%.2s/%s", s->videos, sha, sha);
}

static dc_error_class sink_open(void *self, void **out, dc_status *st) {
    sq *s = self;
    sq_sink *k = calloc(1, sizeof *k);
    if (!k) return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
    k->s = s;
    /* The server names the file: a random temporary name, then the content's hash. Two uploads
     * never share a path, and a failed upload can only remove its own temporary file. */
    snprintf(k->tmp, sizeof k->tmp, "%s/tmp/upload-XXXXXX", s->videos);
    k->fd = mkostemp(k->tmp, O_CLOEXEC);
    if (k->fd < 0) {
        dc_error_class rc =
            dc_fail(st, DC_ERR_RESOURCE, "store: cannot create %s: %s", k->tmp, strerror(errno));
        free(k);
        return rc;
    }
    *out = k;
    return DC_OK;
}

static dc_error_class sink_write(void *sink, const void *data, size_t n, dc_status *st) {
    sq_sink *k = sink;
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(k->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0)
            return dc_fail(st, DC_ERR_RESOURCE, "store: writing %s: %s", k->tmp, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return DC_OK;
}

static void sink_abort(void *sink) {
    sq_sink *k = sink;
    if (!k) return;
    if (k->fd >= 0) close(k->fd);
    unlink(k->tmp);
    free(k);
}

static dc_error_class fsync_dir(const char *path, dc_status *st) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        dc_error_class rc =
            dc_fail(st, DC_ERR_RESOURCE, "store: fsync of folder %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return rc;
    }
    close(fd);
    return DC_OK;
}

static dc_error_class sink_commit(void *sink, const char *sha256, int64_t bytes, dc_status *st) {
    sq_sink *k = sink;
    sq *s = k->s;
    dc_error_class rc = DC_OK;
    char sub[PATH_MAX + 32], final[PATH_MAX + 128];
    if (fsync(k->fd) != 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "store: fsync of %s: %s", k->tmp, strerror(errno));
        goto out;
    }
    close(k->fd);
    k->fd = -1;
    snprintf(sub, sizeof sub, "%s/%.2s", s->videos, sha256);
    if ((rc = make_dir(sub, st)) != DC_OK) {
        rc = DC_ERR_RESOURCE;
        goto out;
    }
    video_path(s, sha256, final, sizeof final);
    struct stat sb;
    if (stat(final, &sb) == 0 && sb.st_size == bytes) {
        /* The same bytes were stored before (and made durable then): keep that copy. */
        goto out;
    }
    if (rename(k->tmp, final) != 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "store: renaming %s to %s: %s", k->tmp, final,
                     strerror(errno));
        goto out;
    }
    k->tmp[0] = '\0';
    rc = fsync_dir(sub, st);
out:
    if (k->fd >= 0) close(k->fd);
    if (k->tmp[0]) unlink(k->tmp);
    free(k);
    return rc;
}

typedef struct {
    int fd;
    char path[PATH_MAX + 128];
} sq_source;

static dc_error_class source_open(void *self, const char *sha256, void **src, int64_t *size,
                                  dc_status *st) {
    sq *s = self;
    sq_source *r = calloc(1, sizeof *r);
    if (!r) return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
    video_path(s, sha256, r->path, sizeof r->path);
    r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (r->fd < 0 || fstat(r->fd, &sb) != 0) {
        int e = errno;
        if (r->fd >= 0) close(r->fd);
        free(r);
        if (e == ENOENT) return DC_OK;
        return dc_fail(st, DC_ERR_RESOURCE, "store: cannot open video %s: %s", sha256, strerror(e));
    }
    *size = sb.st_size;
    *src = r;
    return DC_OK;
}

static dc_error_class source_read(void *src, int64_t offset, void *buf, size_t cap, size_t *n,
                                  dc_status *st) {
    sq_source *r = src;
    for (;;) {
        ssize_t k = pread(r->fd, buf, cap, (off_t)offset);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0)
            return dc_fail(st, DC_ERR_RESOURCE, "store: reading %s: %s", r->path, strerror(errno));
        *n = (size_t)k;
        return DC_OK;
    }
}

static void source_close(void *src) {
    sq_source *r = src;
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r);
}

static dc_error_class local_path(void *self, const char *sha256, char *path, size_t size, bool *has,
                                 dc_status *st) {
    sq *s = self;
    char p[PATH_MAX + 128];
    video_path(s, sha256, p, sizeof p);
    *has = access(p, R_OK) == 0;
    if (*has && !store_copy(path, size, p))
        return dc_fail(st, DC_ERR_INPUT, "store: video path longer than the caller's buffer");
    return DC_OK;
}

/* ---- claims --------------------------------------------------------------------------------- */

/* Inside the caller's transaction: is the video's file there? Under the write lock, which
 * video_discard holds while it looks for claims and removes the file: either the file is still
 * there now and stays (the discard that comes next sees this claim), or it went before and the
 * claim is refused. */
static dc_error_class video_stored_tx(sq *s, const char *sha256, dc_status *st) {
    char vp[PATH_MAX + 128];
    video_path(s, sha256, vp, sizeof vp);
    if (access(vp, R_OK) != 0)
        return dc_fail(st, DC_ERR_INPUT, "store: video %s is not stored", sha256);
    return DC_OK;
}

static dc_error_class insert_video_tx(sq *s, const char *claim_id, int position,
                                      const dc_store_claim_video *v, int64_t now, dc_status *st) {
    sqlite3_stmt *q = prep(s, Q_INSERT_CLAIM_VIDEO, st);
    if (!q) return st->code;
    bind_text(q, 1, claim_id);
    sqlite3_bind_int(q, 2, position);
    bind_text(q, 3, dc_video_role_name(v->role));
    sqlite3_bind_int(q, 4, v->segment);
    bind_text(q, 5, v->video.sha256);
    sqlite3_bind_int64(q, 6, v->video.bytes);
    bind_text(q, 7, v->content_type);
    bind_text(q, 8, v->file_name);
    sqlite3_bind_int64(q, 9, now);
    return run(s, q, "inserting a claim's video", st);
}

static dc_error_class insert_job_tx(sq *s, const char *id, int64_t now, dc_status *st) {
    sqlite3_stmt *q = prep(s, Q_INSERT_JOB, st);
    if (!q) return st->code;
    bind_text(q, 1, id);
    sqlite3_bind_int64(q, 2, now);
    sqlite3_bind_int64(q, 3, now);
    return run(s, q, "queueing a claim", st);
}

static dc_error_class read_claim_by_id(sq *s, const char *id, dc_store_claim *out, bool *found,
                                       dc_status *st) {
    sqlite3_stmt *q = prep(s, Q_CLAIM_GET, st);
    if (!q) return st->code;
    bind_text(q, 1, id);
    int r = sqlite3_step(q);
    *found = r == SQLITE_ROW;
    if (r == SQLITE_ROW) read_claim(q, out);
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : sq_fail(s, st, "reading a claim");
}

static dc_error_class claim_insert(void *self, const char *id, const dc_store_new_claim *nc,
                                   dc_audit_row *audit, int naudit, dc_store_claim *out,
                                   bool *existed, dc_status *st) {
    sq *s = self;
    *existed = false;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    for (int i = 0; i < nc->video_count; i++)
        if (video_stored_tx(s, nc->videos[i].video.sha256, st) != DC_OK) goto fail;
    sqlite3_stmt *q;
    if (nc->idempotency_key[0]) {
        if (!(q = prep(s, Q_CLAIM_BY_IDEM, st))) goto fail;
        bind_text(q, 1, nc->uploader);
        bind_text(q, 2, nc->idempotency_key);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            read_claim(q, out);
            sqlite3_reset(q);
            *existed = true;
            rollback(s);
            return DC_OK;
        }
        sqlite3_reset(q);
        if (r != SQLITE_DONE) {
            sq_fail(s, st, "looking up the idempotency key");
            goto fail;
        }
    }
    int64_t now = store_now_ms();
    if (!(q = prep(s, Q_INSERT_CLAIM, st))) goto fail;
    bind_text(q, 1, id);
    sqlite3_bind_int(q, 2, nc->open ? DC_STATE_OPEN : DC_STATE_QUEUED);
    bind_text(q, 3, nc->video.sha256);
    sqlite3_bind_int64(q, 4, nc->video.bytes);
    bind_text(q, 5, nc->content_type);
    if (nc->idempotency_key[0]) bind_text(q, 6, nc->idempotency_key);
    else sqlite3_bind_null(q, 6);
    bind_text(q, 7, nc->uploader);
    bind_text(q, 8, nc->fields.policy_id);
    bind_text(q, 9, nc->fields.claimant);
    bind_text(q, 10, nc->fields.plate);
    bind_text(q, 11, nc->fields.location);
    bind_text(q, 12, nc->fields.reported_damage);
    sqlite3_bind_int64(q, 13, now);
    sqlite3_bind_int64(q, 14, now);
    bind_text(q, 15, nc->fields.incident_time);
    bind_text(q, 16, nc->fields.incident_place);
    if (run(s, q, "inserting a claim", st) != DC_OK) goto fail;
    for (int i = 0; i < nc->video_count; i++)
        if (insert_video_tx(s, id, i, &nc->videos[i], now, st) != DC_OK) goto fail;
    if (!nc->open && insert_job_tx(s, id, now, st) != DC_OK) goto fail;
    for (int i = 0; i < naudit; i++)
        if (audit_append_tx(s, &audit[i], st) != DC_OK) goto fail;
    if ((rc = commit(s, st)) != DC_OK) return rc;
    bool found = false;
    if ((rc = read_claim_by_id(s, id, out, &found, st)) != DC_OK) return rc;
    return found ? DC_OK : sq_fail(s, st, "reading a new claim");
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

/* The claim's state, position 0's hash and its count of videos, inside the caller's
 * transaction; *found false when there is no such claim. */
static dc_error_class claim_videos_state_tx(sq *s, const char *claim_id, int *state, char sha[65],
                                            int *videos, bool *found, dc_status *st) {
    sqlite3_stmt *q = prep(s, Q_CLAIM_VIDEO_COUNT, st);
    if (!q) return st->code;
    bind_text(q, 1, claim_id);
    int r = sqlite3_step(q);
    *found = r == SQLITE_ROW;
    if (r == SQLITE_ROW) {
        *state = sqlite3_column_int(q, 0);
        col_text(q, 1, sha, 65);
        *videos = sqlite3_column_int(q, 2);
    }
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : sq_fail(s, st, "reading a claim");
}

static dc_error_class claim_video_add(void *self, const char *claim_id,
                                      const dc_store_claim_video *v, const char *actor,
                                      int *position, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    int state = -1, videos = 0;
    char sha[65] = "";
    bool found = false;
    if (claim_videos_state_tx(s, claim_id, &state, sha, &videos, &found, st) != DC_OK) goto fail;
    if (!found) {
        dc_fail(st, DC_ERR_INPUT, "store: no claim %s", claim_id);
        goto fail;
    }
    if (state != DC_STATE_OPEN) {
        dc_fail(st, DC_ERR_INPUT, "store: claim %s is %s: videos are added to an open claim only",
                claim_id, dc_claim_state_name((dc_claim_state)state));
        goto fail;
    }
    if (videos >= DC_MAX_CLAIM_VIDEOS) {
        dc_fail(st, DC_ERR_INPUT, "store: claim %s holds %d videos already, the most a claim may",
                claim_id, DC_MAX_CLAIM_VIDEOS);
        goto fail;
    }
    if (video_stored_tx(s, v->video.sha256, st) != DC_OK) goto fail;
    int64_t now = store_now_ms();
    if (insert_video_tx(s, claim_id, videos, v, now, st) != DC_OK) goto fail;
    if (videos == 0) {
        sqlite3_stmt *q = prep(s, Q_CLAIM_FIRST_VIDEO, st);
        if (!q) goto fail;
        bind_text(q, 1, v->video.sha256);
        sqlite3_bind_int64(q, 2, v->video.bytes);
        bind_text(q, 3, v->content_type);
        sqlite3_bind_int64(q, 4, now);
        bind_text(q, 5, claim_id);
        if (run(s, q, "naming a claim's first video", st) != DC_OK) goto fail;
    }
    dc_audit_row audit;
    store_audit_video_added(&audit, claim_id, actor, videos, v);
    if (audit_append_tx(s, &audit, st) != DC_OK) goto fail;
    if ((rc = commit(s, st)) != DC_OK) return rc;
    *position = videos;
    return DC_OK;
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

static dc_error_class claim_submit(void *self, const char *claim_id, const char *actor,
                                   dc_store_claim *out, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    int state = -1, videos = 0;
    char sha[65] = "";
    bool found = false;
    if (claim_videos_state_tx(s, claim_id, &state, sha, &videos, &found, st) != DC_OK) goto fail;
    if (!found) {
        dc_fail(st, DC_ERR_INPUT, "store: no claim %s", claim_id);
        goto fail;
    }
    if (state == DC_STATE_OPEN) {
        if (videos == 0) {
            dc_fail(st, DC_ERR_INPUT, "store: claim %s has no video yet: add one, then submit",
                    claim_id);
            goto fail;
        }
        int64_t now = store_now_ms();
        sqlite3_stmt *q = prep(s, Q_CLAIM_SUBMIT, st);
        if (!q) goto fail;
        sqlite3_bind_int64(q, 1, now);
        bind_text(q, 2, claim_id);
        if (run(s, q, "submitting a claim", st) != DC_OK) goto fail;
        if (insert_job_tx(s, claim_id, now, st) != DC_OK) goto fail;
        dc_audit_row audit;
        store_audit_claim_submitted(&audit, claim_id, actor, sha, videos);
        if (audit_append_tx(s, &audit, st) != DC_OK) goto fail;
        if ((rc = commit(s, st)) != DC_OK) return rc;
    } else {
        rollback(s); /* submitted before: as it is */
    }
    if ((rc = read_claim_by_id(s, claim_id, out, &found, st)) != DC_OK) return rc;
    return found ? DC_OK : sq_fail(s, st, "reading a submitted claim");
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

static dc_error_class claim_videos(void *self, const char *claim_id, dc_store_claim_video *rows,
                                   int max, int *count, dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, Q_CLAIM_VIDEOS, st);
    if (!q) return st->code;
    bind_text(q, 1, claim_id);
    sqlite3_bind_int(q, 2, max);
    int r = SQLITE_DONE, n = 0;
    while (n < max && (r = sqlite3_step(q)) == SQLITE_ROW) {
        store_row row = row_of(q);
        store_row_claim_video(&row, &rows[n++]);
    }
    if (n == max) r = SQLITE_DONE;
    sqlite3_reset(q);
    *count = n;
    return r == SQLITE_DONE ? DC_OK : sq_fail(s, st, "listing a claim's videos");
}

static dc_error_class claim_get(void *self, const char *id, dc_store_claim *out, bool *found,
                                dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, Q_CLAIM_GET, st);
    if (!q) return st->code;
    bind_text(q, 1, id);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        read_claim(q, out);
        *found = true;
    }
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : sq_fail(s, st, "reading a claim");
}

static dc_error_class claims_list(void *self, const dc_store_claim_filter *f, dc_store_claim *rows,
                                  int *count, char *next_cursor, dc_status *st) {
    sq *s = self;
    /* Keyset paging on (priority DESC, created_ms, id): filters apply first, then the page
     * starts strictly after the cursor's row, so no row is skipped or shown twice while claims
     * arrive. One more row than asked says whether there is a next page. */
    static const char sql[] =
        "SELECT " CLAIM_COLS " FROM claims WHERE (?1 IS NULL OR state = ?1) AND "
        "(?2 IS NULL OR priority = ?2) AND (?3 IS NULL OR uploader = ?3) AND "
        "(?4 IS NULL OR priority < ?4 OR (priority = ?4 AND (created_ms > ?5 OR "
        "(created_ms = ?5 AND id > ?6)))) ORDER BY priority DESC, created_ms, id LIMIT ?7";
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
        return sq_fail(s, st, "preparing the claim list");
    if (f->state >= 0) sqlite3_bind_int(q, 1, f->state);
    if (f->priority >= 0) sqlite3_bind_int(q, 2, f->priority);
    if (f->uploader) bind_text(q, 3, f->uploader);
    if (f->cursor) {
        int p;
        int64_t t;
        char id[DC_STORE_ID_LEN];
        store_cursor_decode(f->cursor, &p, &t, id);
        sqlite3_bind_int(q, 4, p);
        sqlite3_bind_int64(q, 5, t);
        bind_text(q, 6, id);
    }
    sqlite3_bind_int(q, 7, f->limit + 1);
    int r, n = 0;
    dc_error_class rc = DC_OK;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == f->limit) {
            const dc_store_claim *last = &rows[n - 1];
            store_cursor_encode(last->review_priority, last->created_ms, last->id, next_cursor);
            break;
        }
        read_claim(q, &rows[n++]);
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) rc = sq_fail(s, st, "listing claims");
    sqlite3_finalize(q);
    *count = n;
    return rc;
}

static dc_error_class claim_counts(void *self, int64_t counts[DC_STATE_COUNT], dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, Q_COUNTS, st);
    if (!q) return st->code;
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        int state = sqlite3_column_int(q, 0);
        if (state >= 0 && state < DC_STATE_COUNT) counts[state] = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    return r == SQLITE_DONE ? DC_OK : sq_fail(s, st, "counting claims");
}

/* ---- jobs ----------------------------------------------------------------------------------- */

/* Ends a claim inside the caller's transaction: its one final assessment, its state, the job
 * leaves the hot table, the audit row. */
static dc_error_class finish_tx(sq *s, const char *claim_id, int attempt, int charged,
                                const char *json, dc_claim_state state, dc_error_class cls,
                                const char *message, int priority, int severity,
                                dc_audit_row *audit, dc_status *st) {
    int64_t now = store_now_ms();
    sqlite3_stmt *q = prep(s, Q_INSERT_ASSESSMENT, st);
    if (!q) return st->code;
    bind_text(q, 1, claim_id);
    sqlite3_bind_int(q, 2, attempt);
    bind_text(q, 3, json);
    sqlite3_bind_int64(q, 4, now);
    dc_error_class rc = run(s, q, "storing the assessment", st);
    if (rc != DC_OK) return rc;
    if (!(q = prep(s, Q_FINISH_CLAIM, st))) return st->code;
    sqlite3_bind_int(q, 1, (int)state);
    sqlite3_bind_int(q, 2, (int)cls);
    bind_text(q, 3, message);
    sqlite3_bind_int(q, 4, priority);
    sqlite3_bind_int(q, 5, severity);
    sqlite3_bind_int(q, 6, charged);
    sqlite3_bind_int64(q, 7, now);
    bind_text(q, 8, claim_id);
    if ((rc = run(s, q, "finishing a claim", st)) != DC_OK) return rc;
    if (!(q = prep(s, Q_DELETE_JOB, st))) return st->code;
    bind_text(q, 1, claim_id);
    if ((rc = run(s, q, "removing a finished job", st)) != DC_OK) return rc;
    return audit_append_tx(s, audit, st);
}

static dc_error_class set_claim_state(sq *s, const char *claim_id, dc_claim_state state,
                                      int charged, dc_status *st) {
    sqlite3_stmt *q = prep(s, Q_CLAIM_STATE, st);
    if (!q) return st->code;
    sqlite3_bind_int(q, 1, (int)state);
    sqlite3_bind_int(q, 2, charged);
    sqlite3_bind_int64(q, 3, store_now_ms());
    bind_text(q, 4, claim_id);
    return run(s, q, "updating a claim", st);
}

/* Expired leases inside the caller's transaction. */
static dc_error_class rescue_tx(sq *s, int *requeued, int *failed, dc_status *st) {
    int64_t now = store_now_ms();
    for (;;) {
        struct {
            char id[DC_STORE_ID_LEN];
            char sha[65];
            int charged;
        } batch[64];
        int n = 0;
        sqlite3_stmt *q = prep(s, Q_EXPIRED, st);
        if (!q) return st->code;
        sqlite3_bind_int64(q, 1, now);
        int r;
        while (n < 64 && (r = sqlite3_step(q)) == SQLITE_ROW) {
            col_text(q, 0, batch[n].id, sizeof batch[n].id);
            batch[n].charged = sqlite3_column_int(q, 1);
            col_text(q, 2, batch[n].sha, sizeof batch[n].sha);
            n++;
        }
        sqlite3_reset(q);
        if (n == 0) return DC_OK;
        for (int i = 0; i < n; i++) {
            dc_error_class rc;
            if (batch[i].charged < s->opts.max_attempts) {
                if (!(q = prep(s, Q_REQUEUE, st))) return st->code;
                sqlite3_bind_int64(q, 1, now);
                bind_text(q, 2, batch[i].id);
                if ((rc = run(s, q, "queueing an expired job again", st)) ||
                    (rc = set_claim_state(s, batch[i].id, DC_STATE_QUEUED, batch[i].charged, st)))
                    return rc;
                (*requeued)++;
            } else {
                char msg[256];
                snprintf(msg, sizeof msg, STORE_LEASE_LOST_MESSAGE, batch[i].charged);
                char *json =
                    store_failed_assessment_json(batch[i].id, batch[i].sha, DC_ERR_INTERNAL, msg);
                if (!json) return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
                dc_audit_row audit;
                store_audit_claim_failed(&audit, batch[i].id, batch[i].sha, "system",
                                         DC_ERR_INTERNAL, msg, json);
                rc = finish_tx(s, batch[i].id, 0, batch[i].charged, json, DC_STATE_FAILED,
                               DC_ERR_INTERNAL, msg, store_failed_priority(), -1, &audit, st);
                free(json);
                if (rc != DC_OK) return rc;
                (*failed)++;
            }
        }
    }
}

static dc_error_class jobs_rescue(void *self, int *requeued, int *failed, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin_sync(s, false, st);
    if (rc != DC_OK) return rc;
    if ((rc = rescue_tx(s, requeued, failed, st)) != DC_OK) {
        rollback(s);
        return rc;
    }
    return commit(s, st);
}

static dc_error_class job_claim(void *self, const char *worker, dc_store_job *job, bool *got,
                                dc_status *st) {
    sq *s = self;
    int requeued = 0, failed = 0;
    dc_error_class rc = begin_sync(s, false, st);
    if (rc != DC_OK) return rc;
    if ((rc = rescue_tx(s, &requeued, &failed, st)) != DC_OK) goto fail;
    int64_t now = store_now_ms();
    sqlite3_stmt *q = prep(s, Q_NEXT_JOB, st);
    if (!q) goto fail;
    sqlite3_bind_int64(q, 1, now);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) col_text(q, 0, job->claim_id, sizeof job->claim_id);
    sqlite3_reset(q);
    if (r == SQLITE_DONE) return commit(s, st); /* nothing to do (rescues kept) */
    if (r != SQLITE_ROW) {
        sq_fail(s, st, "looking for a queued job");
        goto fail;
    }
    if (!(q = prep(s, Q_TAKE_JOB, st))) goto fail;
    sqlite3_bind_int64(q, 1, now + (int64_t)s->opts.lease_sec * 1000);
    bind_text(q, 2, worker);
    bind_text(q, 3, job->claim_id);
    if (run(s, q, "claiming a job", st) != DC_OK) goto fail;
    if (!(q = prep(s, Q_JOB_READ, st))) goto fail;
    bind_text(q, 1, job->claim_id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        sq_fail(s, st, "reading a claimed job");
        goto fail;
    }
    job->attempt = sqlite3_column_int(q, 0);
    job->charged = sqlite3_column_int(q, 1);
    job->lease_until_ms = sqlite3_column_int64(q, 2);
    col_text(q, 3, job->video_sha256, sizeof job->video_sha256);
    store_row row = row_of(q);
    store_row_fields(&row, 4, &job->fields);
    store_row_incident(&row, 9, &job->fields);
    sqlite3_reset(q);
    store_copy(job->worker, sizeof job->worker, worker);
    if (set_claim_state(s, job->claim_id, DC_STATE_RUNNING, job->charged, st) != DC_OK) goto fail;
    if ((rc = commit(s, st)) != DC_OK) return rc;
    *got = true;
    return DC_OK;
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

static dc_error_class job_heartbeat(void *self, dc_store_job *job, bool *held, dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, Q_HEARTBEAT, st);
    if (!q) return st->code;
    int64_t until = store_now_ms() + (int64_t)s->opts.lease_sec * 1000;
    sqlite3_bind_int64(q, 1, until);
    bind_text(q, 2, job->claim_id);
    sqlite3_bind_int(q, 3, job->attempt);
    sq_shared_write_lock(s->g); /* one autocommit write: not durable, see begin_sync */
    dc_error_class rc = run(s, q, "renewing a lease", st);
    int changes = sqlite3_changes(s->db);
    sq_shared_write_unlock(s->g);
    if (rc != DC_OK) return rc;
    checkpoint_if_due(s);
    *held = changes == 1;
    if (*held) job->lease_until_ms = until;
    return DC_OK;
}

/* Inside a transaction: is job->attempt still the running attempt? */
static dc_error_class fence_tx(sq *s, const dc_store_job *job, bool *holds, int *charged,
                               dc_status *st) {
    *holds = false;
    sqlite3_stmt *q = prep(s, Q_JOB_FENCE, st);
    if (!q) return st->code;
    bind_text(q, 1, job->claim_id);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        *holds = sqlite3_column_int(q, 0) == 1 && sqlite3_column_int(q, 1) == job->attempt;
        *charged = sqlite3_column_int(q, 2);
    }
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : sq_fail(s, st, "reading a job");
}

static dc_error_class job_complete(void *self, const dc_store_job *job, const dc_store_result *res,
                                   dc_audit_row *audit, bool *accepted, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    bool holds;
    int charged = 0;
    if ((rc = fence_tx(s, job, &holds, &charged, st)) != DC_OK) goto fail;
    if (!holds) {
        rollback(s);
        return DC_OK;
    }
    const dc_assessment *a = res->assessment;
    bool failed = a->status == DC_CLAIM_FAILED;
    dc_error_class cls =
        failed ? (a->error_class == DC_OK ? DC_ERR_INTERNAL : a->error_class) : DC_OK;
    rc = finish_tx(s, job->claim_id, job->attempt, charged, res->assessment_json,
                   failed ? DC_STATE_FAILED : DC_STATE_DONE, cls, failed ? a->error_message : "",
                   (int)a->review_priority, failed ? -1 : (int)a->severity, audit, st);
    if (rc != DC_OK) goto fail;
    sqlite3_stmt *q;
    if (res->report_html) {
        if (!(q = prep(s, Q_INSERT_ARTIFACT, st))) goto fail;
        bind_text(q, 1, job->claim_id);
        bind_text(q, 2, "report.html");
        sqlite3_bind_blob64(q, 3, res->report_html, res->report_html_len, SQLITE_STATIC);
        if ((rc = run(s, q, "storing the report", st)) != DC_OK) goto fail;
    }
    for (int i = 0; i < res->frame_count; i++) {
        if (!res->frames_jpeg[i]) continue;
        char name[32];
        snprintf(name, sizeof name, "frame-%d.jpg", i);
        if (!(q = prep(s, Q_INSERT_ARTIFACT, st))) goto fail;
        bind_text(q, 1, job->claim_id);
        bind_text(q, 2, name);
        sqlite3_bind_blob64(q, 3, res->frames_jpeg[i], res->frames_jpeg_len[i], SQLITE_STATIC);
        if ((rc = run(s, q, "storing an evidence frame", st)) != DC_OK) goto fail;
    }
    if ((rc = commit(s, st)) != DC_OK) return rc;
    *accepted = true;
    return DC_OK;
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

static dc_error_class job_fail(void *self, const dc_store_job *job, dc_error_class cls,
                               const char *message, bool retryable, const char *final_json,
                               dc_audit_row *final_audit, bool *accepted, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    bool holds;
    int charged = 0;
    if ((rc = fence_tx(s, job, &holds, &charged, st)) != DC_OK) goto fail;
    if (!holds) {
        rollback(s);
        return DC_OK;
    }
    if (retryable && charged < s->opts.max_attempts) {
        /* Back off: retry_delay_sec, doubled for each attempt already charged. */
        double delay = s->opts.retry_delay_sec * pow(2.0, charged > 1 ? charged - 1 : 0);
        sqlite3_stmt *q = prep(s, Q_RETRY_JOB, st);
        if (!q) goto fail;
        sqlite3_bind_int64(q, 1, store_now_ms() + (int64_t)(delay * 1000));
        bind_text(q, 2, job->claim_id);
        if ((rc = run(s, q, "queueing a failed job again", st)) ||
            (rc = set_claim_state(s, job->claim_id, DC_STATE_QUEUED, charged, st)))
            goto fail;
    } else {
        rc = finish_tx(s, job->claim_id, job->attempt, charged, final_json, DC_STATE_FAILED,
                       cls == DC_OK ? DC_ERR_INTERNAL : cls, message, store_failed_priority(), -1,
                       final_audit, st);
        if (rc != DC_OK) goto fail;
    }
    if ((rc = commit(s, st)) != DC_OK) return rc;
    *accepted = true;
    return DC_OK;
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

static dc_error_class job_release(void *self, const dc_store_job *job, bool *accepted,
                                  dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin_sync(s, false, st);
    if (rc != DC_OK) return rc;
    bool holds;
    int charged = 0;
    if ((rc = fence_tx(s, job, &holds, &charged, st)) != DC_OK) goto fail;
    if (!holds) {
        rollback(s);
        return DC_OK;
    }
    sqlite3_stmt *q = prep(s, Q_RELEASE_JOB, st);
    if (!q) goto fail;
    sqlite3_bind_int64(q, 1, store_now_ms());
    bind_text(q, 2, job->claim_id);
    if ((rc = run(s, q, "releasing a job", st)) ||
        (rc = set_claim_state(s, job->claim_id, DC_STATE_QUEUED, charged - 1, st)))
        goto fail;
    if ((rc = commit(s, st)) != DC_OK) return rc;
    *accepted = true;
    return DC_OK;
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

/* ---- results, reviews ----------------------------------------------------------------------- */

static dc_error_class blob_get(sq *s, sqlite3_stmt *q, uint8_t **data, size_t *len, dc_status *st) {
    int r = sqlite3_step(q);
    dc_error_class rc = DC_OK;
    if (r == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(q, 0);
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        *data = malloc(n + 1); /* +1: a NUL so that text callers can use it as a string */
        if (!*data) {
            rc = dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
        } else {
            if (n) memcpy(*data, b, n);
            (*data)[n] = 0;
            *len = n;
        }
    } else if (r != SQLITE_DONE) {
        rc = sq_fail(s, st, "reading a stored result");
    }
    sqlite3_reset(q);
    return rc;
}

static dc_error_class assessment_get(void *self, const char *claim_id, char **json, dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, Q_ASSESSMENT_GET, st);
    if (!q) return st->code;
    bind_text(q, 1, claim_id);
    size_t len = 0;
    return blob_get(s, q, (uint8_t **)json, &len, st);
}

static dc_error_class artifact_get(void *self, const char *claim_id, const char *name,
                                   uint8_t **data, size_t *len, dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, Q_ARTIFACT_GET, st);
    if (!q) return st->code;
    bind_text(q, 1, claim_id);
    bind_text(q, 2, name);
    return blob_get(s, q, data, len, st);
}

static dc_error_class review_add(void *self, const char *claim_id, const dc_store_review *r,
                                 const char *reviewer, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    char *json = NULL;
    sqlite3_stmt *q = prep(s, Q_REVIEW_CLAIM, st);
    if (!q) goto fail;
    bind_text(q, 1, claim_id);
    int step = sqlite3_step(q);
    if (step != SQLITE_ROW) {
        sqlite3_reset(q);
        if (step == SQLITE_DONE) dc_fail(st, DC_ERR_INPUT, "review: no claim %s", claim_id);
        else sq_fail(s, st, "reading a claim to review");
        goto fail;
    }
    int state = sqlite3_column_int(q, 0);
    char sha[65];
    col_text(q, 1, sha, sizeof sha);
    const unsigned char *j = sqlite3_column_text(q, 2);
    json = j ? strdup((const char *)j) : NULL;
    sqlite3_reset(q);
    if (state != DC_STATE_DONE && state != DC_STATE_FAILED) {
        dc_fail(st, DC_ERR_INPUT, "review: claim %s is %s, not finished yet", claim_id,
                dc_claim_state_name((dc_claim_state)state));
        goto fail;
    }
    int64_t now = store_now_ms();
    if (!(q = prep(s, Q_INSERT_REVIEW, st))) goto fail;
    bind_text(q, 1, claim_id);
    bind_text(q, 2, reviewer);
    bind_text(q, 3, dc_review_decision_name(r->decision));
    if (r->has_severity) sqlite3_bind_int(q, 4, r->severity);
    if (r->has_fault_ratio) sqlite3_bind_int(q, 5, r->fault_ratio);
    if (r->has_fraud_flag) sqlite3_bind_int(q, 6, r->fraud_flag);
    bind_text(q, 7, r->reasoning);
    sqlite3_bind_int64(q, 8, now);
    if (run(s, q, "storing a review", st) != DC_OK) goto fail;
    if (!(q = prep(s, Q_CLAIM_DECISION, st))) goto fail;
    bind_text(q, 1, dc_review_decision_name(r->decision));
    sqlite3_bind_int64(q, 2, now);
    bind_text(q, 3, claim_id);
    if (run(s, q, "recording the decision", st) != DC_OK) goto fail;
    dc_audit_row rows[4];
    int n = store_audit_review(rows, claim_id, sha, r, reviewer, json);
    for (int i = 0; i < n; i++)
        if (audit_append_tx(s, &rows[i], st) != DC_OK) goto fail;
    free(json);
    return commit(s, st);
fail:
    free(json);
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

/* ---- audit ---------------------------------------------------------------------------------- */

static dc_error_class audit_append(void *self, dc_audit_row *row, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    if ((rc = audit_append_tx(s, row, st)) != DC_OK) {
        rollback(s);
        return rc;
    }
    return commit(s, st);
}

static dc_error_class audit_list(void *self, const char *claim_id, int64_t after_seq,
                                 dc_audit_row *rows, int max, int *count, dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, claim_id ? Q_AUDIT_CLAIM : Q_AUDIT_ALL, st);
    if (!q) return st->code;
    int i = 1;
    if (claim_id) bind_text(q, i++, claim_id);
    sqlite3_bind_int64(q, i++, after_seq);
    sqlite3_bind_int(q, i, max);
    int r, n = 0;
    while (n < max && (r = sqlite3_step(q)) == SQLITE_ROW) {
        store_row row = row_of(q);
        store_row_audit(&row, &rows[n++]);
    }
    if (n < max && r != SQLITE_DONE) {
        sqlite3_reset(q);
        return sq_fail(s, st, "reading the audit trail");
    }
    sqlite3_reset(q);
    *count = n;
    return DC_OK;
}

static dc_error_class read_snapshot(void *self, int n, const store_read *q, dc_status *st) {
    sq *s = self;
    return store_sqlite_read(s->db, s->dir, n, q, st);
}

/* ---- keys ----------------------------------------------------------------------------------- */

static void read_key(sqlite3_stmt *q, dc_store_key *k, char *hash) {
    store_row r = row_of(q);
    store_row_key(&r, k, hash);
}

static dc_error_class key_insert(void *self, const dc_store_key *k, const char *hash,
                                 dc_audit_row *audit, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    sqlite3_stmt *q = prep(s, Q_INSERT_KEY, st);
    if (!q) goto fail;
    bind_text(q, 1, k->id);
    bind_text(q, 2, k->name);
    sqlite3_bind_int(q, 3, (int)k->role);
    bind_text(q, 4, hash);
    sqlite3_bind_int64(q, 5, k->created_ms);
    int step = sqlite3_step(q);
    sqlite3_reset(q);
    if (step != SQLITE_DONE) {
        if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT)
            dc_fail(st, DC_ERR_INPUT, "keys: an active key named '%s' exists (revoke it first)",
                    k->name);
        else sq_fail(s, st, "storing a key");
        goto fail;
    }
    if (audit_append_tx(s, audit, st) != DC_OK) goto fail;
    return commit(s, st);
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

static dc_error_class key_get(void *self, const char *id, dc_store_key *out, char *hash,
                              bool *found, dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, Q_KEY_GET, st);
    if (!q) return st->code;
    bind_text(q, 1, id);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        read_key(q, out, hash);
        *found = true;
    }
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : sq_fail(s, st, "reading a key");
}

static dc_error_class key_list(void *self, dc_store_key *rows, int max, int *count, dc_status *st) {
    sq *s = self;
    sqlite3_stmt *q = prep(s, Q_KEY_LIST, st);
    if (!q) return st->code;
    sqlite3_bind_int(q, 1, max);
    int r, n = 0;
    while (n < max && (r = sqlite3_step(q)) == SQLITE_ROW) read_key(q, &rows[n++], NULL);
    sqlite3_reset(q);
    *count = n;
    return DC_OK;
}

static dc_error_class key_revoke(void *self, const char *id_or_name, dc_audit_row *audit,
                                 bool *found, dc_status *st) {
    sq *s = self;
    *found = false;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    dc_store_key k;
    sqlite3_stmt *q = prep(s, Q_KEY_FIND, st);
    if (!q) goto fail;
    bind_text(q, 1, id_or_name);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) read_key(q, &k, NULL);
    sqlite3_reset(q);
    if (r == SQLITE_DONE) {
        rollback(s);
        return DC_OK;
    }
    if (r != SQLITE_ROW) {
        sq_fail(s, st, "finding a key");
        goto fail;
    }
    if (!(q = prep(s, Q_KEY_REVOKE, st))) goto fail;
    sqlite3_bind_int64(q, 1, store_now_ms());
    bind_text(q, 2, k.id);
    if (run(s, q, "revoking a key", st) != DC_OK) goto fail;
    store_audit_key(audit, "key.revoked", &k);
    if (audit_append_tx(s, audit, st) != DC_OK) goto fail;
    if ((rc = commit(s, st)) != DC_OK) return rc;
    *found = true;
    return DC_OK;
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

/* ---- browser sessions ------------------------------------------------------------------------ */

static dc_error_class session_insert(void *self, const char *id, const char *hash,
                                     const char *key_id, int64_t expires_ms, dc_audit_row *audit,
                                     dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    int64_t now = store_now_ms();
    sqlite3_stmt *q = prep(s, Q_SESSION_PRUNE, st);
    if (!q) goto fail;
    sqlite3_bind_int64(q, 1, now);
    if (run(s, q, "removing expired sessions", st) != DC_OK) goto fail;
    if (!(q = prep(s, Q_SESSION_INSERT, st))) goto fail;
    bind_text(q, 1, id);
    bind_text(q, 2, hash);
    sqlite3_bind_int64(q, 3, now);
    sqlite3_bind_int64(q, 4, expires_ms);
    bind_text(q, 5, key_id);
    if (run(s, q, "storing a session", st) != DC_OK) goto fail;
    if (sqlite3_changes(s->db) != 1) {
        dc_fail(st, DC_ERR_INPUT, "sessions: no active key with id '%s'", key_id);
        goto fail;
    }
    if (audit_append_tx(s, audit, st) != DC_OK) goto fail;
    return commit(s, st);
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

static dc_error_class session_get(void *self, const char *id, dc_store_key *key, char *hash,
                                  int64_t *expires_ms, bool *found, dc_status *st) {
    sq *s = self;
    *found = false;
    sqlite3_stmt *q = prep(s, Q_SESSION_GET, st);
    if (!q) return st->code;
    bind_text(q, 1, id);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        read_key(q, key, hash);
        *expires_ms = sqlite3_column_int64(q, 7);
        *found = true;
    }
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? DC_OK : sq_fail(s, st, "reading a session");
}

static dc_error_class session_revoke(void *self, const char *id, const char *hash, bool *revoked,
                                     dc_status *st) {
    sq *s = self;
    *revoked = false;
    dc_error_class rc = begin(s, st);
    if (rc != DC_OK) return rc;
    dc_store_key k;
    sqlite3_stmt *q = prep(s, Q_SESSION_FIND, st);
    if (!q) goto fail;
    bind_text(q, 1, id);
    bind_text(q, 2, hash);
    sqlite3_bind_int64(q, 3, store_now_ms());
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) read_key(q, &k, NULL);
    sqlite3_reset(q);
    if (r == SQLITE_DONE) { /* unknown, expired or revoked before: nothing to do */
        rollback(s);
        return DC_OK;
    }
    if (r != SQLITE_ROW) {
        sq_fail(s, st, "finding a session");
        goto fail;
    }
    if (!(q = prep(s, Q_SESSION_DELETE, st))) goto fail;
    bind_text(q, 1, id);
    if (run(s, q, "revoking a session", st) != DC_OK) goto fail;
    dc_audit_row audit;
    store_audit_session(&audit, "session.revoked", &k, id);
    if (audit_append_tx(s, &audit, st) != DC_OK) goto fail;
    if ((rc = commit(s, st)) != DC_OK) return rc;
    *revoked = true;
    return DC_OK;
fail:
    rollback(s);
    return st && st->code ? st->code : DC_ERR_INTERNAL;
}

/* ---- discarding a video --------------------------------------------------------------------- */

/* The look for claims and the unlink happen under the write lock (BEGIN IMMEDIATE, nothing
 * written), which claim_insert holds while it checks the file and inserts: the two are
 * serialised across threads and processes. The folder is not fsynced: a removal lost to a power
 * failure brings back an unreferenced file, as before this call. */
static dc_error_class video_discard(void *self, const char *sha256, dc_status *st) {
    sq *s = self;
    dc_error_class rc = begin_sync(s, false, st);
    if (rc != DC_OK) return rc;
    sqlite3_stmt *q = prep(s, Q_VIDEO_USED, st);
    if (!q) {
        rollback(s);
        return st->code;
    }
    bind_text(q, 1, sha256);
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    if (r == SQLITE_DONE) {
        char p[PATH_MAX + 128];
        video_path(s, sha256, p, sizeof p);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = dc_fail(st, DC_ERR_RESOURCE, "store: removing %s: %s", p, strerror(errno));
    } else if (r != SQLITE_ROW) {
        rc = sq_fail(s, st, "looking for claims of a video");
    }
    rollback(s);
    return rc;
}

static const store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .video_sink_open = sink_open,
    .video_sink_write = sink_write,
    .video_sink_commit = sink_commit,
    .video_sink_abort = sink_abort,
    .video_source_open = source_open,
    .video_source_read = source_read,
    .video_source_close = source_close,
    .video_local_path = local_path,
    .claim_insert = claim_insert,
    .claim_video_add = claim_video_add,
    .claim_submit = claim_submit,
    .claim_videos = claim_videos,
    .claim_get = claim_get,
    .claims_list = claims_list,
    .claim_counts = claim_counts,
    .job_claim = job_claim,
    .job_heartbeat = job_heartbeat,
    .job_complete = job_complete,
    .job_fail = job_fail,
    .job_release = job_release,
    .jobs_rescue = jobs_rescue,
    .assessment_get = assessment_get,
    .artifact_get = artifact_get,
    .review_add = review_add,
    .audit_append = audit_append,
    .audit_list = audit_list,
    .read_snapshot = read_snapshot,
    .key_insert = key_insert,
    .key_get = key_get,
    .key_list = key_list,
    .key_revoke = key_revoke,
    .session_insert = session_insert,
    .session_get = session_get,
    .session_revoke = session_revoke,
    .video_discard = video_discard,
};
