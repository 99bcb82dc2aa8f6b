/* The bad forms: boxes and blocks that claim more than the file has (a sample of 4 GB),
 * absurd counts, a cut file, NaN, speeds over 400 km/h, positions off the globe, time going
 * backwards, wrong NMEA checksums, the caps and the deadline. Each is dropped or reported
 * (degraded with a reason) and what is good around it is still read; none fails the read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "telemetry_test_util.h"
#include "tm_internal.h"

static tw_buf load(const char *path) {
    tw_buf b = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) assert_int_equal(tw_put(&b, chunk, n), 0);
    fclose(f);
    return b;
}

/* The last occurrence of a 4-byte type in b (the writers append their boxes last). */
static uint8_t *last_box(tw_buf *b, const char *type) {
    for (size_t i = b->n - 4; i > 4; i--)
        if (!memcmp(b->p + i, type, 4)) return b->p + i - 4; /* the box's size field */
    fail_msg("no %s box", type);
    return NULL;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static const char *gpmf_file(const char *name, tw_buf *bytes) {
    tw_scene s = tt_scene();
    tw_buf p[6];
    assert_int_equal(tw_gpmf_payloads(&s, 18, 200, false, "Synth HERO", p, 6), 6);
    const char *path = tt_path(name);
    assert_int_equal(tw_mp4_add_gpmd(tt_base_video(), path, p, 6), 0);
    tt_free_bufs(p, 6);
    *bytes = load(path);
    return path;
}

static const char *novatek_file(const char *name, tw_buf *bytes) {
    tw_scene s = tt_scene();
    tw_buf b[6];
    for (int k = 0; k < 6; k++)
        assert_int_equal(tw_novatek_block(&s, TW_NOVATEK_FLOAT, k, false, &b[k]), 0);
    const char *path = tt_path(name);
    assert_int_equal(tw_mp4_add_novatek(tt_base_video(), path, b, 6), 0);
    tt_free_bufs(b, 6);
    *bytes = load(path);
    return path;
}

static dc_telemetry read_degraded(const char *path, const char *reason_part) {
    dc_telemetry t;
    dc_status st = DC_STATUS_OK;
    double t0 = dc_now();
    assert_int_equal(dc_telemetry_read(path, dc_deadline_in(30), &t, &st), DC_OK);
    assert_true(dc_now() - t0 < 2); /* an absurd claim costs nothing */
    if (!t.degraded || !strstr(t.reason, reason_part))
        fail_msg("%s: want degraded with \"%s\", got %d \"%s\"", path, reason_part, t.degraded,
                 t.reason);
    assert_true(st.degraded);
    return t;
}

static void gpmd_sample_claims_4gb(void **state) {
    (void)state;
    tw_buf b;
    const char *path = gpmf_file("bad-4gb.mp4", &b);
    uint8_t *stsz = last_box(&b, "stsz");
    put_be32(stsz + 20 + 4 * 2, 0xfffffff0u); /* sample 2's size */
    assert_int_equal(tw_write_file(path, b.p, b.n), 0);
    dc_telemetry t = read_degraded(path, "claims 4294967280 bytes");
    /* one sample a chunk: only sample 2 is lost, the others have their own offsets */
    assert_int_equal(t.gps_count, 5 * 18);
    assert_int_equal(t.accel_count, 5 * 200);
    assert_true(t.gps[2 * 18].t_sec == 3.0);
    dc_telemetry_free(&t);
    tw_buf_free(&b);
}

static void absurd_counts(void **state) {
    (void)state;
    tw_buf b;
    const char *path = gpmf_file("bad-counts.mp4", &b);
    put_be32(last_box(&b, "stsz") + 16, 0xffffffffu); /* sample count */
    put_be32(last_box(&b, "stco") + 12, 0xffffffffu); /* chunk count */
    put_be32(last_box(&b, "stts") + 12, 0xffffffffu); /* entry count */
    assert_int_equal(tw_write_file(path, b.p, b.n), 0);
    dc_telemetry t;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_telemetry_read(path, dc_deadline_in(30), &t, &st), DC_OK);
    assert_int_equal(t.gps_count, 6 * 18); /* the entries there are, read */
    dc_telemetry_free(&t);
    tw_buf_free(&b);

    path = novatek_file("bad-gps-count.mp4", &b);
    put_be32(last_box(&b, "gps ") + 12, 0x7fffffffu);
    assert_int_equal(tw_write_file(path, b.p, b.n), 0);
    t = read_degraded(path, "claims 2147483647 blocks");
    assert_int_equal(t.gps_count, 6);
    dc_telemetry_free(&t);
    tw_buf_free(&b);
}

static void novatek_block_past_the_end(void **state) {
    (void)state;
    tw_buf b;
    const char *path = novatek_file("bad-offset.mp4", &b);
    uint8_t *gps = last_box(&b, "gps ");
    put_be32(gps + 16 + 8 * 3, 0xffffff00u); /* block 3's offset */
    assert_int_equal(tw_write_file(path, b.p, b.n), 0);
    dc_telemetry t = read_degraded(path, "past the file's end");
    assert_int_equal(t.gps_count, 5);
    assert_true(t.gps[3].t_sec == 4.0); /* block 4 keeps its time */
    dc_telemetry_free(&t);
    tw_buf_free(&b);
}

static void cut_file(void **state) {
    (void)state;
    tw_buf b;
    const char *path = gpmf_file("bad-cut.mp4", &b);
    assert_int_equal(tw_write_file(path, b.p, b.n - 3000), 0); /* into the last payloads */
    dc_telemetry t = read_degraded(path, "past the file's end");
    assert_true(t.gps_count >= 18 && t.gps_count < 6 * 18);
    dc_telemetry_free(&t);
    /* and the moov claiming 4 GB: read to the file's end, the tracks still found */
    put_be32(b.p + 32, 0xfffffff0u);
    assert_int_equal(memcmp(b.p + 36, "moov", 4), 0);
    assert_int_equal(tw_write_file(path, b.p, b.n), 0);
    t = read_degraded(path, "moov");
    dc_telemetry_free(&t);
    tw_buf_free(&b);
}

static void gpmf_nan_and_overrun(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf p[1];
    assert_int_equal(tw_gpmf_payloads(&s, 18, 0, false, "Synth HERO", p, 1), 1);
    /* SCAL of 0: every value becomes NaN and is dropped */
    uint8_t *scal = memmem(p[0].p, p[0].n, "SCAL", 4);
    assert_non_null(scal);
    memset(scal + 8, 0, 20);
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t};
    tm_gpmf_payload(&sink, (tm_bytes){p[0].p, p[0].n}, 0, 1);
    assert_int_equal(t.gps_count, 0);
    assert_int_equal(t.dropped_bad_value, 18);
    dc_telemetry_free(&t);
    /* DEVC claiming 65535 bytes of a payload that has fewer */
    p[0].p[6] = 0xff, p[0].p[7] = 0xff;
    sink = (tm_sink){.out = &t};
    tm_gpmf_payload(&sink, (tm_bytes){p[0].p, p[0].n}, 0, 1);
    assert_true(t.degraded);
    assert_non_null(strstr(t.reason, "claims more bytes"));
    dc_telemetry_free(&t);
    tw_buf_free(&p[0]);
}

static void set_le_float(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    p[0] = (uint8_t)u, p[1] = (uint8_t)(u >> 8), p[2] = (uint8_t)(u >> 16),
    p[3] = (uint8_t)(u >> 24);
}

static void novatek_nan_and_speed(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t};
    for (int k = 0; k < 4; k++) {
        tw_buf b;
        assert_int_equal(tw_novatek_block(&s, TW_NOVATEK_FLOAT, k, false, &b), 0);
        if (k == 1) set_le_float(b.p + 0x4c, NAN);      /* latitude */
        if (k == 2) set_le_float(b.p + 0x54, 300.0f);   /* 556 km/h */
        if (k == 3) set_le_float(b.p + 0x50, 19000.0f); /* 190 degrees east */
        tm_novatek_block(&sink, (tm_bytes){b.p, b.n}, k);
        tw_buf_free(&b);
    }
    assert_int_equal(t.gps_count, 1);
    assert_int_equal(t.dropped_bad_value, 3);
    dc_telemetry_free(&t);
}

/* "$body*HH\r\n" */
static void sentence(tw_buf *out, const char *body) {
    unsigned sum = 0;
    for (const char *c = body; *c; c++) sum ^= (unsigned char)*c;
    char line[256];
    int n = snprintf(line, sizeof line, "$%s*%02X\r\n", body, sum);
    assert_int_equal(tw_put(out, line, (size_t)n), 0);
}

static void nmea_bad_forms(void **state) {
    (void)state;
    tw_buf text = {0};
    sentence(&text, "GPRMC,100000.00,A,4722.61400,N,00832.50200,E,29.158,30.00,140326,,,A");
    sentence(&text, "GPRMC,100001.00,A,9500.00000,N,00832.50200,E,29.158,30.00,140326,,,A");
    sentence(&text, "GPRMC,100002.00,A,4722.61400,N,00832.50200,E,nan,30.00,140326,,,A");
    sentence(&text, "GPRMC,100003.00,A,4722.61400,N,00832.50200,E,300.0,30.00,140326,,,A");
    sentence(&text, "GPRMC,100004.00,A,4722.61400,N,00832.50200,E,29.158,30.00,140326,,,A");
    sentence(&text, "GPRMC,100002.50,A,4722.61400,N,00832.50200,E,29.158,30.00,140326,,,A");
    const char *wrong =
        "$GPRMC,100005.00,A,4722.61400,N,00832.50200,E,29.158,30.00,140326,,,A*00\r\n";
    assert_int_equal(tw_put(&text, wrong, strlen(wrong)), 0);
    sentence(&text, "GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"); /* skipped */
    sentence(&text, "GPRMC,100006.00,V,,,,,,,140326,,,N");          /* no fix */
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t};
    tm_nmea_text(&sink, (tm_bytes){text.p, text.n});
    assert_int_equal(t.gps_count, 3); /* 10:00:00, 10:00:04 and the invalid 10:00:06 */
    assert_true(t.gps[0].valid && t.gps[1].valid && !t.gps[2].valid);
    assert_true(t.gps[1].t_sec == 4.0 && t.gps[2].t_sec == 6.0);
    assert_int_equal(t.dropped_bad_value, 3);
    assert_int_equal(t.dropped_backwards, 1);
    assert_true(t.degraded);
    assert_non_null(strstr(t.reason, "1 sentences with a missing or wrong checksum"));
    assert_true(fabs(t.gps[0].lat - (47 + 22.614 / 60)) < 1e-9);
    assert_true(fabs(t.gps[0].speed_kmh - 29.158 * 1.852) < 1e-9);
    dc_telemetry_free(&t);
    tw_buf_free(&text);
}

static void three_gf_partial_record(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf g;
    assert_int_equal(tw_3gf(&s, 10, &g), 0);
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t};
    tm_3gf_records(&sink, (tm_bytes){g.p, g.n - 4});
    assert_int_equal(t.accel_count, 59);
    assert_true(t.degraded);
    dc_telemetry_free(&t);
    tw_buf_free(&g);
}

static void caps(void **state) {
    (void)state;
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t};
    for (int i = 0; i < DC_TELEMETRY_MAX_FIXES + 10; i++)
        tm_add_fix(&sink, (dc_gps_fix){.t_sec = i, .valid = true, .lat = 1, .lon = 2});
    assert_int_equal(t.gps_count, DC_TELEMETRY_MAX_FIXES);
    for (int i = 0; i < DC_TELEMETRY_MAX_SAMPLES + 7; i++) tm_add_accel(&sink, i, 0, 0, 1);
    assert_int_equal(t.accel_count, DC_TELEMETRY_MAX_SAMPLES);
    assert_int_equal(t.dropped_over_cap, 17);
    dc_telemetry_free(&t);
}

static void deadline(void **state) {
    (void)state;
    tw_buf b;
    const char *path = gpmf_file("deadline.mp4", &b);
    dc_telemetry t;
    dc_status st = DC_STATUS_OK;
    dc_deadline passed = {.at = 1e-6}; /* long gone on the monotonic clock */
    assert_int_equal(dc_telemetry_read(path, passed, &t, &st), DC_OK);
    assert_true(t.degraded);
    assert_non_null(strstr(t.reason, "deadline"));
    assert_int_equal(t.gps_count, 0);
    dc_telemetry_free(&t);
    tw_buf_free(&b);
}

int main(void) {
    if (!tt_base_video()) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gpmd_sample_claims_4gb),
        cmocka_unit_test(absurd_counts),
        cmocka_unit_test(novatek_block_past_the_end),
        cmocka_unit_test(cut_file),
        cmocka_unit_test(gpmf_nan_and_overrun),
        cmocka_unit_test(novatek_nan_and_speed),
        cmocka_unit_test(nmea_bad_forms),
        cmocka_unit_test(three_gf_partial_record),
        cmocka_unit_test(caps),
        cmocka_unit_test(deadline),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(tt_base_video());
    return rc;
}
