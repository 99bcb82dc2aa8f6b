/* The workers' inside, shared by the one-job loop (worker.c) and the batch loop
 * (worker_batch.c): the pool and thread state, the jobs a thread holds (each renewed by its
 * heartbeat under its own attempt, the fence), and the stages of one claim's run. */
#ifndef DASHCLAIM_SERVE_WORKER_INTERNAL_H
#define DASHCLAIM_SERVE_WORKER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "dashclaim/claim.h"
#include "dashclaim/pipeline.h"
#include "dashclaim/serve.h"
#include "dashclaim/store.h"
#include "dashclaim/str.h"

typedef struct worker worker;

struct dc_workers {
    dc_worker_options o;
    char name[DC_STORE_NAME_LEN];
    char scratch[1024];
    int count;
    worker *threads;
    atomic_bool stop;
    atomic_int running; /* threads not yet ended */
    atomic_llong jobs_started;
    pthread_mutex_t lock; /* guards stats and the stop condition */
    pthread_cond_t wake;
    dc_workers_stats stats;
};

/* A job the thread holds: leased and not yet ended. The heartbeat renews each active one with
 * its own attempt; stop releases each and marks it abandoned so that its run writes nothing. */
typedef struct {
    dc_store_job job;
    bool active;
    bool lost;      /* a heartbeat found the attempt no longer holds the job */
    bool abandoned; /* stop gave up waiting and released it */
} held_job;

struct worker {
    dc_workers *pool;
    int index;
    char id[DC_STORE_NAME_LEN];
    pthread_t thread, beat_thread;
    bool started, beat_started;
    /* store: leases (one-job loop) and ends jobs; beat_store: the heartbeats, so that a long
     * claim never waits on a busy connection for its lease; lease_store (batch only): the
     * batch's preparer thread leases and fetches on it while this thread ends other jobs */
    dc_store *store, *beat_store, *lease_store;
    dc_vlm *vlm;
    /* the jobs held (guarded by beat_lock): 1 place for the one-job loop, 2 x batch + 1 for a
     * batch (the pipeline's stream gives at most 2 x batch claims not yet done) */
    pthread_mutex_t beat_lock;
    pthread_cond_t beat_wake;
    bool beat_exit;
    held_job *held;
    int held_cap, held_count;
    atomic_bool busy; /* holds at least one job */
    bool can_wait;    /* the store may support dc_store_job_wait */
};

/* One claim runs through four stages (worker.c); the run carries what they made:
 *   fetch   the videos as local files (the store's own files, or scratch copies)
 *   assess  the pipeline's record, with every server path in it replaced by the video's name
 *   render  what is stored: the record's JSON, the claim page, the evidence frames as JPEG
 *   finish  the one store call that ends the attempt (complete or fail), and its counters
 * A stage that cannot go on sets the run's failure (class and a message for the uploader) and
 * the later stages are skipped up to finish, which writes it. */
typedef struct {
    worker *w;
    const dc_store_job *job;
    dc_store *store; /* the connection this run's store calls use (its thread's) */
    int slot;        /* its place in w->held (-1: none) */
    double t0;
    /* the claim's videos as the pipeline reads them (in->videos[i].path: the store's own file
     * or a scratch copy), with the roles, segments and hashes the store has */
    dc_claim_input *in;
    bool temporary[DC_MAX_CLAIM_VIDEOS];     /* video i was fetched as a scratch copy: unlinked */
    char fetched[DC_MAX_CLAIM_VIDEOS][1024]; /* where video i was fetched */
    char layout_dir[1024];                   /* the named links of lay_out, "" = none */
    bool linked[DC_MAX_CLAIM_VIDEOS];
    char names[DC_MAX_CLAIM_VIDEOS][32]; /* how messages name each video: "video 3fa9c1d2…" */
    char name[32];                       /* how messages name the claim's first video */
    dc_claim_result *r;
    char *json;
    dc_str html;
    uint8_t **jpegs;
    size_t *jpeg_lens;
    int nframes;
    /* set when there is no record to complete with: finish calls dc_store_job_fail */
    bool failed;
    dc_error_class fail_class;
    char fail_message[512];
} claim_run;

/* Sets up a run of job on store (t0 now, the messages' name of the video, no slot yet). */
void worker_run_init(claim_run *run, worker *w, const dc_store_job *job, dc_store *store);
bool worker_fetch(claim_run *run);
/* The pipeline's options for the run's claim; meta receives the claim's metadata, which po
 * points to (both must outlive the pipeline's use of them). */
void worker_claim_options(claim_run *run, dc_claim_metadata *meta, dc_pipeline_options *po);
/* After the pipeline made run->r: the claim's fingerprints kept for the claims after it, and
 * every server path in the record replaced by the video's name. */
void worker_claim_recorded(claim_run *run);
bool worker_render(claim_run *run);
void worker_finish(claim_run *run);
void worker_run_free(claim_run *run);

/* Leases the next job on store for this thread, waiting (polling, or the store's wake-ups) while
 * the queue is empty. False when the thread should end: stop was asked, or max_jobs reached (a
 * job leased past it is released). */
bool worker_lease(worker *w, dc_store *store, dc_store_job *job);
/* The heartbeat renews job from now on; returns its place in w->held, -1 when none is free. */
int worker_hold(worker *w, const dc_store_job *job);
/* The heartbeat stops renewing the job at place slot (-1: nothing). */
void worker_drop(worker *w, int slot);
/* Gives a job back without running it; true when the store took it back. */
bool worker_release(worker *w, dc_store *store, const dc_store_job *job);

/* The batch loop (worker_batch.c): the thread's claims through dc_pipeline_assess_stream, up
 * to o.batch in the model at once, until worker_lease says to end. */
void worker_run_batch(worker *w);

#endif
