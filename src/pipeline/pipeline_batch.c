/* Many claims on one model: the claims' preparation on one thread, the model on this one.
 *
 * A claim is a run (pipeline.c): run_begin probes, mines and samples each window the VLM looks
 * at; the windows are jobs of one dc_vlm_batch (continuous batching: a claim that ends frees
 * its place and the next joins at once); run_finish picks the answer and decides. The preparer
 * thread keeps at most `batch` prepared claims waiting (their frames are the memory that
 * grows), so the model never waits for media work while claims remain, and media work never
 * runs far ahead of the model. Everything the engine does stays on this thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/engine.h"
#include "dashclaim/files.h"
#include "pipeline_internal.h"

typedef struct {
    claim_run run;
    dc_claim_result result;
    int index;
    int pending;      /* windows submitted to the batch and not yet collected */
    double submitted; /* when its windows were submitted (their engine time runs from it) */
} batch_claim;

typedef struct {
    const dc_claim_input *const *inputs;
    const char *const *claim_ids;
    int n;
    const dc_pipeline_options *opts;
    int capacity;
    /* prepared claims, in order; guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    batch_claim **ready;
    int head, count, prepared;
    bool stop;
} batch_queue;

static void *prepare_claims(void *arg) {
    batch_queue *q = arg;
    for (int i = 0; i < q->n; i++) {
        pthread_mutex_lock(&q->lock);
        while (q->count >= q->capacity && !q->stop) pthread_cond_wait(&q->changed, &q->lock);
        bool stop = q->stop;
        pthread_mutex_unlock(&q->lock);
        if (stop) break;
        batch_claim *c = calloc(1, sizeof *c);
        if (c) {
            c->index = i;
            run_begin(&c->run, q->inputs[i], q->claim_ids ? q->claim_ids[i] : NULL, q->opts,
                      &c->result);
        }
        pthread_mutex_lock(&q->lock);
        /* NULL (out of memory) is passed on too: the model's thread records the claim */
        q->ready[(q->head + q->count) % q->capacity] = c;
        q->count++;
        q->prepared = i + 1;
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->lock);
    }
    pthread_mutex_lock(&q->lock);
    q->prepared = q->n;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* Takes the next prepared claim; waits for one when `wait` (and one may still come). *index
 * gets the claim's index; returns NULL when none is ready (or, with *index >= 0, a claim whose
 * preparation ran out of memory). */
static batch_claim *take_prepared(batch_queue *q, bool wait, int next, int *index) {
    pthread_mutex_lock(&q->lock);
    while (wait && q->count == 0 && q->prepared < q->n) pthread_cond_wait(&q->changed, &q->lock);
    batch_claim *c = NULL;
    *index = -1;
    if (q->count > 0) {
        c = q->ready[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        *index = next;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return c;
}

static void finish_claim(batch_claim *c, dc_pipeline_done_fn done, void *done_ctx) {
    run_finish(&c->run);
    if (done) done(done_ctx, c->index, &c->result);
    dc_claim_result_free(&c->result);
    free(c);
}

/* A claim that could not even be set up (out of memory): still recorded. */
static void record_lost(const batch_queue *q, int i, dc_pipeline_done_fn done, void *done_ctx) {
    dc_claim_result *r = calloc(1, sizeof *r);
    if (!r) return; /* nothing left to record it with */
    dc_assessment_init(&r->assessment);
    const dc_claim_input *in = q->inputs[i];
    snprintf(r->assessment.video.path, sizeof r->assessment.video.path, "%s",
             in && in->count ? in->videos[0].path : "");
    const char *id =
        q->claim_ids && q->claim_ids[i] ? q->claim_ids[i] : dc_path_base(r->assessment.video.path);
    size_t len = strnlen(id, sizeof r->assessment.claim_id - 1);
    memcpy(r->assessment.claim_id, id, len);
    r->assessment.claim_id[len] = 0;
    dc_status st;
    dc_fail(&st, DC_ERR_RESOURCE, "out of memory preparing the claim");
    dc_assessment_fail(&r->assessment, &st);
    dc_claim_decide(&r->assessment, q->opts->metadata, q->opts->calibration);
    if (done) done(done_ctx, i, r);
    dc_claim_result_free(r);
    free(r);
}

static void one_after_another(batch_claim *c, dc_pipeline_done_fn done, void *done_ctx) {
    if (c->run.vlm_pending)
        for (int w = 0; w < c->run.window_count; w++)
            if (!run_engine(&c->run, w)) break;
    finish_claim(c, done, done_ctx);
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

void dc_pipeline_assess_batch(const dc_claim_input *const *inputs, const char *const *claim_ids,
                              int n, const dc_pipeline_options *opts, int batch,
                              dc_pipeline_done_fn done, void *done_ctx) {
    dc_status st = DC_STATUS_OK;
    dc_vlm_batch *b =
        opts->vlm && batch > 1 && n > 1 ? dc_vlm_batch_open(opts->vlm, batch, &st) : NULL;
    batch_queue q = {.inputs = inputs,
                     .claim_ids = claim_ids,
                     .n = n,
                     .opts = opts,
                     .capacity = batch > 1 ? batch : 1};
    q.ready = calloc((size_t)q.capacity, sizeof *q.ready);
    batch_claim **flight = calloc((size_t)q.capacity * RUN_MAX_WINDOWS, sizeof *flight);
    pthread_t preparer;
    bool threaded = false;
    if (q.ready && flight && pthread_mutex_init(&q.lock, NULL) == 0) {
        if (pthread_cond_init(&q.changed, NULL) == 0)
            threaded = pthread_create(&preparer, NULL, prepare_claims, &q) == 0;
        if (!threaded) pthread_mutex_destroy(&q.lock);
    }
    if (!threaded) { /* no thread or no memory for one: each claim alone, in order */
        for (int i = 0; i < n; i++) {
            dc_claim_result *r = calloc(1, sizeof *r);
            if (!r) {
                record_lost(&q, i, done, done_ctx);
                continue;
            }
            dc_pipeline_assess_claim(inputs[i], claim_ids ? claim_ids[i] : NULL, opts, r);
            if (done) done(done_ctx, i, r);
            dc_claim_result_free(r);
            free(r);
        }
        goto out;
    }
    int taken = 0, in_flight = 0; /* claims whose windows are in the batch */
    for (;;) {
        /* new claims join while there is room: continuous admission */
        while (taken < n && in_flight < q.capacity) {
            int index;
            batch_claim *c = take_prepared(&q, in_flight == 0, taken, &index);
            if (index < 0) break;
            taken++;
            if (!c) {
                record_lost(&q, index, done, done_ctx);
                continue;
            }
            if (!c->run.vlm_pending) {
                finish_claim(c, done, done_ctx);
            } else if (!b || !submit_claim(b, c)) {
                one_after_another(c, done, done_ctx);
            } else {
                for (int k = 0; k < q.capacity * RUN_MAX_WINDOWS; k++)
                    if (!flight[k]) {
                        flight[k] = c;
                        break;
                    }
                in_flight++;
            }
        }
        if (in_flight == 0) {
            if (taken >= n) break;
            continue;
        }
        dc_vlm_batch_step(b);
        dc_vlm_done d[16];
        int got;
        while ((got = dc_vlm_batch_collect(b, d, 16)) > 0) {
            for (int k = 0; k < got; k++) {
                run_window *rw = d[k].user;
                batch_claim *c = NULL;
                int slot = -1;
                for (int f = 0; f < q.capacity * RUN_MAX_WINDOWS && !c; f++)
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
                    in_flight--;
                    finish_claim(c, done, done_ctx);
                }
            }
        }
    }
    pthread_join(preparer, NULL);
    pthread_cond_destroy(&q.changed);
    pthread_mutex_destroy(&q.lock);
out:
    if (b) dc_vlm_batch_close(b);
    free(flight);
    free(q.ready);
}
