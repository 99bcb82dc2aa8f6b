/* The fixed prompt is computed once and every later claim starts from its KV cells, and the
 * answer does not change: with greedy decoding, each claim of an engine that reuses the
 * prefix writes byte for byte what an engine that computes every prompt in full
 * (no_prefix_cache) writes, for several claims in a row with different claim lines and frames,
 * after failed claims of every kind, after retries and after a CPU fallback (which computes
 * the prefix once on its own context). Also: llama_decode's return codes take the paths of
 * the table in src/engine/vlm_recovery.c, and the record says what the claim cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vlm_fixture.h"

/* The claims of the comparison: different claim lines (duration, mining note) and frames. */
enum { N_CASES = 3 };
static dc_frame_set other_frames; /* window [0, 4) s */
static dc_vlm *reference;         /* no_prefix_cache */
static char *expected[N_CASES];   /* the reference's raw output of each case */
static double expected_probs[N_CASES][DC_SEVERITY_COUNT];

static const dc_window mining_windows[1] = {{.start_sec = 2.0,
                                             .end_sec = 6.5,
                                             .peak_sec = 4.2,
                                             .danger = 0.8,
                                             .signal_count = 1,
                                             .signals = {"audio_impact"}}};

static dc_error_class run_case(dc_vlm *v, int k, dc_deadline dl, dc_assessment *a, dc_status *st) {
    dc_engine_context ctx = {.claim_id = "prefix-test", .duration_sec = 10.0};
    const dc_frame_set *frames = &fx.frames;
    if (k == 1) {
        ctx.duration_sec = 12.5;
        ctx.mining_context = true;
        ctx.windows = mining_windows;
        ctx.window_count = 1;
    } else if (k == 2) {
        frames = &other_frames;
        ctx.duration_sec = 0; /* unknown */
    }
    dc_assessment_init(a);
    return dc_vlm_assess(v, frames, &ctx, dl, a, st);
}

/* The claim case k on the engine under test gives the reference's answer. */
static void assert_same_as_reference(int k, const dc_assessment *a) {
    if (strcmp(expected[k], dc_vlm_last_output(fx.vlm)) != 0)
        fprintf(stderr, "case %d\nexpected: %s\ngot:      %s\n", k, expected[k],
                dc_vlm_last_output(fx.vlm));
    assert_string_equal(expected[k], dc_vlm_last_output(fx.vlm));
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        assert_true(a->severity_probs[i] == expected_probs[k][i]);
}

static int setup_prefix(void **state) {
    if (setup(state) != 0) return -1;
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(fx.clip, (dc_deadline){0}, &st);
    if (!m) return -1;
    const dc_media_info *info = dc_media_get_info(m);
    dc_sample_request req;
    if (dc_vlm_frame_request(fx.vlm, 0.0, 4.0, info->width, info->height, &req, NULL, &st) !=
            DC_OK ||
        dc_frames_sample(m, &req, (dc_deadline){0}, &other_frames, &st) != DC_OK) {
        dc_media_close(m);
        return -1;
    }
    dc_media_close(m);
    dc_vlm_options o;
    test_options(&o, fx.model, fx.mmproj);
    o.no_prefix_cache = true;
    reference = dc_vlm_open(&o, &st);
    if (!reference) return -1;
    for (int k = 0; k < N_CASES; k++) {
        dc_assessment a;
        if (run_case(reference, k, (dc_deadline){0}, &a, &st) != DC_OK) return -1;
        const dc_vlm_claim_stats *s = dc_vlm_last_stats(reference);
        /* the reference computes every token of every claim */
        if (s->cached_prompt_tokens != 0 || s->prefill_tokens != s->prompt_tokens) return -1;
        expected[k] = strdup(dc_vlm_last_output(reference));
        memcpy(expected_probs[k], a.severity_probs, sizeof(expected_probs[k]));
    }
    return 0;
}

static int teardown_prefix(void **state) {
    for (int k = 0; k < N_CASES; k++) free(expected[k]);
    dc_vlm_close(reference);
    dc_frame_set_free(&other_frames);
    return teardown(state);
}

/* ---- the same answers, the fixed prompt computed once ------------------------------------ */

static int prefix_tokens; /* the fixed prompt's tokens, learnt from the first claim */

static void test_first_claim_computes_the_prefix_later_claims_reuse_it(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(run_case(fx.vlm, 0, (dc_deadline){0}, &a, &st), DC_OK);
    const dc_vlm_claim_stats *s = dc_vlm_last_stats(fx.vlm);
    assert_int_equal(s->cached_prompt_tokens, 0);
    prefix_tokens = s->prefix_tokens_computed;
    /* the system message with the guidance and the field list is most of the prompt */
    assert_true(prefix_tokens > 500);
    assert_true(prefix_tokens < s->text_tokens);
    assert_int_equal(s->prefill_tokens, s->prompt_tokens);
    assert_int_equal(a.engine.prompt_tokens, s->prompt_tokens);
    assert_int_equal(a.engine.cached_prompt_tokens, 0);
    assert_same_as_reference(0, &a);

    {
        for (int k = 0; k < N_CASES; k++) {
            assert_int_equal(run_case(fx.vlm, k, (dc_deadline){0}, &a, &st), DC_OK);
            s = dc_vlm_last_stats(fx.vlm);
            assert_int_equal(s->prefix_tokens_computed, 0);
            assert_int_equal(s->cached_prompt_tokens, prefix_tokens);
            /* only what follows the fixed prompt was run: frames and the claim line */
            assert_int_equal(s->prefill_tokens, s->prompt_tokens - prefix_tokens);
            assert_true(s->prefill_tokens - s->image_tokens <= 150);
            assert_int_equal(a.engine.prompt_tokens, s->prompt_tokens);
            assert_int_equal(a.engine.cached_prompt_tokens, prefix_tokens);
            assert_same_as_reference(k, &a);
        }
    }
}

/* ---- after failed claims and retries ----------------------------------------------------- */

static void test_failed_claims_leave_a_correct_prefix(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    /* timeout while generating (llama_decode aborted by the deadline) */
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEADLINE_DECODE, 1);
    assert_int_equal(run_case(fx.vlm, 1, dc_deadline_in(60), &a, &st), DC_ERR_TIMEOUT);
    assert_int_equal(run_case(fx.vlm, 1, (dc_deadline){0}, &a, &st), DC_OK);
    assert_int_equal(dc_vlm_last_stats(fx.vlm)->cached_prompt_tokens, prefix_tokens);
    assert_same_as_reference(1, &a);
    /* timeout in the vision encoder */
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEADLINE_ENCODE, 1);
    assert_int_equal(run_case(fx.vlm, 2, dc_deadline_in(60), &a, &st), DC_ERR_TIMEOUT);
    assert_int_equal(run_case(fx.vlm, 2, (dc_deadline){0}, &a, &st), DC_OK);
    assert_same_as_reference(2, &a);
    /* retries exhausted */
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_TRANSIENT_PREFILL, 100);
    assert_int_equal(run_case(fx.vlm, 0, (dc_deadline){0}, &a, &st), DC_ERR_RESOURCE);
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_NONE, 0);
    assert_int_equal(run_case(fx.vlm, 0, (dc_deadline){0}, &a, &st), DC_OK);
    assert_same_as_reference(0, &a);
}

static void test_retry_starts_from_the_prefix(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_TRANSIENT_PREFILL, 2);
    assert_int_equal(run_case(fx.vlm, 1, (dc_deadline){0}, &a, &st), DC_OK);
    const dc_vlm_claim_stats *s = dc_vlm_last_stats(fx.vlm);
    assert_int_equal(s->attempts, 3);
    assert_int_equal(s->prefix_tokens_computed, 0);
    assert_int_equal(s->cached_prompt_tokens, prefix_tokens);
    assert_same_as_reference(1, &a);
}

static void test_cpu_fallback_computes_the_prefix_once(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    /* the device fails in the vision encoder: the claim finishes on a CPU-only context */
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEVICE_ENCODE, 1);
    assert_int_equal(run_case(fx.vlm, 0, (dc_deadline){0}, &a, &st), DC_OK);
    const dc_vlm_claim_stats *s = dc_vlm_last_stats(fx.vlm);
    assert_true(s->cpu_fallback);
    assert_int_equal(a.status, DC_CLAIM_DEGRADED);
    /* that context computed the prefix: once, and the claim paid for it */
    assert_int_equal(s->prefix_tokens_computed, prefix_tokens);
    assert_int_equal(s->cached_prompt_tokens, 0);
    assert_same_as_reference(0, &a);

    /* the next claim reloads the configured placement, which computes the prefix once more */
    assert_int_equal(run_case(fx.vlm, 2, (dc_deadline){0}, &a, &st), DC_OK);
    s = dc_vlm_last_stats(fx.vlm);
    assert_false(s->cpu_fallback);
    assert_int_equal(a.status, DC_CLAIM_OK);
    assert_int_equal(s->prefix_tokens_computed, prefix_tokens);
    assert_same_as_reference(2, &a);
    /* and the one after reuses it */
    assert_int_equal(run_case(fx.vlm, 0, (dc_deadline){0}, &a, &st), DC_OK);
    assert_int_equal(dc_vlm_last_stats(fx.vlm)->cached_prompt_tokens, prefix_tokens);
    assert_same_as_reference(0, &a);

    /* a device failure in llama_decode after the cached prefix: the same path */
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEVICE_DECODE, 1);
    assert_int_equal(run_case(fx.vlm, 1, (dc_deadline){0}, &a, &st), DC_OK);
    s = dc_vlm_last_stats(fx.vlm);
    assert_true(s->cpu_fallback);
    assert_int_equal(s->prefix_tokens_computed, prefix_tokens);
    assert_same_as_reference(1, &a);
}

static void test_deadline_during_the_prefix(void **state) {
    (void)state;
    dc_vlm_options o;
    test_options(&o, fx.model, fx.mmproj);
    dc_status st = DC_STATUS_OK;
    dc_vlm *v = dc_vlm_open(&o, &st);
    assert_non_null(v);
    dc_vlm *saved = fx.vlm;
    fx.vlm = v;
    dc_assessment a;
    /* the first claim's prefill is stopped by the abort callback inside llama_decode */
    dc_vlm_test_inject_decode_return(v, 2, 1);
    assert_int_equal(run_case(v, 0, (dc_deadline){0}, &a, &st), DC_ERR_TIMEOUT);
    assert_int_equal(a.error_class, DC_ERR_TIMEOUT);
    assert_int_equal(dc_vlm_last_stats(v)->prefix_tokens_computed, 0);
    /* the next claim computes the prefix in full and answers as the reference */
    assert_int_equal(run_case(v, 0, (dc_deadline){0}, &a, &st), DC_OK);
    assert_int_equal(dc_vlm_last_stats(v)->prefix_tokens_computed, prefix_tokens);
    assert_same_as_reference(0, &a);
    /* a real deadline that passes at once */
    assert_int_equal(run_case(v, 1, dc_deadline_in(0.0005), &a, &st), DC_ERR_TIMEOUT);
    assert_int_equal(run_case(v, 1, (dc_deadline){0}, &a, &st), DC_OK);
    assert_same_as_reference(1, &a);
    fx.vlm = saved;
    dc_vlm_close(v);
}

/* ---- llama_decode's return codes (the table in src/engine/vlm_recovery.c) ---------------- */

static void test_decode_return_codes(void **state) {
    (void)state;
    const struct {
        int32_t code;
        dc_error_class cls; /* of the claim; DC_OK: recovered by a retry */
        int attempts;
    } rows[] = {
        {1, DC_ERR_RESOURCE, 1},  /* no KV slot: fatal for the claim */
        {2, DC_ERR_TIMEOUT, 1},   /* aborted: the deadline */
        {-1, DC_ERR_INTERNAL, 1}, /* invalid batch: our bug, never retried */
        {-2, DC_OK, 2},           /* allocation failure on the CPU: retried */
        {-3, DC_OK, 2},           /* compute failure on the CPU: retried */
        {-7, DC_OK, 2},           /* an unlisted fatal error: as -3 */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        dc_assessment a;
        dc_status st = DC_STATUS_OK;
        dc_vlm_test_inject_decode_return(fx.vlm, rows[i].code, 1);
        dc_error_class rc = run_case(fx.vlm, 2, (dc_deadline){0}, &a, &st);
        const dc_vlm_claim_stats *s = dc_vlm_last_stats(fx.vlm);
        if (rc != rows[i].cls) fprintf(stderr, "code %d: %s\n", rows[i].code, st.message);
        assert_int_equal(rc, rows[i].cls);
        assert_int_equal(s->attempts, rows[i].attempts);
        assert_false(s->cpu_fallback); /* never a CPU reload for these on the CPU */
        if (rows[i].cls == DC_OK) {
            assert_int_equal(a.status, DC_CLAIM_OK);
            assert_same_as_reference(2, &a);
        } else {
            assert_int_equal(a.status, DC_CLAIM_FAILED);
            assert_int_equal(a.error_class, rows[i].cls);
            char code[16];
            snprintf(code, sizeof(code), "returned %d", rows[i].code);
            if (rows[i].code != 2) assert_non_null(strstr(a.error_message, code));
        }
    }
    /* and the claim after them is normal */
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(run_case(fx.vlm, 2, (dc_deadline){0}, &a, &st), DC_OK);
    assert_same_as_reference(2, &a);
}

/* ---- the record ------------------------------------------------------------------------ */

static void test_record_carries_the_token_counts(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(run_case(fx.vlm, 0, (dc_deadline){0}, &a, &st), DC_OK);
    char *json = dc_assessment_to_json(&a, 0);
    assert_non_null(json);
    char want[96];
    snprintf(want, sizeof(want), "\"cached_prompt_tokens\":%d", prefix_tokens);
    assert_non_null(strstr(json, want));
    dc_assessment back;
    assert_int_equal(dc_assessment_from_json(json, &back, &st), DC_OK);
    assert_int_equal(back.engine.prompt_tokens, a.engine.prompt_tokens);
    assert_int_equal(back.engine.cached_prompt_tokens, prefix_tokens);
    free(json);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_claim_computes_the_prefix_later_claims_reuse_it),
        cmocka_unit_test(test_failed_claims_leave_a_correct_prefix),
        cmocka_unit_test(test_retry_starts_from_the_prefix),
        cmocka_unit_test(test_cpu_fallback_computes_the_prefix_once),
        cmocka_unit_test(test_deadline_during_the_prefix),
        cmocka_unit_test(test_decode_return_codes),
        cmocka_unit_test(test_record_carries_the_token_counts),
    };
    return cmocka_run_group_tests(tests, setup_prefix, teardown_prefix);
}
