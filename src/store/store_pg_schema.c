/* PostgreSQL backend: the schema, as numbered migrations.
 *
 * Every process that opens the store runs store_pg_migrate(). It takes a transaction-level
 * advisory lock first, so that two serve/worker processes starting together do not both create
 * tables (the second waits, then finds the work done); all pending steps and their version rows
 * commit in that one transaction (PostgreSQL's DDL is transactional), so a crash half-way leaves
 * the previous version, never a mixture. A database newer than this build is refused rather
 * than used with the wrong shape.
 *
 * Layout. The queue is split in two on purpose:
 *   jobs    the hot table: one small row per claim that is queued or running, and nothing else.
 *           Claiming, heartbeats and completions churn only these rows; a finished job's row is
 *           deleted, so the table stays as small as the queue, and its autovacuum settings are
 *           absolute (scale factor 0) so that vacuum keeps up whatever the size of the claims
 *           table.
 *   claims  everything that lives on (metadata, status, final assessment), written once per state
 *           change.
 * The other tables mirror the SQLite backend's (store_sqlite.c) column for column, so that both
 * return the same values; the audit table refuses UPDATE, DELETE and TRUNCATE with triggers, and
 * claims refuse DELETE and TRUNCATE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_internal.h"

/* pg_advisory_xact_lock key: "dashclaim" in ASCII, a constant no other application picks. */
#define SCHEMA_LOCK_KEY "6442451911262184557"

/* A migration's SQL comes in parts (C's string-literal limit), run in order in one transaction. */
typedef struct {
    int version;
    const char *name;
    const char *sql[8];
} migration;

static const migration MIGRATIONS[] = {
    {1,
     "claims, queue, videos, results, reviews, audit, keys",
     {/* The hot table. Claiming walks jobs_queued in id order; a job queued again takes a new id
      * (see store_pg_queue.c). fillfactor leaves room on each page for HOT updates. Autovacuum
      * thresholds are absolute: a queue of 100 rows with 500 dead ones must be vacuumed now, not
      * when 20 % of some large size is reached. */
      "CREATE TABLE jobs ("
      "  id bigserial PRIMARY KEY,"
      "  claim_id text NOT NULL UNIQUE,"
      "  state smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1)),"
      "  attempt integer NOT NULL DEFAULT 0,"
      "  charged integer NOT NULL DEFAULT 0,"
      "  lease_until timestamptz,"
      "  run_after timestamptz NOT NULL DEFAULT clock_timestamp(),"
      "  worker text NOT NULL DEFAULT '',"
      /* the attempt whose own fail or release queued the job again (NULL after a rescue): a
      * retry after a lost COMMIT tells "my requeue happened" from "I was rescued" by it */
      "  requeued_by integer,"
      "  created_ms bigint NOT NULL,"
      "  enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp()"
      ") WITH (fillfactor = 70,"
      "        autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500,"
      "        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = "
      "1000,"
      "        autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000,"
      "        autovacuum_vacuum_cost_delay = 0);"
      "CREATE INDEX jobs_queued ON jobs (id) WHERE state = 0;"
      "CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 1;"
      /* One row: when expired leases were last looked for, and up to which lease end the last
      * complete sweep saw everything (see store_pg_queue.c). */
      "CREATE TABLE queue_rescue ("
      "  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
      "  last_at timestamptz NOT NULL DEFAULT '-infinity',"
      "  swept_to timestamptz NOT NULL DEFAULT '-infinity');"
      "INSERT INTO queue_rescue DEFAULT VALUES;",
      "CREATE TABLE videos ("
      "  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
      "  oid oid NOT NULL,"
      "  bytes bigint NOT NULL CHECK (bytes >= 0),"
      "  created_ms bigint NOT NULL);"
      /* Large objects being written: each group of an upload commits on its own (an upload never
      * holds one long transaction), so an object exists before its videos row; one whose upload
      * died is removed with its entry after a day (store_pg_video_collect). */
      "CREATE TABLE video_uploads ("
      "  oid oid PRIMARY KEY,"
      "  started_at timestamptz NOT NULL DEFAULT now());"
      "CREATE TABLE claims ("
      "  id text PRIMARY KEY,"
      "  state smallint NOT NULL DEFAULT 0,"
      "  video_sha256 text NOT NULL REFERENCES videos (sha256),"
      "  video_bytes bigint NOT NULL,"
      "  content_type text NOT NULL,"
      "  idempotency_key text,"
      "  uploader text NOT NULL,"
      "  policy_id text NOT NULL, claimant text NOT NULL, plate text NOT NULL,"
      "  location text NOT NULL, reported_damage text NOT NULL,"
      "  attempts integer NOT NULL DEFAULT 0,"
      "  error_class integer NOT NULL DEFAULT 0,"
      "  error_message text NOT NULL DEFAULT '',"
      "  priority integer NOT NULL DEFAULT -1,"
      "  severity integer NOT NULL DEFAULT -1,"
      "  last_decision text NOT NULL DEFAULT '',"
      "  created_ms bigint NOT NULL,"
      "  updated_ms bigint NOT NULL);"
      "CREATE UNIQUE INDEX claims_idempotency ON claims (uploader, idempotency_key)"
      "  WHERE idempotency_key IS NOT NULL;"
      "CREATE INDEX claims_queue ON claims (priority DESC, created_ms, id);"
      "CREATE INDEX claims_by_state ON claims (state, priority DESC, created_ms, id);",
      "CREATE TABLE assessments ("
      "  claim_id text PRIMARY KEY REFERENCES claims (id),"
      "  attempt integer NOT NULL,"
      "  json text NOT NULL,"
      "  created_ms bigint NOT NULL);"
      "CREATE TABLE artifacts ("
      "  claim_id text NOT NULL REFERENCES claims (id),"
      "  name text NOT NULL,"
      "  data bytea NOT NULL,"
      "  PRIMARY KEY (claim_id, name));"
      "CREATE TABLE reviews ("
      "  id bigserial PRIMARY KEY,"
      "  claim_id text NOT NULL REFERENCES claims (id),"
      "  reviewer text NOT NULL, decision text NOT NULL,"
      "  severity integer, fault_ratio integer, fraud_flag boolean,"
      "  reasoning text NOT NULL, created_ms bigint NOT NULL);",
      "CREATE TABLE audit ("
      "  seq bigint PRIMARY KEY, at text NOT NULL, actor text NOT NULL, action text NOT NULL,"
      "  claim_id text NOT NULL, before text NOT NULL, after text NOT NULL, reason text NOT NULL,"
      "  model text NOT NULL, prompt_version text NOT NULL, rules_version text NOT NULL,"
      "  video_sha256 text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL);"
      "CREATE INDEX audit_by_claim ON audit (claim_id, seq);"
      "CREATE FUNCTION dashclaim_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
      "  BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$;"
      "CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit FOR EACH ROW"
      "  EXECUTE FUNCTION dashclaim_refuse('the audit trail is append-only');"
      "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT"
      "  EXECUTE FUNCTION dashclaim_refuse('the audit trail is append-only');"
      "CREATE TRIGGER claims_no_delete BEFORE DELETE ON claims FOR EACH ROW"
      "  EXECUTE FUNCTION dashclaim_refuse('claims are never deleted');"
      "CREATE TRIGGER claims_no_truncate BEFORE TRUNCATE ON claims FOR EACH STATEMENT"
      "  EXECUTE FUNCTION dashclaim_refuse('claims are never deleted');"
      "CREATE TABLE keys ("
      "  id text PRIMARY KEY, name text NOT NULL, role integer NOT NULL, hash text NOT NULL,"
      "  revoked boolean NOT NULL DEFAULT false, created_ms bigint NOT NULL,"
      "  revoked_ms bigint NOT NULL DEFAULT 0);"
      "CREATE UNIQUE INDEX keys_active_name ON keys (name) WHERE NOT revoked;"}},
    {2,
     "browser sessions, claims by video, reviews by claim",
     {/* A browser's session: the SHA-256 of its token, never the token (store_sessions.c). Rows
      * go when they are revoked, or at the next create after they expire. */
      "CREATE TABLE sessions ("
      "  id text PRIMARY KEY,"
      "  key_id text NOT NULL REFERENCES keys (id),"
      "  hash text NOT NULL,"
      "  created_ms bigint NOT NULL,"
      "  expires_ms bigint NOT NULL);"
      "CREATE INDEX sessions_expiry ON sessions (expires_ms);"
      /* dc_store_video_discard asks whether any claim names a video */
      "CREATE INDEX claims_by_video ON claims (video_sha256);"
      /* audit verify reads a batch of claims' reviews at a time */
      "CREATE INDEX reviews_by_claim ON reviews (claim_id, id);"}},
    {3,
     "a claim is one or more videos; incident time and place; open claims",
     {/* claims.video_sha256 stays position 0's (the queue, the audit and discard read it), NULL
      * while an open claim (state 4, no job until submitted) has no video yet. Every claim of
      * before becomes one claim_videos row at position 0, role unknown. */
      "ALTER TABLE claims ADD COLUMN incident_time text NOT NULL DEFAULT '',"
      "  ADD COLUMN incident_place text NOT NULL DEFAULT '',"
      "  ALTER COLUMN video_sha256 DROP NOT NULL;"
      "CREATE TABLE claim_videos ("
      "  claim_id text NOT NULL REFERENCES claims (id),"
      "  position integer NOT NULL CHECK (position >= 0 AND position < 32),"
      "  role text NOT NULL,"
      "  segment integer NOT NULL,"
      "  video_sha256 text NOT NULL REFERENCES videos (sha256),"
      "  bytes bigint NOT NULL,"
      "  content_type text NOT NULL,"
      "  file_name text NOT NULL,"
      "  created_ms bigint NOT NULL,"
      "  PRIMARY KEY (claim_id, position));"
      "CREATE INDEX claim_videos_by_video ON claim_videos (video_sha256);"
      "INSERT INTO claim_videos (claim_id, position, role, segment, video_sha256, bytes,"
      "  content_type, file_name, created_ms)"
      "  SELECT id, 0, 'unknown', -1, video_sha256, video_bytes, content_type, '', created_ms"
      "  FROM claims;"}},
};
#define MIGRATION_COUNT ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

int store_pg_schema_version(void) { return MIGRATIONS[MIGRATION_COUNT - 1].version; }

static dc_error_class exec_plain(store_pg *pg, const char *sql, dc_status *st, bool *lost) {
    PGresult *r = PQexec(pg->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        PQclear(r);
        return DC_OK;
    }
    *lost = store_pg_failure_is_lost(pg->conn, r);
    dc_fail(st, DC_ERR_RESOURCE, "database schema: %s",
            r ? PQresultErrorMessage(r) : PQerrorMessage(pg->conn));
    PQclear(r);
    return DC_ERR_RESOURCE;
}

static dc_error_class migrate_once(store_pg *pg, dc_status *st, bool *lost) {
    dc_error_class rc = DC_OK;
    PGresult *cur = NULL;
    if ((rc = exec_plain(pg, "BEGIN", st, lost)) != DC_OK) goto out;
    if ((rc = exec_plain(pg, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ")", st, lost)) !=
        DC_OK)
        goto out;
    if ((rc = exec_plain(pg,
                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "  version integer PRIMARY KEY,"
                         "  name text NOT NULL,"
                         "  applied_at timestamptz NOT NULL DEFAULT now())",
                         st, lost)) != DC_OK)
        goto out;
    cur = store_pg_exec(pg, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, st,
                        lost);
    if (!cur) {
        rc = st->code;
        goto out;
    }
    int have = atoi(PQgetvalue(cur, 0, 0));
    if (have > store_pg_schema_version()) {
        rc = dc_fail(st, DC_ERR_INPUT,
                     "the database's schema is version %d, newer than this dashclaim knows (%d): "
                     "upgrade dashclaim",
                     have, store_pg_schema_version());
        goto out;
    }
    for (int i = 0; i < MIGRATION_COUNT; i++) {
        const migration *m = &MIGRATIONS[i];
        if (m->version <= have) continue;
        for (int part = 0; part < 8 && m->sql[part]; part++) {
            if ((rc = exec_plain(pg, m->sql[part], st, lost)) != DC_OK) {
                char why[sizeof st->message];
                memcpy(why, st->message, sizeof why);
                dc_fail(st, DC_ERR_INTERNAL, "store: schema migration %d (%s) failed: %.300s",
                        m->version, m->name, why);
                goto out;
            }
        }
        char v[16];
        snprintf(v, sizeof v, "%d", m->version);
        const char *params[] = {v, m->name};
        if ((rc = store_pg_run(pg, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                               2, params, st, lost)) != DC_OK)
            goto out;
    }
    rc = exec_plain(pg, "COMMIT", st, lost);
out:
    PQclear(cur);
    if (rc != DC_OK) store_pg_rollback(pg);
    return rc;
}

dc_error_class store_pg_migrate(store_pg *pg, dc_status *st) {
    for (int attempt = 0; attempt < 2; attempt++) {
        bool lost = false;
        if (store_pg_connect(pg, st) != DC_OK) return st->code;
        if (migrate_once(pg, st, &lost) == DC_OK) return DC_OK;
        if (!lost) return st->code;
        if (store_pg_reconnect(pg, st) != DC_OK) return st->code;
    }
    return st->code;
}
