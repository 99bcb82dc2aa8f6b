/* The VLM engine on a synth-model tiny pair and frames of a synth-video clip: a full claim is
 * schema-valid for 20 model seeds, the severity distribution comes from the logits and sums to
 * 1, temperature 0 is deterministic, deadlines stop vision encoding and decoding, retries reuse
 * the image embeddings, a device failure finishes on the CPU (degraded) and the next claim is
 * normal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vlm_fixture.h"

/* ---- frame budget --------------------------------------------------------------------- */

static void test_frame_request_follows_the_budget(void **state) {
    (void)state;
    dc_vlm_options o;
    test_options(&o, fx.model, fx.mmproj);
    o.visual_tokens = 1536;
    o.max_frames = 16;
    dc_status st = DC_STATUS_OK;
    dc_vlm *v = dc_vlm_open(&o, &st);
    assert_non_null(v);
    dc_sample_request req;
    dc_frame_plan plan;
    /* 3 s at 2 fps: 6 frames, even */
    assert_int_equal(dc_vlm_frame_request(v, 10, 13, 1280, 720, &req, &plan, &st), DC_OK);
    assert_int_equal(req.count, 6);
    assert_int_equal(plan.frames, 6);
    assert_int_equal(req.unit, 28);
    assert_int_equal(plan.width % 28, 0);
    assert_int_equal(plan.height % 28, 0);
    assert_true(plan.visual_tokens <= 1536);
    assert_int_equal(plan.visual_tokens, 3 * plan.tokens_per_pair);
    assert_int_equal(plan.tokens_per_pair, (plan.width / 28) * (plan.height / 28));
    assert_true(plan.width > plan.height); /* keeps the 16:9 aspect */
    /* a long window: capped at max_frames, still <= 2 fps */
    assert_int_equal(dc_vlm_frame_request(v, 0, 60, 1280, 720, &req, &plan, &st), DC_OK);
    assert_int_equal(req.count, 16);
    assert_true(plan.visual_tokens <= 1536);
    /* a short window: never below one pair, never above 2 fps beyond that pair */
    assert_int_equal(dc_vlm_frame_request(v, 5, 5.4, 1280, 720, &req, &plan, &st), DC_OK);
    assert_int_equal(req.count, 2);
    /* the frame size never exceeds the video */
    assert_int_equal(dc_vlm_frame_request(v, 0, 4, 320, 180, &req, &plan, &st), DC_OK);
    assert_true(plan.width <= 336);
    /* an empty window is the caller's error */
    assert_int_equal(dc_vlm_frame_request(v, 5, 5, 1280, 720, &req, &plan, &st), DC_ERR_INPUT);
    /* the context holds the prompt and the generation budget in KV cells */
    assert_true(dc_vlm_context_size(v) >= plan.kv_cells);
    dc_vlm_close(v);
}

/* ---- full claims ---------------------------------------------------------------------- */

static void test_claim_fills_the_record(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    assert_int_equal(a.status, DC_CLAIM_OK);
    assert_string_equal(a.claim_id, "test-claim");
    assert_string_equal(a.engine.name, "vlm");
    assert_string_equal(a.engine.model, "model.gguf");
    assert_string_equal(a.engine.prompt_version, DC_PROMPT_VERSION);
    assert_string_equal(a.engine.device, "cpu");
    assert_true(a.memory.rss_before > 0 && a.memory.rss_after > 0);
    assert_true(a.timings_ms.engine > 0);
    const dc_vlm_claim_stats *s = dc_vlm_last_stats(fx.vlm);
    /* 4 frames -> 2 merged pairs of 7x4 tokens (196x112 pixels) */
    assert_int_equal(s->frames, 4);
    assert_int_equal(s->image_chunks, 2);
    assert_int_equal(s->image_tokens, 2 * 28);
    assert_int_equal(s->prompt_tokens, s->text_tokens + s->image_tokens);
    assert_int_equal(s->attempts, 1);
    assert_int_equal(s->encodes, 2);
    assert_true(s->generated_tokens > 0 && s->generated_tokens <= 448);
    /* the severity the model wrote is one the read-out gave weight to */
    assert_true(a.severity_probs[a.severity] > 0.0);
    assert_probabilities(&a);
}

static void test_temperature_zero_is_deterministic(void **state) {
    (void)state;
    dc_assessment a, b;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    char *first = strdup(dc_vlm_last_output(fx.vlm));
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &b, &st), DC_OK);
    assert_string_equal(first, dc_vlm_last_output(fx.vlm));
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        assert_true(a.severity_probs[i] == b.severity_probs[i]);
    free(first);
}

/* ---- deadlines ------------------------------------------------------------------------ */

static void test_deadline_stops_vision_encoding(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEADLINE_ENCODE, 1);
    double t0 = dc_now();
    assert_int_equal(claim(fx.vlm, dc_deadline_in(60), &a, &st), DC_ERR_TIMEOUT);
    assert_true(dc_now() - t0 < 30.0);
    assert_int_equal(a.status, DC_CLAIM_FAILED);
    assert_int_equal(a.error_class, DC_ERR_TIMEOUT);
    assert_int_equal(a.severity, DC_SEVERITY_UNSET);
    assert_int_equal(dc_vlm_last_stats(fx.vlm)->attempts, 1); /* a timeout is not retried */
    assert_int_equal(dc_vlm_last_stats(fx.vlm)->generated_tokens, 0);
    /* the engine stays usable */
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    assert_int_equal(a.status, DC_CLAIM_OK);
}

static void test_deadline_stops_decoding(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEADLINE_DECODE, 1);
    assert_int_equal(claim(fx.vlm, dc_deadline_in(60), &a, &st), DC_ERR_TIMEOUT);
    assert_int_equal(a.status, DC_CLAIM_FAILED);
    assert_int_equal(a.error_class, DC_ERR_TIMEOUT);
    /* stopped right after the first generated token, inside llama_decode */
    assert_int_equal(dc_vlm_last_stats(fx.vlm)->generated_tokens, 1);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    assert_int_equal(a.status, DC_CLAIM_OK);
}

static void test_real_deadline_fails_fast(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    double t0 = dc_now();
    assert_int_equal(claim(fx.vlm, dc_deadline_in(0.002), &a, &st), DC_ERR_TIMEOUT);
    assert_true(dc_now() - t0 < 5.0);
    assert_int_equal(a.error_class, DC_ERR_TIMEOUT);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
}

/* ---- retries and device failure ------------------------------------------------------- */

static void test_retry_reuses_image_embeddings(void **state) {
    (void)state;
    dc_assessment a, ref;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &ref, &st), DC_OK);
    char *expected = strdup(dc_vlm_last_output(fx.vlm));
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_TRANSIENT_PREFILL, 2);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    const dc_vlm_claim_stats *s = dc_vlm_last_stats(fx.vlm);
    assert_int_equal(s->attempts, 3);
    /* each frame pair was encoded once in all three attempts */
    assert_int_equal(s->encodes, s->image_chunks);
    assert_int_equal(a.status, DC_CLAIM_OK);
    assert_string_equal(expected, dc_vlm_last_output(fx.vlm));
    free(expected);
}

static void test_retries_are_bounded(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_TRANSIENT_PREFILL, 100);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_ERR_RESOURCE);
    assert_int_equal(dc_vlm_last_stats(fx.vlm)->attempts, 4); /* 1 + 3 retries */
    assert_int_equal(a.status, DC_CLAIM_FAILED);
    assert_int_equal(a.error_class, DC_ERR_RESOURCE);
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_NONE, 0);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
}

/* The CPU fallback loads a whole model inside the claim: a deadline that passes meanwhile ends
 * the claim as a timeout (llama.cpp's load is cancelled), and the next claim runs normally. */
static void test_deadline_during_fallback_load(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEADLINE_FALLBACK_LOAD, 2);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_ERR_TIMEOUT);
    assert_int_equal(a.status, DC_CLAIM_FAILED);
    assert_int_equal(a.error_class, DC_ERR_TIMEOUT);
    assert_non_null(strstr(a.error_message, "deadline passed while loading the model"));
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_NONE, 0);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    assert_int_equal(a.status, DC_CLAIM_OK);
}

static void test_device_failure_finishes_on_cpu_then_recovers(void **state) {
    (void)state;
    dc_assessment a, ref;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &ref, &st), DC_OK);
    char *expected = strdup(dc_vlm_last_output(fx.vlm));

    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEVICE_ENCODE, 1);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    assert_true(st.degraded);
    assert_int_equal(a.status, DC_CLAIM_DEGRADED);
    assert_true(strstr(a.error_message, "device failure") != NULL);
    assert_true(strstr(a.engine.device, "cpu fallback") != NULL);
    assert_true(dc_vlm_last_stats(fx.vlm)->cpu_fallback);
    assert_string_equal(expected, dc_vlm_last_output(fx.vlm)); /* same answer on the CPU */
    assert_probabilities(&a);

    /* the next claim runs on the configured placement again, normally */
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    assert_false(st.degraded);
    assert_int_equal(a.status, DC_CLAIM_OK);
    assert_false(dc_vlm_last_stats(fx.vlm)->cpu_fallback);
    assert_string_equal(a.engine.device, "cpu");

    /* a device error while generating takes the same path */
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEVICE_DECODE, 1);
    assert_int_equal(claim(fx.vlm, (dc_deadline){0}, &a, &st), DC_OK);
    assert_int_equal(a.status, DC_CLAIM_DEGRADED);
    assert_string_equal(expected, dc_vlm_last_output(fx.vlm));
    free(expected);
}

static void test_bad_inputs_fail_cleanly(void **state) {
    (void)state;
    dc_status st = DC_STATUS_OK;
    dc_vlm_options o;
    test_options(&o, "/nonexistent/model.gguf", fx.mmproj);
    assert_null(dc_vlm_open(&o, &st));
    assert_int_equal(st.code, DC_ERR_INPUT);
    assert_true(strstr(st.message, "/nonexistent/model.gguf") != NULL);
    /* the mmproj where the model should be: llama.cpp rejects it */
    test_options(&o, fx.mmproj, fx.mmproj);
    assert_null(dc_vlm_open(&o, &st));
    assert_int_equal(st.code, DC_ERR_MODEL);
    /* the model where the mmproj should be */
    test_options(&o, fx.model, fx.model);
    assert_null(dc_vlm_open(&o, &st));
    assert_int_equal(st.code, DC_ERR_MODEL);

    dc_assessment a;
    dc_assessment_init(&a);
    dc_frame_set empty = {0};
    assert_int_equal(dc_vlm_assess(fx.vlm, &empty, NULL, (dc_deadline){0}, &a, &st), DC_ERR_INPUT);
    assert_int_equal(a.status, DC_CLAIM_FAILED);
    assert_int_equal(a.error_class, DC_ERR_INPUT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_request_follows_the_budget),
        cmocka_unit_test(test_claim_fills_the_record),
        cmocka_unit_test(test_temperature_zero_is_deterministic),
        cmocka_unit_test(test_deadline_stops_vision_encoding),
        cmocka_unit_test(test_deadline_stops_decoding),
        cmocka_unit_test(test_real_deadline_fails_fast),
        cmocka_unit_test(test_retry_reuses_image_embeddings),
        cmocka_unit_test(test_retries_are_bounded),
        cmocka_unit_test(test_device_failure_finishes_on_cpu_then_recovers),
        cmocka_unit_test(test_deadline_during_fallback_load),
        cmocka_unit_test(test_bad_inputs_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
