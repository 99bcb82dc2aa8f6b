/* The fourth set of layouts: 70mai A810's freeGPS block (the novatek row's "a810" layout) and
 * LigoGPS in MPEG-TS (the ligogps row, variant "ts"), written by tools/synth-telemetry's
 * telemetry_writers4.c into (a copy of) a synth-video clip and read back as written:
 * positions within 1e-5 degrees, speed within 0.5 km/h for A810 (whole km/h stored) and
 * 0.1 km/h for LigoGPS, UTC to the millisecond for LigoGPS and none for A810 (it has no time);
 * the bad forms (cut, absurd counts, NaN, off the globe) are dropped or reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "telemetry_test_util.h"
#include "telemetry_writers4.h"
#include "tm_internal.h"
#include "tm_more.h"

/* Position and speed as the scene at the fix's time; no UTC (A810 stores none). */
static int check_a810(const tw_scene *s, const dc_telemetry *t) {
    int bad = 0;
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        tw_fix w = tw_fix_at(s, f->t_sec);
        bool ok = f->valid && fabs(f->lat - w.lat) <= DEG_TOL && fabs(f->lon - w.lon) <= DEG_TOL &&
                  fabs(f->speed_kmh - w.speed_kmh) <= 0.5 + 1e-9 &&
                  f->utc_ms == DC_TELEMETRY_NO_UTC && f->heading_deg == -1;
        if (!ok && bad++ < 3)
            fprintf(stderr, "fix %d at %.3f: %.7f %.7f %.2f utc %lld, wrote %.7f %.7f %.2f\n", i,
                    f->t_sec, f->lat, f->lon, f->speed_kmh, (long long)f->utc_ms, w.lat, w.lon,
                    w.speed_kmh);
    }
    return bad;
}

static void a810(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *out = tt_path("a810.mp4");
    assert_int_equal(tw4_mp4_add_a810(&s, tt_base_video(), out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "novatek");
    assert_string_equal(t.variant, "a810");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    for (int i = 0; i < t.gps_count; i++) assert_true(fabs(t.gps[i].t_sec - i) < 1e-9);
    assert_int_equal(check_a810(&s, &t), 0);
    assert_int_equal(t.accel_count, 0);
    dc_telemetry_free(&t);

    /* the southern and western hemispheres: the sign of the int32 */
    s.lat0 = -33.8688, s.lon0 = -70.6693;
    out = tt_path("a810-sw.mp4");
    assert_int_equal(tw4_mp4_add_a810(&s, tt_base_video(), out), 0);
    tt_read_ok(out, &t);
    assert_int_equal(t.gps_count, 6);
    assert_int_equal(check_a810(&s, &t), 0);
    dc_telemetry_free(&t);
}

static void put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void a810_bad_forms(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    tw_buf b = {0};
    assert_int_equal(tw4_a810_block(&s, 1, &b), 0);
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(10)};
    tm_novatek_block(&sink, (tm_bytes){b.p, b.n}, 1.0);
    assert_int_equal(t.gps_count, 1);
    assert_false(t.degraded);
    /* cut before the "VV": not recognised, reported */
    tm_novatek_block(&sink, (tm_bytes){b.p, 50}, 2.0);
    assert_int_equal(t.gps_count, 1);
    assert_true(t.degraded);
    /* off the globe: latitude 99 deg 59.99999' */
    put_le32(b.p + 31, 995999999u);
    tm_novatek_block(&sink, (tm_bytes){b.p, b.n}, 3.0);
    put_le32(b.p + 31, (uint32_t)(int32_t)-4712345), put_le32(b.p + 35, (uint32_t)1899999999);
    tm_novatek_block(&sink, (tm_bytes){b.p, b.n}, 4.0); /* longitude 189 deg */
    /* absurd speed (int32 max km/h) */
    tw_buf c = {0};
    assert_int_equal(tw4_a810_block(&s, 5, &c), 0);
    put_le32(c.p + 43, 0x7fffffff);
    tm_novatek_block(&sink, (tm_bytes){c.p, c.n}, 5.0);
    assert_int_equal(t.gps_count, 1);
    dc_telemetry_free(&t);
    tw_buf_free(&b), tw_buf_free(&c);

    /* absurd count: a 'gps ' box claiming more blocks than it lists */
    const char *out = tt_path("a810-count.mp4");
    assert_int_equal(tw4_mp4_add_a810(&s, tt_base_video(), out), 0);
    FILE *f = fopen(out, "r+b");
    assert_non_null(f);
    uint8_t *all = malloc(1 << 22);
    size_t n = fread(all, 1, 1 << 22, f);
    uint8_t *g = NULL;
    for (size_t i = 4; i + 8 < n && !g; i++)
        if (!memcmp(all + i, "gps ", 4) && all[i + 8] == 0 && all[i + 11] == 6) g = all + i;
    assert_non_null(g);
    g[8] = 0x7f; /* count 0x7f000006 */
    fseek(f, (long)(g - all), SEEK_SET);
    fwrite(g, 1, 12, f);
    fclose(f);
    free(all);
    dc_telemetry u;
    tt_read_ok(out, &u);
    assert_int_equal(u.gps_count, 6);
    assert_true(u.degraded);
    dc_telemetry_free(&u);
}

/* ---- LigoGPS in MPEG-TS ------------------------------------------------------------------- */

static void ligogps_ts(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    const char *in = tt_base_ts(), *out = tt_path("ligo.ts");
    assert_non_null(in);
    assert_int_equal(tw4_ts_add_ligogps(&s, in, out), 0);
    dc_telemetry t;
    tt_read_ok(out, &t);
    assert_string_equal(t.source, "ligogps");
    assert_string_equal(t.variant, "ts");
    assert_false(t.degraded);
    assert_int_equal(t.gps_count, 6);
    for (int i = 0; i < t.gps_count; i++) assert_true(fabs(t.gps[i].t_sec - i) < 1e-9);
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    assert_int_equal(t.accel_count, 6);
    assert_int_equal(tt_check_accel(&s, &t, 0.0006), 0);
    dc_telemetry_free(&t);

    /* the plain TS without it is not LigoGPS (nor Novatek TS) */
    tt_read_ok(in, &t);
    assert_null(t.source);
    dc_telemetry_free(&t);
}

static void ts_packet(const tw_buf *pay, uint8_t p[188]) {
    memset(p, 0xff, 188);
    size_t stuff = 184 - 14 - pay->n;
    p[0] = 0x47, p[1] = 0x43, p[2] = 0x00, p[3] = 0x30;
    p[4] = (uint8_t)(stuff - 1), p[5] = 0;
    uint8_t *e = p + 4 + stuff;
    memcpy(e, "\0\0\1\xbd", 4);
    e[4] = 0, e[5] = (uint8_t)(8 + pay->n), e[6] = 0x80, e[7] = 0x80, e[8] = 5;
    memcpy(e + 9, "\x21\0\1\0\1", 5);
    memcpy(e + 14, pay->p, pay->n);
}

/* A LigoGPS PES payload of one record holding `text` (after the 4-byte counter), each byte
 * behind a 0x00 steering byte (passed as is): "skip" + size + header + record. */
static void text_payload(const char *text, tw_buf *out) {
    uint8_t b[8 + 0x14 + 0x84] = {'s', 'k', 'i', 'p', 0, 0, 0, 8 + 0x14 + 0x84};
    memcpy(b + 8, "LIGOGPSINFO", 12);
    uint8_t *r = b + 8 + 0x14;
    memcpy(r, "####", 4);
    size_t n = 4 + strlen(text), o = 8;
    assert_true(8 + 2 * n <= 0x84);
    for (size_t i = 0; i < n; i++) r[o++] = 0, r[o++] = (uint8_t)(i < 4 ? 0 : text[i - 4]);
    put_le32(r + 4, (uint32_t)(2 * n));
    tw_put(out, b, sizeof b);
}

static void ligogps_ts_bad_forms(void **state) {
    (void)state;
    tw_scene s = tt_scene();
    uint8_t ts[188 * 5];
    tw_buf p0 = {0}, p1 = {0}, nan = {0}, far = {0}, junk = {0};
    assert_int_equal(tw4_ligogps_pes_payload(&s, 0, true, &p0), 0);
    assert_int_equal(tw4_ligogps_pes_payload(&s, 1, true, &p1), 0);
    text_payload("2026/03/14 09:26:55 N:nan E:8.5 10.0 km/h", &nan);
    text_payload("2026/03/14 09:26:56 N:95.0 E:8.5 10.0 km/h", &far); /* off the globe */
    tw_put(&junk, "skip\0\0\0\0NOTLIGO.....................", 36);
    ts_packet(&p0, ts);
    ts_packet(&nan, ts + 188);
    ts_packet(&far, ts + 376);
    ts_packet(&junk, ts + 564);
    ts_packet(&p1, ts + 752);
    dc_telemetry t = {0};
    tm_sink sink = {.out = &t, .dl = dc_deadline_in(10)};
    tm_ligogps_ts_packets(&sink, (tm_bytes){ts, sizeof ts});
    assert_int_equal(t.gps_count, 2); /* k = 0 and 1; NaN, off the globe and junk are not */
    assert_int_equal(tt_check_fixes(&s, &t, true), 0);
    assert_true(t.degraded);
    dc_telemetry_free(&t);

    /* truncated: the last packet cut in the middle of its record */
    dc_telemetry u = {0};
    tm_sink sink2 = {.out = &u, .dl = dc_deadline_in(10)};
    tm_ligogps_ts_packets(&sink2, (tm_bytes){ts, 188 * 4 + 100});
    assert_int_equal(u.gps_count, 1);
    dc_telemetry_free(&u);

    /* absurd sizes: the PES length and the record's byte count at their maximum */
    ts_packet(&p0, ts);
    size_t e = 4 + (184 - 14 - p0.n);
    ts[e + 4] = ts[e + 5] = 0xff;
    ts[e + 14 + 8 + 0x14 + 4] = 0xff, ts[e + 14 + 8 + 0x14 + 5] = 0xff;
    dc_telemetry v = {0};
    tm_sink sink3 = {.out = &v, .dl = dc_deadline_in(10)};
    tm_ligogps_ts_packets(&sink3, (tm_bytes){ts, 188});
    assert_int_equal(v.gps_count, 0);
    assert_true(v.degraded);
    dc_telemetry_free(&v);
    tw_buf_free(&p0), tw_buf_free(&p1), tw_buf_free(&nan), tw_buf_free(&far);
    tw_buf_free(&junk);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a810),
        cmocka_unit_test(a810_bad_forms),
        cmocka_unit_test(ligogps_ts),
        cmocka_unit_test(ligogps_ts_bad_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
