/* The prompt's telemetry lines: one per frame pair with the GPS speed at the pair's time and
 * the G-sensor's largest departure from rest around it (a crash spike between two frames is
 * seen), nothing at all for a video without telemetry. No model needed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vlm_internal.h"

static void test_a_line_per_pair(void **state) {
    (void)state;
    dc_gps_fix fixes[4] = {{.t_sec = 0, .valid = true, .speed_kmh = 50},
                           {.t_sec = 1, .valid = true, .speed_kmh = 54},
                           {.t_sec = 2, .valid = true, .speed_kmh = 10},
                           {.t_sec = 3, .valid = true, .speed_kmh = 0}};
    dc_accel_sample acc[301];
    for (int i = 0; i < 301; i++) acc[i] = (dc_accel_sample){.t_sec = i / 100.0, .z = 1};
    acc[153].x = -3; /* a spike at 1.53 s, between the frames at 1.5 and 1.6 */
    dc_telemetry t = {
        .source = "gpmf", .gps = fixes, .gps_count = 4, .accel = acc, .accel_count = 301};
    dc_frame f[4] = {{.t_sec = 0.5}, {.t_sec = 0.6}, {.t_sec = 1.5}, {.t_sec = 1.6}};
    dc_frame_set frames = {.frames = f, .count = 4, .requested = 4};
    dc_str s = {0};
    vlm_prompt_telemetry(&s, &t, &frames, 4, 2);
    char *text = dc_str_finish(&s);
    assert_non_null(text);
    assert_non_null(strstr(text, "The dashcam's own data at these frames"));
    assert_non_null(strstr(text, "frames 0-1: 52 km/h, 0.01 g\n"));
    assert_non_null(strstr(text, "frames 2-3: 30 km/h, 2.99 g\n"));
    free(text);
    /* no telemetry, no words */
    dc_telemetry none = {0};
    s = (dc_str){0};
    dc_str_append(&s, "");
    vlm_prompt_telemetry(&s, &none, &frames, 4, 2);
    vlm_prompt_telemetry(&s, NULL, &frames, 4, 2);
    text = dc_str_finish(&s);
    assert_non_null(text);
    assert_string_equal(text, "");
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_a_line_per_pair)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
