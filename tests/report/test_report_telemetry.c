/* The claim page shows the dashcam's telemetry under the danger timeline: speed and
 * acceleration plotted (a crash spike shorter than a pixel column is still drawn), the
 * position as coordinates (no map, nothing fetched) and the UTC time; the file's words
 * (device) escaped. A claim without telemetry shows none of it; the telemetry of a later
 * segment of a claim of several videos lines up with where that file is on the timeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/report.h"

static void test_page_shows_telemetry(void **state) {
    (void)state;
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    a->severity = DC_SEVERITY_HIGH;
    a->video.duration_sec = 600;
    dc_telemetry_summary *s = &a->telemetry;
    snprintf(s->source, sizeof s->source, "gpmf");
    snprintf(s->device, sizeof s->device, "HERO<script>alert(1)</script>");
    s->fix_count = s->valid_fix_count = 600;
    s->accel_count = 120000;
    s->speed_before_kmh = 54;
    s->speed_after_kmh = 0;
    s->peak_g = 3.9;
    s->peak_sec = 300.003;
    s->has_position = true;
    s->lat = -33.868812;
    s->lon = 151.209321;
    assert_true(dc_utc_parse("2026-03-14T09:27:00.300Z", &s->utc_ms, NULL));
    dc_gps_fix *fixes = calloc(600, sizeof *fixes);
    dc_accel_sample *acc = calloc(120000, sizeof *acc);
    assert_true(fixes && acc);
    for (int i = 0; i < 600; i++)
        fixes[i] = (dc_gps_fix){.t_sec = i, .valid = true, .speed_kmh = i < 300 ? 54 : 0};
    for (int i = 0; i < 120000; i++) acc[i] = (dc_accel_sample){.t_sec = i / 200.0, .z = 1};
    acc[60001].x = 3.9f; /* one 5-ms sample in a 0.55-s pixel column */
    dc_telemetry t = {
        .source = "gpmf", .gps = fixes, .gps_count = 600, .accel = acc, .accel_count = 120000};
    dc_report_inputs in = {.telemetry = &t};
    dc_str page = {0};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_render_claim_html(a, &in, &page, &st), DC_OK);
    const char *html = page.data;
    const char *timeline = strstr(html, "class=\"timeline\""),
               *plot = strstr(html, "class=\"telemetry\"");
    assert_true(timeline && plot && plot > timeline); /* under the danger timeline */
    assert_non_null(strstr(plot, "class=\"speed\""));
    const char *accel = strstr(plot, "class=\"accel\"");
    assert_non_null(accel);
    /* the spike is drawn at 3.9 of the 4-g scale: y = 120 - 106 * 3.9 / 4 = 16.65 */
    const char *end = strstr(accel, "/>");
    const char *spike = strstr(accel, " 16.6");
    if (!spike) spike = strstr(accel, " 16.7");
    assert_true(spike && spike < end);
    assert_non_null(strstr(html, "-33.868812, 151.209321"));
    assert_non_null(strstr(html, "2026-03-14T09:27:00.300Z"));
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "HERO&lt;script&gt;"));
    assert_null(strstr(html, "http://tile"));
    dc_str_free(&page);
    /* no telemetry: nothing of it */
    dc_assessment_init(a);
    a->severity = DC_SEVERITY_NONE;
    page = (dc_str){0};
    assert_int_equal(dc_report_render_claim_html(a, NULL, &page, &st), DC_OK);
    assert_null(strstr(page.data, "Dashcam telemetry"));
    dc_str_free(&page);
    free(fixes);
    free(acc);
    free(a);
}

/* x of the first point of the plot's path of class cls (e.g. "speed"). */
static double first_x(const char *html, const char *cls) {
    char key[64];
    snprintf(key, sizeof key, "class=\"%s\"", cls);
    const char *path = strstr(html, key);
    assert_non_null(path);
    const char *d = strstr(path, " d=\"M");
    assert_non_null(d);
    double x = -1;
    assert_int_equal(sscanf(d + 5, "%lf", &x), 1);
    return x;
}

/* A claim of two 60-s segments whose telemetry was read from the second: its data is drawn
 * under the second half of the timeline, where that file is, not under the first. */
static void test_telemetry_of_a_later_segment_lines_up(void **state) {
    (void)state;
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    dc_assessment_init(a);
    a->severity = DC_SEVERITY_HIGH;
    a->video.duration_sec = 120;
    a->video_count = 2;
    a->videos[0] = (dc_claim_video){.role = DC_ROLE_FRONT, .segment = 1, .duration_sec = 60};
    a->videos[1] =
        (dc_claim_video){.role = DC_ROLE_FRONT, .segment = 2, .offset_sec = 60, .duration_sec = 60};
    snprintf(a->telemetry.source, sizeof a->telemetry.source, "gpmf");
    dc_gps_fix fixes[60];
    dc_accel_sample acc[600];
    for (int i = 0; i < 60; i++)
        fixes[i] = (dc_gps_fix){.t_sec = i, .valid = true, .speed_kmh = 40};
    for (int i = 0; i < 600; i++) acc[i] = (dc_accel_sample){.t_sec = i / 10.0, .z = 1};
    dc_telemetry t = {
        .source = "gpmf", .gps = fixes, .gps_count = 60, .accel = acc, .accel_count = 600};
    dc_report_inputs in = {.telemetry = &t, .telemetry_offset_sec = 60};
    dc_str page = {0};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_render_claim_html(a, &in, &page, &st), DC_OK);
    /* 60 s of 120 on the 1100-px plot that starts at x = 46: the file starts at 596 */
    assert_true(first_x(page.data, "speed") >= 596 && first_x(page.data, "speed") < 597);
    assert_true(first_x(page.data, "accel") >= 596 && first_x(page.data, "accel") < 597);
    dc_str_free(&page);
    /* a claim of one video (offset 0) starts at the plot's left edge, as before */
    in.telemetry_offset_sec = 0;
    assert_int_equal(dc_report_render_claim_html(a, &in, &page, &st), DC_OK);
    assert_true(first_x(page.data, "speed") < 47);
    dc_str_free(&page);
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_shows_telemetry),
        cmocka_unit_test(test_telemetry_of_a_later_segment_lines_up)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
