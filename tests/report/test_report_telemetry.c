/* The claim page shows the dashcam's telemetry under the danger timeline: speed and
 * acceleration plotted (a crash spike shorter than a pixel column is still drawn), the
 * position as coordinates (no map, nothing fetched) and the UTC time; the file's words
 * (device) escaped. A claim without telemetry shows none of it. */
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

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_page_shows_telemetry)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
