/* The fifth set of layouts, written by tools/synth-telemetry's telemetry_writers5.c and read
 * back as written: LigoGPS's digit cipher (the ligogps row, variant "ligogps-cipher": the
 * table learnt from the records, also with a skipped second, in the southern and western
 * hemispheres, and too few records to learn it: reported, no position), 70mai A810 blocks
 * without a fix (a cold start: invalid fixes, then the fixes), GoPro GPMF whose ACCL and GYRO
 * are stored in another axis order (ORIN, or a model's known order without it) coming out in
 * the camera's X, Y, Z (accelerometer within 0.002 g, gyroscope within 0.002 rad/s),
 * Vueroid's tvxt track (20 records a second: the position of the whole second, speed and
 * acceleration of the record's time, a cold start and the closing zero record as no fix). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "telemetry_test_util.h"
#include "telemetry_writers5.h"
#include "tm_internal.h"
#include "tm_more.h"

/* Reads a cipher payload of the scene's seconds [0, n) (skip: a second left out). */
static void read_cipher(const tw_scene *s, int n, int skip, unsigned key, dc_telemetry *t,
                        int *read) {
    tw_buf p = {0};
    assert_int_equal(tw5_ligogps_cipher_payload(s, 0, n, skip, key, &p), 0);
    *t = (dc_telemetry){0};
    tm_sink sink = {.out = t, .dl = dc_deadline_in(5)};
    tm_ligo_state st;
    tm_ligo_state_init(&st);
    *read = tm_ligogps_payload(&sink, (tm_bytes){p.p, p.n}, -1, &st);
    tm_ligo_state_end(&sink, &st);
    tw_buf_free(&p);
}

static void ligogps_cipher_trailer(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    s.duration_sec = 20;
    const char *out = tt_path("ligogps-cipher.mp4");
    assert_int_equal(tw5_add_ligogps_cipher_trailer(&s, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "ligogps");
    assert_string_equal(t.variant, "ligogps-cipher");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 20);
    for (int k = 0; k < 20; k++) assert_true(fabs(t.gps[k].t_sec - k) < 1e-9);
    assert_int_equal(tt_check_positions(&s, &t, KMH_TOL, true), 0);
    /* the accelerometer's "x:" is not enciphered but its ':' and digits are */
    assert_int_equal(t.accel_count, 20);
    assert_int_equal(tt_check_accel(&s, &t, 0.001), 0);
    dc_telemetry_free(&t);
}

static void ligogps_cipher_forms(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    s.duration_sec = 30;
    dc_telemetry t;
    int read = 0;
    /* other keys, a second the receiver skipped (second 8): the cycle still closes */
    for (unsigned key = 1; key < 6; key++) {
        read_cipher(&s, 30, 8, key, &t, &read);
        assert_int_equal(read, 29);
        assert_int_equal(t.gps_count, 29);
        assert_false(t.degraded);
        assert_int_equal(tt_check_positions(&s, &t, KMH_TOL, true), 0);
        dc_telemetry_free(&t);
    }
    /* tables as drawn: where the enciphered year starts with a byte of 0x40..0x5f a record may
     * also decrypt (into garbage); it is then tried as the cipher, and every record is read */
    int garbage_decrypts = 0;
    for (unsigned key = 1; key <= 40; key++) {
        read_cipher(&s, 30, -1, key | TW5_CIPHER_AS_DRAWN, &t, &read);
        if (read != 30 || tt_check_positions(&s, &t, KMH_TOL, true))
            fail_msg("key %u: %d of 30 records read", key, read);
        dc_telemetry_free(&t);
        tw_buf p = {0};
        assert_int_equal(tw5_ligogps_cipher_payload(&s, 0, 1, -1, key | TW5_CIPHER_AS_DRAWN, &p),
                         0);
        garbage_decrypts += p.p[0x14 + 8] >= 0x40;
        tw_buf_free(&p);
    }
    assert_true(garbage_decrypts > 0); /* the case happened among the keys */
    /* the southern and western hemispheres: a '-' names the letters S and W */
    tw_scene sw = s;
    sw.lat0 = -33.8688, sw.lon0 = -70.6693;
    read_cipher(&sw, 30, -1, 3, &t, &read);
    assert_int_equal(read, 30);
    assert_int_equal(tt_check_positions(&sw, &t, KMH_TOL, true), 0);
    dc_telemetry_free(&t);
    /* too few records (6 s: five digits seen) to learn the table: none read, reported */
    read_cipher(&s, 6, -1, 3, &t, &read);
    assert_int_equal(read, 0);
    assert_int_equal(t.gps_count, 0);
    assert_true(t.degraded);
    assert_non_null(strstr(t.reason, "digit cipher"));
    dc_telemetry_free(&t);
    /* one record a payload (ssmd samples, TS packets): the table is learnt across payloads and
     * the records read at their own times */
    tw_buf whole = {0};
    assert_int_equal(tw5_ligogps_cipher_payload(&s, 0, 15, -1, 4, &whole), 0);
    t = (dc_telemetry){0};
    tm_sink each = {.out = &t, .dl = dc_deadline_in(5)};
    tm_ligo_state across;
    tm_ligo_state_init(&across);
    int total = 0;
    for (int k = 0; k < 15; k++) {
        uint8_t one[0x14 + 0x84];
        memcpy(one, whole.p, 0x14);
        memcpy(one + 0x14, whole.p + 0x14 + 0x84 * k, 0x84);
        total += tm_ligogps_payload(&each, (tm_bytes){one, sizeof one}, k + 0.5, &across);
    }
    tm_ligo_state_end(&each, &across);
    assert_int_equal(total, 15);
    assert_int_equal(t.gps_count, 15);
    for (int k = 0; k < 15; k++) assert_true(t.gps[k].t_sec == k + 0.5);
    assert_false(t.degraded);
    dc_telemetry_free(&t);
    tw_buf_free(&whole);
    /* a record cut short after the table is known: the rest are read, the cut one reported */
    tw_buf p = {0};
    assert_int_equal(tw5_ligogps_cipher_payload(&s, 0, 30, -1, 3, &p), 0);
    t = (dc_telemetry){0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    tm_ligo_state st;
    tm_ligo_state_init(&st);
    memset(p.p + 0x14 + 0x84 * 25 + 8 + 20, 0, 0x84 - 28); /* no position left */
    assert_int_equal(tm_ligogps_payload(&sink, (tm_bytes){p.p, p.n}, -1, &st), 29);
    tm_ligo_state_end(&sink, &st);
    assert_true(t.degraded);
    dc_telemetry_free(&t);
    tw_buf_free(&p);
}

static void a810_cold_start(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("a810-cold.mp4");
    assert_int_equal(tw5_mp4_add_a810_cold(&s, 3, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "novatek");
    assert_string_equal(t.variant, "a810");
    assert_false(t.degraded); /* before: "a layout this version does not read" */
    assert_int_equal(t.gps_count, 6);
    for (int k = 0; k < 6; k++) {
        assert_true(fabs(t.gps[k].t_sec - k) < 1e-9);
        assert_int_equal(t.gps[k].valid, k >= 3);
        assert_int_equal(t.gps[k].utc_ms, DC_TELEMETRY_NO_UTC);
    }
    for (int k = 0; k < 3; k++) assert_true(t.gps[k].lat == 0 && t.gps[k].lon == 0);
    tw_fix w = tw_fix_at(&s, 4);
    assert_true(fabs(t.gps[4].lat - w.lat) <= DEG_TOL && fabs(t.gps[4].lon - w.lon) <= DEG_TOL);
    dc_telemetry_free(&t);
}

/* Every gyroscope sample equals the scene's rotation at its time within tol rad/s. */
static int check_gyro(const tw_scene *s, const dc_telemetry *t, double tol) {
    int bad = 0;
    for (int i = 0; i < t->gyro_count; i++) {
        const dc_gyro_sample *g = &t->gyro[i];
        double x, y, z;
        tw5_gyro_at(s, g->t_sec, &x, &y, &z);
        if ((fabs(g->x - x) > tol || fabs(g->y - y) > tol || fabs(g->z - z) > tol) && bad++ < 3)
            fprintf(stderr, "gyro %d at %.3f s: read %.4f %.4f %.4f, wrote %.4f %.4f %.4f\n", i,
                    g->t_sec, g->x, g->y, g->z, x, y, z);
    }
    return bad;
}

static void gpmf_orientation(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    static const struct {
        const char *order, *device;
        bool orin;
    } cases[] = {
        {"YxZ", "HERO8 Black", true},  /* ORIN as HERO6+ write it */
        {"ZXY", "HERO11 Black", true}, /* ORIN as HERO11 writes it */
        {"yXz", "Synth cam", true},    /* any permutation and signs */
        {"YxZ", "Hero6 Black", false}, /* no ORIN: the HERO6's known order */
        {"ZXY", "Camera", false},      /* no ORIN: what a HERO5 calls itself, Z, X, Y */
        {"XYZ", "Synth cam", false},   /* no ORIN, unknown device: as stored */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *out = tt_path("gpmf-orin.mp4");
        assert_int_equal(tw5_mp4_add_gpmf_oriented(&s, cases[i].order, cases[i].orin,
                                                   cases[i].device, tt_base_video(), out),
                         0);
        dc_telemetry t;
        tt_read_ok(out, &t);
        assert_string_equal(t.source, "gpmf");
        assert_false(t.degraded);
        assert_int_equal(t.accel_count, 1200);
        assert_int_equal(t.gyro_count, 1200);
        if (tt_check_accel(&s, &t, 0.002) || check_gyro(&s, &t, 0.002))
            fail_msg("order %s (ORIN %s, %s)", cases[i].order, cases[i].orin ? "written" : "none",
                     cases[i].device);
        assert_true(fabs(tt_peak_time(&t) - s.impact_sec) < 0.01); /* the jolt on x */
        dc_telemetry_free(&t);
    }
    /* an ORIN that names an axis twice: noted, axes as stored */
    tw_buf p = {0};
    assert_int_equal(tw5_gpmf_oriented_payload(&s, 0, 10, "XYZ", true, "Synth cam", &p), 0);
    uint8_t *orin = memmem(p.p, p.n, "ORIN", 4);
    assert_non_null(orin);
    orin[8 + 1] = 'X';
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    tm_gpmf_payload(&sink, (tm_bytes){p.p, p.n}, 0, 1);
    assert_true(t.degraded);
    assert_non_null(strstr(t.reason, "ORIN"));
    assert_int_equal(t.accel_count, 10);
    assert_int_equal(tt_check_accel(&s, &t, 0.002), 0);
    dc_telemetry_free(&t);
    tw_buf_free(&p);
}

/* camm type 2 (gyroscope, rad/s) goes to t.gyro, beside type 3 (accelerometer) */
static void camm_gyro(void **state) {
    (void)state;
    uint8_t sample[32] = {0};
    float gyro[3] = {0.25f, -0.5f, 1.5f}, acc[3] = {0, 0, 9.80665f};
    sample[2] = 2;
    memcpy(sample + 4, gyro, 12);
    sample[18] = 3;
    memcpy(sample + 20, acc, 12);
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    tm_camm_sample(&sink, (tm_bytes){sample, sizeof sample}, 2.0);
    tm_camm_sample(&sink, (tm_bytes){sample, sizeof sample}, 1.0); /* backwards: dropped */
    assert_int_equal(t.gyro_count, 1);
    assert_true(t.gyro[0].t_sec == 2.0 && t.gyro[0].x == 0.25f && t.gyro[0].y == -0.5f &&
                t.gyro[0].z == 1.5f);
    assert_int_equal(t.accel_count, 1);
    assert_true(fabs(t.accel[0].z - 1.0) < 1e-6);
    assert_int_equal(t.dropped_backwards, 2);
    dc_telemetry_free(&t);
}

static void vueroid(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    for (int hemi = 0; hemi < 2; hemi++) {
        if (hemi) s.lat0 = -33.8688, s.lon0 = -70.6693;
        const char *out = tt_path("vueroid.mp4");
        assert_int_equal(tw5_mp4_add_vueroid(&s, 20, 1, tt_base_video(), out), 0);
        dc_telemetry t;
        tt_read_ok(out, &t);
        assert_string_equal(t.source, "vueroid");
        assert_string_equal(t.variant, "tvxt");
        assert_false(t.degraded);
        assert_int_equal(t.gps_count, 121);
        int bad = 0;
        for (int i = 0; i < t.gps_count; i++) {
            const dc_gps_fix *f = &t.gps[i];
            assert_true(fabs(f->t_sec - i / 20.0) < 1e-6);
            bool cold = i < 20 || i == 120;
            assert_int_equal(f->valid, !cold);
            if (cold) {
                assert_true(f->lat == 0 && f->lon == 0);
                if (i < 20) assert_true(f->utc_ms == DC_TELEMETRY_NO_UTC);
                continue;
            }
            tw_fix whole = tw_fix_at(&s, floor(f->t_sec + 1e-9)), now = tw_fix_at(&s, f->t_sec);
            if ((fabs(f->lat - whole.lat) > DEG_TOL || fabs(f->lon - whole.lon) > DEG_TOL ||
                 fabs(f->speed_kmh - now.speed_kmh) > 0.01 || llabs(f->utc_ms - now.utc_ms) > 1) &&
                bad++ < 3)
                fprintf(stderr, "vueroid fix %d at %.2f: %.7f %.7f %.3f %lld\n", i, f->t_sec,
                        f->lat, f->lon, f->speed_kmh, (long long)f->utc_ms);
        }
        assert_int_equal(bad, 0);
        assert_int_equal(t.accel_count, 100);
        assert_int_equal(tt_check_accel(&s, &t, 1e-5), 0);
        assert_true(fabs(tt_peak_time(&t) - s.impact_sec) < 0.06);
        dc_telemetry_free(&t);
    }
    /* damaged records: a hemisphere byte of 2, minutes of 60, NaN speed (the fix dropped) */
    s = tt_scene();
    uint8_t r[72];
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(5)};
    int64_t anchor = DC_TELEMETRY_NO_UTC;
    double anchor_t = 0;
    assert_int_equal(tw5_vueroid_record(&s, 1, false, r), 0);
    assert_true(tm_vueroid_record(&sink, r, 1, &anchor, &anchor_t));
    r[0x34] = 2;
    assert_false(tm_vueroid_record(&sink, r, 1.05, &anchor, &anchor_t));
    assert_int_equal(tw5_vueroid_record(&s, 1.1, false, r), 0);
    float sixty = 4760.0f;
    memcpy(r + 0x3c, &sixty, 4);
    assert_false(tm_vueroid_record(&sink, r, 1.1, &anchor, &anchor_t));
    assert_int_equal(tw5_vueroid_record(&s, 1.15, false, r), 0);
    float nan = NAN;
    memcpy(r + 0x38, &nan, 4);
    assert_true(tm_vueroid_record(&sink, r, 1.15, &anchor, &anchor_t));
    assert_int_equal(t.gps_count, 1);
    assert_int_equal(t.dropped_bad_value, 1);
    dc_telemetry_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ligogps_cipher_trailer),
        cmocka_unit_test(ligogps_cipher_forms),
        cmocka_unit_test(a810_cold_start),
        cmocka_unit_test(gpmf_orientation),
        cmocka_unit_test(vueroid),
        cmocka_unit_test(camm_gyro),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
