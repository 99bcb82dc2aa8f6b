/* The third set of formats (ssmd, LigoGPS, ATC, BlackVue's free box, GPX, NMEA $GSENSOR),
 * written by tools/synth-telemetry's telemetry_writers3.c into (a copy of) a synth-video clip,
 * read back as written: positions within 1e-5 degrees, speeds within 0.1 km/h (whole knots for
 * Rove ssmd), UTC to the millisecond; a fabricated ssmd track reads as no fix; the bad forms
 * (cut, absurd sizes, NaN, off the globe, time going backwards) are dropped or reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "telemetry_test_util.h"
#include "telemetry_writers3.h"
#include "tm_more.h"

/* ---- ssmd ------------------------------------------------------------------------------------ */

static void ssmd_rove(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("rove.mp4");
    assert_int_equal(tw3_mp4_add_ssmd(&s, TW3_SSMD_ROVE, 10, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "ssmd");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(tt_check_positions(&s, &t, 0.5 * 1.852 + 1e-6, true), 0);
    assert_int_equal(t.accel_count, 60);
    assert_int_equal(tt_check_accel(&s, &t, 1e-4), 0);
    assert_true(fabs(tt_peak_time(&t) - s.impact_sec) <= 0.1);
    dc_telemetry_free(&t);
}

/* the same position repeated with the no-fix status, or with no status at all: no fix */
static void ssmd_fabricated(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const tw3_ssmd_kind kinds[2] = {TW3_SSMD_FABRICATED, TW3_SSMD_STUCK};
    for (int i = 0; i < 2; i++) {
        const char *out = tt_path(i ? "stuck.mp4" : "fabricated.mp4");
        assert_int_equal(tw3_mp4_add_ssmd(&s, kinds[i], 0, tt_base_video(), out), 0);
        dc_telemetry t;
        tt_read_ok(out, &t);
        assert_string_equal(t.source, "ssmd");
        assert_int_equal(t.gps_count, 6);
        for (int k = 0; k < 6; k++) {
            assert_false(t.gps[k].valid);
            assert_true(t.gps[k].lat == 0 && t.gps[k].speed_kmh == -1);
        }
        assert_int_equal(t.degraded, i == 1); /* the guess is reported, the status is not */
        dc_telemetry_free(&t);
    }
    /* the 4294967295 "no GPS" value with a fix status is still no position */
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    uint8_t r[32];
    tw3_rove_record(&s, 1, true, NULL, false, r);
    tm_ssmd_sample(&sink, (tm_bytes){r, 32}, 1);
    assert_int_equal(t.gps_count, 1);
    assert_false(t.gps[0].valid);
    dc_telemetry_free(&t);
}

static void ssmd_ligo(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("ssmd-ligo.mp4");
    assert_int_equal(tw3_mp4_add_ssmd(&s, TW3_SSMD_LIGO, 0, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "ssmd");
    assert_string_equal(t.variant, "ligogps");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    assert_int_equal(t.accel_count, 6);
    assert_int_equal(tt_check_accel(&s, &t, 0.0006), 0);
    dc_telemetry_free(&t);
}

/* ---- LigoGPS trailer and its bad forms ---------------------------------------------------- */

static void ligogps_trailer(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("ligo-trailer.mp4");
    assert_int_equal(tw3_add_ligogps_trailer(&s, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "ligogps");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    for (int k = 0; k < 6; k++) assert_true(fabs(t.gps[k].t_sec - k) < 1e-9);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    dc_telemetry_free(&t);
}

static void ligogps_bad_forms(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf p = {0};
    assert_int_equal(tw3_ligogps_payload(&s, 0, 3, true, &p), 0);
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    tm_ligo_state first;
    tm_ligo_state_init(&first);
    /* unscrambled records read as written */
    assert_int_equal(tm_ligogps_payload(&sink, (tm_bytes){p.p, p.n}, -1, &first), 3);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    dc_telemetry_free(&t);
    /* cut in the middle of the second record: the first is read, the second reported */
    t = (dc_telemetry){0};
    sink = (tm_sink){.out = &t, .dl = dc_deadline_in(5)};
    tm_ligo_state_init(&first);
    assert_int_equal(tm_ligogps_payload(&sink, (tm_bytes){p.p, 0x14 + 0x84 + 40}, -1, &first), 1);
    assert_true(t.degraded);
    dc_telemetry_free(&t);
    /* a count of 4 GB, a steering byte of the digit cipher: not read, reported */
    t = (dc_telemetry){0};
    sink = (tm_sink){.out = &t, .dl = dc_deadline_in(5)};
    tm_ligo_state_init(&first);
    uint8_t *r = p.p + 0x14;
    r[4] = r[5] = r[6] = r[7] = 0xff;
    r[0x84 + 8] = 0x20;
    assert_int_equal(tm_ligogps_payload(&sink, (tm_bytes){p.p, p.n}, -1, &first), 1);
    assert_true(t.degraded);
    dc_telemetry_free(&t);
    tw_buf_free(&p);
    /* off the globe and time going back: dropped */
    tw_scene far = s;
    far.lat0 = 95;
    tw_buf q = {0};
    assert_int_equal(tw3_ligogps_payload(&far, 0, 2, true, &q), 0);
    t = (dc_telemetry){0};
    sink = (tm_sink){.out = &t, .dl = dc_deadline_in(5)};
    tm_ligo_state_init(&first);
    tm_ligogps_payload(&sink, (tm_bytes){q.p, q.n}, -1, &first);
    assert_int_equal(t.gps_count, 0);
    assert_int_equal(t.dropped_bad_value, 2);
    tw_buf_free(&q);
    assert_int_equal(tw3_ligogps_payload(&s, 3, 1, true, &q), 0);
    tm_ligogps_payload(&sink, (tm_bytes){q.p, q.n}, 5, &first);
    tm_ligogps_payload(&sink, (tm_bytes){q.p, q.n}, 4, &first);
    assert_int_equal(t.gps_count, 1);
    assert_int_equal(t.dropped_backwards, 2); /* the fix and its sample */
    tw_buf_free(&q);
    dc_telemetry_free(&t);
}

/* ---- ATC --------------------------------------------------------------------------------------- */

static void atc(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("atc.mp4");
    assert_int_equal(tw3_mp4_add_atc(&s, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "atc");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    for (int k = 0; k < 6; k++) assert_true(fabs(t.gps[k].t_sec - k) < 1e-9);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    dc_telemetry_free(&t);
}

static void atc_bad_forms(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf b = {0};
    assert_int_equal(tw3_atc_block(&s, 2, &b), 0);
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    int last[6] = {0};
    tm_atc_block(&sink, (tm_bytes){b.p, b.n}, 2, last);
    tm_atc_block(&sink, (tm_bytes){b.p, b.n}, 3, last); /* nothing newer: no fix */
    assert_int_equal(t.gps_count, 1);
    tm_atc_block(&sink, (tm_bytes){b.p, 0x40}, 4, last); /* cut before the records */
    assert_true(t.degraded);
    /* a record whose month is 13 is an empty slot; latitude 95 degrees is dropped */
    tw_buf c = {0};
    assert_int_equal(tw3_atc_block(&s, 5, &c), 0);
    uint8_t *r = c.p + 0x30 + 5 * 52;
    uint8_t k1 = r[0x14];
    int32_t lat = 950000000;
    for (int i = 0; i < 4; i++) r[0x10 + i] = (uint8_t)((uint32_t)lat >> (8 * i)) ^ k1;
    tm_atc_block(&sink, (tm_bytes){c.p, c.n}, 5, last);
    assert_int_equal(t.gps_count, 1);
    assert_int_equal(t.dropped_bad_value, 1);
    tw_buf_free(&b), tw_buf_free(&c);
    dc_telemetry_free(&t);
}

/* ---- BlackVue free box ------------------------------------------------------------------------ */

static void blackvue_box(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("blackvue-box.mp4");
    assert_int_equal(tw3_mp4_add_blackvue_box(&s, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "blackvue");
    assert_string_equal(t.variant, "free-box");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    assert_int_equal(t.accel_count, 60);
    assert_int_equal(tt_check_accel(&s, &t, 0.5 / 128 + 1e-6), 0);
    dc_telemetry_free(&t);
}

/* ---- GPX and NMEA $GSENSOR ---------------------------------------------------------------- */

static void gpx(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf b = {0};
    assert_int_equal(tw3_gpx(&s, &b), 0);
    const char *video = tt_path("gpx.mp4");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tt_base_video(), video);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(tw_write_file(tt_path("gpx.gpx"), b.p, b.n), 0);
    dc_telemetry t;
    tt_read_ok(video, &t);
    assert_string_equal(t.source, "gpx");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    dc_telemetry_free(&t);
    tw_buf_free(&b);
    /* NaN, off the globe, an entity, no time, time going back, a tag never closed */
    const char *bad = "<gpx><trk><trkseg>"
                      "<trkpt lat=\"NaN\" lon=\"8\"><time>2026-03-14T09:26:53Z</time></trkpt>"
                      "<trkpt lat=\"47\" lon=\"190\"><time>2026-03-14T09:26:54Z</time></trkpt>"
                      "<trkpt lat=\"4&#55;\" lon=\"8\"><time>2026-03-14T09:26:55Z</time></trkpt>"
                      "<trkpt lat=\"47\" lon=\"8\"></trkpt>"
                      "<trkpt lat=\"47\" lon=\"8\"><time>2026-03-14T09:26:56Z</time></trkpt>"
                      "<trkpt lat=\"47\" lon=\"8\"><time>2026-03-14T09:26:55Z</time></trkpt>"
                      "<trkpt lat=\"47\" lon=\"8\"><time>2026-03-14T09:2";
    t = (dc_telemetry){0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    tm_gpx_text(&sink, (tm_bytes){(const uint8_t *)bad, strlen(bad)});
    assert_int_equal(t.gps_count, 1);
    assert_int_equal(t.dropped_bad_value, 3);
    assert_int_equal(t.dropped_backwards, 1);
    assert_true(t.degraded);
    dc_telemetry_free(&t);
}

static void nmea_gsensor(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf b = {0};
    assert_int_equal(tw3_nmea_gsensor(&s, 5, &b), 0);
    const char *video = tt_path("gsensor.mp4");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tt_base_video(), video);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(tw_write_file(tt_path("gsensor.nmea"), b.p, b.n), 0);
    dc_telemetry t;
    tt_read_ok(video, &t);
    assert_string_equal(t.source, "nmea");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    assert_int_equal(t.accel_count, 30);
    assert_int_equal(tt_check_accel(&s, &t, 0.0006), 0);
    dc_telemetry_free(&t);
    tw_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ssmd_rove),
        cmocka_unit_test(ssmd_fabricated),
        cmocka_unit_test(ssmd_ligo),
        cmocka_unit_test(ligogps_trailer),
        cmocka_unit_test(ligogps_bad_forms),
        cmocka_unit_test(atc),
        cmocka_unit_test(atc_bad_forms),
        cmocka_unit_test(blackvue_box),
        cmocka_unit_test(gpx),
        cmocka_unit_test(nmea_gsensor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
