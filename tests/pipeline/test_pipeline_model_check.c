/* Numbers a model writes are checked against the video before they become the record: a
 * random-weight model put evidence at t_sec 11111.11 in a 5-s video, and it was kept. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/pipeline.h"

/* Four frames shown at 1.0, 1.5, 2.0, 2.5 s (no pixels needed for the check). */
static dc_frame_set shown_frames(dc_frame *store) {
    for (int i = 0; i < 4; i++) {
        memset(&store[i], 0, sizeof store[i]);
        store[i].t_sec = 1.0 + 0.5 * i;
    }
    return (dc_frame_set){.frames = store, .count = 4, .requested = 4};
}

static dc_assessment *valid_record(void) {
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    a->severity = DC_SEVERITY_MEDIUM;
    double p[DC_SEVERITY_COUNT] = {0.1, 0.1, 0.7, 0.1};
    memcpy(a->severity_probs, p, sizeof p);
    a->evidence_count = 2;
    a->evidence[0] = (dc_evidence){.t_sec = 1.5, .description = "lead brakes", .frame = 1};
    a->evidence[1] = (dc_evidence){.t_sec = 2.4, .description = "swerve", .frame = -1};
    a->hazard_count = 1;
    a->hazards[0].t_sec = 2.0;
    a->facts.speed_kmh = 80;
    return a;
}

static void test_valid_record_untouched(void **state) {
    (void)state;
    dc_frame store[4];
    dc_frame_set shown = shown_frames(store);
    dc_assessment *a = valid_record();
    assert_int_equal(dc_pipeline_check_record(a, 5.0, &shown), 0);
    assert_int_equal(a->status, DC_CLAIM_OK);
    assert_int_equal(a->evidence_count, 2);
    assert_int_equal(a->hazard_count, 1);
    free(a);
}

static void test_times_outside_video_dropped(void **state) {
    (void)state;
    dc_frame store[4];
    dc_frame_set shown = shown_frames(store);
    dc_assessment *a = valid_record();
    a->evidence[1].t_sec = 11111.11; /* what the random model wrote */
    a->evidence_count = 3;
    a->evidence[2] = (dc_evidence){.t_sec = NAN, .frame = -1};
    a->hazards[0].t_sec = 99999;
    assert_true(dc_pipeline_check_record(a, 5.0, &shown) >= 3);
    assert_int_equal(a->evidence_count, 1);
    assert_true(a->evidence[0].t_sec == 1.5);
    assert_int_equal(a->hazard_count, 0);
    assert_int_equal(a->status, DC_CLAIM_DEGRADED);
    assert_non_null(strstr(a->error_message, "outside the video"));
    free(a);
}

static void test_times_outside_frames_shown_clamped(void **state) {
    (void)state;
    dc_frame store[4];
    dc_frame_set shown = shown_frames(store);
    dc_assessment *a = valid_record();
    a->evidence[1].t_sec = 4.5; /* in the video, but after the last frame shown (2.5 s) */
    a->hazards[0].t_sec = 0.1;  /* before the first */
    assert_int_equal(dc_pipeline_check_record(a, 5.0, &shown), 2);
    assert_true(a->evidence[1].t_sec <= 3.0 + 1e-9 && a->evidence[1].t_sec >= 2.5);
    assert_true(a->hazards[0].t_sec >= 0.5 - 1e-9 && a->hazards[0].t_sec <= 1.0);
    assert_int_equal(a->status, DC_CLAIM_DEGRADED);
    free(a);
}

static void test_other_numbers_outside_their_meaning(void **state) {
    (void)state;
    dc_frame store[4];
    dc_frame_set shown = shown_frames(store);
    dc_assessment *a = valid_record();
    a->evidence[0].frame = 7; /* only 4 frames were shown */
    a->evidence[1].frame = 3; /* shown at 2.5 s: the time follows the frame */
    a->evidence[1].t_sec = 4.9;
    a->facts.speed_kmh = 390; /* the grammar allows 400 */
    a->severity_probs[0] = NAN;
    assert_int_equal(dc_pipeline_check_record(a, 5.0, &shown), 4);
    assert_int_equal(a->evidence[0].frame, -1);
    assert_true(a->evidence[1].t_sec == 2.5);
    assert_int_equal(a->facts.speed_kmh, -1);
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) assert_true(a->severity_probs[s] == 0);
    assert_int_equal(a->status, DC_CLAIM_DEGRADED);
    /* a distribution that does not sum to 1 is renormalised */
    dc_assessment *b = valid_record();
    b->severity_probs[2] = 1.7;
    assert_int_equal(dc_pipeline_check_record(b, 5.0, &shown), 1);
    double sum = 0;
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) sum += b->severity_probs[s];
    assert_true(fabs(sum - 1) < 1e-9);
    free(a);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_record_untouched),
        cmocka_unit_test(test_times_outside_video_dropped),
        cmocka_unit_test(test_times_outside_frames_shown_clamped),
        cmocka_unit_test(test_other_numbers_outside_their_meaning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
