/* Footage seen before, end to end on real videos: claims assessed by the pipeline with a
 * lookup backed by the footage index (SQLite), each claim's fingerprints stored after it, as
 * the service's worker does (src/serve/serve_footage.c). A second claim of the same file gets
 * X-SAME-FILE naming the first; a re-encoded, half-size copy and a clip cut between seconds
 * X-SAME-FOOTAGE; a different video
 * nothing; a dark video is recorded and matches no footage (its re-encoded copy neither).
 * Videos: synth-video drives and ffmpeg copies, 15 s at 320x180 (a few seconds each). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dashclaim/footage_store.h"
#include "dashclaim/hash.h"
#include "dashclaim/pipeline.h"
#include "store_test_util.h"

static char dir[4096];
static char url[512];
static dc_footage_db *db;

static const char *path_of(const char *name) {
    static char p[4][4200];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s.mp4", dir, name);
    return p[k];
}

static int make_inputs(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) return -1;
    mkdir(tmp, 0755);
    snprintf(dir, sizeof dir, "%s/footage-claims", tmp);
    mkdir(dir, 0755);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; S=%s/synth-video; V='--size 320x180 --fps 30 --duration 15';"
             "$S --scene normal $V --seed 31 -o original.mp4 >/dev/null 2>&1 &"
             "$S --scene tunnel $V --seed 32 -o other.mp4 >/dev/null 2>&1 &"
             "ffmpeg -nostdin -v error -y -f lavfi -i color=c=0x080808:s=320x180:r=30:d=15 "
             "-vf noise=alls=6:allf=t -pix_fmt yuv420p dark.mp4 & wait;"
             "ffmpeg -nostdin -v error -y -i original.mp4 -vf scale=160:90 -c:v libx264 -crf 35 "
             "-an copy.mp4 &"
             "ffmpeg -nostdin -v error -y -ss 2.5 -i original.mp4 -t 11.5 -c:v libx264 -crf 28 "
             "-an clip.mp4 &"
             "ffmpeg -nostdin -v error -y -i dark.mp4 -c:v libx264 -crf 30 dark_copy.mp4 & wait",
             dir, bin);
    if (system(cmd) != 0) return -1;
    test_store_url("footage_claims", url, sizeof url);
    dc_status st = DC_STATUS_OK;
    return (db = dc_footage_db_open(url, &st)) ? 0 : -1;
}

static int drop_inputs(void **state) {
    (void)state;
    dc_footage_db_close(db);
    return 0;
}

/* The pipeline's lookup: the index, this claim excluded. */
static bool lookup(void *ctx, const char *claim_id, const dc_claim_video *videos,
                   const dc_fingerprint *fps, int count, const dc_telemetry_summary *incident,
                   dc_footage_check *check) {
    (void)incident;
    dc_status st = DC_STATUS_OK;
    return dc_footage_db_lookup(ctx, claim_id, videos, count, fps, count, check, NULL, &st) ==
           DC_OK;
}

/* Assesses video as claim_id with the lookup, stores its fingerprints, returns the record. */
static dc_assessment *assess(const char *video, const char *claim_id) {
    char sha[65];
    assert_int_equal(dc_sha256_file(path_of(video), sha), 0);
    dc_pipeline_options o;
    dc_pipeline_options_init(&o);
    o.video_sha256 = sha;
    o.footage_lookup = lookup;
    o.footage_lookup_ctx = db;
    dc_claim_result r;
    dc_pipeline_assess(path_of(video), claim_id, &o, &r);
    assert_int_not_equal(r.assessment.status, DC_CLAIM_FAILED);
    assert_true(r.fingerprint_count >= 1);
    dc_footage_video v = {claim_id, 0, sha, &r.fingerprints[0]};
    dc_status st = DC_STATUS_OK;
    if (dc_footage_db_put(db, &v, 1, &st) != DC_OK) fail_msg("put: %s", st.message);
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    *a = r.assessment;
    dc_claim_result_free(&r);
    return a;
}

static const dc_fraud_indicator *indicator(const dc_assessment *a, const char *id) {
    for (int i = 0; i < a->fraud_indicator_count; i++)
        if (!strcmp(a->fraud_indicators[i].id, id)) return &a->fraud_indicators[i];
    return NULL;
}

static void test_claims(void **state) {
    (void)state;
    dc_assessment *a = assess("original", "clm_first");
    assert_true(a->footage.checked);
    assert_int_equal(a->footage.match_count, 0);
    assert_null(indicator(a, "X-SAME-FILE"));
    free(a);

    a = assess("original", "clm_again"); /* the same bytes */
    const dc_fraud_indicator *x = indicator(a, "X-SAME-FILE");
    assert_non_null(x);
    assert_non_null(strstr(x->reason, "clm_first"));
    assert_null(indicator(a, "X-SAME-FOOTAGE"));
    free(a);

    a = assess("copy", "clm_copy"); /* re-encoded at CRF 35, half size */
    x = indicator(a, "X-SAME-FOOTAGE");
    assert_non_null(x);
    print_message("%s\n", x->reason);
    assert_true(strstr(x->reason, "clm_first") || strstr(x->reason, "clm_again"));
    assert_null(indicator(a, "X-SAME-FILE"));
    free(a);

    a = assess("clip", "clm_clip"); /* 11.5 s cut from 2.5 s: between the stored seconds */
    x = indicator(a, "X-SAME-FOOTAGE");
    assert_non_null(x);
    print_message("%s\n", x->reason);
    free(a);

    a = assess("other", "clm_other"); /* another drive */
    assert_true(a->footage.checked);
    assert_int_equal(a->footage.match_count, 0);
    free(a);

    a = assess("dark", "clm_dark"); /* recorded, no usable hash */
    assert_true(a->footage.checked);
    assert_int_equal(a->footage.match_count, 0);
    free(a);
    a = assess("dark_copy", "clm_dark_copy");
    assert_true(a->footage.checked);
    assert_int_equal(a->footage.match_count, 0);
    assert_non_null(strstr(a->footage.note, "too short or too dark"));
    assert_null(indicator(a, "X-SAME-FOOTAGE"));
    free(a);
}

/* `dashclaim match --data DIR VIDEO` on the index the claims above filled (it excludes no
 * claim): the copy names the original's claims; another drive names only its own claim. */
static void test_match_command(void **state) {
    (void)state;
    const char *bin = getenv("DC_BIN");
    assert_non_null(bin);
    char cmd[9000], out[4200];
    snprintf(out, sizeof out, "%s/match.json", dir);
    const char *names[2] = {"copy", "other"};
    for (int k = 0; k < 2; k++) {
        snprintf(cmd, sizeof cmd, "%s/dashclaim match --data '%s' '%s' > '%s'", bin, url,
                 path_of(names[k]), out);
        assert_int_equal(system(cmd), 0);
        FILE *f = fopen(out, "r");
        assert_non_null(f);
        char text[8192];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = 0;
        assert_non_null(strstr(text, "\"checked\": true"));
        bool names_first = strstr(text, "clm_first") || strstr(text, "clm_again");
        assert_true(k == 0 ? names_first : !names_first);
        /* each file was a claim of its own above: that claim, as the same file */
        assert_non_null(strstr(text, k == 0 ? "clm_copy" : "clm_other"));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_claims),
                                       cmocka_unit_test(test_match_command)};
    return cmocka_run_group_tests(tests, make_inputs, drop_inputs);
}
