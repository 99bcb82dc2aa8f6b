/* Several claims in one context (dc_vlm_batch, src/engine/vlm_batch.c): with greedy decoding
 * each claim of a batch answers what it answers alone (the same text, the same severity, the
 * same probabilities to the bit); one
 * claim's timeout, bad answer or transient failure leaves the others' answers unchanged; a
 * device failure finishes the claims in flight on the CPU, each degraded, and the next claim
 * is back on the configured placement; a claim that ends early lets a waiting one join before
 * the long one ends (continuous batching, not N-then-wait).
 * VLM_FIXTURE_PRESET picks another synth-model preset (vlm_fixture.h); the 3B comparison is
 * bench/engine's batch table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vlm_fixture.h"

/* Claims of the comparison: 20 in a plain build; under the sanitizers one batch's worth (every
 * claim runs twice, alone and in a batch, and a claim is seconds there): the four windows, a
 * claim with the mining note, every claim's prefill interleaved with the others' decoding.
 * Continuous admission has its own test below. */
#if defined(__SANITIZE_ADDRESS__)
enum { N_CLAIMS = 4 };
#else
enum { N_CLAIMS = 20 };
#endif
enum { BATCH = 4, N_WINDOWS = 4 };
#define PRESET_REPACKED "tiny-q4k"

static dc_frame_set windows[N_WINDOWS]; /* frames of four windows of the clip */
static dc_engine_context contexts[N_CLAIMS];
static char claim_ids[N_CLAIMS][32];
static dc_vlm *batched;       /* max_batch = BATCH */
static char *alone[N_CLAIMS]; /* the batch engine's raw output of each claim, alone */
static dc_assessment alone_rec[N_CLAIMS];

static const dc_window mining_windows[1] = {{.start_sec = 2.0,
                                             .end_sec = 6.5,
                                             .peak_sec = 4.2,
                                             .danger = 0.8,
                                             .signal_count = 1,
                                             .signals = {"audio_impact"}}};

/* Claim i: one of four windows' frames, a claim line of its own (duration, mining note). */
static dc_vlm_job job_of(int i, dc_assessment *out) {
    dc_engine_context *c = &contexts[i];
    snprintf(claim_ids[i], sizeof(claim_ids[i]), "batch-%02d", i);
    *c = (dc_engine_context){.claim_id = claim_ids[i], .duration_sec = 10.0 + i};
    if (i % 3 == 1) {
        c->mining_context = true;
        c->windows = mining_windows;
        c->window_count = 1;
    }
    dc_assessment_init(out);
    return (dc_vlm_job){.frames = &windows[i % N_WINDOWS], .ctx = c, .out = out};
}

static int setup_batch(void **state) {
    if (setup(state) != 0) return -1;
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(fx.clip, (dc_deadline){0}, &st);
    if (!m) return -1;
    const dc_media_info *info = dc_media_get_info(m);
    const double starts[N_WINDOWS] = {3.0, 0.0, 5.0, 1.5};
    for (int w = 0; w < N_WINDOWS; w++) {
        dc_sample_request req;
        if (dc_vlm_frame_request(fx.vlm, starts[w], starts[w] + 4.0, info->width, info->height,
                                 &req, NULL, &st) != DC_OK ||
            dc_frames_sample(m, &req, (dc_deadline){0}, &windows[w], &st) != DC_OK) {
            dc_media_close(m);
            return -1;
        }
    }
    dc_media_close(m);
    dc_vlm_options o;
    test_options(&o, fx.model, fx.mmproj);
    o.max_batch = BATCH;
    batched = dc_vlm_open(&o, &st);
    if (!batched) return -1;
    /* every claim alone, on the batch engine (one claim in its context): the reference. (A
     * batch engine on the CPU computes attention without flash attention, vlm_runtime.c, so
     * the fixture's one-claim engine differs from it in the last bits.) */
    for (int i = 0; i < N_CLAIMS; i++) {
        dc_vlm_job j = job_of(i, &alone_rec[i]);
        if (dc_vlm_assess(batched, j.frames, j.ctx, (dc_deadline){0}, &alone_rec[i], &st) != DC_OK)
            return -1;
        alone[i] = strdup(dc_vlm_last_output(batched));
    }
    return 0;
}

static int teardown_batch(void **state) {
    for (int i = 0; i < N_CLAIMS; i++) free(alone[i]);
    for (int w = 0; w < N_WINDOWS; w++) dc_frame_set_free(&windows[w]);
    dc_vlm_close(batched);
    return teardown(state);
}

/* Claim i of a batch answered as it did alone: the same text, severity and probabilities, to
 * the bit (a step's rows go to llama_decode in calls whose kernels compute each row as for one
 * row: src/engine/vlm_batch_rows.c). */
static void assert_same_as_alone(int i, const dc_assessment *a, const char *output) {
    if (strcmp(alone[i], output) != 0)
        fprintf(stderr, "claim %d\nalone:    %s\nin batch: %s\n", i, alone[i], output);
    assert_string_equal(alone[i], output);
    assert_int_equal(a->severity, alone_rec[i].severity);
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
        const bool same = a->severity_probs[s] == alone_rec[i].severity_probs[s];
        if (!same)
            fprintf(stderr, "claim %d: severity %d probability %.17g alone, %.17g in a batch\n", i,
                    s, alone_rec[i].severity_probs[s], a->severity_probs[s]);
        assert_true(same);
    }
}

/* ---- the same answers ------------------------------------------------------------------ */

static void test_batch_gives_the_answers_of_claims_alone(void **state) {
    (void)state;
    dc_vlm_job jobs[N_CLAIMS];
    dc_assessment recs[N_CLAIMS];
    dc_vlm_claim_stats stats[N_CLAIMS];
    char *outputs[N_CLAIMS] = {0};
    for (int i = 0; i < N_CLAIMS; i++) jobs[i] = job_of(i, &recs[i]);
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_vlm_assess_many(batched, jobs, N_CLAIMS, BATCH, stats, outputs, &st),
                     DC_OK);
    int most_shared = 0;
    for (int i = 0; i < N_CLAIMS; i++) {
        assert_non_null(outputs[i]);
        assert_same_as_alone(i, &recs[i], outputs[i]);
        assert_int_equal(recs[i].status, alone_rec[i].status);
        assert_string_equal(recs[i].claim_id, claim_ids[i]);
        /* the same prompt as alone; only the first claim computed the prefix */
        assert_int_equal(recs[i].engine.prompt_tokens, alone_rec[i].engine.prompt_tokens);
        if (i > 0) assert_int_equal(stats[i].prefix_tokens_computed, 0);
        if (stats[i].batch_peak > most_shared) most_shared = stats[i].batch_peak;
        free(outputs[i]);
    }
    /* the claims did share decode steps, up to the batch's width */
    assert_int_equal(most_shared, BATCH);
    fprintf(stderr, "batch of %d, %d claims: same text, severity and probabilities\n", BATCH,
            N_CLAIMS);
}

/* The same on quantized weights that llama.cpp's CPU backend repacks at load (synth-model
 * PRESET_REPACKED: Q4_K rows, multiplied by its 8x8-interleaved kernels, which take rows four
 * at a time from four rows on and round them otherwise than one row; the tiny preset's F32
 * weights take llamafile's kernel from two rows on). The engine gives such a model's step to
 * llama_decode three rows a call; with the four claims in one call (batch_rows = 4) their
 * texts differ (checked). A claim's numbers do not depend on how many claims share its steps:
 * the same text, the same severity probabilities and the same sum of its answer tokens'
 * logits, to the bit. */
static void test_batch_on_repackable_weights_computes_what_alone_computes(void **state) {
    (void)state;
    char dir[1200], cmd[4096], model[1300], mmproj[1300];
    snprintf(dir, sizeof(dir), "%s/repackable", fx.dir);
    snprintf(cmd, sizeof(cmd),
             "\"%s/synth-model\" --preset " PRESET_REPACKED " --seed 1 -o \"%s\" 2>/dev/null",
             getenv("DC_BIN"), dir);
    assert_int_equal(system(cmd), 0);
    snprintf(model, sizeof(model), "%s/model.gguf", dir);
    snprintf(mmproj, sizeof(mmproj), "%s/mmproj.gguf", dir);
    dc_vlm_options o;
    test_options(&o, model, mmproj);
    o.max_batch = BATCH;
    /* two threads: flash attention split a lone claim's cells between them (vlm_runtime.c) */
    o.n_threads = 2;
    dc_status st = DC_STATUS_OK;
    dc_vlm *v = dc_vlm_open(&o, &st);
    assert_non_null(v);
    enum { N = BATCH };
    dc_vlm_job jobs[N];
    dc_assessment recs[N], alone_recs[N];
    dc_vlm_claim_stats stats[N];
    char *outputs[N] = {0}, *alone_out[N];
    double alone_sum[N];
    for (int i = 0; i < N; i++) {
        dc_vlm_job j = job_of(i, &alone_recs[i]);
        assert_int_equal(dc_vlm_assess(v, j.frames, j.ctx, (dc_deadline){0}, &alone_recs[i], &st),
                         DC_OK);
        alone_out[i] = strdup(dc_vlm_last_output(v));
        alone_sum[i] = dc_vlm_last_stats(v)->answer_logit_sum;
        assert_true(dc_vlm_last_stats(v)->generated_tokens > 0);
    }
    for (int i = 0; i < N; i++) jobs[i] = job_of(i, &recs[i]);
    assert_int_equal(dc_vlm_assess_many(v, jobs, N, BATCH, stats, outputs, &st), DC_OK);
    int most_shared = 0;
    for (int i = 0; i < N; i++) {
        assert_non_null(outputs[i]);
        if (stats[i].answer_logit_sum != alone_sum[i])
            fprintf(stderr, "claim %d: answer logit sum %.17g alone, %.17g in a batch\n", i,
                    alone_sum[i], stats[i].answer_logit_sum);
        assert_string_equal(alone_out[i], outputs[i]);
        assert_true(stats[i].answer_logit_sum == alone_sum[i]);
        assert_int_equal(recs[i].severity, alone_recs[i].severity);
        for (int s = 0; s < DC_SEVERITY_COUNT; s++)
            assert_true(recs[i].severity_probs[s] == alone_recs[i].severity_probs[s]);
        if (stats[i].batch_peak > most_shared) most_shared = stats[i].batch_peak;
        free(outputs[i]);
        free(alone_out[i]);
    }
    assert_int_equal(most_shared, BATCH); /* four claims a step: calls of 3 and 1 rows */
    dc_vlm_close(v);
}

/* ---- failures stay with their claim ----------------------------------------------------- */

/* Runs claims 0..n-1 in a batch of BATCH with claim `odd` given `budget` tokens (0 = the
 * engine's) and, before the first step, the fault `f`; the other claims answer as alone. */
static void run_with(int n, int odd, int budget, dc_vlm_fault f, int count, dc_assessment *recs,
                     dc_vlm_claim_stats *stats, char **outputs) {
    dc_status st = DC_STATUS_OK;
    dc_vlm_batch *b = dc_vlm_batch_open(batched, BATCH, &st);
    assert_non_null(b);
    for (int i = 0; i < n; i++) {
        dc_vlm_job j = job_of(i, &recs[i]);
        j.user = (void *)(intptr_t)i;
        if (i == odd) j.max_new_tokens = budget;
        assert_int_equal(dc_vlm_batch_submit(b, &j, &st), DC_OK);
    }
    if (f != DC_VLM_FAULT_NONE) dc_vlm_test_inject(batched, f, count);
    int left = n;
    while (left > 0) {
        int pending = dc_vlm_batch_step(b);
        dc_vlm_done d[BATCH];
        for (int got; (got = dc_vlm_batch_collect(b, d, BATCH)) > 0;)
            for (int k = 0; k < got; k++, left--) {
                int i = (int)(intptr_t)d[k].user;
                assert_ptr_equal(d[k].out, &recs[i]);
                stats[i] = d[k].stats;
                outputs[i] = d[k].output;
            }
        assert_true(pending >= left);
    }
    dc_vlm_test_inject(batched, DC_VLM_FAULT_NONE, 0);
    dc_vlm_batch_close(b);
}

static void free_outputs(int n, char **outputs) {
    for (int i = 0; i < n; i++) free(outputs[i]);
}

static void test_a_timeout_ends_only_its_claim(void **state) {
    (void)state;
    enum { N = BATCH };
    dc_assessment recs[N];
    dc_vlm_claim_stats stats[N];
    char *outputs[N] = {0};
    /* the deadline of the first claim to generate passes after its first token */
    run_with(N, -1, 0, DC_VLM_FAULT_DEADLINE_DECODE, 1, recs, stats, outputs);
    int timed_out = 0;
    for (int i = 0; i < N; i++) {
        if (recs[i].status == DC_CLAIM_FAILED) {
            assert_int_equal(recs[i].error_class, DC_ERR_TIMEOUT);
            timed_out++;
        } else {
            assert_same_as_alone(i, &recs[i], outputs[i]);
            assert_int_equal(recs[i].status, alone_rec[i].status);
        }
    }
    assert_int_equal(timed_out, 1);
    free_outputs(N, outputs);
}

static void test_a_bad_answer_ends_only_its_claim(void **state) {
    (void)state;
    enum { N = BATCH };
    dc_assessment recs[N];
    dc_vlm_claim_stats stats[N];
    char *outputs[N] = {0};
    /* claim 1 has a budget of one token: its answer stops inside the severity label */
    run_with(N, 1, 1, DC_VLM_FAULT_NONE, 0, recs, stats, outputs);
    assert_int_equal(recs[1].status, DC_CLAIM_FAILED);
    assert_int_equal(recs[1].error_class, DC_ERR_MODEL);
    assert_int_equal(stats[1].generated_tokens, 1);
    for (int i = 0; i < N; i++)
        if (i != 1) assert_same_as_alone(i, &recs[i], outputs[i]);
    free_outputs(N, outputs);
}

static void test_a_transient_failure_is_retried_in_its_claim(void **state) {
    (void)state;
    enum { N = BATCH };
    dc_assessment recs[N];
    dc_vlm_claim_stats stats[N];
    char *outputs[N] = {0};
    /* one claim's image prefill fails once: that claim runs a second attempt */
    run_with(N, -1, 0, DC_VLM_FAULT_TRANSIENT_PREFILL, 1, recs, stats, outputs);
    int retried = 0;
    for (int i = 0; i < N; i++) {
        assert_same_as_alone(i, &recs[i], outputs[i]);
        retried += stats[i].attempts == 2;
        assert_true(stats[i].attempts <= 2);
    }
    assert_int_equal(retried, 1);
    free_outputs(N, outputs);
}

/* ---- a device failure: the claims in flight finish on the CPU --------------------------- */

static void test_device_failure_moves_the_claims_in_flight_to_the_cpu(void **state) {
    (void)state;
    enum { N = BATCH + 1 };
    dc_assessment recs[N];
    char *outputs[N] = {0};
    dc_vlm_claim_stats stats[N];
    dc_status st = DC_STATUS_OK;
    dc_vlm_batch *b = dc_vlm_batch_open(batched, BATCH, &st);
    assert_non_null(b);
    /* claim BATCH waits for a place; with as many claims as the batch (the sanitizer build)
     * it is claim 0's job once more, whose answer alone is known */
    for (int i = 0; i < N; i++) {
        dc_vlm_job j = job_of(i % N_CLAIMS, &recs[i]);
        j.user = (void *)(intptr_t)i;
        assert_int_equal(dc_vlm_batch_submit(b, &j, &st), DC_OK);
    }
    /* a few steps: every place taken, claims reading their prompts or generating */
    for (int k = 0; k < 12; k++) dc_vlm_batch_step(b);
    assert_int_equal(dc_vlm_batch_running(b), BATCH);
    dc_vlm_test_inject(batched, DC_VLM_FAULT_DEVICE_DECODE, 1);
    int left = N;
    while (left > 0) {
        dc_vlm_batch_step(b);
        dc_vlm_done d[BATCH];
        for (int got; (got = dc_vlm_batch_collect(b, d, BATCH)) > 0;)
            for (int k = 0; k < got; k++, left--) {
                int i = (int)(intptr_t)d[k].user;
                stats[i] = d[k].stats;
                outputs[i] = d[k].output;
            }
    }
    dc_vlm_batch_close(b);
    for (int i = 0; i < N; i++) {
        assert_same_as_alone(i % N_CLAIMS, &recs[i], outputs[i]);
        if (i < BATCH) {
            /* in flight at the failure: finished on the CPU-only context, one after another */
            assert_true(stats[i].cpu_fallback);
            assert_int_equal(recs[i].status, DC_CLAIM_DEGRADED);
            assert_non_null(strstr(recs[i].engine.device, "cpu fallback"));
        } else {
            /* waiting then: the next claims try the configured placement again */
            assert_false(stats[i].cpu_fallback);
            assert_int_equal(recs[i].status, DC_CLAIM_OK);
        }
    }
    /* the fallback's context computed the prefix once, for the first claim it took */
    int computed = 0;
    for (int i = 0; i < BATCH; i++) computed += stats[i].prefix_tokens_computed > 0;
    assert_int_equal(computed, 1);
    free_outputs(N, outputs);
}

/* ---- continuous admission --------------------------------------------------------------- */

static void test_a_claim_that_ends_lets_a_waiting_one_join(void **state) {
    (void)state;
    enum { N = 3, WIDTH = 2 };
    dc_assessment recs[N];
    dc_status st = DC_STATUS_OK;
    dc_vlm_batch *b = dc_vlm_batch_open(batched, WIDTH, &st);
    assert_non_null(b);
    /* claim 0 long, claim 1 short (a small budget), claim 2 waiting for a place */
    for (int i = 0; i < N; i++) {
        dc_vlm_job j = job_of(i, &recs[i]);
        j.user = (void *)(intptr_t)i;
        if (i == 1) j.max_new_tokens = 24;
        assert_int_equal(dc_vlm_batch_submit(b, &j, &st), DC_OK);
    }
    int order[N], n_done = 0;
    bool joined_while_0_ran = false, waited_for_1 = false;
    bool ended[N] = {false};
    while (n_done < N) {
        dc_vlm_batch_step(b);
        dc_vlm_done d[N];
        int got = dc_vlm_batch_collect(b, d, N);
        for (int k = 0; k < got; k++) {
            int i = (int)(intptr_t)d[k].user;
            order[n_done++] = i;
            ended[i] = true;
            free(d[k].output);
        }
        /* claim 2 took claim 1's place while claim 0 was still generating */
        if (ended[1] && !ended[0] && dc_vlm_batch_running(b) == WIDTH) joined_while_0_ran = true;
        if (!ended[1] && dc_vlm_batch_running(b) == WIDTH) waited_for_1 = true;
    }
    dc_vlm_batch_close(b);
    assert_int_equal(order[0], 1); /* the short claim ends first */
    assert_int_equal(order[1], 0); /* the long one ends before the one that joined late */
    assert_int_equal(order[2], 2);
    assert_true(waited_for_1);
    assert_true(joined_while_0_ran);
    assert_int_equal(recs[0].status, alone_rec[0].status);
    assert_int_equal(recs[2].status, alone_rec[2].status);
}

/* ---- the API's edges --------------------------------------------------------------------- */

static void test_batch_refuses_what_the_engine_was_not_opened_for(void **state) {
    (void)state;
    dc_status st = DC_STATUS_OK;
    /* the fixture's engine was opened for one claim at a time */
    assert_null(dc_vlm_batch_open(fx.vlm, 2, &st));
    assert_int_equal(st.code, DC_ERR_INPUT);
    dc_vlm_batch *b = dc_vlm_batch_open(batched, BATCH, &st);
    assert_non_null(b);
    dc_vlm_job empty = {0};
    assert_int_equal(dc_vlm_batch_submit(b, &empty, &st), DC_ERR_INPUT);
    assert_int_equal(dc_vlm_batch_step(b), 0);
    /* closing with claims submitted and not run leaves their records untouched */
    dc_assessment rec;
    dc_vlm_job j = job_of(0, &rec);
    assert_int_equal(dc_vlm_batch_submit(b, &j, &st), DC_OK);
    dc_vlm_batch_close(b);
    assert_int_equal(rec.engine.prompt_tokens, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_gives_the_answers_of_claims_alone),
        cmocka_unit_test(test_batch_on_repackable_weights_computes_what_alone_computes),
        cmocka_unit_test(test_a_timeout_ends_only_its_claim),
        cmocka_unit_test(test_a_bad_answer_ends_only_its_claim),
        cmocka_unit_test(test_a_transient_failure_is_retried_in_its_claim),
        cmocka_unit_test(test_device_failure_moves_the_claims_in_flight_to_the_cpu),
        cmocka_unit_test(test_a_claim_that_ends_lets_a_waiting_one_join),
        cmocka_unit_test(test_batch_refuses_what_the_engine_was_not_opened_for),
    };
    return cmocka_run_group_tests(tests, setup_batch, teardown_batch);
}
