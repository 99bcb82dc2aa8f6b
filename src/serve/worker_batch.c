/* A worker thread with --batch N: its claims share the one model (dc_pipeline_assess_stream).
 *
 * The stream asks for the next claim on its preparer thread whenever a prepared place is free:
 * next() leases a job (on the thread's third store connection, so that it never waits for the
 * completions this thread writes), fetches and lays out its videos, and from then on the
 * heartbeat renews that job too. The stream probes, mines and samples it there while this
 * thread steps the model for up to N claims at once; when a claim ends, done() renders it and
 * ends its job under its own attempt, as the one-job loop does (worker.c). So a thread holds up
 * to 2 x N jobs (N prepared, N in the model), each with its own lease, heartbeat and fence: a
 * process killed holding them loses none (their leases pass and they are queued again), and an
 * attempt that lost its lease writes nothing (the store refuses it).
 *
 * A stop makes next() say no more claims: the claims held run to their end within the stop's
 * grace, after which dc_workers_stop releases every job still held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker_internal.h"

/* A job of the stream, from its lease to its end. */
typedef struct {
    dc_store_job job;
    claim_run run;
    dc_claim_metadata meta;
    dc_pipeline_options opts;
} batch_job;

/* The job's run ends here: its job ended in the store (or left to its lease), the heartbeat
 * stops renewing it, its files and memory freed. */
static void job_end(batch_job *b) {
    worker_finish(&b->run);
    worker_drop(b->run.w, b->run.slot);
    worker_run_free(&b->run);
    free(b);
}

static bool batch_next(void *ctx, dc_pipeline_claim *claim) {
    worker *w = ctx;
    for (;;) {
        dc_store_job job;
        if (!worker_lease(w, w->lease_store, &job)) return false;
        batch_job *b = calloc(1, sizeof *b);
        if (!b) { /* out of memory: the job goes back to the queue; the stream ends (the
                   * claims held finish) and with it this thread */
            worker_release(w, w->lease_store, &job);
            return false;
        }
        b->job = job;
        worker_run_init(&b->run, w, &b->job, w->lease_store);
        if ((b->run.slot = worker_hold(w, &b->job)) < 0) {
            /* (cannot happen: the stream holds at most 2 x batch claims, and there are
             * 2 x batch + 1 places) */
            worker_release(w, w->lease_store, &b->job);
            worker_run_free(&b->run);
            free(b);
            return false;
        }
        if (!worker_fetch(&b->run)) { /* failed here, on this thread's connection */
            job_end(b);
            continue;
        }
        worker_claim_options(&b->run, &b->meta, &b->opts);
        claim->input = b->run.in;
        claim->claim_id = b->job.claim_id;
        claim->opts = &b->opts;
        claim->user = b;
        return true;
    }
}

static void batch_done(void *ctx, const dc_pipeline_claim *claim, dc_claim_result *result) {
    worker *w = ctx;
    batch_job *b = claim->user;
    b->run.store = w->store; /* ended on this thread's connection */
    b->run.r = result;
    worker_claim_recorded(&b->run);
    worker_render(&b->run);
    worker_finish(&b->run);
    b->run.r = NULL; /* the stream's: freed when this returns */
    worker_drop(w, b->run.slot);
    worker_run_free(&b->run);
    free(b);
}

void worker_run_batch(worker *w) {
    dc_pipeline_assess_stream(w->vlm, w->pool->o.batch, batch_next, batch_done, w);
}
