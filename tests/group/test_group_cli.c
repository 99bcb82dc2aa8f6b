/* dashclaim assess --group and bench --group on a camera's folder: synth-video clips named as
 * a BlackVue names a front and rear camera over two segments, plus files that cannot be read
 * and a trip longer than a claim holds. Checks the records (one per claim, the videos with
 * their roles and offsets, a failed record per refused file) that the command prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

static char dir[1024], bin[1024];

static int run(const char *cmd) {
    int rc = system(cmd);
    if (rc != 0) fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc;
}

/* Copies of one clip under the names given, each made distinct by a trailing 'free' box. */
static int make_folder(const char *sub, const char *const *names, int n) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", dir, sub);
    if (run(cmd)) return -1;
    for (int i = 0; i < n; i++) {
        snprintf(cmd, sizeof cmd,
                 "cp '%s/clip.mp4' '%s/%s/%s' && printf '\\000\\000\\000\\020free\\000\\000\\000"
                 "\\000%04d' >> '%s/%s/%s'",
                 dir, dir, sub, names[i], i, dir, sub, names[i]);
        if (run(cmd)) return -1;
    }
    return 0;
}

static int setup(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *b = getenv("DC_BIN");
    if (!tmp || !b) {
        fprintf(stderr, "DC_TEST_TMP and DC_BIN must be set (run through ctest)\n");
        return -1;
    }
    snprintf(bin, sizeof bin, "%s", b);
    snprintf(dir, sizeof dir, "%s/group-cli-%d", tmp, (int)getpid());
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && '%s/synth-video' --scene plain --duration 3 "
             "--size 64x36 --fps 10 -o '%s/clip.mp4' >/dev/null 2>&1",
             dir, dir, bin, dir);
    if (run(cmd)) return -1;
    static const char *const cam[] = {"20190612_143500_NF.mp4", "20190612_143500_NR.mp4",
                                      "20190612_143503_NF.mp4", "20190612_143503_NR.mp4"};
    if (make_folder("cam", cam, 4)) return -1;
    char names[40][64];
    const char *many[40];
    for (int k = 0; k < 40; k++) { /* 3-s segments back to back, one trip */
        snprintf(names[k], sizeof names[k], "2020_0101_12%02d%02d_%03dF.MP4", 3 * k / 60,
                 3 * k % 60, k + 1);
        many[k] = names[k];
    }
    return make_folder("long", many, 40);
}

static int teardown(void **state) {
    (void)state;
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return run(cmd) ? -1 : 0;
}

/* Runs `dashclaim assess -q --compact ARGS`; returns the records (a JSON array). */
static json_t *assess(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/dashclaim' assess -q --compact %s 2>/dev/null", dir,
             bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_t *all = json_array();
    char line[1 << 20];
    while (fgets(line, sizeof line, p)) {
        json_error_t err;
        json_t *rec = json_loads(line, 0, &err);
        if (!rec) fail_msg("not JSON: %.200s", line);
        json_array_append_new(all, rec);
    }
    assert_int_equal(pclose(p), 0);
    return all;
}

static const char *text(json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

static void test_auto_makes_one_claim_of_a_cameras_folder(void **state) {
    (void)state;
    json_t *recs = assess("--group auto cam");
    assert_int_equal(json_array_size(recs), 1);
    json_t *a = json_array_get(recs, 0);
    assert_string_equal(text(a, "claim_id"), "20190612_143500_NF.mp4");
    json_t *videos = json_object_get(a, "videos");
    assert_int_equal(json_array_size(videos), 4);
    static const char *const roles[] = {"front", "rear", "front", "rear"};
    static const double offsets[] = {0, 0, 3, 3};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_array_get(videos, i);
        assert_string_equal(text(v, "role"), roles[i]);
        double off = json_real_value(json_object_get(v, "offset_sec"));
        assert_true(off > offsets[i] - 0.01 && off < offsets[i] + 0.01);
        assert_string_equal(text(v, "start_source"), "file-name");
    }
    assert_string_not_equal(text(a, "status"), "failed");
    json_decref(recs);
    /* none: one claim per file, as before */
    recs = assess("cam");
    assert_int_equal(json_array_size(recs), 4);
    json_decref(recs);
}

static void test_unreadable_files_and_refused_groups_are_failed_records(void **state) {
    (void)state;
    /* the 40-segment trip is past the limit: 40 failed records naming it and the limit; the
     * file that does not exist is a failed claim of its own; nothing is dropped */
    json_t *recs = assess("--group auto long missing.mp4");
    assert_int_equal(json_array_size(recs), 41);
    int refused = 0, missing = 0;
    size_t i;
    json_t *a;
    json_array_foreach(recs, i, a) {
        assert_string_equal(text(a, "status"), "failed");
        const char *msg = text(json_object_get(a, "error"), "message");
        assert_non_null(msg);
        if (strstr(msg, "40 videos") && strstr(msg, "32") &&
            strstr(msg, "'2020_0101_120000_001F.MP4'"))
            refused++;
        if (strstr(msg, "missing.mp4")) missing++;
    }
    assert_int_equal(refused, 40);
    assert_int_equal(missing, 1);
    json_decref(recs);
}

static void test_bench_groups_a_folder(void **state) {
    (void)state;
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s/dashclaim' bench -q --group auto cam --output bench.json "
             ">/dev/null 2>&1",
             dir, bin);
    assert_int_equal(run(cmd), 0);
    char path[1100];
    snprintf(path, sizeof path, "%s/bench.json", dir);
    json_t *report = json_load_file(path, 0, NULL);
    assert_non_null(report);
    json_t *videos = json_object_get(report, "videos");
    assert_int_equal(json_array_size(videos), 1);
    json_t *rec = json_array_get(videos, 0);
    assert_non_null(strstr(text(rec, "path"), "cam/20190612_143500_NF.mp4"));
    assert_non_null(strstr(text(rec, "grouping"), "blackvue names: 4 videos, 2 channels"));
    json_t *claim_videos = json_object_get(json_object_get(rec, "assessment"), "videos");
    assert_int_equal(json_array_size(claim_videos), 4);
    json_decref(report);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_makes_one_claim_of_a_cameras_folder),
        cmocka_unit_test(test_unreadable_files_and_refused_groups_are_failed_records),
        cmocka_unit_test(test_bench_groups_a_folder),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
