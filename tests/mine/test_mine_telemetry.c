/* The telemetry's cues: a G-sensor jolt scored in g against the file's own noise, a GPS speed
 * drop, and a clip whose impact is only in the accelerometer (no sound, an ordinary picture):
 * mining puts the incident on the jolt (within 0.1 s) and the signals engine calls it a
 * collision; the same clip mined without its telemetry does not. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/mine.h"
#include "mine_test_util.h"

#define HZ 200
#define SECONDS 20
#define N_TICKS (SECONDS * 10 + 1)

/* 20 s at 200 Hz: gravity on z, road noise of the given size on every axis, and spikes of
 * spike_g on x at the given times (one sample each, about a crash's 5-ms peak). */
static dc_telemetry accel_only(double noise_g, double spike_g, const double *at, int spikes) {
    dc_telemetry t = {.source = "test"};
    t.accel_count = SECONDS * HZ;
    t.accel = calloc((size_t)t.accel_count, sizeof *t.accel);
    assert_non_null(t.accel);
    unsigned seed = 7;
    for (int i = 0; i < t.accel_count; i++) {
        dc_accel_sample *s = &t.accel[i];
        s->t_sec = (double)i / HZ;
        seed = seed * 1103515245u + 12345u;
        double r = ((seed >> 8) & 0xffff) / 65535.0 - 0.5;
        s->x = (float)(noise_g * r);
        s->y = (float)(noise_g * -r);
        s->z = (float)(1 + noise_g * r);
        for (int k = 0; k < spikes; k++)
            if (i == (int)lround(at[k] * HZ)) s->x += (float)spike_g;
    }
    return t;
}

static float track_max(const float *x, int n, int *at) {
    float m = 0;
    for (int i = 0; i < n; i++)
        if (x[i] > m) m = x[i], *at = i;
    return m;
}

static void test_jolt_absolute_and_against_noise(void **state) {
    (void)state;
    float jolt[N_TICKS];
    int at = -1;
    bool has_accel, has_speed;
    double when = 12.3;
    /* a 2.5-g hit on a smooth road: full score, at its tick */
    dc_telemetry t = accel_only(0.02, 2.5, &when, 1);
    assert_true(dc_mine_telemetry_features(&t, 10, N_TICKS, jolt, NULL, &has_accel, &has_speed));
    assert_true(has_accel && !has_speed);
    assert_true(track_max(jolt, N_TICKS, &at) > 0.95f && at == 123);
    dc_telemetry_free(&t);
    /* a 0.4-g bump on the same road: below the absolute floor, though far above its noise */
    t = accel_only(0.02, 0.4, &when, 1);
    dc_mine_telemetry_features(&t, 10, N_TICKS, jolt, NULL, NULL, NULL);
    assert_true(track_max(jolt, N_TICKS, &at) == 0);
    dc_telemetry_free(&t);
    /* the same 1.2-g jolt: a cue on a smooth road, the ordinary shaking of a rough one */
    t = accel_only(0.02, 1.2, &when, 1);
    dc_mine_telemetry_features(&t, 10, N_TICKS, jolt, NULL, NULL, NULL);
    float smooth = track_max(jolt, N_TICKS, &at);
    dc_telemetry_free(&t);
    t = accel_only(0.6, 1.2, &when, 1);
    dc_mine_telemetry_features(&t, 10, N_TICKS, jolt, NULL, NULL, NULL);
    float rough = track_max(jolt, N_TICKS, &at);
    dc_telemetry_free(&t);
    assert_true(smooth >= DC_MINE_FIRE_SCORE && rough < DC_MINE_FIRE_SCORE);
}

static void test_speed_drop(void **state) {
    (void)state;
    dc_gps_fix fixes[10];
    for (int i = 0; i < 10; i++)
        fixes[i] = (dc_gps_fix){.t_sec = i,
                                .valid = true,
                                .speed_kmh = i < 6   ? 50
                                             : i < 7 ? 20
                                                     : 0};
    dc_telemetry t = {.source = "test", .gps = fixes, .gps_count = 10};
    float drop[101];
    bool has_speed;
    assert_true(dc_mine_telemetry_features(&t, 10, 101, NULL, drop, NULL, &has_speed));
    assert_true(has_speed);
    assert_true(drop[50] == 1.0f && drop[30] == 0 && drop[90] == 0);
    /* a cruise that eases off by 5 km/h is no drop */
    for (int i = 0; i < 10; i++) fixes[i].speed_kmh = 50 - 0.5 * i;
    dc_mine_telemetry_features(&t, 10, 101, NULL, drop, NULL, NULL);
    for (int i = 0; i < 101; i++) assert_true(drop[i] == 0);
}

/* synth-video's ordinary drive without sound, with GPMF telemetry of a crash at 7.3 s */
static void test_impact_only_in_accelerometer(void **state) {
    (void)state;
    const char *plain = mt_make_video("tm-normal", "normal", 3, 12, -1, "--damage noaudio", NULL);
    assert_non_null(plain);
    char with[4200], cmd[12000];
    snprintf(with, sizeof with, "%.4000s-gpmf.mp4", plain);
    snprintf(cmd, sizeof cmd,
             "'%s/synth-telemetry' --format gpmf --in '%s' -o '%s' --duration 12 --impact 7.3",
             getenv("DC_BIN"), plain, with);
    assert_int_equal(system(cmd), 0);
    dc_telemetry t;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_telemetry_read(with, (dc_deadline){0}, &t, &st), DC_OK);
    assert_true(t.accel_count > 0);
    dc_mine_options o;
    dc_mine_options_init(&o);
    o.telemetry = &t;
    dc_media *m = dc_media_open(with, (dc_deadline){0}, &st);
    assert_non_null(m);
    dc_mine_result r, bare;
    assert_int_equal(dc_mine_video(m, &o, (dc_deadline){0}, &r, &st), DC_OK);
    assert_int_equal(dc_mine_video(m, NULL, (dc_deadline){0}, &bare, &st), DC_OK);
    dc_media_close(m);
    assert_false(r.has_audio);
    assert_true(r.has_accel && r.has_gps_speed);
    assert_true(r.window_count > 0 && fabs(r.windows[0].peak_sec - 7.3) <= 0.1);
    assert_true(r.windows[0].fired & (1u << DC_MINE_JOLT));
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    assert_int_equal(dc_signals_assess(&r, a, &st), DC_OK);
    assert_int_equal(a->severity, DC_SEVERITY_HIGH);
    assert_int_equal(a->facts.contact, DC_TRI_YES);
    /* the picture alone shows an ordinary drive */
    assert_false(bare.has_accel);
    dc_assessment_init(a);
    assert_int_equal(dc_signals_assess(&bare, a, &st), DC_OK);
    assert_int_not_equal(a->severity, DC_SEVERITY_HIGH);
    free(a);
    dc_mine_result_free(&r);
    dc_mine_result_free(&bare);
    dc_telemetry_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jolt_absolute_and_against_noise),
        cmocka_unit_test(test_speed_drop),
        cmocka_unit_test(test_impact_only_in_accelerometer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
