/* PostgreSQL backend: opening a store and its store_ops table.
 *
 * Opening connects (waiting out a server that is still starting, with backoff), brings the
 * schema up to date under an advisory lock (store_pg_schema.c), and removes the large objects of
 * uploads that died more than a day ago. Everything a worker needs then comes through this one
 * connection: the queue, the claims, and the video bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_internal.h"

static void pg_close(void *self) {
    store_pg *pg = self;
    if (!pg) return;
    store_pg_close(pg);
    free(pg);
}

static const store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .video_sink_open = store_pg_video_sink_open,
    .video_sink_write = store_pg_video_sink_write,
    .video_sink_commit = store_pg_video_sink_commit,
    .video_sink_abort = store_pg_video_sink_abort,
    .video_source_open = store_pg_video_source_open,
    .video_source_read = store_pg_video_source_read,
    .video_source_close = store_pg_video_source_close,
    .video_local_path = NULL, /* no files: store.c copies and checks the bytes */
    .claim_insert = store_pg_claim_insert,
    .claim_video_add = store_pg_claim_video_add,
    .claim_submit = store_pg_claim_submit,
    .claim_videos = store_pg_claim_videos,
    .claim_get = store_pg_claim_get,
    .claims_list = store_pg_claims_list,
    .claim_counts = store_pg_claim_counts,
    .job_claim = store_pg_job_claim,
    .job_heartbeat = store_pg_job_heartbeat,
    .job_complete = store_pg_job_complete,
    .job_fail = store_pg_job_fail,
    .job_release = store_pg_job_release,
    .jobs_rescue = store_pg_jobs_rescue,
    .job_wait = store_pg_job_wait,
    .assessment_get = store_pg_assessment_get,
    .artifact_get = store_pg_artifact_get,
    .review_add = store_pg_review_add,
    .audit_append = store_pg_audit_append,
    .audit_list = store_pg_audit_list,
    .read_snapshot = store_pg_read_snapshot,
    .key_insert = store_pg_key_insert,
    .key_get = store_pg_key_get,
    .key_list = store_pg_key_list,
    .key_revoke = store_pg_key_revoke,
    .session_insert = store_pg_session_insert,
    .session_get = store_pg_session_get,
    .session_revoke = store_pg_session_revoke,
    .video_discard = store_pg_video_discard,
};

dc_error_class store_pg_open(const char *url, const dc_store_options *o, const store_ops **ops,
                             void **self, dc_status *st) {
    store_pg *pg = calloc(1, sizeof *pg);
    if (!pg) return dc_fail(st, DC_ERR_RESOURCE, "store: out of memory");
    if (strlen(url) >= sizeof pg->url) {
        free(pg);
        return dc_fail(st, DC_ERR_INPUT, "store: database URL too long");
    }
    store_pg_init(pg, url);
    pg->opts = *o;
    /* Opening waits as long as a busy database is waited on elsewhere, at least 10 s: a server
     * that is restarting answers "the database system is starting up" for a few seconds. */
    double open_wait = o->busy_timeout_ms / 1000.0;
    pg->reconnect_s = open_wait > 10 ? open_wait : 10;
    dc_error_class rc = store_pg_connect(pg, st);
    if (rc == DC_OK && o->read_only) {
        /* audit verify and friends: nothing created, but a database without our schema is an
         * error, as for SQLite. */
        PGresult *r =
            store_pg_exec(pg, "SELECT to_regclass('public.schema_migrations')", 0, NULL, st, NULL);
        if (!r) rc = st->code;
        else {
            if (PQgetisnull(r, 0, 0))
                rc = dc_fail(st, DC_ERR_INPUT, "store: %s holds no dashclaim store", pg->url_safe);
            PQclear(r);
        }
    } else if (rc == DC_OK) {
        rc = store_pg_migrate(pg, st);
        if (rc == DC_OK && store_pg_video_collect(pg, 86400, st) < 0) rc = st->code;
    }
    if (rc != DC_OK) {
        pg_close(pg);
        return rc;
    }
    /* After opening, an operation that finds the server gone keeps trying for two minutes: a
     * restart or failover takes seconds to a minute, and a worker should ride it out. */
    pg->reconnect_s = 120;
    *ops = &pg_ops;
    *self = pg;
    return DC_OK;
}
