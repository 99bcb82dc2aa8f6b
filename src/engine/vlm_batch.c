/* Several claims in one context: continuous batching (use and guarantees in engine.h).
 *
 * Each claim in flight holds a slot: its own sequence (slot k: VLM_SEQ_CLAIM + k, so that
 * the claims' streams follow each other), its vlm_claim (frames, prompt chunks, embeddings) and
 * its generator (grammar and sampler). A step admits waiting claims, gives the oldest claim
 * still reading its prompt one chunk, and decodes the next token of every generating claim,
 * in llama_decode calls of at most the placement's decode_rows (vlm_batch_rows.c).
 *
 * Every piece of a claim's work runs the functions a claim alone runs (vlm_assess.c,
 * vlm_generate.c), on the engine's per-claim fields: the slot's fields are swapped into the
 * engine before the piece and out after it (enter / leave), so stats, output, deadline and
 * the abort flag are the claim's own while its work runs.
 *
 * Why a claim's prompt is never decoded in the same llama_decode as other claims' tokens:
 * ggml's CPU kernels choose their method by the number of rows in a batch (see
 * src/engine/README.md), so a prefill chunk sharing a batch would compute its cells with other
 * rounding than the claim alone, and an image chunk is embeddings, which a token batch cannot
 * carry anyway. The chunk is decoded in the batches it has alone, between decode steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlm_internal.h"

typedef enum {
    SLOT_FREE = 0,
    SLOT_READY,    /* being prepared (frames, prompt, tokens) */
    SLOT_PREFILL,  /* reading its prompt, a chunk per step */
    SLOT_GENERATE, /* a token per decode step */
} slot_phase;

typedef struct {
    slot_phase phase;
    dc_vlm_job job;
    double submitted;
    vlm_claim c;
    vlm_gen g;
    bool gen_live; /* g holds samplers */
    unsigned order;
    dc_status st;
    vlm_step picked; /* this step's pick */
} slot;

typedef struct {
    dc_vlm_job job;
    double submitted;
} waiting;

struct dc_vlm_batch {
    dc_vlm *e;
    int max_claims;
    slot *slots;
    waiting *queue;
    int q_head, q_len, q_cap;
    dc_vlm_done *done;
    int n_done, done_cap;
    llama_token *toks;
    llama_pos *pos;
    llama_seq_id *seqs;
    int *who;
    unsigned admitted;
    int step_retries;
    double step_backoff;
    /* decode steps by how many claims shared them: count and milliseconds (llama_decode and
     * every claim's pick), index = width */
    int *width_steps;
    double *width_ms;
    char fallback_reason[sizeof(((dc_status *)0)->message)];
    bool fallback;
};

/* ---- a slot's fields in and out of the engine ------------------------------------------ */

static void swap_fields(dc_vlm *e, vlm_claim_fields *f) {
    vlm_claim_fields t = {e->stats,    e->output,  e->prompt,      e->answer_at,
                          e->deadline, e->aborted, e->claim_serial};
    e->stats = f->stats;
    e->output = f->output;
    e->prompt = f->prompt;
    e->answer_at = f->answer_at;
    e->deadline = f->deadline;
    e->aborted = f->aborted;
    e->claim_serial = f->claim_serial;
    *f = t;
}
/* enter and leave are the same exchange; named for what they mean where they are called */
static void enter(dc_vlm *e, slot *s) { swap_fields(e, &s->c.saved); }
static void leave(dc_vlm *e, slot *s) { swap_fields(e, &s->c.saved); }

static llama_seq_id slot_seq(int k) { return (llama_seq_id)(VLM_SEQ_CLAIM + k); }

static bool in_flight(const slot *s) {
    return s->phase == SLOT_PREFILL || s->phase == SLOT_GENERATE;
}

static int running(const dc_vlm_batch *b) {
    int n = 0;
    for (int k = 0; k < b->max_claims; k++) n += in_flight(&b->slots[k]);
    return n;
}

int dc_vlm_batch_running(const dc_vlm_batch *b) { return running(b); }

/* ---- ending a claim ------------------------------------------------------------------------ */

static void end_gen(dc_vlm *e, slot *s) {
    if (s->gen_live) {
        s->c.sev = s->g.sev; /* the severity read at the answer's first token */
        vlm_gen_end(e, &s->g);
    }
    s->gen_live = false;
}

static bool push_done(dc_vlm_batch *b, const dc_vlm_done *d) {
    if (b->n_done == b->done_cap) {
        int cap = b->done_cap ? 2 * b->done_cap : 16;
        dc_vlm_done *n = realloc(b->done, (size_t)cap * sizeof(*n));
        if (!n) return false;
        b->done = n;
        b->done_cap = cap;
    }
    b->done[b->n_done++] = *d;
    return true;
}

/* The entered claim ends (answer parsed when its status is OK): its record is final, its cells
 * and its place are free. */
static void finish(dc_vlm_batch *b, slot *s) {
    dc_vlm *e = b->e;
    end_gen(e, s);
    vlm_claim_finish(e, &s->c, &s->st);
    dc_vlm_done d = {.user = s->job.user,
                     .out = s->job.out,
                     .code = s->st.code,
                     .status = s->st,
                     .stats = e->stats,
                     .output = strdup(dc_str_text(&e->output))};
    dc_str_free(&e->output);
    dc_str_free(&e->prompt);
    if (!push_done(b, &d)) free(d.output); /* the record is filled all the same */
    s->phase = SLOT_FREE;
}

/* The entered claim failed with `step`: retried from the cached prefix (after the backoff) or
 * ended, as a claim alone would be. True when it was a device failure that moves the batch to
 * the CPU (the claim stays in flight for fallback_all). */
static bool recover(dc_vlm_batch *b, slot *s, vlm_step step) {
    dc_vlm *e = b->e;
    end_gen(e, s);
    for (;;) {
        vlm_next next = vlm_recovery_next(e, step, &s->c.retries_left, s->c.backoff);
        if (next == VLM_NEXT_CPU_FALLBACK) {
            if (!b->fallback)
                snprintf(b->fallback_reason, sizeof(b->fallback_reason), "%s", s->st.message);
            b->fallback = true;
            return true;
        }
        if (next == VLM_NEXT_FINISH) {
            finish(b, s);
            return false;
        }
        vlm_sleep_sec(s->c.backoff);
        s->c.backoff *= 2;
        e->stats.attempts++;
        s->st = DC_STATUS_OK;
        step = vlm_attempt_begin(e, &s->c, &s->st);
        if (step == VLM_STEP_OK) {
            if (s->phase == SLOT_GENERATE) s->phase = SLOT_PREFILL;
            return false;
        }
    }
}

/* After a device failure: the claims in flight finish one after another on a CPU-only
 * context, each from its cached embeddings and a fresh attempt, each recorded degraded. The
 * next claims admitted go back to the configured placement (vlm_use_primary). */
static void fallback_all(dc_vlm_batch *b) {
    dc_vlm *e = b->e;
    /* the samplers go before the model whose vocabulary they were made with */
    for (int k = 0; k < b->max_claims; k++) {
        slot *s = &b->slots[k];
        if (!in_flight(s)) continue;
        enter(e, s);
        end_gen(e, s);
        leave(e, s);
    }
    for (;;) {
        slot *s = NULL;
        for (int k = 0; k < b->max_claims; k++)
            if (in_flight(&b->slots[k]) && (!s || b->slots[k].order < s->order)) s = &b->slots[k];
        if (!s) break;
        enter(e, s);
        s->st = DC_STATUS_OK;
        if (vlm_cpu_fallback(e, &s->c, b->fallback_reason, &s->st) == DC_OK)
            vlm_claim_attempts(e, &s->c, &s->st);
        finish(b, s);
        leave(e, s);
    }
    b->fallback = false;
}

/* ---- admission ----------------------------------------------------------------------------- */

/* The next waiting claim into the free slot s: record header, frames, prompt, tokens. Every
 * claim fits: each has a stream of n_ctx cells (vlm_runtime.c), and vlm_attempt_begin checks
 * the claim against it as for a claim alone. */
static void prepare(dc_vlm_batch *b, slot *s, int k) {
    dc_vlm *e = b->e;
    waiting w = b->queue[b->q_head];
    b->q_head = (b->q_head + 1) % b->q_cap;
    b->q_len--;
    memset(s, 0, sizeof(*s));
    s->job = w.job;
    s->submitted = w.submitted;
    s->c.seq = slot_seq(k);
    s->phase = SLOT_READY;
    enter(e, s);
    vlm_claim_begin(e, &s->c, w.job.frames, w.job.ctx, w.job.deadline, w.job.out);
    e->stats.wait_ms = (dc_now() - w.submitted) * 1000.0;
    if (w.job.max_new_tokens > 0 && w.job.max_new_tokens < s->c.max_new)
        s->c.max_new = w.job.max_new_tokens;
    s->st = DC_STATUS_OK;
    /* after a CPU fallback the next claims try the configured placement again */
    if (!e->rt || e->rt != &e->primary) vlm_use_primary(e, &s->st);
    if (s->st.code != DC_OK || vlm_claim_prepare(e, &s->c, &s->st) != DC_OK) {
        finish(b, s);
    } else {
        e->stats.attempts++;
        vlm_step step = vlm_attempt_begin(e, &s->c, &s->st);
        if (step != VLM_STEP_OK) recover(b, s, step);
    }
    leave(e, s);
}

/* Waiting claims take the free places, in the order they were submitted. */
static void admit(dc_vlm_batch *b) {
    for (;;) {
        int k = 0;
        while (k < b->max_claims && b->slots[k].phase != SLOT_FREE) k++;
        if (k == b->max_claims || b->q_len == 0) return;
        slot *s = &b->slots[k];
        prepare(b, s, k);
        if (b->fallback) fallback_all(b);
        if (s->phase == SLOT_READY) {
            s->phase = SLOT_PREFILL;
            s->order = ++b->admitted;
        }
    }
}

/* ---- a step: one prefill chunk, one decode step ------------------------------------------- */

static void prefill_one(dc_vlm_batch *b) {
    dc_vlm *e = b->e;
    slot *s = NULL;
    for (int k = 0; k < b->max_claims; k++)
        if (b->slots[k].phase == SLOT_PREFILL && (!s || b->slots[k].order < s->order))
            s = &b->slots[k];
    if (!s) return;
    enter(e, s);
    vlm_step step = vlm_attempt_prefill(e, &s->c, &s->st);
    if (step == VLM_STEP_OK && vlm_attempt_prefilled(&s->c)) {
        s->gen_live = true;
        step = vlm_gen_begin(e, &s->g, s->c.seq, s->c.n_past, s->c.max_new, &s->st);
        if (step == VLM_STEP_OK) {
            s->phase = SLOT_GENERATE;
            if (e->stats.batch_peak < 1) e->stats.batch_peak = 1;
            if (s->g.done) finish(b, s);
        }
    }
    if (step != VLM_STEP_OK) recover(b, s, step);
    leave(e, s);
}

/* A decode call that failed for every claim in it (not retried, or retried out): each ends
 * with the call's error. */
static void fail_step(dc_vlm_batch *b, int first, int m, const dc_status *st) {
    for (int i = first; i < first + m; i++) {
        slot *s = &b->slots[b->who[i]];
        enter(b->e, s);
        s->st = *st;
        finish(b, s);
        leave(b->e, s);
    }
}

/* One llama_decode of the step's rows first .. first + m - 1 (who[], toks[], ...), and each
 * of those claims' pick from its row. false when the step goes no further: the device failed
 * (the batch falls back), a transient failure waits for the next step (the rows not decoded
 * go again then), or the call failed for its claims. */
static bool decode_rows(dc_vlm_batch *b, int first, int m, int step_rows, double *ms) {
    dc_vlm *e = b->e;
    const double t0 = dc_now();
    double latest = 0;
    bool unbounded = false;
    for (int i = first; i < first + m; i++) {
        double at = b->slots[b->who[i]].c.saved.deadline.at;
        if (at <= 0) unbounded = true;
        else if (at > latest) latest = at;
    }
    /* the engine's own fields are in place between claims: the shared decode is aborted only
     * when every claim in it is out of time; each claim's own deadline is checked before each
     * of its tokens (vlm_gen_pick) */
    e->deadline = unbounded ? (dc_deadline){0} : (dc_deadline){latest};
    e->aborted = false;
    dc_status st = DC_STATUS_OK;
    vlm_step step = vlm_decode_step(e, m, b->toks + first, b->pos + first, b->seqs + first, &st);
    if (step == VLM_STEP_DEVICE) {
        snprintf(b->fallback_reason, sizeof(b->fallback_reason), "%s", st.message);
        b->fallback = true;
        return false;
    }
    if (step == VLM_STEP_TRANSIENT && b->step_retries < e->opts.retries &&
        dc_deadline_left(e->deadline) > b->step_backoff) {
        /* the failed call left no cells (llama_decode removes a failed ubatch's); the same
         * tokens go again in the next step */
        b->step_retries++;
        vlm_sleep_sec(b->step_backoff);
        b->step_backoff *= 2;
        return false;
    }
    if (step != VLM_STEP_OK) {
        fail_step(b, first, m, &st);
        return false;
    }
    b->step_retries = 0;
    b->step_backoff = e->opts.retry_backoff_sec;
    /* every claim picks from its row's logits before any forced text (vlm_gen_force) makes
     * llama.cpp overwrite them */
    for (int i = first; i < first + m; i++) {
        slot *s = &b->slots[b->who[i]];
        enter(e, s);
        s->g.n_past++;
        e->stats.decode_tokens++;
        if (e->stats.batch_peak < step_rows) e->stats.batch_peak = step_rows;
        s->picked = vlm_gen_pick(e, &s->g, llama_get_logits_ith(e->rt->lctx, i - first), &s->st);
        leave(e, s);
    }
    *ms += (dc_now() - t0) * 1000.0;
    for (int i = first; i < first + m; i++) {
        slot *s = &b->slots[b->who[i]];
        if (s->picked != VLM_STEP_OK || !s->g.force_pending) continue;
        enter(e, s);
        s->picked = vlm_gen_force(e, &s->g, &s->st);
        leave(e, s);
    }
    for (int i = first; i < first + m; i++) {
        slot *s = &b->slots[b->who[i]];
        enter(e, s);
        if (s->picked != VLM_STEP_OK) recover(b, s, s->picked);
        else if (s->g.done) finish(b, s);
        leave(e, s);
    }
    return true;
}

/* The next token of every generating claim, in slot order (their sequences ascending), given
 * to llama_decode in calls of at most the placement's decode_rows (vlm_batch_rows.c: so that
 * each row is computed as for the claim alone). */
static void decode_step(dc_vlm_batch *b) {
    int n = 0;
    for (int k = 0; k < b->max_claims; k++) {
        slot *s = &b->slots[k];
        if (s->phase != SLOT_GENERATE || s->g.next == LLAMA_TOKEN_NULL) continue;
        b->toks[n] = s->g.next;
        b->pos[n] = s->g.n_past;
        b->seqs[n] = s->c.seq;
        b->who[n++] = k;
    }
    if (n == 0) return;
    const int rows = dc_vlm_batch_rows(b->e);
    double ms = 0;
    for (int first = 0; first < n; first += rows)
        /* a claim's recovery may have moved the batch off the device: the rest wait for the
         * fallback (dc_vlm_batch_step) */
        if (b->fallback || !decode_rows(b, first, n - first < rows ? n - first : rows, n, &ms))
            return;
    b->width_steps[n]++;
    b->width_ms[n] += ms;
}

int dc_vlm_batch_step(dc_vlm_batch *b) {
    admit(b);
    prefill_one(b);
    if (b->fallback) fallback_all(b);
    decode_step(b);
    if (b->fallback) fallback_all(b);
    int pending = b->q_len;
    for (int k = 0; k < b->max_claims; k++) pending += b->slots[k].phase != SLOT_FREE;
    return pending;
}

/* ---- the handle ---------------------------------------------------------------------------- */

dc_vlm_batch *dc_vlm_batch_open(dc_vlm *e, int max_claims, dc_status *st) {
    if (!e || max_claims < 1 || max_claims > e->opts.max_batch) {
        dc_fail(st, DC_ERR_INPUT,
                "engine: a batch of %d claims on an engine opened for at most %d (max_batch)",
                max_claims, e ? e->opts.max_batch : 0);
        return NULL;
    }
    dc_vlm_batch *b = calloc(1, sizeof(*b));
    if (!b) goto oom;
    b->e = e;
    b->max_claims = max_claims;
    b->step_backoff = e->opts.retry_backoff_sec;
    b->slots = calloc((size_t)max_claims, sizeof(*b->slots));
    b->toks = calloc((size_t)max_claims, sizeof(*b->toks));
    b->pos = calloc((size_t)max_claims, sizeof(*b->pos));
    b->seqs = calloc((size_t)max_claims, sizeof(*b->seqs));
    b->who = calloc((size_t)max_claims, sizeof(*b->who));
    b->width_steps = calloc((size_t)max_claims + 1, sizeof(*b->width_steps));
    b->width_ms = calloc((size_t)max_claims + 1, sizeof(*b->width_ms));
    if (!b->slots || !b->toks || !b->pos || !b->seqs || !b->who || !b->width_steps || !b->width_ms)
        goto oom;
    return b;
oom:
    dc_vlm_batch_close(b);
    dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for a batch of %d claims", max_claims);
    return NULL;
}

dc_error_class dc_vlm_batch_submit(dc_vlm_batch *b, const dc_vlm_job *job, dc_status *st) {
    if (!job || !job->frames || !job->out)
        return dc_fail(st, DC_ERR_INPUT, "engine: a batch job needs frames and a record");
    if (b->q_len == b->q_cap) {
        int cap = b->q_cap ? 2 * b->q_cap : 16;
        waiting *q = malloc((size_t)cap * sizeof(*q));
        if (!q) return dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory queueing a claim");
        for (int i = 0; i < b->q_len; i++) q[i] = b->queue[(b->q_head + i) % b->q_cap];
        free(b->queue);
        b->queue = q;
        b->q_head = 0;
        b->q_cap = cap;
    }
    b->queue[(b->q_head + b->q_len) % b->q_cap] = (waiting){*job, dc_now()};
    b->q_len++;
    return DC_OK;
}

int dc_vlm_batch_decode_steps(const dc_vlm_batch *b, int width, double *ms) {
    if (width < 1 || width > b->max_claims) {
        if (ms) *ms = 0;
        return 0;
    }
    if (ms) *ms = b->width_ms[width];
    return b->width_steps[width];
}

int dc_vlm_batch_collect(dc_vlm_batch *b, dc_vlm_done *done, int max) {
    int n = b->n_done < max ? b->n_done : max;
    if (n <= 0) return 0;
    memcpy(done, b->done, (size_t)n * sizeof(*done));
    memmove(b->done, b->done + n, (size_t)(b->n_done - n) * sizeof(*done));
    b->n_done -= n;
    return n;
}

void dc_vlm_batch_close(dc_vlm_batch *b) {
    if (!b) return;
    if (b->slots) {
        for (int k = 0; k < b->max_claims; k++) {
            slot *s = &b->slots[k];
            if (s->phase == SLOT_FREE) continue;
            enter(b->e, s);
            dc_fail(&s->st, DC_ERR_INTERNAL, "engine: the batch was closed before the claim ended");
            finish(b, s);
            leave(b->e, s);
        }
    }
    for (int i = 0; i < b->n_done; i++) free(b->done[i].output);
    free(b->done);
    free(b->queue);
    free(b->slots);
    free(b->toks);
    free(b->pos);
    free(b->seqs);
    free(b->who);
    free(b->width_steps);
    free(b->width_ms);
    free(b);
}

dc_error_class dc_vlm_assess_many(dc_vlm *e, const dc_vlm_job *jobs, int n, int max_claims,
                                  dc_vlm_claim_stats *stats, char **outputs, dc_status *st) {
    dc_status local = DC_STATUS_OK;
    if (!st) st = &local;
    dc_vlm_batch *b = dc_vlm_batch_open(e, max_claims, st);
    if (!b) return st->code;
    dc_error_class worst = DC_OK;
    for (int i = 0; i < n; i++) {
        dc_vlm_job j = jobs[i];
        j.user = (void *)(intptr_t)i;
        if (dc_vlm_batch_submit(b, &j, st) != DC_OK) {
            dc_vlm_batch_close(b);
            return st->code;
        }
    }
    int left = n;
    dc_vlm_done d[8];
    while (left > 0) {
        int pending = dc_vlm_batch_step(b);
        for (int got; (got = dc_vlm_batch_collect(b, d, 8)) > 0;) {
            for (int k = 0; k < got; k++) {
                int i = (int)(intptr_t)d[k].user;
                if (stats) stats[i] = d[k].stats;
                if (outputs) outputs[i] = d[k].output;
                else free(d[k].output);
                if (d[k].code != DC_OK && worst == DC_OK) {
                    worst = d[k].code;
                    *st = d[k].status;
                }
                left--;
            }
        }
        if (pending == 0) break;
    }
    dc_vlm_batch_close(b);
    return worst;
}
