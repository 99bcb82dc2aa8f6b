/* The dashcam's own data in the claim: a clip with no sound and an ordinary picture whose only
 * sign of the crash is its telemetry (GPMF: 18-Hz GPS, 200-Hz accelerometer, written by
 * tools/synth-telemetry) is judged a collision at the jolt, and the record carries the
 * telemetry's summary, the GPS speed and an evidence row citing it; the same clip without
 * telemetry is not. The model's speed readout is held against the GPS. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/pipeline.h"
#include "telemetry_writers.h"

#define IMPACT_SEC 6.3

static char plain_clip[1024], telemetry_clip[1024];

static int make_clips(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) return -1;
    char cmd[8192];
    snprintf(plain_clip, sizeof plain_clip, "%s/pipeline-tm-plain.mp4", tmp);
    snprintf(telemetry_clip, sizeof telemetry_clip, "%s/pipeline-tm-gpmf.mp4", tmp);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && '%s/synth-video' --scene normal --duration 10 --size 256x144 "
             "--fps 10 --damage noaudio -o '%s' >/dev/null 2>&1 && '%s/synth-telemetry' "
             "--format gpmf --in '%s' -o '%s' --duration 10 --impact %.1f",
             tmp, bin, plain_clip, bin, plain_clip, telemetry_clip, IMPACT_SEC);
    return system(cmd) == 0 ? 0 : -1;
}

static void assess(const char *path, dc_claim_result *r) {
    dc_pipeline_options o;
    dc_pipeline_options_init(&o);
    o.timeout_sec = 120;
    dc_pipeline_assess(path, NULL, &o, r);
}

static void test_collision_only_in_telemetry(void **state) {
    (void)state;
    dc_claim_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    assess(telemetry_clip, r);
    const dc_assessment *a = &r->assessment;
    const dc_telemetry_summary *t = &a->telemetry;
    assert_int_not_equal(a->status, DC_CLAIM_FAILED);
    assert_string_equal(r->telemetry.source, "gpmf"); /* the plain struct the stages read */
    assert_string_equal(t->source, "gpmf");
    assert_true(t->accel_count >= 1900 && t->fix_count >= 170 &&
                t->valid_fix_count == t->fix_count);
    assert_int_equal(a->severity, DC_SEVERITY_HIGH);
    assert_true(a->window_count > 0 && fabs(a->windows[0].peak_sec - IMPACT_SEC) <= 0.1);
    assert_true(fabs(t->incident_sec - IMPACT_SEC) <= 0.1);
    assert_true(fabs(t->peak_sec - IMPACT_SEC) <= 0.05 && t->peak_g > 2.0);
    tw_scene s;
    tw_scene_default(&s);
    s.duration_sec = 10;
    s.impact_sec = IMPACT_SEC;
    assert_true(fabs(t->speed_before_kmh - s.speed_kmh) < 0.5 && t->speed_after_kmh < 1);
    assert_true(t->has_position);
    tw_fix w = tw_fix_at(&s, IMPACT_SEC);
    assert_true(fabs(t->lat - w.lat) < 1e-4 && fabs(t->lon - w.lon) < 1e-4);
    assert_true(llabs(t->utc_ms - w.utc_ms) <= 100);
    /* the speed is the GPS's, and says so */
    assert_int_equal(a->facts.speed_kmh, (int)lround(s.speed_kmh));
    assert_string_equal(a->speed_source, "telemetry");
    bool cited = false;
    for (int i = 0; i < a->evidence_count; i++)
        cited = cited || !strncmp(a->evidence[i].description, "telemetry (gpmf", 15);
    assert_true(cited);
    /* the record writes it and reads it back */
    char *json = dc_assessment_to_json(a, 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"speed_source\":\"telemetry\""));
    dc_assessment *back = malloc(sizeof *back);
    assert_non_null(back);
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_assessment_from_json(json, back, &st), DC_OK);
    assert_string_equal(back->telemetry.source, "gpmf");
    assert_true(back->telemetry.has_position && fabs(back->telemetry.lat - t->lat) < 1e-9);
    assert_true(back->telemetry.utc_ms == t->utc_ms);
    free(back);
    free(json);
    dc_claim_result_free(r);
    free(r);
}

static void test_same_clip_without_telemetry(void **state) {
    (void)state;
    dc_claim_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    assess(plain_clip, r);
    const dc_assessment *a = &r->assessment;
    assert_null(r->telemetry.source);
    assert_string_equal(a->telemetry.source, "");
    assert_int_not_equal(a->severity, DC_SEVERITY_HIGH);
    char *json = dc_assessment_to_json(a, 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"telemetry\":null"));
    assert_non_null(strstr(json, "\"speed_source\":\"none\""));
    free(json);
    dc_claim_result_free(r);
    free(r);
}

static void test_model_speed_against_gps(void **state) {
    (void)state;
    dc_gps_fix fixes[3] = {{.t_sec = 1.0, .valid = true, .speed_kmh = 50},
                           {.t_sec = 2.0, .valid = true, .speed_kmh = 52},
                           {.t_sec = 9.0, .valid = true, .speed_kmh = 0}};
    dc_telemetry t = {.source = "nmea", .gps = fixes, .gps_count = 3};
    dc_frame frames[2] = {{.t_sec = 1.5}, {.t_sec = 2.5}};
    dc_frame_set shown = {.frames = frames, .count = 2, .requested = 2};
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    a->facts.speed_kmh = 55; /* a readout close to the GPS: nothing said */
    assert_int_equal(dc_pipeline_check_speed(a, &t, &shown), 0);
    assert_int_equal(a->status, DC_CLAIM_OK);
    a->facts.speed_kmh = 90; /* far from it */
    assert_int_equal(dc_pipeline_check_speed(a, &t, &shown), 1);
    assert_int_equal(a->status, DC_CLAIM_DEGRADED);
    assert_non_null(strstr(a->error_message, "90 km/h disagrees"));
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collision_only_in_telemetry),
        cmocka_unit_test(test_same_clip_without_telemetry),
        cmocka_unit_test(test_model_speed_against_gps),
    };
    return cmocka_run_group_tests(tests, make_clips, NULL);
}
