/* The lenient reader: hand-written cases with their expected repair (lenient_cases/), the
 * libFuzzer corpus replayed (corpus/: every input must come back as strict JSON or a clean
 * error), and model answers the way unconstrained models write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len) *len = got;
    return buf;
}

static const char *source_dir(void) {
    const char *s = getenv("DC_SOURCE_DIR");
    return s ? s : ".";
}

static void test_hand_cases(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/claim/lenient_cases", source_dir());
    DIR *d = opendir(dir);
    assert_non_null(d);
    int checked = 0, expected = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 4, ".txt") != 0) continue;
        char in_path[1400], exp_path[1400];
        snprintf(in_path, sizeof in_path, "%s/%s", dir, e->d_name);
        snprintf(exp_path, sizeof exp_path, "%s/%.*s.expect", dir, (int)(nl - 4), e->d_name);
        size_t len;
        char *in = read_file(in_path, &len);
        assert_non_null(in);
        char *want = read_file(exp_path, NULL);
        char *got = NULL;
        int repairs = 0;
        dc_status st;
        dc_error_class rc = dc_lenient_json_repair(in, len, &got, &repairs, &st);
        if (want) {
            expected++;
            if (want[0] == '\0') {
                if (rc != DC_ERR_INPUT) fail_msg("%s: expected no JSON, got %s", e->d_name, got);
            } else {
                if (rc != DC_OK) fail_msg("%s: %s", e->d_name, st.message);
                if (strcmp(got, want) != 0)
                    fail_msg("%s:\n got  %s\n want %s", e->d_name, got, want);
            }
        }
        free(got);
        free(want);
        free(in);
        checked++;
    }
    closedir(d);
    assert_true(checked >= 15);
    assert_true(expected >= 14);
}

static void test_fuzz_corpus_replays(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/claim/corpus", source_dir());
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0, parsed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        char *in = read_file(path, &len);
        if (!in) continue;
        files++;
        char *json = NULL;
        dc_status st;
        if (dc_lenient_json_repair(in, len, &json, NULL, &st) == DC_OK) {
            json_error_t err;
            json_t *v = json_loads(json, JSON_DECODE_ANY, &err);
            if (!v) fail_msg("%s: repair is not strict JSON: %s", e->d_name, err.text);
            json_decref(v);
            parsed++;
        } else {
            assert_int_equal(st.code, DC_ERR_INPUT);
        }
        free(json);
        dc_assessment a;
        dc_assessment_init(&a);
        if (dc_model_output_apply(in, &a, &st) == DC_OK) {
            assert_true(a.severity >= DC_SEVERITY_NONE && a.severity <= DC_SEVERITY_HIGH);
            dc_claim_decide(&a, NULL, NULL);
            char *out = dc_assessment_to_json(&a, 0);
            assert_non_null(out);
            free(out);
        } else {
            assert_int_equal(st.code, DC_ERR_MODEL);
        }
        free(in);
    }
    closedir(d);
    assert_true(files >= 100); /* the corpus is really there */
    assert_true(parsed > 0);
}

static void test_model_answer_unconstrained(void **state) {
    (void)state;
    const char *answer =
        "<think>Frame 4 shows the bumper touching.</think>\n"
        "Here is the assessment:\n```json\n"
        "{'severity': 'High', 'scenario': 'Rear-End', facts: {contact: yes, other_position: "
        "'ahead',"
        " speed_kmh: '48', actors: 'car', visibility: 'foggy'},\n"
        " \"evidence\": [{\"t_sec\": -4, \"description\": \"bumper contact\", \"frame\": 4},],\n"
        " \"reasoning\": \"The ego car hits the car ahead";
    dc_assessment a;
    dc_assessment_init(&a);
    dc_status st;
    assert_int_equal(dc_model_output_apply(answer, &a, &st), DC_OK);
    assert_true(st.degraded); /* repairs were needed and are reported */
    assert_int_equal(a.severity, DC_SEVERITY_HIGH);
    assert_int_equal(a.scenario, DC_SCENARIO_REAR_END);
    assert_int_equal(a.facts.contact, DC_TRI_YES);
    assert_int_equal(a.facts.other_position, DC_POSITION_AHEAD);
    assert_int_equal(a.facts.speed_kmh, 48);
    assert_int_equal(a.facts.actor_count, 1);
    assert_int_equal(a.facts.actors[0], DC_ACTOR_CAR);
    assert_int_equal(a.facts.visibility, DC_VISIBILITY_UNKNOWN); /* not a known spelling */
    assert_non_null(strstr(st.message, "facts.visibility"));
    assert_int_equal(a.evidence_count, 1);
    assert_true(a.evidence[0].t_sec == 0.0); /* clamped */
    assert_int_equal(a.evidence[0].frame, 4);
    assert_string_equal(a.reasoning, "The ego car hits the car ahead");
}

static void test_model_answer_without_severity_fails(void **state) {
    (void)state;
    dc_assessment a;
    dc_assessment_init(&a);
    dc_status st;
    assert_int_equal(dc_model_output_apply("I cannot tell from these frames.", &a, &st),
                     DC_ERR_MODEL);
    assert_int_equal(dc_model_output_apply("{\"severity\":\"CATASTROPHIC\"}", &a, &st),
                     DC_ERR_MODEL);
    assert_non_null(strstr(st.message, "severity"));
    assert_int_equal(dc_model_output_apply("{\"scenario\":\"none\"}", &a, &st), DC_ERR_MODEL);
    assert_int_equal(a.severity, DC_SEVERITY_UNSET); /* untouched */
    assert_int_equal(dc_model_output_apply("", &a, &st), DC_ERR_MODEL);
}

static void test_grammar_output_is_clean(void **state) {
    (void)state;
    /* a grammar-constrained answer needs no repair and reports no problem */
    dc_assessment a;
    dc_assessment_init(&a);
    a.severity = DC_SEVERITY_MEDIUM;
    a.scenario = DC_SCENARIO_LANE_CHANGE;
    a.facts.contact = DC_TRI_NO;
    a.facts.ego_action = DC_ACTION_BRAKING_HARD;
    a.facts.other_action = DC_ACTION_CHANGING_LANE;
    a.facts.other_position = DC_POSITION_LEFT;
    a.facts.traffic_signal = DC_SIGNAL_NONE;
    a.facts.other_signal = DC_SIGNAL_NONE;
    a.facts.ego_right_of_way = DC_TRI_YES;
    a.facts.other_braked_suddenly = DC_TRI_NO;
    a.facts.brake_cause_visible = DC_TRI_YES;
    a.facts.ego_speeding = DC_TRI_NO;
    a.facts.other_positioned_before = DC_TRI_NO;
    a.facts.road = DC_ROAD_HIGHWAY;
    a.facts.weather = DC_WEATHER_CLEAR;
    a.facts.light = DC_LIGHT_DAY;
    a.facts.visibility = DC_VISIBILITY_GOOD;
    a.hazard_count = 1;
    a.hazards[0] =
        (dc_hazard){DC_HAZARD_CUT_IN, 1, {DC_ACTOR_TRUCK}, DC_POSITION_LEFT, 12.25, 0, 12.25};
    a.evidence_count = 1;
    a.evidence[0].t_sec = 12.25;
    a.evidence[0].frame = 7;
    strcpy(a.evidence[0].description, "truck enters the lane");
    strcpy(a.reasoning, "A truck cut in; the ego vehicle braked hard; no contact.");
    char *text = dc_model_output_to_json(&a);
    dc_assessment b;
    dc_assessment_init(&b);
    dc_status st;
    assert_int_equal(dc_model_output_apply(text, &b, &st), DC_OK);
    if (st.degraded) fail_msg("%s", st.message);
    assert_int_equal(b.hazards[0].type, DC_HAZARD_CUT_IN);
    assert_int_equal(b.hazards[0].actors[0], DC_ACTOR_TRUCK);
    assert_true(b.hazards[0].t_sec == 12.25);
    assert_string_equal(b.evidence[0].description, "truck enters the lane");
    assert_int_equal(b.facts.road, DC_ROAD_HIGHWAY);
    free(text);
}

/* A model cut off by its token limit: every prefix of a full answer either yields the
 * severity (once the label is complete) or a clean DC_ERR_MODEL, never garbage. */
static void test_every_truncation(void **state) {
    (void)state;
    dc_assessment a;
    dc_assessment_init(&a);
    a.severity = DC_SEVERITY_MEDIUM;
    a.scenario = DC_SCENARIO_PEDESTRIAN;
    a.facts.contact = DC_TRI_NO;
    a.facts.speed_kmh = 31;
    a.hazard_count = 2;
    a.hazards[0] = (dc_hazard){
        DC_HAZARD_PEDESTRIAN, 1, {DC_ACTOR_PEDESTRIAN}, DC_POSITION_CROSSING, 3.5, 0, 3.5};
    a.hazards[1] = (dc_hazard){DC_HAZARD_OTHER, 0, {0}, DC_POSITION_AHEAD, 4, 0, 4};
    a.evidence_count = 1;
    a.evidence[0] = (dc_evidence){3.5, "child steps out between parked cars", 2, 0, 3.5};
    strcpy(a.reasoning, "Hard stop, no contact.");
    char *full = dc_model_output_to_json(&a);
    size_t n = strlen(full);
    size_t label_end = strlen(DC_MODEL_OUTPUT_PREFIX) + strlen("MEDIUM");
    char *cut = malloc(n + 1);
    for (size_t len = 0; len <= n; len++) {
        memcpy(cut, full, len);
        cut[len] = '\0';
        dc_assessment b;
        dc_assessment_init(&b);
        dc_status st;
        dc_error_class rc = dc_model_output_apply(cut, &b, &st);
        if (len < label_end) {
            assert_int_equal(rc, DC_ERR_MODEL);
            continue;
        }
        if (rc != DC_OK) fail_msg("prefix of %zu bytes: %s", len, st.message);
        assert_int_equal(b.severity, DC_SEVERITY_MEDIUM);
        assert_true(st.degraded == (len < n)); /* only the whole answer needs no repair */
        assert_true(b.hazard_count <= 2 && b.evidence_count <= 1);
        if (b.evidence_count == 1)
            assert_non_null(
                strstr("child steps out between parked cars", b.evidence[0].description));
    }
    free(cut);
    free(full);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_fuzz_corpus_replays),
        cmocka_unit_test(test_model_answer_unconstrained),
        cmocka_unit_test(test_model_answer_without_severity_fails),
        cmocka_unit_test(test_grammar_output_is_clean),
        cmocka_unit_test(test_every_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
