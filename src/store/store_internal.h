/* Inside the store: the backend vtable and the helpers every backend shares.
 *
 * store.c implements include/dashclaim/store.h once: it checks arguments, generates ids and keys,
 * hashes videos and keys, verifies the audit chain, and calls a backend through store_ops. A
 * backend (store_sqlite.c, store_pg*.c) only moves rows and bytes, inside its own transactions.
 *
 * What both backends must produce identically is built here, not in the backends: the audit rows
 * (store_audit_*), their hash chain (store_audit_seal), the final assessment of a claim that ran
 * out of attempts (store_failed_assessment_json), the list cursor, the clock. A backend appends
 * the rows these helpers build inside the transaction that makes the change they describe, after
 * reading the last row's seq and hash in that same transaction (so appends are serialised).
 *
 * Contract of every op: the same as the public function of the same name in store.h (arguments
 * already checked: non-NULL, lengths within the fields), returning a dc_error_class and filling
 * *st. "self" is the backend's connection; none is shared between threads.
 */
#ifndef DASHCLAIM_STORE_INTERNAL_H
#define DASHCLAIM_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/store.h"

struct store_read; /* a read for read_snapshot, below */

typedef struct store_ops {
    const char *name; /* "sqlite" | "postgresql" */
    void (*close)(void *self);

    /* Video bytes. A sink receives an upload (store.c hashes it on the way); commit makes it
     * durable under sha256 (given by store.c) and frees the sink; abort frees it and removes only
     * what the sink itself wrote. */
    dc_error_class (*video_sink_open)(void *self, void **sink, dc_status *st);
    dc_error_class (*video_sink_write)(void *sink, const void *data, size_t n, dc_status *st);
    dc_error_class (*video_sink_commit)(void *sink, const char *sha256, int64_t bytes,
                                        dc_status *st);
    void (*video_sink_abort)(void *sink);
    /* *src = NULL (DC_OK) when no such video. */
    dc_error_class (*video_source_open)(void *self, const char *sha256, void **src, int64_t *size,
                                        dc_status *st);
    dc_error_class (*video_source_read)(void *src, int64_t offset, void *buf, size_t cap, size_t *n,
                                        dc_status *st);
    void (*video_source_close)(void *src);
    /* A backend that keeps videos as files says where (*has = true); NULL op = no files, and
     * store.c copies the bytes into a scratch file through video_source_*. */
    dc_error_class (*video_local_path)(void *self, const char *sha256, char *path, size_t size,
                                       bool *has, dc_status *st);

    /* Claims. id is new (store_new_claim_id); nc is normalised by store.c: video_count is the
     * number of claim_videos rows to insert (0 only for an open claim), nc->video and
     * nc->content_type are video 0's (zero when none), and nc->open says open or queued.
     * audit[0..naudit) are the rows to append in order (claim.created, then one
     * claim.video_added per video after the first; their claim_id is id) when the claim is
     * really inserted. */
    dc_error_class (*claim_insert)(void *self, const char *id, const dc_store_new_claim *nc,
                                   dc_audit_row *audit, int naudit, dc_store_claim *out,
                                   bool *existed, dc_status *st);
    /* In one transaction: the claim must exist and be open (DC_ERR_INPUT otherwise), hold fewer
     * than DC_MAX_CLAIM_VIDEOS videos, and v's bytes be stored; the row goes in at the next
     * position (*position), video 0 also becomes the claim's video_sha256/bytes/content_type,
     * and audit (built by store.c for position `*position`: the backend calls
     * store_audit_video_added itself once it knows it) is appended. */
    dc_error_class (*claim_video_add)(void *self, const char *claim_id,
                                      const dc_store_claim_video *v, const char *actor,
                                      int *position, dc_status *st);
    /* open -> queued with its job and the audit row store_audit_claim_submitted builds; a claim
     * not open is left alone (DC_OK); DC_ERR_INPUT for an unknown claim or no video. *out = the
     * claim after. */
    dc_error_class (*claim_submit)(void *self, const char *claim_id, const char *actor,
                                   dc_store_claim *out, dc_status *st);
    dc_error_class (*claim_videos)(void *self, const char *claim_id, dc_store_claim_video *rows,
                                   int max, int *count, dc_status *st);
    dc_error_class (*claim_get)(void *self, const char *id, dc_store_claim *out, bool *found,
                                dc_status *st);
    /* f->limit is 1..500; the cursor is decoded with store_cursor_decode. */
    dc_error_class (*claims_list)(void *self, const dc_store_claim_filter *f, dc_store_claim *rows,
                                  int *count, char *next_cursor, dc_status *st);
    dc_error_class (*claim_counts)(void *self, int64_t counts[DC_STATE_COUNT], dc_status *st);

    /* Jobs. Expired leases: a job with charged < max_attempts is queued again; one with
     * charged >= max_attempts ends its claim failed with store_failed_assessment_json(...,
     * DC_ERR_INTERNAL, store_lease_lost_message) and the audit row store_audit_claim_failed. */
    dc_error_class (*job_claim)(void *self, const char *worker, dc_store_job *job, bool *got,
                                dc_status *st);
    dc_error_class (*job_heartbeat)(void *self, dc_store_job *job, bool *held, dc_status *st);
    /* audit: the "assessment" row (store_audit_assessment). */
    dc_error_class (*job_complete)(void *self, const dc_store_job *job,
                                   const dc_store_result *result, dc_audit_row *audit,
                                   bool *accepted, dc_status *st);
    /* final_json / final_audit: the final assessment and "claim.failed" row to write when the
     * failure is final (not retryable or no attempts left). */
    dc_error_class (*job_fail)(void *self, const dc_store_job *job, dc_error_class cls,
                               const char *message, bool retryable, const char *final_json,
                               dc_audit_row *final_audit, bool *accepted, dc_status *st);
    dc_error_class (*job_release)(void *self, const dc_store_job *job, bool *accepted,
                                  dc_status *st);
    dc_error_class (*jobs_rescue)(void *self, int *requeued, int *failed, dc_status *st);
    /* Optional (NULL: the backend has no wake-up signal and dc_store_job_wait returns at once
     * with *supported = false). Returns after a signal or timeout_sec. */
    dc_error_class (*job_wait)(void *self, double timeout_sec, dc_status *st);

    dc_error_class (*assessment_get)(void *self, const char *claim_id, char **json, dc_status *st);
    dc_error_class (*artifact_get)(void *self, const char *claim_id, const char *name,
                                   uint8_t **data, size_t *len, dc_status *st);

    /* In one transaction: read the claim (DC_ERR_INPUT when unknown or not done/failed) and its
     * assessment JSON, insert the review row, and append the rows store_audit_review builds
     * ("review" then one "override.<field>" per override), each sealed after the one before. */
    dc_error_class (*review_add)(void *self, const char *claim_id, const dc_store_review *r,
                                 const char *reviewer, dc_status *st);

    dc_error_class (*audit_append)(void *self, dc_audit_row *row, dc_status *st);
    dc_error_class (*audit_list)(void *self, const char *claim_id, int64_t after_seq,
                                 dc_audit_row *rows, int max, int *count, dc_status *st);
    /* Runs q[0..n) in order inside one read-only snapshot (one state of the database for all),
     * handing every result row to q[i].row; audit verify compares tables with it. */
    dc_error_class (*read_snapshot)(void *self, int n, const struct store_read *q, dc_status *st);

    /* Keys. key_insert stores info + the key's SHA-256 and appends audit ("key.added"). */
    dc_error_class (*key_insert)(void *self, const dc_store_key *info, const char *hash,
                                 dc_audit_row *audit, dc_status *st);
    /* By public id; hash gets the stored SHA-256 (65 bytes). */
    dc_error_class (*key_get)(void *self, const char *id, dc_store_key *out, char *hash,
                              bool *found, dc_status *st);
    dc_error_class (*key_list)(void *self, dc_store_key *rows, int max, int *count, dc_status *st);
    /* Revokes by id or name; *found = false when none matches (nothing written). Otherwise fills
     * audit with store_audit_key(audit, "key.revoked", &the_key) and appends it. */
    dc_error_class (*key_revoke)(void *self, const char *id_or_name, dc_audit_row *audit,
                                 bool *found, dc_status *st);

    /* Browser sessions (store_sessions.c has the public side). session_insert, in one
     * transaction: removes the sessions that expired by now, inserts (id, hash, key_id,
     * created_ms = now, expires_ms) only when the key key_id exists and is not revoked
     * (DC_ERR_INPUT otherwise), and appends audit. */
    dc_error_class (*session_insert)(void *self, const char *id, const char *hash,
                                     const char *key_id, int64_t expires_ms, dc_audit_row *audit,
                                     dc_status *st);
    /* By public id: the session's key as it is now (revoked or not), the stored hash (65 bytes)
     * and the expiry; store.c decides whether it is valid. */
    dc_error_class (*session_get)(void *self, const char *id, dc_store_key *key, char *hash,
                                  int64_t *expires_ms, bool *found, dc_status *st);
    /* Deletes the unexpired session with this id and hash; when there was one, appends
     * store_audit_session(.., "session.revoked", its key, id) in the same transaction. */
    dc_error_class (*session_revoke)(void *self, const char *id, const char *hash, bool *revoked,
                                     dc_status *st);
    /* Deletes the video sha256 unless a claim references it, serialised with claim_insert (see
     * dc_store_video_discard). */
    dc_error_class (*video_discard)(void *self, const char *sha256, dc_status *st);
} store_ops;

struct dc_store {
    const store_ops *ops;
    void *self;
    dc_store_options opts;
};

/* Backends. Each fills *ops and *self, or fails with *st. */
dc_error_class store_sqlite_open(const char *dir, const dc_store_options *o, const store_ops **ops,
                                 void **self, dc_status *st);
#ifdef DC_STORE_HAVE_PG
dc_error_class store_pg_open(const char *url, const dc_store_options *o, const store_ops **ops,
                             void **self, dc_status *st);
#endif

/* ---- shared helpers (store_shared.c, store_audit.c) ------------------------------------------ */

int64_t store_now_ms(void);
/* "2026-12-01T18:30:00.123Z" into out[32]. */
void store_iso_ms(int64_t ms, char out[32]);
/* "clm_" + 32 random hex (getrandom). */
dc_error_class store_new_claim_id(char out[DC_STORE_ID_LEN], dc_status *st);

/* The list cursor: the sort key of the last row of a page. priority -1 = no assessment. */
void store_cursor_encode(int priority, int64_t created_ms, const char *id,
                         char out[DC_STORE_CURSOR_LEN]);
/* false for a malformed cursor. */
bool store_cursor_decode(const char *cursor, int *priority, int64_t *created_ms,
                         char id[DC_STORE_ID_LEN]);

/* The message and final assessment of a claim whose worker died on every attempt (or failed
 * for good): a dc_assessment marked failed with cls and message, its claim id and video SHA-256.
 * Caller frees; NULL only when out of memory. */
#define STORE_LEASE_LOST_MESSAGE                                                                   \
    "the worker stopped (killed or crashed) on every attempt: its lease expired %d times"
char *store_failed_assessment_json(const char *claim_id, const char *video_sha256,
                                   dc_error_class cls, const char *message);
/* The review priority (dc_review_priority) the rules give a failed claim: what a backend stores
 * as the claim's priority next to store_failed_assessment_json's record. */
int store_failed_priority(void);

/* Audit rows (actor, action, claim, before/after/reason, versions, video) for each event; the
 * backend seals them with store_audit_seal inside its transaction. */
void store_audit_claim_created(dc_audit_row *row, const char *claim_id,
                               const dc_store_new_claim *nc);
/* "claim.video_added": video v at position of claim_id, by actor (after: position, role,
 * segment, file_name, bytes, content_type; video_sha256 = v's). */
void store_audit_video_added(dc_audit_row *row, const char *claim_id, const char *actor,
                             int position, const dc_store_claim_video *v);
/* "claim.submitted": an open claim queued (after: state queued, videos). */
void store_audit_claim_submitted(dc_audit_row *row, const char *claim_id, const char *actor,
                                 const char *video_sha256, int videos);
/* assessment_json / final_json: the record stored with the row; its SHA-256 goes into the row's
 * after ("assessment_sha256") so that audit verify can tell an edited record. */
void store_audit_assessment(dc_audit_row *row, const dc_store_job *job, const dc_assessment *a,
                            const char *assessment_json);
void store_audit_claim_failed(dc_audit_row *row, const char *claim_id, const char *video_sha256,
                              const char *actor, dc_error_class cls, const char *message,
                              const char *final_json);
/* Up to 4 rows: "review" and one "override.<field>" per override; before values from the
 * assessment JSON (the final record; may be NULL). Returns the count. */
int store_audit_review(dc_audit_row rows[4], const char *claim_id, const char *video_sha256,
                       const dc_store_review *r, const char *reviewer, const char *assessment_json);
void store_audit_key(dc_audit_row *row, const char *action, const dc_store_key *k);

/* Fills row->seq = prev_seq + 1, row->prev_hash = prev_hash ("" = the first row: 64 zeros),
 * row->at (now, unless set) and row->hash. */
void store_audit_seal(dc_audit_row *row, int64_t prev_seq, const char *prev_hash);
/* The hash a row should have given its fields and prev_hash (hex into out[65]). */
void store_audit_hash(const dc_audit_row *row, char out[65]);

/* The audit row's fields in column order (audit_fields.c): (parameter number, member of
 * dc_audit_row = column = JSON key, kind). Every column list, INSERT, SELECT reader, the hash
 * input and the JSON writer come from this one list; FIRST and NEXT let a list be written with
 * separators (NEXT adds one before its entry). */
/* clang-format off: a list, one field a line (clang-format never settles on this macro) */
#define STORE_AUDIT_FIELDS(FIRST, NEXT)                                                            \
    FIRST(1, seq, INT)                                                                             \
    NEXT(2, at, TEXT)                                                                              \
    NEXT(3, actor, TEXT)                                                                           \
    NEXT(4, action, TEXT)                                                                          \
    NEXT(5, claim_id, TEXT)                                                                        \
    NEXT(6, before, JSON)                                                                          \
    NEXT(7, after, JSON)                                                                           \
    NEXT(8, reason, TEXT)                                                                          \
    NEXT(9, model, TEXT)                                                                           \
    NEXT(10, prompt_version, TEXT)                                                                 \
    NEXT(11, rules_version, TEXT)                                                                  \
    NEXT(12, video_sha256, TEXT)                                                                   \
    NEXT(13, prev_hash, TEXT)                                                                      \
    NEXT(14, hash, HASH)
/* clang-format on */
#define STORE_AUDIT_NFIELDS 14
#define STORE_AUDIT_COL1_(i, m, k) #m
#define STORE_AUDIT_COLN_(i, m, k) ", " #m
#define STORE_AUDIT_PG1_(i, m, k) "$" #i
#define STORE_AUDIT_PGN_(i, m, k) ", $" #i
#define STORE_AUDIT_Q1_(i, m, k) "?"
#define STORE_AUDIT_QN_(i, m, k) ", ?"
/* "seq, at, actor, ...", "$1, $2, ...", "?, ?, ..." */
#define STORE_AUDIT_COLUMNS STORE_AUDIT_FIELDS(STORE_AUDIT_COL1_, STORE_AUDIT_COLN_)
#define STORE_AUDIT_PG_PARAMS STORE_AUDIT_FIELDS(STORE_AUDIT_PG1_, STORE_AUDIT_PGN_)
#define STORE_AUDIT_QMARKS STORE_AUDIT_FIELDS(STORE_AUDIT_Q1_, STORE_AUDIT_QN_)

typedef enum {
    STORE_AUDIT_INT,  /* int64_t; a number in the hash input, the column and the JSON */
    STORE_AUDIT_TEXT, /* char[]; JSON null when "" */
    STORE_AUDIT_JSON, /* char[] holding a JSON object as text; a JSON value (null when "") */
    STORE_AUDIT_HASH, /* the row's own hash: text, and not part of the hash input */
} store_audit_kind;

typedef struct {
    const char *name;
    store_audit_kind kind;
    size_t offset, size; /* of the member in dc_audit_row */
} store_audit_field;

extern const store_audit_field store_audit_fields[STORE_AUDIT_NFIELDS];
/* Field i of row as text (an INT is written into buf): the value a backend binds. */
const char *store_audit_field_text(const dc_audit_row *row, int i, char buf[24]);

/* ---- rows (store_rows.c) ----------------------------------------------------------------------- */

/* One result row of a backend: column col as text (NUL-terminated into dst[size], "" for NULL)
 * or as a number (0 for NULL; a boolean is 1 or 0). src and index are the backend's. */
typedef struct store_row {
    void (*text)(const struct store_row *r, int col, char *dst, size_t size);
    int64_t (*i64)(const struct store_row *r, int col);
    const void *src;
    int index;
} store_row;

/* A read for store_ops.read_snapshot. The SQL is the same for both backends: parameters are
 * $1, $2, ... (text) and each first appears in that order (SQLite numbers "$N" names by first
 * appearance). params are read when the query runs, so a row callback of an earlier query may
 * fill them in. row returns DC_OK to go on, anything else (with *st) to stop the read. */
typedef struct store_read {
    const char *sql;
    int nparams;
    const char *const *params;
    dc_error_class (*row)(void *ctx, const store_row *r, dc_status *st);
    void *ctx;
} store_read;

/* The SQLite backend's read_snapshot (audit_sqlite.c); dir names the store in messages. */
struct sqlite3;
dc_error_class store_sqlite_read(struct sqlite3 *db, const char *dir, int n, const store_read *q,
                                 dc_status *st);

/* Columns policy_id, claimant, plate, location, reported_damage from column first on. */
void store_row_fields(const store_row *r, int first, dc_claim_fields *f);
/* Columns incident_time, incident_place from column first on. */
void store_row_incident(const store_row *r, int first, dc_claim_fields *f);
/* Columns id, state, video_sha256, video_bytes, content_type, idempotency_key, uploader,
 * policy_id, claimant, plate, location, reported_damage, attempts, error_class, error_message,
 * priority, severity, last_decision, created_ms, updated_ms, incident_time, incident_place,
 * video_count (STORE_CLAIM_VIDEO_COUNT, a count of claim_videos rows). */
void store_row_claim(const store_row *r, dc_store_claim *c);
#define STORE_CLAIM_VIDEO_COUNT "(SELECT count(*) FROM claim_videos v WHERE v.claim_id = claims.id)"
/* Columns role, segment, video_sha256, bytes, content_type, file_name. */
void store_row_claim_video(const store_row *r, dc_store_claim_video *v);
/* Columns STORE_AUDIT_COLUMNS (audit_fields.c). */
void store_row_audit(const store_row *r, dc_audit_row *a);
/* Columns id, name, role, revoked, created_ms, revoked_ms, hash (hash may be NULL: not read). */
void store_row_key(const store_row *r, dc_store_key *k, char *hash);

/* Checks a review's fields: DC_ERR_INPUT with a message naming the field. */
dc_error_class store_review_check(const dc_store_review *r, dc_status *st);

/* Copies src into dst[size]; false (dst cut) when it did not fit. */
bool store_copy(char *dst, size_t size, const char *src);

/* ---- sessions (store_sessions.c) ---------------------------------------------------------------- */

#define STORE_SESSION_ID_LEN 17 /* the token's first 16 hex digits, NUL included */
/* The audit row of a session event: actor = the key's name, after = {"key_id", "session"}. */
void store_audit_session(dc_audit_row *row, const char *action, const dc_store_key *k,
                         const char *session_id);
/* Lowercase hex SHA-256 of a NUL-terminated secret (a key, a session token) into out[65], and
 * the comparison of two such hashes in constant time (store.c). */
void store_secret_hash(const char *secret, char out[65]);
bool store_same_hash(const char *a, const char *b);

#endif
