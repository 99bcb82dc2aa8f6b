/* Each format, written by tools/synth-telemetry's writers into (or beside) a video made by
 * synth-video, reads back as what was written: positions within 1e-5 degrees, speeds within
 * 0.1 km/h, UTC to the millisecond, acceleration within the format's resolution, the jolt at
 * the impact; and a video without telemetry reads as none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "telemetry_test_util.h"

static void gpmf_case(bool gps9, int gps_hz) {
    tw_scene s = tt_scene();
    tw_buf p[6];
    assert_int_equal(tw_gpmf_payloads(&s, gps_hz, 200, gps9, "Synth HERO", p, 6), 6);
    const char *out = tt_path(gps9 ? "gpmf9.mp4" : "gpmf5.mp4");
    assert_int_equal(tw_mp4_add_gpmd(tt_base_video(), out, p, 6), 0);
    tt_free_bufs(p, 6);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "gpmf");
    assert_string_equal(t.variant, gps9 ? "gps9" : "gps5");
    assert_string_equal(t.device, "Synth HERO");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6 * gps_hz);
    assert_int_equal(tt_check_fixes(&s, &t, false), 0);
    assert_true(t.gps[gps_hz].t_sec == 1.0); /* payload k starts at k s (stts) */
    assert_int_equal(t.accel_count, 6 * 200);
    assert_int_equal(tt_check_accel(&s, &t, 0.002), 0);
    assert_true(fabs(tt_peak_time(&t) - s.impact_sec) < 0.05);
    dc_telemetry_free(&t);
}

static void gpmf_gps5_and_accl(void **state) {
    (void)state;
    gpmf_case(false, 18);
}

static void gpmf_gps9(void **state) {
    (void)state;
    gpmf_case(true, 10);
}

/* HERO11 and later write each fix twice, as GPS5 and GPS9, in one payload: read once. */
static void gpmf_gps5_beside_gps9(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf p5[6], p9[6];
    assert_int_equal(tw_gpmf_payloads(&s, 18, 0, false, "Synth HERO", p5, 6), 6);
    assert_int_equal(tw_gpmf_payloads(&s, 10, 200, true, "Synth HERO", p9, 6), 6);
    for (int k = 0; k < 6; k++) assert_int_equal(tw_put(&p5[k], p9[k].p, p9[k].n), 0);
    const char *out = tt_path("gpmf59.mp4");
    assert_int_equal(tw_mp4_add_gpmd(tt_base_video(), out, p5, 6), 0);
    tt_free_bufs(p5, 6), tt_free_bufs(p9, 6);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.variant, "gps9");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6 * 10);
    assert_int_equal(tt_check_fixes(&s, &t, false), 0);
    dc_telemetry_free(&t);
}

static void novatek_case(tw_novatek_layout layout, const char *name, const char *variant,
                         double accel_tol, tw_scene s) {
    tw_buf b[6];
    for (int k = 0; k < 6; k++) assert_int_equal(tw_novatek_block(&s, layout, k, false, &b[k]), 0);
    const char *out = tt_path(name);
    assert_int_equal(tw_mp4_add_novatek(tt_base_video(), out, b, 6), 0);
    tt_free_bufs(b, 6);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "novatek");
    assert_string_equal(t.variant, variant);
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    for (int k = 0; k < 6; k++) assert_true(t.gps[k].t_sec == k);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    if (accel_tol > 0) {
        assert_int_equal(t.accel_count, 6);
        assert_int_equal(tt_check_accel(&s, &t, accel_tol), 0);
    } else {
        assert_int_equal(t.accel_count, 0);
    }
    dc_telemetry_free(&t);
}

static void novatek_float(void **state) {
    (void)state;
    novatek_case(TW_NOVATEK_FLOAT, "nvt-float.mp4", "float", 0, tt_scene());
}

static void novatek_a119v3(void **state) {
    (void)state;
    novatek_case(TW_NOVATEK_A119V3, "nvt-a119v3.mp4", "a119v3", 1.0 / 256, tt_scene());
}

static void novatek_double(void **state) {
    (void)state;
    novatek_case(TW_NOVATEK_DOUBLE, "nvt-double.mp4", "double", 0.001, tt_scene());
}

/* South and west: the hemisphere letters give the sign. */
static void novatek_south_west(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    s.lat0 = -33.4489, s.lon0 = -70.6693, s.heading_deg = 200;
    novatek_case(TW_NOVATEK_FLOAT, "nvt-sw.mp4", "float", 0, s);
}

/* A cold start: the first two blocks have no fix ('V'); they read as invalid fixes. */
static void novatek_cold_start(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf b[6];
    for (int k = 0; k < 6; k++)
        assert_int_equal(tw_novatek_block(&s, TW_NOVATEK_FLOAT, k, k < 2, &b[k]), 0);
    const char *out = tt_path("nvt-cold.mp4");
    assert_int_equal(tw_mp4_add_novatek(tt_base_video(), out, b, 6), 0);
    tt_free_bufs(b, 6);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_int_equal(t.gps_count, 6);
    assert_false(t.gps[0].valid);
    assert_false(t.gps[1].valid);
    assert_true(t.gps[0].lat == 0 && t.gps[0].speed_kmh == -1);
    assert_true(t.gps[2].valid);
    dc_telemetry_free(&t);
}

static void write_sidecar(const char *video, const char *ext, const tw_buf *b) {
    char path[4096];
    snprintf(path, sizeof path, "%.*s%s", (int)(strrchr(video, '.') - video), video, ext);
    assert_int_equal(tw_write_file(path, b->p, b->n), 0);
}

static void copy_video(const char *to) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tt_base_video(), to);
    assert_int_equal(system(cmd), 0);
}

static void nmea_sidecar(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf text;
    assert_int_equal(tw_nmea_text(&s, 1, false, &text), 0);
    const char *names[] = {"nmea-lower.mp4", "nmea-upper.mp4"};
    const char *exts[] = {".nmea", ".NMEA"};
    for (int i = 0; i < 2; i++) {
        const char *video = tt_path(names[i]);
        copy_video(video);
        write_sidecar(video, exts[i], &text);
        dc_telemetry t;
        tt_read_ok(video, &t);
        assert_string_equal(t.source, "nmea");
        assert_false(t.degraded);
        assert_int_equal(t.gps_count, 6);
        assert_true(t.gps[3].t_sec == 3.0);
        assert_int_equal(tt_check_fixes(&s, &t, true), 0);
        dc_telemetry_free(&t);
    }
    tw_buf_free(&text);
}

/* BlackVue: 20260314_092653_NF.mp4 reads 20260314_092653_N.gps and _N.3gf. */
static void blackvue_sidecars(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf gps, g3;
    assert_int_equal(tw_nmea_text(&s, 1, true, &gps), 0);
    assert_int_equal(tw_3gf(&s, 10, &g3), 0);
    const char *video = tt_path("20260314_092653_NF.mp4");
    copy_video(video);
    const char *shared = tt_path("20260314_092653_N.mp4"); /* names the sidecars only */
    write_sidecar(shared, ".gps", &gps);
    write_sidecar(shared, ".3gf", &g3);
    dc_telemetry t;
    tt_read_ok(video, &t);
    assert_string_equal(t.source, "blackvue");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    assert_int_equal(t.accel_count, 60);
    assert_int_equal(tt_check_accel(&s, &t, 0.5 / 128 + 1e-6), 0);
    assert_true(fabs(tt_peak_time(&t) - s.impact_sec) <= 0.1);
    dc_telemetry_free(&t);
    tw_buf_free(&gps), tw_buf_free(&g3);
}

static void no_telemetry(void **state) {
    (void)state;
    dc_telemetry t;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_telemetry_read(tt_base_video(), dc_deadline_in(30), &t, &st), DC_OK);
    assert_null(t.source);
    assert_int_equal(t.gps_count + t.accel_count, 0);
    assert_false(t.degraded);
    assert_false(st.degraded);
    dc_telemetry_free(&t);
    dc_telemetry_free(&t); /* safe twice */
}

static void missing_file_is_input_error(void **state) {
    (void)state;
    dc_telemetry t;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_telemetry_read(tt_path("absent.mp4"), dc_deadline_in(1), &t, &st),
                     DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "absent.mp4"));
    assert_null(t.source);
    dc_telemetry_free(&t);
}

int main(void) {
    if (!tt_base_video()) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gpmf_gps5_and_accl),    cmocka_unit_test(gpmf_gps9),
        cmocka_unit_test(gpmf_gps5_beside_gps9), cmocka_unit_test(novatek_float),
        cmocka_unit_test(novatek_a119v3),        cmocka_unit_test(novatek_double),
        cmocka_unit_test(novatek_south_west),    cmocka_unit_test(novatek_cold_start),
        cmocka_unit_test(nmea_sidecar),          cmocka_unit_test(blackvue_sidecars),
        cmocka_unit_test(no_telemetry),          cmocka_unit_test(missing_file_is_input_error),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(tt_base_video());
    return rc;
}
