/* The assessment record: JSON round trip, schema version, failures that cannot be mistaken
 * for a real severity, degraded claims, and the prompt's versioned contents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"

static void filled(dc_assessment *a) {
    dc_assessment_init(a);
    snprintf(a->claim_id, sizeof a->claim_id, "claim-42");
    snprintf(a->video.path, sizeof a->video.path, "/data/v\xff\xfe.mp4"); /* not UTF-8 */
    snprintf(a->video.sha256, sizeof a->video.sha256, "%064d", 7);
    a->video.duration_sec = 31.5, a->video.width = 1280, a->video.height = 720,
    a->video.fps = 29.97;
    snprintf(a->engine.name, sizeof a->engine.name, "vlm");
    snprintf(a->engine.model, sizeof a->engine.model, "qwen2.5-vl-3b.gguf");
    snprintf(a->engine.device, sizeof a->engine.device, "cuda:0");
    snprintf(a->engine.prompt_version, sizeof a->engine.prompt_version, DC_PROMPT_VERSION);
    a->engine.prompt_tokens = 1571;
    a->engine.cached_prompt_tokens = 1318;
    a->window_count = 2;
    a->windows[0] = (dc_window){10.0, 14.0, 12.25, 0.9, 2, {"audio_impact", "shake"}, 0, 12.25};
    a->windows[1] = (dc_window){20.0, 22.0, 21.0, 0.4, 1, {"looming"}, 0, 21.0};
    a->severity = DC_SEVERITY_HIGH;
    a->severity_probs[0] = 0.05, a->severity_probs[1] = 0.05, a->severity_probs[2] = 0.3,
    a->severity_probs[3] = 0.6;
    a->scenario = DC_SCENARIO_REAR_END;
    a->facts.contact = DC_TRI_YES;
    a->facts.other_position = DC_POSITION_AHEAD;
    a->facts.other_braked_suddenly = DC_TRI_YES;
    a->facts.brake_cause_visible = DC_TRI_NO;
    a->facts.speed_kmh = 52;
    a->facts.actor_count = 2, a->facts.actors[0] = DC_ACTOR_CAR,
    a->facts.actors[1] = DC_ACTOR_PEDESTRIAN;
    a->facts.weather = DC_WEATHER_RAIN;
    a->hazard_count = 1;
    a->hazards[0] =
        (dc_hazard){DC_HAZARD_SUDDEN_BRAKING, 1, {DC_ACTOR_CAR}, DC_POSITION_AHEAD, 12.0, 0, 12.0};
    a->evidence_count = 2;
    a->evidence[0] = (dc_evidence){12.0, "brake lights ahead, \"no\" reason", 5, 0, 12.0};
    a->evidence[1] = (dc_evidence){12.5, "bumper contact — 日本", -1, 0, 12.5};
    snprintf(a->reasoning, sizeof a->reasoning,
             "Contact at 12.5 s.\xff"); /* engine text, not UTF-8 */
    a->timings_ms = (dc_timings){1.5, 20, 30, 4000, 0.2, 4052};
    a->memory = (dc_memory){1000, 2000, 0, 5000000000ull};
    dc_claim_metadata m;
    dc_claim_metadata_init(&m);
    m.collision_claimed = DC_TRI_YES;
    dc_claim_decide(a, &m, NULL);
}

static void test_round_trip(void **state) {
    (void)state;
    dc_assessment a, b;
    filled(&a);
    for (int indent = 0; indent <= 2; indent += 2) {
        char *j1 = dc_assessment_to_json(&a, indent);
        assert_non_null(j1);
        dc_status st;
        assert_int_equal(dc_assessment_from_json(j1, &b, &st), DC_OK);
        if (st.degraded) fail_msg("%s", st.message);
        char *j2 = dc_assessment_to_json(&b, indent);
        assert_string_equal(j1, j2);
        free(j1);
        free(j2);
    }
    assert_string_equal(b.claim_id, "claim-42");
    assert_string_equal(b.video.path, "/data/v??.mp4");
    assert_string_equal(b.reasoning, "Contact at 12.5 s.?");
    assert_int_equal(b.severity, DC_SEVERITY_HIGH);
    assert_int_equal(b.scenario, DC_SCENARIO_REAR_END);
    assert_int_equal(b.facts.speed_kmh, 52);
    assert_int_equal(b.facts.actors[1], DC_ACTOR_PEDESTRIAN);
    assert_int_equal(b.evidence[1].frame, -1);
    assert_string_equal(b.evidence[1].description, "bumper contact — 日本");
    assert_int_equal(b.fault_ratio, a.fault_ratio);
    assert_true(b.fault_has_ratio);
    assert_int_equal(b.fraud_indicator_count, a.fraud_indicator_count);
    assert_int_equal(b.prediction_set, a.prediction_set);
    assert_true(b.memory.device_after == 5000000000ull);
    assert_string_equal(b.windows[0].signals[0], "audio_impact");
    assert_string_equal(b.review_rule, a.review_rule);
    assert_int_equal(b.engine.prompt_tokens, 1571);
    assert_int_equal(b.engine.cached_prompt_tokens, 1318);
}

static void test_schema_fields(void **state) {
    (void)state;
    dc_assessment a;
    filled(&a);
    char *text = dc_assessment_to_json(&a, 0);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "schema")), "dashclaim.assessment/1");
    static const char *keys[] = {"schema",
                                 "claim_id",
                                 "video",
                                 "status",
                                 "error",
                                 "engine",
                                 "windows",
                                 "severity",
                                 "severity_probs",
                                 "prediction_set",
                                 "calibrated",
                                 "scenario",
                                 "facts",
                                 "hazards",
                                 "evidence",
                                 "reasoning",
                                 "fault",
                                 "fraud",
                                 "review_priority",
                                 "recommended_action",
                                 "timings_ms",
                                 "memory",
                                 "dashclaim_version",
                                 "created_at"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(o, keys[i])) fail_msg("record lacks %s", keys[i]);
    json_t *engine = json_object_get(o, "engine");
    assert_string_equal(json_string_value(json_object_get(engine, "prompt_version")),
                        DC_PROMPT_VERSION);
    json_t *probs = json_object_get(o, "severity_probs");
    assert_true(json_is_real(json_object_get(probs, "MEDIUM")));
    assert_true(json_is_null(json_object_get(json_object_get(o, "timings_ms"), "probe")) == false);
    json_decref(o);
    free(text);

    /* another schema version is refused with a clear message */
    dc_assessment b;
    dc_status st;
    assert_int_equal(dc_assessment_from_json("{\"schema\":\"dashclaim.assessment/2\"}", &b, &st),
                     DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "dashclaim.assessment/2"));
    assert_int_equal(dc_assessment_from_json("{\"severity\":\"HIGH\"}", &b, &st), DC_ERR_INPUT);
    assert_int_equal(dc_assessment_from_json("not json", &b, &st), DC_ERR_INPUT);
}

static void test_failed_has_no_severity(void **state) {
    (void)state;
    dc_assessment a;
    filled(&a);
    dc_status st = {.code = DC_ERR_RESOURCE};
    snprintf(st.message, sizeof st.message, "/data/v.mp4: out of GPU memory loading the model");
    dc_assessment_fail(&a, &st);
    dc_claim_decide(&a, NULL, NULL);
    char *text = dc_assessment_to_json(&a, 0);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "failed");
    assert_true(json_is_null(json_object_get(o, "severity")));
    assert_true(json_is_null(json_object_get(o, "severity_probs")));
    assert_int_equal(json_array_size(json_object_get(o, "prediction_set")), 0);
    assert_true(json_is_false(json_object_get(o, "calibrated")));
    assert_true(json_is_null(json_object_get(json_object_get(o, "fault"), "ratio")));
    json_t *e = json_object_get(o, "error");
    assert_string_equal(json_string_value(json_object_get(e, "class")), "resource");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "out of GPU memory"));
    assert_string_equal(json_string_value(json_object_get(o, "recommended_action")), "REVIEW");
    assert_string_equal(json_string_value(json_object_get(o, "review_priority")), "STANDARD");
    /* identity survives the failure */
    assert_string_equal(json_string_value(json_object_get(o, "claim_id")), "claim-42");
    json_decref(o);
    /* reading it back keeps it failed and without severity */
    dc_assessment b;
    assert_int_equal(dc_assessment_from_json(text, &b, &st), DC_OK);
    assert_int_equal(b.status, DC_CLAIM_FAILED);
    assert_int_equal(b.severity, DC_SEVERITY_UNSET);
    assert_int_equal(b.error_class, DC_ERR_RESOURCE);
    free(text);

    /* a failure with no status given is still a failure, classed internal */
    dc_assessment c;
    dc_assessment_init(&c);
    c.severity = DC_SEVERITY_LOW;
    dc_assessment_fail(&c, NULL);
    assert_int_equal(c.severity, DC_SEVERITY_UNSET);
    assert_int_equal(c.error_class, DC_ERR_INTERNAL);
}

static void test_degraded(void **state) {
    (void)state;
    dc_assessment a;
    filled(&a);
    dc_assessment_degrade(&a, "video truncated at 20.1 s");
    dc_assessment_degrade(&a, "model output needed 2 repairs");
    dc_claim_decide(&a, NULL, NULL);
    assert_int_equal(a.status, DC_CLAIM_DEGRADED);
    assert_true(a.review_priority >= DC_PRIORITY_STANDARD);
    assert_int_equal(a.recommended_action, DC_RECOMMEND_REVIEW);
    char *text = dc_assessment_to_json(&a, 0);
    assert_non_null(strstr(text, "\"status\":\"degraded\""));
    assert_non_null(strstr(text, "video truncated at 20.1 s; model output needed 2 repairs"));
    assert_non_null(strstr(text, "\"severity\":\"HIGH\"")); /* degraded keeps its answer */
    free(text);
    /* failed stays failed */
    dc_status st = {.code = DC_ERR_INPUT};
    snprintf(st.message, sizeof st.message, "x.mp4: no video stream");
    dc_assessment_fail(&a, &st);
    dc_assessment_degrade(&a, "later note");
    assert_int_equal(a.status, DC_CLAIM_FAILED);
}

static void test_prompt(void **state) {
    (void)state;
    /* the fixed part: the calibration guidance and every field the grammar asks for */
    char *p = dc_prompt_fixed();
    assert_non_null(p);
    assert_non_null(strstr(p, "JSON"));
    assert_non_null(strstr(p, "Physical contact is the line between MEDIUM and HIGH"));
    assert_non_null(strstr(p, "LOW: rare"));
    assert_non_null(strstr(p, "NONE: ordinary driving"));
    assert_non_null(strstr(p, "On-screen text is evidence"));
    assert_non_null(strstr(p, "- other_braked_suddenly: yes|no|unclear"));
    assert_non_null(strstr(p, "- reasoning: text, at most 500 characters"));
    free(p);
    /* the per-claim line is short and has nothing of the fixed part */
    p = dc_prompt_claim(NULL);
    assert_non_null(p);
    assert_true(strlen(p) < 120);
    assert_null(strstr(p, "severity"));
    assert_null(strstr(p, "pre-scan")); /* mining context is off by default */
    free(p);
    dc_window w = {10.0, 14.0, 12.3, 0.9, 1, {"audio_impact"}, 0, 12.3};
    dc_prompt_options o = {.mining_context = true,
                           .windows = &w,
                           .window_count = 1,
                           .duration_sec = 30,
                           .frame_count = 8};
    p = dc_prompt_claim(&o);
    assert_non_null(strstr(p, "pre-scan"));
    assert_non_null(strstr(p, "12.3 s; signals: audio_impact"));
    assert_non_null(strstr(p, "You see 8 frames from a video 30.0 seconds long."));
    free(p);
    o.mining_context = false;
    p = dc_prompt_claim(&o);
    assert_null(strstr(p, "audio_impact"));
    free(p);
}

static void test_names(void **state) {
    (void)state;
    assert_string_equal(dc_severity_name(DC_SEVERITY_NONE), "NONE");
    assert_string_equal(dc_severity_name(DC_SEVERITY_HIGH), "HIGH");
    assert_null(dc_severity_name(DC_SEVERITY_UNSET));
    assert_int_equal(dc_severity_from_name("medium"), DC_SEVERITY_MEDIUM);
    assert_int_equal(dc_severity_from_name("severe"), DC_SEVERITY_UNSET);
    assert_string_equal(dc_scenario_name(DC_SCENARIO_SINGLE_VEHICLE), "single_vehicle");
    assert_string_equal(dc_review_priority_name(DC_PRIORITY_LOW), "LOW_PRIORITY");
    assert_string_equal(dc_recommended_action_name(DC_RECOMMEND_REQUEST_MORE_INFO),
                        "REQUEST_MORE_INFO");
    /* the four labels start with four different letters (the logit read-out relies on it) */
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        for (int j = i + 1; j < DC_SEVERITY_COUNT; j++)
            assert_int_not_equal(dc_severity_name((dc_severity)i)[0],
                                 dc_severity_name((dc_severity)j)[0]);
}

/* The grammar bounds strings in characters; every character may take 4 bytes in UTF-8. A
 * model that fills the description with non-ASCII text must not be cut (and so degraded). */
static void test_longest_non_ascii_strings_fit(void **state) {
    (void)state;
    dc_assessment a;
    dc_assessment_init(&a);
    a.severity = DC_SEVERITY_HIGH;
    a.evidence_count = 1;
    a.evidence[0].t_sec = 1.5;
    a.evidence[0].frame = 0;
    char *d = a.evidence[0].description;
    for (int i = 0; i < 160; i++) memcpy(d + 4 * i, "\xF0\x9F\x9A\x97", 4); /* U+1F697 car */
    d[4 * 160] = 0;
    char *text = dc_model_output_to_json(&a);
    assert_non_null(text);
    dc_assessment back;
    dc_assessment_init(&back);
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_model_output_apply(text, &back, &st), DC_OK);
    if (st.degraded) fprintf(stderr, "degraded: %s\n", st.message);
    assert_false(st.degraded);
    assert_string_equal(back.evidence[0].description, a.evidence[0].description);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_longest_non_ascii_strings_fit),
        cmocka_unit_test(test_schema_fields), cmocka_unit_test(test_failed_has_no_severity),
        cmocka_unit_test(test_degraded),      cmocka_unit_test(test_prompt),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
