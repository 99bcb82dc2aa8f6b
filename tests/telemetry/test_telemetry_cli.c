/* dashclaim telemetry: the JSON schema (source, fixes, samples, null for a video without
 * telemetry, exit 0), CSV and GPX, --help, a missing file (exit 1), run as a user runs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <unistd.h>

#include "telemetry_test_util.h"

/* Runs `dashclaim telemetry ARGS` into DC_TEST_TMP/telemetry/cli.out; its exit code. */
static int run(const char *args, tw_buf *out) {
    char cmd[8192];
    const char *path = tt_path("cli.out");
    snprintf(cmd, sizeof cmd, "'%s/dashclaim' telemetry %s >'%s' 2>/dev/null", getenv("DC_BIN"),
             args, path);
    int rc = system(cmd);
    *out = (tw_buf){0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) assert_int_equal(tw_put(out, chunk, n), 0);
    fclose(f);
    tw_put(out, "", 1);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void json_gpmf_and_none(void **state) {
    (void)state;
    tw_scene s;
    tw_scene_default(&s);
    tw_buf p[6];
    assert_int_equal(tw_gpmf_payloads(&s, 18, 200, false, "Synth HERO", p, 6), 6);
    const char *video = tt_path("cli-gpmf.mp4");
    assert_int_equal(tw_mp4_add_gpmd(tt_base_video(), video, p, 6), 0);
    tt_free_bufs(p, 6);
    char args[8192];
    snprintf(args, sizeof args, "'%s' '%s'", video, tt_base_video());
    tw_buf out;
    assert_int_equal(run(args, &out), 0);
    /* one object a line, in the order of the files */
    char *second = strchr((char *)out.p, '\n');
    assert_non_null(second);
    *second++ = 0;
    json_error_t err;
    json_t *a = json_loads((char *)out.p, 0, &err), *b = json_loads(second, 0, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(a, "schema")), "dashclaim.telemetry/1");
    assert_string_equal(json_string_value(json_object_get(a, "source")), "gpmf");
    assert_string_equal(json_string_value(json_object_get(a, "device")), "Synth HERO");
    json_t *gps = json_object_get(a, "gps"), *accel = json_object_get(a, "accel");
    assert_int_equal(json_array_size(gps), 6 * 18);
    assert_int_equal(json_array_size(accel), 6 * 200);
    json_t *fix = json_array_get(gps, 18);
    assert_true(fabs(json_real_value(json_object_get(fix, "t_sec")) - 1.0) < 1e-9);
    tw_fix w = tw_fix_at(&s, 1.0);
    assert_true(fabs(json_real_value(json_object_get(fix, "lat")) - w.lat) < 1e-6);
    assert_true(fabs(json_real_value(json_object_get(fix, "speed_kmh")) - w.speed_kmh) < 0.01);
    assert_string_equal(json_string_value(json_object_get(fix, "utc")), "2026-03-14T09:26:54.000Z");
    assert_true(json_is_null(json_object_get(fix, "heading_deg")));
    assert_true(json_is_true(json_object_get(fix, "valid")));
    assert_non_null(json_object_get(json_array_get(accel, 0), "z_g"));
    /* the video without telemetry */
    assert_true(json_is_null(json_object_get(b, "source")));
    assert_int_equal(json_array_size(json_object_get(b, "gps")), 0);
    assert_int_equal(json_array_size(json_object_get(b, "accel")), 0);
    assert_string_equal(json_string_value(json_object_get(b, "status")), "ok");
    json_decref(a), json_decref(b);
    tw_buf_free(&out);

    snprintf(args, sizeof args, "--format csv '%s'", video);
    assert_int_equal(run(args, &out), 0);
    int lines = 0;
    for (size_t i = 0; i < out.n; i++) lines += out.p[i] == '\n';
    assert_int_equal(lines, 1 + 6 * 18 + 6 * 200);
    assert_non_null(strstr((char *)out.p, ",gps,1.0000,2026-03-14T09:26:54.000Z,"));
    tw_buf_free(&out);

    snprintf(args, sizeof args, "--format gpx '%s'", video);
    assert_int_equal(run(args, &out), 0);
    int points = 0;
    for (char *c = (char *)out.p; (c = strstr(c, "<trkpt ")); c++) points++;
    assert_int_equal(points, 6 * 18);
    assert_non_null(strstr((char *)out.p, "</gpx>"));
    tw_buf_free(&out);
}

static void usage_and_errors(void **state) {
    (void)state;
    tw_buf out;
    assert_int_equal(run("--help", &out), 0);
    assert_non_null(strstr((char *)out.p, "novatek"));
    tw_buf_free(&out);
    assert_int_equal(run("--format kml x.mp4", &out), 2);
    tw_buf_free(&out);
    assert_int_equal(run("/nonexistent/clip.mp4", &out), 1);
    assert_non_null(strstr((char *)out.p, "\"error\""));
    tw_buf_free(&out);
}

int main(void) {
    if (!tt_base_video()) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_gpmf_and_none),
        cmocka_unit_test(usage_and_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(tt_base_video());
    return rc;
}
