/* Public GoPro GPMF samples (gopro/gpmf-parser's, as shipped in the npm package
 * gopro-telemetry 1.2.11, ISC: samples/hero5.raw ... hero11.raw, raw payloads of real cameras):
 * read through tm_gpmf_payload when DC_GPMF_SAMPLES names their folder (bench/telemetry/
 * public_samples.sh fetches them with npm pack); skipped otherwise (no network in make test).
 * Holds: every sample gives its fixes, accelerometer and gyroscope samples; the mean
 * acceleration is gravity, about 1 g; in the samples recorded upright (hero5: no ORIN, DVNM
 * "Camera", stored Z,X,Y; hero6+ble: ORIN "YxZ"; hero11: ORIN "ZXY"), whose stored channels
 * hold gravity in channel 0, 2 and 0, gravity comes out on the camera's +Z in all three once
 * the orientation is applied. hero6 and hero7 were recorded in another pose (hero7 turning at
 * about 1 rad/s): only the magnitude is checked there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/telemetry.h"
#include "tm_internal.h"

typedef struct {
    const char *file;
    int min_fixes; /* GPS in the sample (0: the sample has none) */
    bool upright;  /* recorded upright: gravity along the camera's +Z */
} sample;

static const sample samples[] = {
    {"hero5.raw", 1, true},  {"hero6.raw", 1, false}, {"hero6+ble.raw", 1, true},
    {"hero7.raw", 1, false}, {"hero11.raw", 1, true}, {"Fusion.raw", 1, false},
};

static bool read_sample(const char *dir, const char *name, dc_telemetry *t) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    *t = (dc_telemetry){0};
    tm_sink s = {.out = t, .dl = dc_deadline_in(10)};
    tm_gpmf_payload(&s, (tm_bytes){buf, n}, 0, 1);
    return true;
}

static void public_gpmf(void **state) {
    (void)state;
    const char *dir = getenv("DC_GPMF_SAMPLES");
    if (!dir || !dir[0]) {
        fprintf(stderr, "DC_GPMF_SAMPLES not set: bench/telemetry/public_samples.sh runs this\n");
        skip();
    }
    int disagree = 0;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        dc_telemetry t;
        if (!read_sample(dir, samples[i].file, &t)) fail_msg("%s: not found", samples[i].file);
        double m[3] = {0}, g[3] = {0};
        for (int k = 0; k < t.accel_count; k++)
            m[0] += t.accel[k].x, m[1] += t.accel[k].y, m[2] += t.accel[k].z;
        for (int k = 0; k < t.gyro_count; k++)
            g[0] += t.gyro[k].x, g[1] += t.gyro[k].y, g[2] += t.gyro[k].z;
        for (int a = 0; a < 3; a++) {
            m[a] /= t.accel_count ? t.accel_count : 1;
            g[a] /= t.gyro_count ? t.gyro_count : 1;
        }
        double norm = sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
        int big = fabs(m[0]) > fabs(m[1]) && fabs(m[0]) > fabs(m[2]) ? 0
                  : fabs(m[1]) > fabs(m[2])                          ? 1
                                                                     : 2;
        printf("%-14s %-14s fixes %5d accel %6d mean %+.3f %+.3f %+.3f g (|%.3f|) gyro %6d "
               "mean %+.4f %+.4f %+.4f rad/s%s%s\n",
               samples[i].file, t.device, t.gps_count, t.accel_count, m[0], m[1], m[2], norm,
               t.gyro_count, g[0], g[1], g[2], t.degraded ? " degraded: " : "",
               t.degraded ? t.reason : "");
        assert_true(t.gps_count >= samples[i].min_fixes);
        assert_true(t.accel_count > 0);
        assert_true(norm > 0.8 && norm < 1.2); /* gravity, in g */
        if (samples[i].upright) {
            assert_true(t.gyro_count > 0);
            if (big != 2 || m[2] < 0)
                disagree++, printf("%s: gravity on axis %d, not on +Z\n", samples[i].file, big);
        }
        dc_telemetry_free(&t);
    }
    assert_int_equal(disagree, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(public_gpmf)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
