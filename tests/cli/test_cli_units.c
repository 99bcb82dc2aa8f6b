/* Building blocks of assess/bench: ground truth sources and the bench summary numbers. */
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

#include "bench_summary.h"
#include "ground_truth.h"
#include "output.h"

static const char *tmp_dir(void) {
    const char *d = getenv("DC_TEST_TMP");
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/cli-units", d ? d : "/tmp/dc-test");
    cli_mkdir_p(buf, NULL);
    return buf;
}

static void test_manifest_lines(void **state) {
    (void)state;
    char path[256];
    cli_ground_truth t;
    assert_false(cli_truth_parse_manifest_line("path,severity,incident_sec,fault_ratio\n", path,
                                               sizeof path, &t));
    assert_true(cli_truth_parse_manifest_line("a/b.mp4,high,12.5,100\r\n", path, sizeof path, &t));
    assert_string_equal(path, "a/b.mp4");
    assert_int_equal(t.severity, 3);
    assert_true(t.incident_sec == 12.5 && t.fault_ratio == 100);
    assert_true(cli_truth_parse_manifest_line("c.mp4,NONE,,", path, sizeof path, &t));
    assert_int_equal(t.severity, 0);
    assert_true(t.incident_sec < 0 && t.fault_ratio < 0);
    assert_true(cli_truth_parse_manifest_line("d.mp4", path, sizeof path, &t));
    assert_int_equal(t.severity, -1);
}

static void test_truth_from_sidecar_then_filename(void **state) {
    (void)state;
    char video[4200], label[4300];
    snprintf(video, sizeof video, "%s/crash_but_labelled.mp4", tmp_dir());
    snprintf(label, sizeof label, "%s.label.json", video);
    FILE *f = fopen(label, "w");
    fputs("{\"type\":\"near-miss\",\"severity\":\"MEDIUM\",\"incident_sec\":42.0}", f);
    fclose(f);
    cli_ground_truth t;
    cli_truth_for_video(video, &t);
    assert_int_equal(t.source, CLI_TRUTH_SIDECAR); /* the sidecar beats the name's "crash" */
    assert_int_equal(t.severity, 2);
    assert_true(t.incident_sec == 42.0);
    assert_string_equal(t.type, "near-miss");
    remove(label);
    cli_truth_for_video(video, &t);
    assert_int_equal(t.source, CLI_TRUTH_FILENAME);
    assert_int_equal(t.severity, 3);
    cli_truth_for_video("/x/Near_Miss_01.MP4", &t);
    assert_int_equal(t.severity, 2);
    cli_truth_for_video("/x/normal-drive.mp4", &t);
    assert_int_equal(t.severity, 0);
    cli_truth_for_video("/x/clip7.mp4", &t);
    assert_int_equal(t.source, CLI_TRUTH_NONE);
    assert_int_equal(t.severity, -1);
}

static json_t *record(const char *status, const char *cls, const char *sev, const char *truth,
                      double total_ms, double rss_delta, double incident, double win_start,
                      double win_end) {
    json_t *v =
        json_pack("{s:s,s:o,s:o,s:{s:o,s:o},s:{s:f},s:f,s:f,s:[{s:f,s:f}],s:b}", "status", status,
                  "error", cls ? json_pack("{s:s,s:s}", "class", cls, "message", "m") : json_null(),
                  "severity", sev ? json_string(sev) : json_null(), "ground_truth", "severity",
                  truth ? json_string(truth) : json_null(), "incident_sec",
                  incident >= 0 ? json_real(incident) : json_null(), "timings_ms", "total",
                  total_ms, "rss_delta_mb", rss_delta, "duration_sec", 60.0, "windows", "start_sec",
                  win_start, "end_sec", win_end, "assessed_this_run", 1);
    assert_non_null(v);
    return v;
}

static void test_summary_numbers(void **state) {
    (void)state;
    json_t *videos = json_array();
    json_array_append_new(videos, record("ok", NULL, "HIGH", "HIGH", 1000, 2, 30, 25, 35));
    json_array_append_new(videos, record("degraded", NULL, "MEDIUM", "HIGH", 3000, 40, 30, 0, 10));
    json_array_append_new(videos, record("failed", "input", NULL, "NONE", 10, 0, -1, 0, 0));
    json_array_append_new(videos, record("ok", NULL, "NONE", "NONE", 2000, 1, -1, 0, 10));
    json_t *s = cli_bench_summary(videos, 60.0, 4);
    assert_true(fabs(json_number_value(json_object_get(s, "success_rate")) - 0.75) < 1e-9);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(s, "failures_by_class"), "input")), 1);
    json_t *lat = json_object_get(s, "latency_sec");
    assert_true(fabs(json_number_value(json_object_get(lat, "max")) - 3.0) < 1e-9);
    assert_true(fabs(json_number_value(json_object_get(lat, "p50")) - 1.0) < 1e-9);
    assert_true(fabs(json_number_value(json_object_get(lat, "mean")) - 6.01 / 4) < 1e-9);
    json_t *mem = json_object_get(s, "memory");
    assert_true(fabs(json_number_value(json_object_get(mem, "rss_delta_mb_max")) - 40) < 1e-9);
    assert_false(json_is_true(json_object_get(mem, "rss_delta_le_32mb")));
    assert_true(json_is_true(json_object_get(mem, "prototype_check_delta_lt_1gb")));
    json_t *acc = json_object_get(s, "accuracy");
    assert_int_equal(json_integer_value(json_object_get(acc, "labelled")),
                     3); /* failed has no severity */
    assert_true(fabs(json_number_value(json_object_get(acc, "severity_exact_match")) - 2.0 / 3) <
                1e-9);
    assert_true(fabs(json_number_value(json_object_get(acc, "mean_ordinal_distance")) - 1.0 / 3) <
                1e-9);
    assert_true(fabs(json_number_value(json_object_get(acc, "localisation_hit_rate")) - 0.5) <
                1e-9);
    json_t *row = json_object_get(json_object_get(acc, "confusion_truth_by_predicted"), "HIGH");
    assert_int_equal(json_integer_value(json_object_get(row, "MEDIUM")), 1);
    assert_true(fabs(json_number_value(
                         json_object_get(json_object_get(s, "throughput"), "videos_per_min")) -
                     4) < 1e-9);
    json_decref(s);
    json_decref(videos);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_lines),
        cmocka_unit_test(test_truth_from_sidecar_then_filename),
        cmocka_unit_test(test_summary_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
