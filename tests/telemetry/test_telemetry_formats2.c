/* The second set of formats (src/telemetry/tm_more.h), written by tools/synth-telemetry's
 * telemetry_writers2.c into (a copy of) a synth-video clip, read back as written: positions
 * within 1e-5 degrees, speeds within 0.1 km/h (or the format's own step: whole mph for PNDM),
 * UTC to the millisecond where the format has it, acceleration within the format's step, the
 * jolt at the impact; cold starts read as fixes without a position; and the bad forms (cut,
 * absurd sizes and counts, NaN, off the globe, time going backwards) are dropped or reported,
 * never fatal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "telemetry_test_util.h"
#include "telemetry_writers2.h"
#include "tm_more.h"
/* ---- Novatek TS ---------------------------------------------------------------------------- */

static void novatek_ts(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *in = tt_base_ts(), *out = tt_path("nvt.ts");
    assert_non_null(in);
    assert_int_equal(tw2_ts_add_novatek(&s, in, out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "novatek-ts");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    for (int k = 0; k < 6; k++) assert_true(fabs(t.gps[k].t_sec - k) < 1e-6);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    assert_int_equal(t.accel_count, 6);
    assert_int_equal(tt_check_accel(&s, &t, 0.5 / 256 + 1e-6), 0);
    dc_telemetry_free(&t);
}

/* damaged packets, a record cut short, PTS going backwards */
static void novatek_ts_bad_forms(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    uint8_t rec[56];
    tw2_novatek_ts_record(&s, 1, rec);
    tm_novatek_ts_record(&sink, (tm_bytes){rec, 56}, 2.0);
    tm_novatek_ts_record(&sink, (tm_bytes){rec, 56}, 1.0); /* backwards */
    tm_novatek_ts_record(&sink, (tm_bytes){rec, 20}, 3.0); /* cut */
    float nan = NAN;
    memcpy(rec + 28, &nan, 4);
    tm_novatek_ts_record(&sink, (tm_bytes){rec, 56}, 4.0); /* NaN latitude */
    assert_int_equal(t.gps_count, 1);
    assert_int_equal(t.dropped_backwards, 2); /* the fix and its sample */
    assert_int_equal(t.dropped_bad_value, 1);
    assert_true(t.degraded);
    /* a stream of garbage and a lone sync byte: no crash, sync loss noted */
    uint8_t junk[188 * 4];
    memset(junk, 0x47, sizeof junk);
    junk[5] = 0;
    tm_novatek_ts_packets(&sink, (tm_bytes){junk, sizeof junk});
    dc_telemetry_free(&t);
}

/* ---- Novatek freeGPS blocks with text ---------------------------------------------------- */

static void novatek_text_case(tw2_novatek_text kind, const char *name, const char *variant,
                              double accel_tol) {
    tw_scene s = tt_scene();
    const char *out = tt_path(name);
    assert_int_equal(tw2_mp4_add_novatek_text(&s, kind, 0, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "novatek-text");
    assert_string_equal(t.variant, variant);
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    for (int k = 0; k < 6; k++) assert_true(t.gps[k].t_sec == k);
    assert_int_equal(tt_check_fixes(&s, &t, kind != TW2_NVT_XOR), 0);
    assert_int_equal(t.accel_count, accel_tol > 0 ? 6 : 0);
    if (accel_tol > 0) assert_int_equal(tt_check_accel(&s, &t, accel_tol), 0);
    dc_telemetry_free(&t);
}

static void novatek_xor(void **state) {
    (void)state;
    novatek_text_case(TW2_NVT_XOR, "nvt-xor.mp4", "xor-aa", 0.005 + 1e-6);
}
static void novatek_rmc16(void **state) {
    (void)state;
    novatek_text_case(TW2_NVT_RMC16, "nvt-rmc16.mp4", "rmc+16", 0);
}
static void novatek_nextbase(void **state) {
    (void)state;
    novatek_text_case(TW2_NVT_NMEA, "nvt-nmea.mp4", "nmea", 0.5 / 256 + 1e-6);
}

/* cold start: no position for 2 s; a wrong checksum; a block of another layout */
static void novatek_text_cold_and_bad(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("nvt-xor-cold.mp4");
    assert_int_equal(tw2_mp4_add_novatek_text(&s, TW2_NVT_XOR, 2, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_int_equal(t.gps_count, 6);
    assert_false(t.gps[0].valid);
    assert_false(t.gps[1].valid);
    assert_true(t.gps[0].utc_ms == tw_fix_at(&s, 0).utc_ms); /* the clock still ticks */
    assert_true(t.gps[2].valid);
    dc_telemetry_free(&t);

    dc_telemetry u = {0};
    tm_sink sink = {.out = &u, .dl = dc_deadline_in(5)};
    tw_buf b;
    assert_int_equal(tw2_novatek_text_block(&s, TW2_NVT_NMEA, 1, false, &b), 0);
    char *star = memchr(b.p + 81, '*', b.n - 81);
    assert_non_null(star);
    star[1] = star[1] == '0' ? '1' : '0'; /* wrong checksum: the fix is not taken */
    assert_true(tm_novatek_text_block(&sink, (tm_bytes){b.p, b.n}, 1));
    assert_int_equal(u.gps_count, 0);
    assert_true(u.degraded);
    assert_false(tm_novatek_text_block(&sink, (tm_bytes){b.p, 40}, 2)); /* cut: not text */
    tw_buf_free(&b);
    dc_telemetry_free(&u);
}

/* ---- text tracks --------------------------------------------------------------------------- */

static void text_nmea(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("text-nmea.mp4");
    assert_int_equal(tw2_mp4_add_text_track(&s, TW2_TEXT_NMEA, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "text-track");
    assert_string_equal(t.variant, "nmea");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    dc_telemetry_free(&t);
}

static void text_thinkware(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("text-thinkware.mp4");
    assert_int_equal(tw2_mp4_add_text_track(&s, TW2_TEXT_THINKWARE, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "text-track");
    assert_string_equal(t.variant, "thinkware");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    assert_int_equal(t.accel_count, 6);
    assert_int_equal(tt_check_accel(&s, &t, 0.5 / 512 + 1e-6), 0);
    assert_true(fabs(tt_peak_time(&t) - s.impact_sec) < 1e-9);
    dc_telemetry_free(&t);
}

static void text_garmin_pndm(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("text-pndm.mp4");
    assert_int_equal(tw2_mp4_add_text_track(&s, TW2_TEXT_PNDM, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "text-track");
    assert_string_equal(t.variant, "garmin-pndm");
    assert_int_equal(t.gps_count, 6);
    /* whole mph: half a mph is 0.81 km/h */
    assert_int_equal(tt_check_positions(&s, &t, 0.5 * 1.609344 + 1e-6, false), 0);
    assert_true(t.gps[0].utc_ms == DC_TELEMETRY_NO_UTC);
    dc_telemetry_free(&t);
}

static void text_bad_forms(void **state) {
    (void)state;
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    const char *off_globe = "$GPRMC,092653.00,A,9522.00000,N,00832.00000,E,10.0,0.0,140326,,,A";
    char line[200];
    unsigned sum = 0;
    for (const char *c = off_globe + 1; *c; c++) sum ^= (unsigned char)*c;
    snprintf(line, sizeof line, "%s*%02X", off_globe, sum);
    tm_text_sample(&sink, (tm_bytes){(const uint8_t *)line, strlen(line)}, 0);       /* lat 95 */
    tm_text_sample(&sink, (tm_bytes){(const uint8_t *)"PNDM\0\0", 6}, 1);            /* cut PNDM */
    tm_text_sample(&sink, (tm_bytes){(const uint8_t *)"GPRMC,12", 8}, 2);            /* cut RMC */
    tm_text_sample(&sink, (tm_bytes){(const uint8_t *)"gsensori,4,0,1,2,3", 18}, 3); /* scale 0 */
    tm_text_sample(&sink, (tm_bytes){(const uint8_t *)"gsensori,4,1,9999,0,0", 21}, 4); /* 9999 g */
    assert_int_equal(t.gps_count, 0);
    assert_int_equal(t.accel_count, 0);
    assert_int_equal(t.dropped_bad_value, 2);
    assert_true(t.degraded); /* the cut PNDM */
    dc_telemetry_free(&t);
}

/* ---- 70mai ------------------------------------------------------------------------------- */

static void mai70(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("70mai.mp4");
    assert_int_equal(tw2_mp4_add_70mai(&s, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "70mai");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    for (int k = 0; k < 6; k++) assert_true(t.gps[k].t_sec == k);
    assert_int_equal(tt_check_positions(&s, &t, 0.001, false), 0);
    dc_telemetry_free(&t);
}

static void mai70_bad_forms(void **state) {
    (void)state;
    uint8_t r[36 * 3 + 5] = {0};
    for (int i = 0; i < 3; i++) {
        uint8_t *p = r + 36 * i;
        p[0] = p[4] = 1;
        p[8] = (uint8_t)(i == 2 ? 0 : 5 + i); /* 5, 6, then 0: backwards */
        p[16] = i == 1 ? 'X' : 'N', p[21] = 'E';
        uint32_t lat = i == 0 ? 9900000u : 4722000u; /* 99 degrees: off the globe */
        memcpy(p + 17, (uint8_t[]){(uint8_t)lat, (uint8_t)(lat >> 8), (uint8_t)(lat >> 16), 0}, 4);
    }
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    tm_mai70_records(&sink, (tm_bytes){r, sizeof r});
    assert_int_equal(t.dropped_bad_value, 1);
    assert_int_equal(t.gps_count, 1); /* the record without letters: no fix */
    assert_false(t.gps[0].valid);
    assert_int_equal(t.dropped_backwards, 1);
    assert_true(t.degraded); /* 5 bytes after the last record */
    dc_telemetry_free(&t);
}

/* ---- camm --------------------------------------------------------------------------------- */

static void camm(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("camm.mp4");
    assert_int_equal(tw2_mp4_add_camm(&s, 100, 1, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "camm");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    assert_false(t.gps[0].valid); /* fix type 0 */
    dc_telemetry valid = t;
    valid.gps = t.gps + 1, valid.gps_count = 5;
    assert_int_equal(tt_check_fixes(&s, &valid, false), 0);
    /* heading: the velocity's direction while moving, none when standing */
    for (int i = 1; i < 6; i++)
        if (t.gps[i].speed_kmh > 0) assert_true(fabs(t.gps[i].heading_deg - s.heading_deg) < 0.01);
        else assert_true(t.gps[i].heading_deg == -1);
    assert_int_equal(t.accel_count, 600);
    assert_int_equal(tt_check_accel(&s, &t, 1e-5), 0);
    assert_true(fabs(tt_peak_time(&t) - s.impact_sec) < 0.011);
    dc_telemetry_free(&t);
}

static void camm_bad_forms(void **state) {
    (void)state;
    uint8_t p[60] = {0};
    p[2] = 6;
    p[12] = 3;
    double nan = NAN, big = 95;
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    memcpy(p + 16, &nan, 8);
    tm_camm_sample(&sink, (tm_bytes){p, 60}, 0); /* NaN latitude */
    memcpy(p + 16, &big, 8);
    tm_camm_sample(&sink, (tm_bytes){p, 60}, 1); /* 95 degrees */
    tm_camm_sample(&sink, (tm_bytes){p, 59}, 2); /* cut */
    p[2] = 9;
    tm_camm_sample(&sink, (tm_bytes){p, 60}, 3); /* unknown type */
    assert_int_equal(t.gps_count, 0);
    assert_int_equal(t.dropped_bad_value, 2);
    assert_true(t.degraded);
    dc_telemetry_free(&t);
}

/* A file cut in its telemetry, and a 70mai box that claims 4 GB: what is there is read, the
 * damage is reported, nothing fails. */
static void cut_files(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *full = tt_path("70mai-full.mp4"), *cut = tt_path("70mai-cut.mp4");
    assert_int_equal(tw2_mp4_add_70mai(&s, tt_base_video(), full), 0);
    FILE *f = fopen(full, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    /* the box's size field: it claims ~4 GB, and the file ends 40 bytes into its records */
    uint8_t *hdr = memmem(b, (size_t)n, "GPS \1\0\0\0", 8);
    assert_non_null(hdr);
    hdr -= 4;
    hdr[0] = 0xff, hdr[1] = 0xff, hdr[2] = 0xff, hdr[3] = 0xf0;
    assert_int_equal(tw_write_file(cut, b, (size_t)(hdr + 8 + 4 * 36 + 20 - b)), 0);
    free(b);
    dc_telemetry t;
    tt_read_ok(cut, &t);
    assert_string_equal(t.source, "70mai");
    assert_true(t.degraded);
    assert_int_equal(t.gps_count, 4); /* 4 whole records before the cut */
    dc_telemetry_free(&t);

    const char *camm_full = tt_path("camm-full.mp4"), *camm_cut = tt_path("camm-cut.mp4");
    assert_int_equal(tw2_mp4_add_camm(&s, 10, 0, tt_base_video(), camm_full), 0);
    /* the new moov is at the end: cut, its end (the video track) is lost, noted as damage */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "head -c $(( $(stat -c %%s '%s') - 100 )) '%s' > '%s'", camm_full,
             camm_full, camm_cut);
    assert_int_equal(system(cmd), 0);
    tt_read_ok(camm_cut, &t);
    assert_true(t.degraded);
    assert_true(t.gps_count <= 6);
    dc_telemetry_free(&t);
}

int main(void) {
    if (!tt_base_video() || !tt_base_ts()) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(novatek_ts),
        cmocka_unit_test(novatek_ts_bad_forms),
        cmocka_unit_test(novatek_xor),
        cmocka_unit_test(novatek_rmc16),
        cmocka_unit_test(novatek_nextbase),
        cmocka_unit_test(novatek_text_cold_and_bad),
        cmocka_unit_test(text_nmea),
        cmocka_unit_test(text_thinkware),
        cmocka_unit_test(text_garmin_pndm),
        cmocka_unit_test(text_bad_forms),
        cmocka_unit_test(mai70),
        cmocka_unit_test(mai70_bad_forms),
        cmocka_unit_test(camm),
        cmocka_unit_test(camm_bad_forms),
        cmocka_unit_test(cut_files),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(tt_base_video());
    unlink(tt_base_ts());
    return rc;
}
