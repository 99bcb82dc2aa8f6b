/* The store: claims, their videos, the job queue, assessments, reviews, the audit trail and
 * the API keys of the service, behind one interface with two backends.
 *
 *   "DIR" or "sqlite:DIR"        embedded SQLite (default): DIR/dashclaim.db (WAL) and a
 *                                content-addressed video folder DIR/videos/ab/<sha256>
 *   "postgresql://..." / "postgres://..."
 *                                PostgreSQL (libpq): everything, the video bytes included, lives
 *                                in the database, so workers on other machines need only the URL
 *
 * In the order the service uses it:
 *   dc_store_options o; dc_store_options_init(&o);
 *   dc_store *s = dc_store_open("/var/lib/dashclaim", &o, &st);     once per thread (see below)
 *   upload:   w = dc_store_video_begin(s, &st);
 *             dc_store_video_write(w, buf, n, &st) ... as the body arrives
 *             dc_store_video_commit(w, &video, &st);   durable (fsync + rename) before it returns
 *             dc_store_claim_insert(s, &new_claim, &claim, &existed, &st);   claim + job + audit
 *             -> only now answer 202
 *   worker:   dc_store_job_claim(s, "host:pid:thread", &job, &got, &st);     lease + attempt
 *             dc_store_video_fetch(s, job.video_sha256, scratch, path, ...); a local file
 *             every lease_sec / 3: dc_store_job_heartbeat(s, &job, &held, &st);
 *             dc_store_job_complete(s, &job, &result, &accepted, &st);       result + done + audit,
 *                                                                           one transaction
 *             or dc_store_job_fail(...) / dc_store_job_release(...) (SIGTERM)
 *   review:   dc_store_claims_list(...), dc_store_assessment_get(...),
 *             dc_store_review_add(s, id, &review, "reviewer key name", &st); review + audit rows
 *   dc_store_close(s);
 *
 * Queue semantics (the same on both backends; tests/store/ runs on both):
 *   - A claim is queued -> running -> done | failed; its job carries an attempt number that grows
 *     by one at every claim of the job and never goes down. The attempt number is the fence: a
 *     heartbeat, completion, failure or release names the attempt it holds and is refused
 *     (held/accepted = false, DC_OK) when the job has moved on (its lease expired and another
 *     worker claimed it, or it finished).
 *   - A running job whose lease (lease_sec, default 60) passed without a heartbeat is queued again
 *     by the next dc_store_job_claim or dc_store_jobs_rescue, i.e. within one lease.
 *   - Attempts are charged against max_attempts (default 3) when a worker claims the job; a
 *     release (the worker stops cleanly) gives its attempt back. A job whose charged attempts
 *     reach max_attempts and that fails or loses its lease again ends the claim `failed` with a
 *     final assessment made by the store (error class internal: "the worker died ...") -- a video
 *     that kills its worker every time ends failed, it never loops.
 *   - The final assessment, the claim's status and the audit row are written in the same
 *     transaction: a claim ends done or failed exactly once, with exactly one final assessment.
 *
 * Durability: every function that returns DC_OK after writing a claim, a result, a review, an
 * audit row or a key has committed durably (SQLite: the WAL is fsynced past the commit before the
 * call returns; threads that commit together share one fsync, see src/store/store_sqlite_shared.h.
 * Claiming, heartbeats and releases are not waited for: lost to a power failure, they are a job
 * that runs again). Claiming is BEGIN IMMEDIATE; a database busy in another process is waited on
 * up to busy_timeout_ms. Nothing is ever deleted: a claim, its video, its assessment and its
 * audit rows stay (the audit table refuses UPDATE and DELETE with triggers). The exceptions are
 * not claims' data: a video no claim names (dc_store_video_discard) and browser sessions, which
 * go at logout or after they expire.
 *
 * Errors: every function returns a dc_error_class and fills *st (st may be NULL):
 *   DC_ERR_INPUT     a bad argument (unknown claim id where one is required, bad decision, ...)
 *   DC_ERR_RESOURCE  the database or disk failed or is busy past busy_timeout_ms (retry may work)
 *   DC_ERR_INTERNAL  a schema or invariant problem (a bug)
 * "Not found" is not an error: lookups return DC_OK with *found = false.
 *
 * Threads: a dc_store is one connection and is NOT thread-safe; open one per thread (cheap for
 * SQLite). Any number of processes and threads may use the same DIR or database at once.
 *
 * Strings in the row structs are fixed-size and always NUL-terminated; inputs longer than a field
 * are refused with DC_ERR_INPUT by the functions that store them. Times are Unix milliseconds.
 */
#ifndef DASHCLAIM_STORE_H
#define DASHCLAIM_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/claim.h"
#include "dashclaim/status.h"

typedef struct dc_store dc_store;

/* ---- opening ------------------------------------------------------------------------------ */

typedef struct {
    int lease_sec;          /* a running job's lease, renewed by heartbeats (default 60) */
    int max_attempts;       /* charged attempts before a claim fails for good (default 3) */
    int busy_timeout_ms;    /* how long to wait for a locked database (default 10000) */
    double retry_delay_sec; /* a failed, retryable job waits this long before it is claimable
                              again, doubled per attempt (default 1.0) */
    bool read_only;         /* open without creating or migrating anything (audit verify) */
} dc_store_options;

void dc_store_options_init(dc_store_options *o);

/* Opens (creating and migrating the schema unless read_only) the store at url (see the top of
 * this file). NULL on failure with *st filled: DC_ERR_INPUT for an unknown scheme or a folder
 * that cannot be created, DC_ERR_RESOURCE when the database cannot be opened or reached.
 * opts may be NULL (defaults). */
dc_store *dc_store_open(const char *url, const dc_store_options *opts, dc_status *st);
/* Closes the connection; safe on NULL. */
void dc_store_close(dc_store *s);
/* "sqlite" or "postgresql". */
const char *dc_store_backend_name(const dc_store *s);
/* The options the store was opened with (defaults filled in). */
const dc_store_options *dc_store_get_options(const dc_store *s);

/* ---- values ------------------------------------------------------------------------------- */

#define DC_STORE_ID_LEN 40   /* claim ids: "clm_" + 32 lowercase hex, server-chosen */
#define DC_STORE_NAME_LEN 64 /* key names, worker ids */

typedef enum {
    DC_STATE_QUEUED = 0,
    DC_STATE_RUNNING,
    DC_STATE_DONE,
    DC_STATE_FAILED,
    /* Opened (dc_store_claim_insert with open = true) and taking videos one request at a time
     * (dc_store_claim_video_add); not queued, never run, until dc_store_claim_submit. */
    DC_STATE_OPEN,
} dc_claim_state;
#define DC_STATE_COUNT 5

/* "queued" | "running" | "done" | "failed" | "open"; NULL for an out-of-range value. */
const char *dc_claim_state_name(dc_claim_state s);
/* -1 when name is not one of the five. */
int dc_claim_state_from_name(const char *name);

/* What the uploader says about the claim; every field optional ("" = not given). */
typedef struct {
    char policy_id[64];
    char claimant[128];
    char plate[32];
    char location[256];
    char reported_damage[64]; /* free text; NONE/LOW/MEDIUM/HIGH also feed the fraud rules */
    /* When and where the claimant says the incident happened, held against the video's GPS
     * (fraud rows X-TIME-MISMATCH, X-PLACE-MISMATCH): an ISO 8601 date or time (dc_utc_parse)
     * and coordinates "lat, lon" in degrees (dc_place_parse). The service checks both before
     * storing them; the store keeps them as given. */
    char incident_time[40];
    char incident_place[64];
} dc_claim_fields;

/* A video made durable by dc_store_video_commit. */
typedef struct {
    char sha256[65]; /* lowercase hex of the bytes: the video's name in the store */
    int64_t bytes;
} dc_store_video;

/* One video of a claim (a claim_videos row): its bytes are stored once under their SHA-256,
 * whatever the number of claims or positions that name them. */
typedef struct {
    dc_store_video video;  /* committed before (dc_store_video_commit) */
    char content_type[64]; /* the type the bytes show, e.g. "video/mp4" */
    char file_name[256];   /* the uploader's name for the file, "" = none: data, never a path */
    dc_video_role role;    /* front, rear, ... (DC_ROLE_UNKNOWN when not said) */
    int segment;           /* the camera's segment number, -1 = unknown */
} dc_store_claim_video;

typedef struct {
    dc_store_video video;
    char content_type[64];            /* as uploaded, e.g. "video/mp4" */
    char idempotency_key[128];        /* "" = none; scoped to the uploader */
    char uploader[DC_STORE_NAME_LEN]; /* the uploading key's name (never the key) */
    dc_claim_fields fields;
    /* The claim's videos, in order (position 0 first). video_count == 0 means the one video
     * in video + content_type (role unknown), as before claims had several. 1..
     * DC_MAX_CLAIM_VIDEOS; more is DC_ERR_INPUT. */
    int video_count;
    dc_store_claim_video videos[DC_MAX_CLAIM_VIDEOS];
    /* Open the claim instead of queueing it: state open, no job; videos (any number, also
     * none) come with dc_store_claim_video_add and dc_store_claim_submit queues it. */
    bool open;
} dc_store_new_claim;

typedef struct {
    char id[DC_STORE_ID_LEN];
    dc_claim_state state;
    char video_sha256[65];
    int64_t video_bytes;
    char content_type[64];
    char idempotency_key[128];
    char uploader[DC_STORE_NAME_LEN];
    dc_claim_fields fields;
    int attempts;               /* charged attempts so far */
    dc_error_class error_class; /* DC_OK unless failed */
    char error_message[512];
    /* From the final assessment; -1 while there is none. Higher = more urgent
     * (dc_review_priority). The queue is sorted by priority, then age. */
    int review_priority;
    int severity;           /* dc_severity of the assessment, -1 while none */
    char last_decision[24]; /* latest review decision, "" = not reviewed */
    int64_t created_ms, updated_ms;
    int video_count; /* rows of dc_store_claim_videos; video_sha256 above is position 0's */
} dc_store_claim;

/* ---- videos: streamed in, streamed out ------------------------------------------------------ */

typedef struct dc_store_video_writer dc_store_video_writer;
typedef struct dc_store_video_reader dc_store_video_reader;

/* Starts an upload: a private temporary file (SQLite: in DIR/videos/tmp, name chosen here) or
 * large object (PostgreSQL). NULL with *st on failure. */
dc_store_video_writer *dc_store_video_begin(dc_store *s, dc_status *st);
/* Appends bytes; the SHA-256 is computed as they pass. */
dc_error_class dc_store_video_write(dc_store_video_writer *w, const void *data, size_t n,
                                    dc_status *st);
/* Bytes written so far. */
int64_t dc_store_video_written(const dc_store_video_writer *w);
/* Makes the bytes durable under their SHA-256 (SQLite: fsync, rename to videos/ab/<sha>, fsync
 * of the folder; an identical video already stored is kept and the new copy dropped) and frees
 * w. Fills *out. On failure w is freed too and nothing is left behind. */
dc_error_class dc_store_video_commit(dc_store_video_writer *w, dc_store_video *out, dc_status *st);
/* Drops an upload that will not be committed (client gone, too large); frees w; safe on NULL.
 * Only the writer's own temporary data is removed, never a committed video. */
void dc_store_video_abort(dc_store_video_writer *w);

/* Opens a stored video for reading. DC_OK with *r = NULL when no such video. */
dc_error_class dc_store_video_open(dc_store *s, const char *sha256, dc_store_video_reader **r,
                                   dc_status *st);
int64_t dc_store_video_size(const dc_store_video_reader *r);
/* Reads up to cap bytes at offset into buf; *n = 0 at the end. */
dc_error_class dc_store_video_read(dc_store_video_reader *r, int64_t offset, void *buf, size_t cap,
                                   size_t *n, dc_status *st);
void dc_store_video_close(dc_store_video_reader *r); /* safe on NULL */

/* A local file holding the video, for the pipeline (which opens a path). SQLite: the stored
 * file itself (*temporary = false). A backend without files copies the bytes into scratch_dir,
 * checks their SHA-256 on the way (DC_ERR_RESOURCE on mismatch), and sets *temporary = true: the
 * caller unlinks path when done. DC_ERR_INPUT when no such video. */
dc_error_class dc_store_video_fetch(dc_store *s, const char *sha256, const char *scratch_dir,
                                    char *path, size_t path_size, bool *temporary, dc_status *st);

/* Deletes the stored video with this SHA-256 when no claim references it: the bytes of an upload
 * refused after they were committed (e.g. an Idempotency-Key reused with another body). DC_OK and
 * nothing done when a claim references it or it is absent; DC_ERR_INPUT for a malformed hash.
 * Safe against a concurrent dc_store_claim_insert naming the same bytes: the check and the delete
 * hold the lock that an insert's own check of the video takes (SQLite: the write lock, as the
 * insert now looks for the file inside its BEGIN IMMEDIATE transaction; PostgreSQL: FOR UPDATE on
 * the videos row, which the insert reads FOR KEY SHARE), so either the insert commits first and
 * the video is kept, or the video goes first and the insert fails with DC_ERR_INPUT ("video not
 * stored"): no claim ever names missing bytes. What it cannot tell: another upload of the very
 * same bytes committed (deduplicated onto this copy) but whose claim is not inserted yet; that
 * claim insert then fails the same way and the client must upload again. */
dc_error_class dc_store_video_discard(dc_store *s, const char *sha256, dc_status *st);

/* ---- claims --------------------------------------------------------------------------------- */

/* Inserts the claim (its videos committed before), its claim_videos rows, its queued job and
 * the audit rows, in one transaction: "claim.created" (naming video 0) and one
 * "claim.video_added" per further video (naming it; after = position, role, segment, file
 * name, bytes), so that every video of a claim has exactly one audit row. With nc->open the
 * claim is `open` instead (no job; claim.created names video 0 only when one is given). When
 * nc->idempotency_key is set and that uploader already made a claim with it, nothing is
 * written: *out is that claim and *existed = true (existed may be NULL). The claim id is
 * chosen here (random). DC_ERR_INPUT when a video is not stored, or more than
 * DC_MAX_CLAIM_VIDEOS are given. */
dc_error_class dc_store_claim_insert(dc_store *s, const dc_store_new_claim *nc, dc_store_claim *out,
                                     bool *existed, dc_status *st);

/* Adds a video (committed before) at the next position of an open claim, and its audit row
 * "claim.video_added" (actor = actor, the key's name), in one transaction; *position (may be
 * NULL) gets its position. DC_ERR_INPUT, nothing written, when the claim is unknown, not open
 * (submitted already), holds DC_MAX_CLAIM_VIDEOS videos already, or the video is not stored.
 * Who may add to which claim is the caller's to check (the service: its uploader, or admin). */
dc_error_class dc_store_claim_video_add(dc_store *s, const char *claim_id,
                                        const dc_store_claim_video *v, const char *actor,
                                        int *position, dc_status *st);

/* Queues an open claim: state queued, its job, audit "claim.submitted", in one transaction;
 * *out gets the claim. A claim submitted already is left as it is (DC_OK, *out as it is now:
 * a retried submit is harmless). DC_ERR_INPUT for an unknown claim or an open one with no
 * video. */
dc_error_class dc_store_claim_submit(dc_store *s, const char *claim_id, const char *actor,
                                     dc_store_claim *out, dc_status *st);

/* The claim's videos by position; rows must hold max entries (DC_MAX_CLAIM_VIDEOS is enough),
 * *count gets how many were filled (0 for an unknown claim). */
dc_error_class dc_store_claim_videos(dc_store *s, const char *claim_id, dc_store_claim_video *rows,
                                     int max, int *count, dc_status *st);

dc_error_class dc_store_claim_get(dc_store *s, const char *id, dc_store_claim *out, bool *found,
                                  dc_status *st);

typedef struct {
    int state;            /* a dc_claim_state, or -1 = any */
    int priority;         /* a dc_review_priority, or -1 = any */
    const char *uploader; /* only this uploader's claims; NULL = all */
    const char *cursor;   /* from the previous page's next_cursor; NULL or "" = first page */
    int limit;            /* 1..500 (default 50 when 0) */
} dc_store_claim_filter;

#define DC_STORE_CURSOR_LEN 128

/* One page of claims matching the filter, sorted by review priority (most urgent first, claims
 * without an assessment last), then age (oldest first), then id. Filtering happens before
 * paging. rows must hold f->limit entries; *count gets how many were filled, next_cursor
 * (DC_STORE_CURSOR_LEN bytes) the cursor of the next page or "" when this was the last.
 * DC_ERR_INPUT for a malformed cursor. */
dc_error_class dc_store_claims_list(dc_store *s, const dc_store_claim_filter *f,
                                    dc_store_claim *rows, int *count, char *next_cursor,
                                    dc_status *st);

/* Claims per state (counts[DC_STATE_COUNT]) for /metrics and the queue depth. */
dc_error_class dc_store_claim_counts(dc_store *s, int64_t counts[DC_STATE_COUNT], dc_status *st);

/* ---- jobs ----------------------------------------------------------------------------------- */

typedef struct {
    char claim_id[DC_STORE_ID_LEN];
    int attempt; /* the fence: this claim of the job (1, 2, ...) */
    int charged; /* attempts charged against max_attempts, this one included */
    int64_t lease_until_ms;
    char video_sha256[65];
    char worker[DC_STORE_NAME_LEN];
    dc_claim_fields fields; /* the claim's metadata, for the pipeline */
} dc_store_job;

/* Queues again the expired leases (or fails their claims when out of attempts, see the top),
 * then claims the oldest claimable job for worker in one BEGIN IMMEDIATE transaction: the job
 * becomes running with attempt + 1 and a lease of lease_sec. *got = false (DC_OK) when the queue
 * is empty. */
dc_error_class dc_store_job_claim(dc_store *s, const char *worker, dc_store_job *job, bool *got,
                                  dc_status *st);

/* Renews the lease of job (job->lease_until_ms is updated). *held = false when the attempt no
 * longer holds the job: the worker must stop and write nothing. */
dc_error_class dc_store_job_heartbeat(dc_store *s, dc_store_job *job, bool *held, dc_status *st);

/* What a finished attempt leaves behind. The claim ends `done` when the assessment's status is
 * ok or degraded, `failed` (with its error class) when it is failed. */
typedef struct {
    const dc_assessment *assessment; /* the final record */
    const char *assessment_json;     /* dc_assessment_to_json(assessment, 0) (stored as is) */
    const char *report_html;         /* the claim page, NULL = none */
    size_t report_html_len;
    /* Evidence frames as JPEG, indexed as frame n of GET /v1/claims/{id}/frames/{n}.jpg. */
    int frame_count;
    const uint8_t *const *frames_jpeg;
    const size_t *frames_jpeg_len;
} dc_store_result;

/* In one transaction: refuses (*accepted = false, nothing written) unless job->attempt still
 * holds the running job; else stores the assessment, report and frames, sets the claim done or
 * failed, removes the job from the queue and appends the audit row "assessment" (engine, model,
 * prompt and rules versions, video SHA-256). */
dc_error_class dc_store_job_complete(dc_store *s, const dc_store_job *job,
                                     const dc_store_result *result, bool *accepted, dc_status *st);

/* The attempt failed without a usable record (e.g. the model could not be loaded, out of
 * memory). retryable and attempts left: the job is queued again after retry_delay_sec.
 * Otherwise the claim ends failed with a final assessment made from class and message.
 * Fenced like complete. */
dc_error_class dc_store_job_fail(dc_store *s, const dc_store_job *job, dc_error_class cls,
                                 const char *message, bool retryable, bool *accepted,
                                 dc_status *st);

/* The worker stops without finishing (SIGTERM): the job is queued again at once and the attempt
 * is not charged. Fenced like complete. */
dc_error_class dc_store_job_release(dc_store *s, const dc_store_job *job, bool *accepted,
                                    dc_status *st);

/* Waits up to timeout_sec for a sign of new work, for a worker whose last claim found the queue
 * empty. PostgreSQL: LISTEN/NOTIFY (a job queued, released or retried notifies every waiting
 * worker, on any machine), so an idle worker wakes at once instead of polling. *supported =
 * false, returning at once, on a backend without such signals (SQLite: the caller polls, e.g.
 * on its own condition variable). A wake-up is a hint, not a promise: claim again. */
dc_error_class dc_store_job_wait(dc_store *s, double timeout_sec, bool *supported, dc_status *st);

/* Queues again (or fails for good) every running job whose lease has passed. *requeued and
 * *failed (either may be NULL) get the counts. dc_store_job_claim does this too. */
dc_error_class dc_store_jobs_rescue(dc_store *s, int *requeued, int *failed, dc_status *st);

/* ---- results -------------------------------------------------------------------------------- */

/* The final assessment's JSON (caller frees *json). DC_OK with *json = NULL when none yet. */
dc_error_class dc_store_assessment_get(dc_store *s, const char *claim_id, char **json,
                                       dc_status *st);
/* The report page (name "report.html") or evidence frame n ("frame-<n>.jpg") of a claim: caller
 * frees *data. DC_OK with *data = NULL when there is none. */
dc_error_class dc_store_artifact_get(dc_store *s, const char *claim_id, const char *name,
                                     uint8_t **data, size_t *len, dc_status *st);

/* ---- reviews -------------------------------------------------------------------------------- */

typedef enum {
    DC_DECISION_APPROVE = 0,
    DC_DECISION_REJECT,
    DC_DECISION_REQUEST_MORE_INFO,
} dc_review_decision;

/* "APPROVE" | "REJECT" | "REQUEST_MORE_INFO"; NULL out of range. */
const char *dc_review_decision_name(dc_review_decision d);
int dc_review_decision_from_name(const char *name); /* -1 when unknown (case-sensitive) */

typedef struct {
    dc_review_decision decision;
    bool has_severity;
    int severity; /* override: dc_severity NONE..HIGH */
    bool has_fault_ratio;
    int fault_ratio; /* override: 0..100 (0 is a valid override) */
    bool has_fraud_flag;
    bool fraud_flag; /* override: fraud suspected or not */
    char reasoning[2048];
} dc_store_review;

/* Records a human review of a claim that is done or failed, by reviewer (the key's name): the
 * review row, the audit row "review" and one audit row "override.<field>" per override (before =
 * the assessment's value, after = the reviewer's), in one transaction. DC_ERR_INPUT for an
 * unknown claim, a claim not finished yet, or an override out of range. */
dc_error_class dc_store_review_add(dc_store *s, const char *claim_id, const dc_store_review *r,
                                   const char *reviewer, dc_status *st);

/* ---- audit trail ---------------------------------------------------------------------------- */

typedef struct {
    int64_t seq;                        /* 1, 2, ... in append order */
    char at[32];                        /* ISO 8601 UTC with milliseconds */
    char actor[DC_STORE_NAME_LEN + 16]; /* key name, "worker:<id>", "system" */
    char action[48];                    /* claim.created, claim.video_added,
                                  claim.submitted, assessment, claim.failed, review,
                                  override.severity, override.fault_ratio, override.fraud_flag,
                                  key.added, key.revoked, session.created,
                                  session.revoked */
    char claim_id[DC_STORE_ID_LEN];     /* "" for events without a claim */
    char before[1024];                  /* JSON text, "" = none */
    char after[1024];                   /* JSON text, "" = none */
    char reason[2048];
    char model[256]; /* model file name, "signals", or "" */
    char prompt_version[32];
    char rules_version[32];
    char video_sha256[65];
    char prev_hash[65]; /* hash of the row before ("0" * 64 for the first row) */
    char hash[65];      /* SHA-256 of this row's fields and prev_hash, see store_audit.c */
} dc_audit_row;

/* Appends an event (seq, at, prev_hash and hash are filled here; the rest from *row). The store
 * appends its own rows inside the transactions above; this is for events of other parts
 * (e.g. key.added from `dashclaim keys`). */
dc_error_class dc_store_audit_append(dc_store *s, const dc_audit_row *row, dc_status *st);

/* Rows with seq > after_seq in order, of one claim (claim_id not NULL) or all; rows must hold
 * max entries, *count gets how many were filled. */
dc_error_class dc_store_audit_list(dc_store *s, const char *claim_id, int64_t after_seq,
                                   dc_audit_row *rows, int max, int *count, dc_status *st);

/* Walks the whole trail: every row's prev_hash must be the hash of the row before and its hash
 * must match its fields. *rows gets the rows checked, *bad_seq the first bad row (0 when the
 * chain is intact). DC_OK says the walk ran, *bad_seq says whether the chain holds. The chain
 * alone cannot tell a chain re-hashed after an edit, nor a cut tail: dc_store_audit_check with
 * checkpoints can. */
dc_error_class dc_store_audit_verify(dc_store *s, int64_t *rows, int64_t *bad_seq, dc_status *st);

/* The row as JSON, the one shape the CLI and the API print: every field of the row under its
 * column name (seq a number; before/after as JSON values; an empty text as null). New reference
 * (caller json_decref's); NULL when out of memory. */
json_t *dc_audit_row_to_json(const dc_audit_row *row);

/* ---- audit verification and signed checkpoints ------------------------------------------------
 *
 * The chain's hash is unkeyed, so whoever can write the database can edit a row and re-hash every
 * row after it, or cut the tail. A checkpoint closes that: the chain's length and head hash (and
 * the hash of row 1, which names the chain, and the time) signed with an Ed25519 key that is kept
 * outside the database, appended as one line to a file that is then copied off the machine:
 *
 *   dashclaim-audit-checkpoint/1 store=<row 1's hash> length=<rows> head=<hash of row <rows>>
 *     at=<ISO 8601 UTC> key=<16 hex: the key's id> sig=<128 hex: Ed25519 over all before " sig=">
 *
 * (one line). Verification against these lines then tells a re-hashed chain (the hash at a
 * checkpoint's length is not the signed head), deleted rows and a cut tail (fewer rows than a
 * checkpoint signed) and a forged or edited line (its signature does not verify). What changed
 * after the newest checkpoint is covered by the chain only: checkpoint often (e.g. hourly).
 *
 * It also compares the tables with what the audit rows say: each claim's state, severity, review
 * priority and last decision, each review row with its "review" audit row (one for one, in
 * order), and the stored assessment with the SHA-256 its "assessment" or "claim.failed" row
 * recorded (rows written before that field was added: the record's status, severity, priority
 * and recommended action). Key rows are not compared with the keys table. */

typedef enum {
    DC_AUDIT_INTACT = 0,
    DC_AUDIT_ROW_EDITED,     /* a row's fields do not hash to its stored hash */
    DC_AUDIT_LINK_BROKEN,    /* a row's prev_hash is not the row before's hash: a row before it
                                was replaced, or rows removed and renumbered */
    DC_AUDIT_ROWS_MISSING,   /* row numbers jump (rows deleted) or repeat */
    DC_AUDIT_REWRITTEN,      /* at a checkpoint's length the hash is not the signed head, or row
                                1 is not the signed chain's: edited and re-hashed */
    DC_AUDIT_TRUNCATED,      /* fewer rows than a checkpoint signed: the tail was cut */
    DC_AUDIT_CHECKPOINT_BAD, /* a checkpoint line is malformed, signed by another key, or its
                                signature does not verify: forged or edited */
    DC_AUDIT_STATE_MISMATCH, /* claims, reviews or assessments differ from the audit rows */
} dc_audit_finding;
#define DC_AUDIT_FINDING_COUNT 8

/* "intact", "row edited", "link broken", "rows missing", "rewritten", "truncated",
 * "checkpoint bad", "state mismatch"; NULL out of range. */
const char *dc_audit_finding_name(dc_audit_finding f);

typedef struct {
    dc_audit_finding finding;       /* the first problem found (in the order above's checks:
                                       checkpoint lines, then the chain by seq, then its length,
                                       then the tables) */
    int64_t bad_seq;                /* the audit row concerned; 0 when none */
    int checkpoint_line;            /* the checkpoint file's line concerned (1-based); 0 none */
    char claim_id[DC_STORE_ID_LEN]; /* the claim concerned; "" when none */
    char message[1024];             /* what is wrong, for a person; "" when intact */
    int64_t rows;                   /* rows walked and found intact */
    char head[65];                  /* hash of the last of them ("" when none) */
    char store_id[65];              /* hash of row 1 ("" when none) */
    int checkpoints;                /* checkpoint lines read */
    int64_t claims;                 /* claims compared with their audit rows */
    int64_t mismatches;             /* disagreements of the tables (message has the first) */
} dc_audit_report;

/* An Ed25519 key: the private key (signs and verifies) or a public key (verifies only). */
typedef struct dc_audit_key dc_audit_key;

/* Loads the signing key (PEM PKCS#8) from path. When path does not exist and create is true, a
 * new key is made and written there with mode 0600 (its folder made with mode 0700), refusing to
 * replace a file that appears meanwhile; *created (may be NULL) says so. DC_ERR_INPUT when the
 * file is not a regular file, has any permission for group or others, is owned by another user,
 * or is not an Ed25519 private key; DC_ERR_RESOURCE when it cannot be read or written. */
dc_audit_key *dc_audit_key_load(const char *path, bool create, bool *created, dc_status *st);
/* Loads a public key (PEM "PUBLIC KEY", as dc_audit_key_public_pem writes) for verifying. */
dc_audit_key *dc_audit_key_load_public(const char *path, dc_status *st);
/* The public half as PEM text (caller frees); NULL when out of memory. */
char *dc_audit_key_public_pem(const dc_audit_key *k);
/* The key's id in checkpoint lines: 16 lowercase hex of the SHA-256 of its raw public key. */
const char *dc_audit_key_id(const dc_audit_key *k);
void dc_audit_key_free(dc_audit_key *k); /* safe on NULL */

/* Verifies the trail and fills *rep: the chain; with checkpoints_path (NULL = none) every line
 * of that file (key must then be given: lines signed by another key are bad); the tables. DC_OK
 * says the check ran (rep->finding says what it found); DC_ERR_INPUT when the checkpoint file
 * cannot be read or key is missing; DC_ERR_RESOURCE when the store fails. */
dc_error_class dc_store_audit_check(dc_store *s, const char *checkpoints_path,
                                    const dc_audit_key *key, dc_audit_report *rep, dc_status *st);

#define DC_AUDIT_LINE_LEN 512
/* Checks the store as dc_store_audit_check does against out_path's lines (a missing file has
 * none), and only when it is intact signs its length and head with key (a private key) and
 * appends the line (also copied to line, DC_AUDIT_LINE_LEN bytes) to out_path in one write with
 * O_APPEND, then fsync (the file is made with mode 0644 when missing, and its folder fsynced).
 * A store that is not intact is not signed: DC_OK with rep->finding set and line "". DC_ERR_INPUT
 * for an empty trail (nothing to sign) or a public-only key; DC_ERR_RESOURCE when the file
 * cannot be written. */
dc_error_class dc_store_audit_checkpoint(dc_store *s, const dc_audit_key *key, const char *out_path,
                                         char line[DC_AUDIT_LINE_LEN], dc_audit_report *rep,
                                         dc_status *st);

/* ---- API keys ------------------------------------------------------------------------------- */

typedef enum { DC_ROLE_UPLOADER = 0, DC_ROLE_REVIEWER, DC_ROLE_ADMIN } dc_role;
const char *dc_role_name(dc_role r);     /* "uploader" | "reviewer" | "admin" */
int dc_role_from_name(const char *name); /* -1 when unknown */

#define DC_KEY_LEN 64 /* "dck_" + 12 hex id + "_" + 40 hex secret, NUL included */

typedef struct {
    char id[16]; /* the key's public part, shown by `keys list` */
    char name[DC_STORE_NAME_LEN];
    dc_role role;
    bool revoked;
    int64_t created_ms, revoked_ms;
} dc_store_key;

/* Makes a new random key for name with role: only its SHA-256 is stored; the key itself is
 * written to key_out (DC_KEY_LEN bytes) and cannot be recovered later. Appends "key.added". */
dc_error_class dc_store_key_add(dc_store *s, const char *name, dc_role role, char *key_out,
                                dc_store_key *info, dc_status *st);
/* Finds the key a request presents: by its public id, then the SHA-256 of the whole key compared
 * in constant time. *found = false for a malformed, unknown, wrong or revoked key. */
dc_error_class dc_store_key_lookup(dc_store *s, const char *key, dc_store_key *out, bool *found,
                                   dc_status *st);
/* All keys (revoked too), oldest first; rows must hold max entries. */
dc_error_class dc_store_key_list(dc_store *s, dc_store_key *rows, int max, int *count,
                                 dc_status *st);
/* Revokes the key with this public id or name. DC_ERR_INPUT when none matches. Appends
 * "key.revoked". */
dc_error_class dc_store_key_revoke(dc_store *s, const char *id_or_name, dc_status *st);

/* ---- browser sessions ---------------------------------------------------------------------- */

/* A browser's sign-in is its own short-lived token, never the API key: "dcs_" + 64 lowercase hex
 * (32 random bytes from OpenSSL's RAND_bytes). Its first 16 hex digits are the session's public
 * id (how it is found, and what the audit rows name); only the SHA-256 of the whole token is
 * stored, compared in constant time, as for keys. */
#define DC_SESSION_TOKEN_LEN 72 /* "dcs_" + 64 lowercase hex, NUL included (room to spare) */

/* Makes a session for the key key->id (which must exist and not be revoked: DC_ERR_INPUT
 * otherwise) that expires ttl_sec (> 0) from now; writes the token to token_out. Sessions that
 * expired are removed in the same transaction. Appends audit "session.created" (actor = the key's
 * name; the row names the session's public id, never the token). */
dc_error_class dc_store_session_create(dc_store *s, const dc_store_key *key, int ttl_sec,
                                       char token_out[DC_SESSION_TOKEN_LEN], dc_status *st);
/* *found = true only for a well-formed token that exists, has not expired, was not revoked, and
 * whose key is not revoked (revoking a key ends its sessions); *out = that key's info (untouched
 * otherwise). */
dc_error_class dc_store_session_lookup(dc_store *s, const char *token, dc_store_key *out,
                                       bool *found, dc_status *st);
/* Revokes the session (logout). DC_OK also when the token is malformed, unknown or expired
 * (logout is idempotent). Appends audit "session.revoked" when one was revoked. */
dc_error_class dc_store_session_revoke(dc_store *s, const char *token, dc_status *st);

#endif
