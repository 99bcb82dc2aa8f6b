/* Fingerprints as mining makes them (dc_mine_video: from the coarse pass's thumbnails), on a
 * synth-video drive and the copies bench/fingerprint/variants.sh makes of it with the ffmpeg
 * CLI: each copy matched, at the right place (a caption: closer than other footage, not yet
 * matched); the 10 % crop both ways, against stored forms; different videos not matched; a dark
 * video and a too-short clip recorded but never matched.
 *
 * Sizes: the original is 320x180 (mining's 160x90 thumbnails are half of it). At 640x360 and
 * above the thumbnail pass's fast-bilinear scaling aliases and half-size, mirrored and
 * letterboxed copies drift past the distance (src/fingerprint/README.md: measured, and the
 * media change that fixes it).
 *
 * Different videos: synth-video's scenes with the same seed are the same drive (the world
 * comes from the seed; the scene only changes the incident), so the "different" videos here
 * have seeds of their own, and one is not a drive at all (ffmpeg's life pattern). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "dashclaim/fingerprint.h"
#include "dashclaim/media.h"
#include "dashclaim/mine.h"

static char dir[4096];

static const char *path_of(const char *name) {
    static char p[8][4200];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s.mp4", dir, name);
    return p[k];
}

static int run(const char *cmd) {
    int rc = system(cmd);
    if (rc != 0) fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc;
}

static int make_inputs(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN"),
               *src = getenv("DC_SOURCE_DIR");
    if (!tmp || !bin || !src) return -1;
    mkdir(tmp, 0755);
    snprintf(dir, sizeof dir, "%s/fingerprint", tmp);
    mkdir(dir, 0755);
    char cmd[16384];
    const char *sv = "--size 320x180 --fps 30";
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; S=%s/synth-video;"
             "$S --scene normal --duration 30 %s --seed 11 -o original.mp4 >/dev/null 2>&1 &"
             "$S --scene collision --duration 12 %s --seed 12 -o filler.mp4 >/dev/null 2>&1 &"
             "$S --scene near-miss --duration 20 %s --seed 613 -o other1.mp4 >/dev/null 2>&1 &"
             "$S --scene tunnel --duration 20 %s --seed 614 -o other2.mp4 >/dev/null 2>&1 & wait;"
             "$S --scene normal --duration 20 %s --seed 615 -o other3.mp4 >/dev/null 2>&1 &"
             "ffmpeg -nostdin -v error -y -f lavfi -i life=s=320x180:rate=30:seed=616:mold=10 "
             "-t 20 -pix_fmt yuv420p other4.mp4 &"
             "ffmpeg -nostdin -v error -y -f lavfi -i color=c=0x080808:s=320x180:r=30:d=20 "
             "-vf noise=alls=6:allf=t -pix_fmt yuv420p dark.mp4 & wait;"
             "cp dark.mp4 dark_copy.mp4;"
             "ffmpeg -nostdin -v error -y -ss 4 -i original.mp4 -t 6 -an short.mp4;"
             "bash %s/bench/fingerprint/variants.sh original.mp4 . filler.mp4",
             dir, bin, sv, sv, sv, sv, sv, src);
    return run(cmd) == 0 ? 0 : -1;
}

/* the fingerprint mining makes of a file */
static void mined(const char *name, dc_fingerprint *fp, dc_mine_result *keep) {
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(path_of(name), (dc_deadline){0}, &st);
    assert_non_null(m);
    dc_mine_result r;
    assert_int_equal(dc_mine_video(m, NULL, (dc_deadline){0}, &r, &st), DC_OK);
    dc_media_close(m);
    *fp = r.fingerprint;
    memset(&r.fingerprint, 0, sizeof r.fingerprint);
    if (keep) *keep = r;
    else dc_mine_result_free(&r);
}

static int runs(const dc_fingerprint *q, const dc_fingerprint *c, dc_fp_match *m) {
    int n = -1;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_fingerprint_match(q, c, m, DC_FP_MAX_MATCHES, &n, &st), DC_OK);
    return n;
}

static void test_made_while_mining(void **state) {
    (void)state;
    dc_fingerprint fp;
    dc_mine_result r;
    mined("original", &fp, &r);
    print_message("original: %d hashes, %d usable, coarse every %d, %d thumbs, hashing %.4f s of "
                  "%.3f s\n",
                  fp.count, dc_fingerprint_usable(&fp), r.coarse_every_kth, r.frames_seen,
                  r.seconds_fingerprint, r.seconds_total);
    /* a steady coarse pass (about 5 thumbnails a second): every second has its hash */
    assert_true(r.coarse_every_kth > 0);
    assert_int_equal(fp.duration_sec, 30);
    assert_int_equal(fp.count, 30);
    assert_int_equal(dc_fingerprint_usable(&fp), 30);
    for (int i = 0; i < fp.count; i++) {
        assert_int_equal(fp.seconds[i].second, i);
        assert_true(abs(fp.seconds[i].t_ms - 1000 * i) <= 100);
    }
    assert_true(r.seconds_fingerprint < r.seconds_total);
    dc_mine_result_free(&r);
    dc_fingerprint_free(&fp);
}

static void check_variant(const dc_fingerprint *orig, const char *name, int want_query_sec,
                          int want_candidate_sec, int min_seconds, bool mirrored) {
    dc_fingerprint v;
    mined(name, &v, NULL);
    dc_fp_match m[DC_FP_MAX_MATCHES];
    int n = runs(&v, orig, m);
    print_message("%-10s %d run(s)", name, n);
    for (int i = 0; i < n; i++)
        print_message("  [query %d s, original %d s, %d s, %d/%d, distance %.1f%s]", m[i].query_sec,
                      m[i].candidate_sec, m[i].seconds, m[i].matched, m[i].compared,
                      m[i].mean_distance, m[i].mirrored ? ", mirrored" : "");
    print_message("\n");
    assert_true(n >= 1);
    assert_true(m[0].seconds >= min_seconds);
    assert_true(m[0].mirrored == mirrored);
    /* same place, give or take a second at either end of the run */
    assert_true(abs(m[0].query_sec - want_query_sec) <= 1);
    assert_true(abs(m[0].candidate_sec - m[0].query_sec - (want_candidate_sec - want_query_sec)) ==
                0);
    dc_fingerprint_free(&v);
}

static void test_variants_matched(void **state) {
    (void)state;
    dc_fingerprint o;
    mined("original", &o, NULL);
    check_variant(&o, "crf35", 0, 0, 25, false);
    check_variant(&o, "half", 0, 0, 25, false);
    check_variant(&o, "letterbox", 0, 0, 25, false);
    check_variant(&o, "mirror", 0, 0, 25, true);
    check_variant(&o, "fps15", 0, 0, 25, false);
    check_variant(&o, "clip", 0, 6, 11, false);
    check_variant(&o, "clipfrac", 0, 7, 10, false); /* query 0.6 s is original 7 s */
    check_variant(&o, "inside", 12, 0, 25, false);
    /* the cut: the longer side (seconds 20-30 of the original, at 10 in the copy) or the
     * first ten seconds, each on its own offset */
    dc_fingerprint v;
    mined("cut", &v, NULL);
    dc_fp_match m[DC_FP_MAX_MATCHES];
    int n = runs(&v, &o, m);
    assert_true(n >= 1);
    for (int i = 0; i < n; i++) {
        print_message("cut run: query %d, original %d, %d s\n", m[i].query_sec, m[i].candidate_sec,
                      m[i].seconds);
        int offset = m[i].candidate_sec - m[i].query_sec;
        assert_true(offset == 0 || offset == 10);
    }
    dc_fingerprint_free(&v);

    /* the 10 % crop (the central 90 %), both ways, each against the other's STORED form (a
     * parsed blob keeps the 95 and 90 % views): the crop's whole picture is the original's
     * 90 % view; the original's 90 % view is the crop's whole picture */
    dc_fingerprint crop, stored_o, stored_crop;
    mined("crop10", &crop, NULL);
    uint8_t *blob = NULL;
    size_t len = 0;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_fingerprint_serialize(&o, &blob, &len, &st), DC_OK);
    assert_int_equal(dc_fingerprint_parse(blob, len, &stored_o, &st), DC_OK);
    free(blob);
    assert_int_equal(dc_fingerprint_serialize(&crop, &blob, &len, &st), DC_OK);
    assert_int_equal(dc_fingerprint_parse(blob, len, &stored_crop, &st), DC_OK);
    free(blob);
    n = runs(&crop, &stored_o, m);
    print_message("crop10 against the stored original: %d run(s), %d s, distance %.1f, views %d x "
                  "%d\n",
                  n, n ? m[0].seconds : 0, n ? m[0].mean_distance : 0.0, n ? m[0].query_zoom : 0,
                  n ? m[0].candidate_zoom : 0);
    assert_true(n >= 1);
    assert_true(m[0].seconds >= 20);
    assert_int_equal(m[0].candidate_sec, m[0].query_sec);
    assert_int_equal(m[0].candidate_zoom, 2);
    n = runs(&o, &stored_crop, m);
    print_message("original against the stored crop10: %d run(s), views %d x %d\n", n,
                  n ? m[0].query_zoom : 0, n ? m[0].candidate_zoom : 0);
    assert_true(n >= 1);
    assert_true(m[0].seconds >= 20);
    assert_int_equal(m[0].query_zoom, 2);
    dc_fingerprint_free(&crop);
    dc_fingerprint_free(&stored_o);
    dc_fingerprint_free(&stored_crop);
    dc_fingerprint_free(&o);
}

/* A burned-in caption on this flat, grey synthetic drive moves its seconds to 32-48 bits
 * (src/fingerprint/README.md): not reliably matched yet. What holds: each second stays far
 * closer to its original than unrelated footage does (median ~80, 1 % within 40). */
static void test_caption_closer_than_other_footage(void **state) {
    (void)state;
    dc_fingerprint o, v;
    mined("original", &o, NULL);
    mined("text", &v, NULL);
    assert_int_equal(v.count, o.count);
    double sum = 0;
    for (int i = 0; i < v.count; i++) sum += dc_fp_distance(&v.seconds[i].hash, &o.seconds[i].hash);
    dc_fp_match m[DC_FP_MAX_MATCHES];
    int n = runs(&v, &o, m);
    print_message("caption: mean distance %.1f, %d run(s)%s\n", sum / v.count, n,
                  n ? "" : " (not matched: see README)");
    assert_true(sum / v.count < 50);
    dc_fingerprint_free(&v);
    dc_fingerprint_free(&o);
}

static void test_different_videos_not_matched(void **state) {
    (void)state;
    const char *names[] = {"original", "filler", "other1", "other2", "other3", "other4"};
    enum { N = sizeof names / sizeof *names };
    dc_fingerprint fp[N];
    for (int i = 0; i < N; i++) mined(names[i], &fp[i], NULL);
    dc_fp_match m[DC_FP_MAX_MATCHES];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            if (i == j) continue;
            int n = runs(&fp[i], &fp[j], m);
            if (n) print_message("%s ~ %s: %d s\n", names[i], names[j], m[0].seconds);
            assert_int_equal(n, 0);
        }
    for (int i = 0; i < N; i++) dc_fingerprint_free(&fp[i]);
}

static void test_dark_and_short_videos(void **state) {
    (void)state;
    dc_fingerprint dark, copy, shortfp, o;
    mined("dark", &dark, NULL);
    mined("dark_copy", &copy, NULL);
    /* recorded (one hash a second, each with its low quality), never compared */
    print_message("dark: %d hashes, %d usable, quality of the first %d\n", dark.count,
                  dc_fingerprint_usable(&dark), dark.count ? dark.seconds[0].quality : -1);
    assert_int_equal(dark.count, 20);
    assert_int_equal(dc_fingerprint_usable(&dark), 0);
    dc_fp_match m[DC_FP_MAX_MATCHES];
    assert_int_equal(runs(&dark, &copy, m), 0); /* identical files, and still no match */
    /* six seconds of the original: hashed, but shorter than K: no match */
    mined("short", &shortfp, NULL);
    mined("original", &o, NULL);
    assert_int_equal(shortfp.count, 6);
    assert_int_equal(runs(&shortfp, &o, m), 0);
    dc_fingerprint_free(&dark);
    dc_fingerprint_free(&copy);
    dc_fingerprint_free(&shortfp);
    dc_fingerprint_free(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_made_while_mining),
        cmocka_unit_test(test_variants_matched),
        cmocka_unit_test(test_caption_closer_than_other_footage),
        cmocka_unit_test(test_different_videos_not_matched),
        cmocka_unit_test(test_dark_and_short_videos),
    };
    return cmocka_run_group_tests(tests, make_inputs, NULL);
}
