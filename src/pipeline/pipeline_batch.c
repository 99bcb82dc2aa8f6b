/* Many claims on one model: the claims' preparation on one thread, the model on this one.
 *
 * A claim is a run (pipeline.c): run_begin probes, mines and samples each window the VLM looks
 * at; the windows are jobs of one dc_vlm_batch (continuous batching: a claim that ends frees
 * its place and the next joins at once); run_finish picks the answer and decides. The preparer
 * thread keeps at most `batch` prepared claims waiting (their frames are the memory that
 * grows), so the model never waits for media work while claims remain, and media work never
 * runs far ahead of the model. Everything the engine does stays on this thread. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/engine.h"
#include "dashclaim/files.h"
#include "pipeline_internal.h"

typedef struct {
    claim_run run;
    dc_claim_result result;
    dc_pipeline_claim claim; /* as the stream gave it */
    int pending;             /* windows submitted to the batch and not yet collected */
    double submitted;        /* when its windows were submitted (their engine time runs from it) */
} batch_claim;

typedef struct {
    dc_pipeline_next_fn next;
    void *ctx;
    int capacity;
    /* prepared claims, in order; guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    batch_claim **ready;            /* NULL: out of memory preparing the claim in ready_claim */
    dc_pipeline_claim *ready_claim; /* each ready place's claim as given */
    int head, count;
    bool ended; /* next() said no claim will come, and every claim it gave is in ready */
} batch_queue;

/* A claim that could not even be set up (out of memory): still recorded. */
static void record_lost(const dc_pipeline_claim *claim, dc_pipeline_claim_done_fn done, void *ctx) {
    dc_claim_result *r = calloc(1, sizeof *r);
    if (!r) return; /* nothing left to record it with */
    dc_assessment_init(&r->assessment);
    const dc_claim_input *in = claim->input;
    snprintf(r->assessment.video.path, sizeof r->assessment.video.path, "%s",
             in && in->count ? in->videos[0].path : "");
    const char *id = claim->claim_id ? claim->claim_id : dc_path_base(r->assessment.video.path);
    size_t len = strnlen(id, sizeof r->assessment.claim_id - 1);
    memcpy(r->assessment.claim_id, id, len);
    r->assessment.claim_id[len] = 0;
    dc_status st;
    dc_fail(&st, DC_ERR_RESOURCE, "out of memory preparing the claim");
    dc_assessment_fail(&r->assessment, &st);
    dc_claim_decide(&r->assessment, claim->opts->metadata, claim->opts->calibration);
    done(ctx, claim, r);
    dc_claim_result_free(r);
    free(r);
}

static void *prepare_claims(void *arg) {
    batch_queue *q = arg;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (q->count >= q->capacity) pthread_cond_wait(&q->changed, &q->lock);
        pthread_mutex_unlock(&q->lock);
        dc_pipeline_claim claim = {0};
        if (!q->next(q->ctx, &claim)) break;
        batch_claim *c = calloc(1, sizeof *c);
        if (c) {
            c->claim = claim;
            run_begin(&c->run, claim.input, claim.claim_id, claim.opts, &c->result);
        }
        pthread_mutex_lock(&q->lock);
        /* NULL (out of memory) is passed on too: the model's thread records the claim, as
         * done() is called on that thread only */
        int place = (q->head + q->count) % q->capacity;
        q->ready[place] = c;
        q->ready_claim[place] = claim;
        q->count++;
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->lock);
    }
    pthread_mutex_lock(&q->lock);
    q->ended = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* Takes the next prepared claim (*c NULL: its preparation ran out of memory; *claim is the
 * claim as given); waits for one when `wait` (and one may still come). Returns false when none
 * was ready; *ended says no claim will come any more. */
static bool take_prepared(batch_queue *q, bool wait, batch_claim **c, dc_pipeline_claim *claim,
                          bool *ended) {
    pthread_mutex_lock(&q->lock);
    while (wait && q->count == 0 && !q->ended) pthread_cond_wait(&q->changed, &q->lock);
    bool took = q->count > 0;
    if (took) {
        *c = q->ready[q->head];
        *claim = q->ready_claim[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        pthread_cond_broadcast(&q->changed);
    }
    *ended = q->ended && q->count == 0;
    pthread_mutex_unlock(&q->lock);
    return took;
}

static void finish_claim(batch_claim *c, dc_pipeline_claim_done_fn done, void *ctx) {
    run_finish(&c->run);
    done(ctx, &c->claim, &c->result);
    dc_claim_result_free(&c->result);
    free(c);
}

static void one_after_another(batch_claim *c, dc_pipeline_claim_done_fn done, void *ctx) {
    if (c->run.vlm_pending)
        for (int w = 0; w < c->run.window_count; w++)
            if (!run_engine(&c->run, w)) break;
    finish_claim(c, done, ctx);
}

/* Submits the claim's sampled windows; false when the batch refused one (the claim then runs
 * alone). */
static bool submit_claim(dc_vlm_batch *b, batch_claim *c) {
    c->submitted = dc_now();
    for (int w = 0; w < c->run.window_count; w++) {
        run_window *rw = &c->run.windows[w];
        if (!rw->sampled) continue;
        dc_vlm_job job = {.frames = &rw->frames,
                          .ctx = &rw->ctx,
                          .deadline = c->run.dl,
                          .out = &rw->trial,
                          .user = rw};
        dc_status st = DC_STATUS_OK;
        if (dc_vlm_batch_submit(b, &job, &st) != DC_OK) return c->pending == 0 ? false : true;
        c->pending++;
    }
    return true;
}

/* No thread or no memory for one: each claim alone, in the order given. */
static void stream_alone(dc_pipeline_next_fn next, dc_pipeline_claim_done_fn done, void *ctx) {
    dc_pipeline_claim claim = {0};
    while (next(ctx, &claim)) {
        dc_claim_result *r = calloc(1, sizeof *r);
        if (!r) {
            record_lost(&claim, done, ctx);
            continue;
        }
        dc_pipeline_assess_claim(claim.input, claim.claim_id, claim.opts, r);
        done(ctx, &claim, r);
        dc_claim_result_free(r);
        free(r);
        memset(&claim, 0, sizeof claim);
    }
}

/* Collects the windows the last step ended; a claim whose windows are all back finishes. */
static void collect_done(dc_vlm_batch *b, batch_claim **flight, int slots, int *in_flight,
                         dc_pipeline_claim_done_fn done, void *ctx) {
    dc_vlm_done d[16];
    int got;
    while ((got = dc_vlm_batch_collect(b, d, 16)) > 0) {
        for (int k = 0; k < got; k++) {
            run_window *rw = d[k].user;
            batch_claim *c = NULL;
            int slot = -1;
            for (int f = 0; f < slots && !c; f++)
                if (flight[f] && rw >= flight[f]->run.windows &&
                    rw < flight[f]->run.windows + RUN_MAX_WINDOWS)
                    c = flight[f], slot = f;
            free(d[k].output);
            if (!c) continue;
            int w = (int)(rw - c->run.windows);
            run_engine_done(&c->run, w, d[k].code, &d[k].status, d[k].stats.prompt_tokens,
                            (dc_now() - c->submitted) * 1000.0);
            if (rw->trial.engine.batch < d[k].stats.batch_peak)
                rw->trial.engine.batch = d[k].stats.batch_peak;
            if (--c->pending == 0) {
                flight[slot] = NULL;
                (*in_flight)--;
                finish_claim(c, done, ctx);
            }
        }
    }
}

void dc_pipeline_assess_stream(dc_vlm *vlm, int batch, dc_pipeline_next_fn next,
                               dc_pipeline_claim_done_fn done, void *ctx) {
    dc_status st = DC_STATUS_OK;
    dc_vlm_batch *b = vlm && batch > 1 ? dc_vlm_batch_open(vlm, batch, &st) : NULL;
    batch_queue q = {.next = next, .ctx = ctx, .capacity = batch > 1 ? batch : 1};
    int slots = q.capacity; /* one claim a slot: a claim's windows share its slot */
    q.ready = calloc((size_t)q.capacity, sizeof *q.ready);
    q.ready_claim = calloc((size_t)q.capacity, sizeof *q.ready_claim);
    batch_claim **flight = calloc((size_t)slots, sizeof *flight);
    pthread_t preparer;
    bool threaded = false;
    if (q.ready && q.ready_claim && flight && pthread_mutex_init(&q.lock, NULL) == 0) {
        if (pthread_cond_init(&q.changed, NULL) == 0)
            threaded = pthread_create(&preparer, NULL, prepare_claims, &q) == 0;
        if (!threaded) pthread_mutex_destroy(&q.lock);
    }
    if (!threaded) {
        stream_alone(next, done, ctx);
        goto out;
    }
    int in_flight = 0; /* claims whose windows are in the batch */
    bool ended = false;
    for (;;) {
        /* new claims join while there is room: continuous admission */
        while (!ended && in_flight < slots) {
            batch_claim *c = NULL;
            dc_pipeline_claim claim;
            if (!take_prepared(&q, in_flight == 0, &c, &claim, &ended)) break;
            if (!c) {
                record_lost(&claim, done, ctx);
            } else if (!c->run.vlm_pending) {
                finish_claim(c, done, ctx);
            } else if (!b || c->claim.opts->vlm != vlm || !submit_claim(b, c)) {
                one_after_another(c, done, ctx);
            } else {
                for (int k = 0; k < slots; k++)
                    if (!flight[k]) {
                        flight[k] = c;
                        break;
                    }
                in_flight++;
            }
        }
        if (in_flight == 0) {
            if (ended) break;
            continue;
        }
        dc_vlm_batch_step(b);
        collect_done(b, flight, slots, &in_flight, done, ctx);
    }
    pthread_join(preparer, NULL);
    pthread_cond_destroy(&q.changed);
    pthread_mutex_destroy(&q.lock);
out:
    if (b) dc_vlm_batch_close(b);
    free(flight);
    free(q.ready_claim);
    free(q.ready);
}

/* dc_pipeline_assess_batch: a stream over the caller's arrays. */
typedef struct {
    const dc_claim_input *const *inputs;
    const char *const *claim_ids;
    int n, given;
    const dc_pipeline_options *opts;
    dc_pipeline_done_fn done;
    void *done_ctx;
} array_stream;

static bool array_next(void *ctx, dc_pipeline_claim *claim) {
    array_stream *a = ctx;
    if (a->given >= a->n) return false;
    int i = a->given++;
    claim->input = a->inputs[i];
    claim->claim_id = a->claim_ids ? a->claim_ids[i] : NULL;
    claim->opts = a->opts;
    claim->user = (void *)(intptr_t)i;
    return true;
}

static void array_done(void *ctx, const dc_pipeline_claim *claim, dc_claim_result *result) {
    array_stream *a = ctx;
    if (a->done) a->done(a->done_ctx, (int)(intptr_t)claim->user, result);
}

void dc_pipeline_assess_batch(const dc_claim_input *const *inputs, const char *const *claim_ids,
                              int n, const dc_pipeline_options *opts, int batch,
                              dc_pipeline_done_fn done, void *done_ctx) {
    array_stream a = {.inputs = inputs,
                      .claim_ids = claim_ids,
                      .n = n,
                      .opts = opts,
                      .done = done,
                      .done_ctx = done_ctx};
    dc_pipeline_assess_stream(n > 1 ? opts->vlm : NULL, batch, array_next, array_done, &a);
}
