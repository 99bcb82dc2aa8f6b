/* dashclaim as a user runs it: synth-video makes labelled videos, `dashclaim assess` and
 * `dashclaim bench` run on them as separate processes, and their JSON is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dashclaim/claim.h"

static char bin[4096], dir[4096];

/* Runs a shell command; returns its exit status and (when out is not NULL) its stdout. */
static int run(char **out, const char *fmt, ...) {
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    int status = pclose(p);
    if (out) *out = buf;
    else free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void make_video(const char *name, const char *scene, double duration, double incident) {
    char inc[64] = "";
    if (incident >= 0) snprintf(inc, sizeof inc, "--incident-at %.1f", incident);
    assert_int_equal(run(NULL,
                         "%s/synth-video --scene %s --duration %.0f %s --size 480x270 --fps 15 "
                         "--seed 11 -o %s/%s 2>/dev/null",
                         bin, scene, duration, inc, dir, name),
                     0);
}

static json_t *parse(const char *text) {
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j) fprintf(stderr, "not JSON (%s): %.300s\n", err.text, text);
    assert_non_null(j);
    return j;
}

static const char *str(json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

static int setup(void **state) {
    (void)state;
    const char *b = getenv("DC_BIN"), *t = getenv("DC_TEST_TMP");
    snprintf(bin, sizeof bin, "%s", b ? b : "build/bin");
    snprintf(dir, sizeof dir, "%s/cli-e2e", t ? t : "/tmp/dc-test");
    run(NULL, "rm -rf %s && mkdir -p %s/batch", dir, dir);
    make_video("collision.mp4", "collision", 40, 24);
    make_video("near-miss.mp4", "near-miss", 40, 18);
    make_video("normal.mp4", "normal", 40, -1);
    return 0;
}

/* The signals engine tells the three kinds of video apart (severity from the label). */
static void test_assess_signals_severity(void **state) {
    (void)state;
    static const struct {
        const char *video, *severity;
    } cases[] = {{"collision.mp4", "HIGH"}, {"near-miss.mp4", "MEDIUM"}, {"normal.mp4", "NONE"}};
    for (int i = 0; i < 3; i++) {
        char *out = NULL;
        assert_int_equal(
            run(&out, "%s/dashclaim assess %s/%s 2>/dev/null", bin, dir, cases[i].video), 0);
        json_t *a = parse(out);
        assert_string_equal(str(a, "schema"), DC_ASSESSMENT_SCHEMA);
        assert_string_equal(str(json_object_get(a, "engine"), "name"), "signals");
        assert_string_equal(str(a, "status"), "ok");
        if (strcmp(str(a, "severity"), cases[i].severity) != 0)
            fprintf(stderr, "%s: severity %s, expected %s\n", cases[i].video, str(a, "severity"),
                    cases[i].severity);
        assert_string_equal(str(a, "severity"), cases[i].severity);
        assert_true(json_array_size(json_object_get(a, "windows")) >= 1);
        json_decref(a);
        free(out);
    }
}

/* Several videos: NDJSON, one line per input, in order, a bad one included as failed. */
static void test_assess_ndjson_and_bad_input(void **state) {
    (void)state;
    char *out = NULL;
    run(NULL, "printf 'not a video' > %s/garbage.mp4", dir);
    assert_int_equal(
        run(&out,
            "%s/dashclaim assess %s/collision.mp4 %s/garbage.mp4 %s/missing.mp4 %s/normal.mp4 "
            "2>/dev/null",
            bin, dir, dir, dir, dir),
        0);
    const char *expect_status[] = {"ok", "failed", "failed", "ok"};
    int lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        assert_true(lines < 4);
        json_t *a = parse(line);
        assert_string_equal(str(a, "status"), expect_status[lines]);
        if (!strcmp(expect_status[lines], "failed")) {
            json_t *err = json_object_get(a, "error");
            assert_string_equal(str(err, "class"), "input");
            assert_non_null(
                strstr(str(err, "message"), lines == 1 ? "garbage.mp4" : "missing.mp4"));
            assert_true(json_is_null(json_object_get(a, "severity")));
            assert_string_equal(str(a, "recommended_action"), "REVIEW");
        }
        json_decref(a);
    }
    assert_int_equal(lines, 4);
    free(out);
}

static void test_assess_output_files_and_errors(void **state) {
    (void)state;
    char *out = NULL;
    assert_int_equal(
        run(&out, "%s/dashclaim assess -q -o %s/out/ --html %s/html %s/collision.mp4 %s/normal.mp4",
            bin, dir, dir, dir, dir),
        0);
    free(out);
    char path[8192];
    snprintf(path, sizeof path, "%s/out/collision.mp4.json", dir);
    json_t *a = json_load_file(path, 0, NULL);
    assert_non_null(a);
    assert_string_equal(str(a, "severity"), "HIGH");
    json_decref(a);
    snprintf(path, sizeof path, "%s/html/index.html", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    snprintf(path, sizeof path, "%s/html/collision.mp4.html", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(run(NULL, "grep -q 'data:image/jpeg;base64' %s", path), 0);
    /* usage errors and unwritable output */
    assert_int_equal(run(NULL, "%s/dashclaim assess 2>/dev/null", bin), 2);
    assert_int_equal(
        run(NULL, "%s/dashclaim assess --windows 0 %s/normal.mp4 2>/dev/null", bin, dir), 2);
    assert_int_equal(run(NULL,
                         "%s/dashclaim assess --model /nonexistent.gguf --mmproj /x.gguf "
                         "%s/normal.mp4 2>/dev/null",
                         bin, dir),
                     2);
    assert_int_equal(
        run(NULL, "%s/dashclaim assess -q -o /nonexistent-dir/a.json %s/normal.mp4 2>/dev/null",
            bin, dir),
        3);
    assert_int_equal(run(NULL, "%s/dashclaim assess --help | grep -q -- --visual-tokens", bin), 0);
}

/* DASHCLAIM_DECODE_WORKERS reaches the sampler through the CLI (the library reads no
 * environment): 1 decodes forward with one decoder, 3 spreads the keyframe groups (1 s each
 * here) over three threads, whatever the machine's cores. */
static void test_frames_decode_workers_from_environment(void **state) {
    (void)state;
    static const struct {
        const char *env;
        int workers;
    } cases[] = {{"1", 1}, {"3", 3}};
    for (int i = 0; i < 2; i++) {
        char *out = NULL;
        assert_int_equal(run(&out,
                             "DASHCLAIM_DECODE_WORKERS=%s %s/dashclaim frames %s/normal.mp4 "
                             "--start 2 --end 30 -n 8 --size 160",
                             cases[i].env, bin, dir),
                         0);
        json_t *f = parse(out);
        assert_int_equal(json_integer_value(json_object_get(f, "decode_workers")),
                         cases[i].workers);
        json_decref(f);
        free(out);
    }
}

/* A folder with one damaged video: the run completes, that video is failed/input, the rate
 * is right; a rerun resumes and assesses only what is new. */
static void test_bench_damaged_and_resume(void **state) {
    (void)state;
    run(NULL,
        "cp %s/collision.mp4 %s/normal.mp4 %s/near-miss.mp4 %s/collision.mp4.label.json %s/batch/ "
        "&& "
        "head -c 20000 %s/normal.mp4 > %s/batch/truncated-normal.mp4 && printf 'junk' > "
        "%s/batch/broken.mp4",
        dir, dir, dir, dir, dir, dir, dir, dir);
    char *out = NULL;
    assert_int_equal(run(&out, "%s/dashclaim bench %s/batch --output %s/report.json --jobs 2 2>&1",
                         bin, dir, dir),
                     0);
    assert_non_null(strstr(out, "success rate"));
    free(out);
    char path[8192];
    snprintf(path, sizeof path, "%s/report.json", dir);
    json_t *r = json_load_file(path, 0, NULL);
    assert_non_null(r);
    json_t *s = json_object_get(r, "summary"), *videos = json_object_get(r, "videos");
    assert_int_equal(json_array_size(videos), 5);
    int failed = 0, input_failed = 0;
    size_t i;
    json_t *v;
    json_array_foreach(videos, i, v) {
        if (strcmp(str(v, "status"), "failed") == 0) {
            failed++;
            input_failed += !strcmp(str(json_object_get(v, "error"), "class"), "input");
        }
        assert_non_null(json_object_get(v, "timings_ms"));
        assert_true(json_is_number(json_object_get(v, "rss_delta_mb")));
    }
    assert_true(failed >= 1 && failed <= 2); /* broken.mp4 surely; the truncated one may decode */
    assert_int_equal(input_failed, failed);
    double rate = json_number_value(json_object_get(s, "success_rate"));
    assert_true(fabs(rate - (5.0 - failed) / 5.0) < 1e-9);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(s, "failures_by_class"), "input")),
        failed);
    assert_true(json_is_object(json_object_get(s, "latency_sec")));
    assert_true(json_is_object(json_object_get(s, "accuracy")));
    json_decref(r);

    run(NULL, "cp %s/near-miss.mp4 %s/batch/near-miss-2.mp4", dir, dir);
    assert_int_equal(
        run(&out, "%s/dashclaim bench %s/batch --output %s/report.json 2>&1", bin, dir, dir), 0);
    assert_non_null(strstr(out, "resuming: 5 of 6"));
    free(out);
    r = json_load_file(path, 0, NULL);
    videos = json_object_get(r, "videos");
    assert_int_equal(json_array_size(videos), 6);
    int fresh = 0;
    json_array_foreach(videos, i, v) fresh += json_is_true(json_object_get(v, "assessed_this_run"));
    assert_int_equal(fresh, 1);
    json_decref(r);
}

/* The VLM engine with a random-weight Qwen2.5-VL: the record is schema-valid and ok. */
static void test_assess_tiny_vlm(void **state) {
    (void)state;
    assert_int_equal(
        run(NULL, "%s/synth-model --preset tiny --seed 3 -o %s/tiny >/dev/null 2>&1", bin, dir), 0);
    char *out = NULL;
    int rc = run(&out,
                 "%s/dashclaim assess --model %s/tiny/model.gguf --mmproj %s/tiny/mmproj.gguf "
                 "--timeout 300 %s/collision.mp4 2>%s/vlm.err",
                 bin, dir, dir, dir, dir);
    if (rc != 0) run(NULL, "cat %s/vlm.err >&2", dir);
    assert_int_equal(rc, 0);
    json_t *j = parse(out);
    assert_string_equal(str(json_object_get(j, "engine"), "name"), "vlm");
    assert_string_equal(str(j, "status"), "ok");
    /* A random model's severity is arbitrary but must be one of the four, with a real
     * distribution that sums to 1, and the record must read back as the schema. */
    assert_int_not_equal(dc_severity_from_name(str(j, "severity")), DC_SEVERITY_UNSET);
    json_t *probs = json_object_get(j, "severity_probs");
    double sum = 0;
    const char *k;
    json_t *p;
    json_object_foreach(probs, k, p) sum += json_number_value(p);
    assert_true(fabs(sum - 1.0) < 1e-3);
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_assessment_from_json(out, &a, &st), DC_OK);
    json_decref(j);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assess_signals_severity),
        cmocka_unit_test(test_assess_ndjson_and_bad_input),
        cmocka_unit_test(test_assess_output_files_and_errors),
        cmocka_unit_test(test_frames_decode_workers_from_environment),
        cmocka_unit_test(test_bench_damaged_and_resume),
        cmocka_unit_test(test_assess_tiny_vlm),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
